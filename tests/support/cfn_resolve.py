"""Turn synthesized CloudFormation templates into the concrete world the actor rehearsal judges.

``World.from_templates({stack: template})`` resolves ``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``,
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::If``, ``Fn::ImportValue`` and ``Fn::GetStackOutput`` with a
fixed account, region and partition and deterministic physical names, then collects:

- each role's identity policies (inline ``Policies``, ``AWS::IAM::Policy``, ``AWS::IAM::ManagedPolicy``); AWS
  managed policy ARNs it cannot see are listed in ``unknown_managed_policies``, never assumed to allow;
- resource policies: S3 bucket policies, KMS key policies, SNS topic policies, SQS queue policies;
- each bucket's default encryption key.

Physical names follow CloudFormation's documented ``Ref``/``Fn::GetAtt`` return values per resource type
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html); the
names themselves are made up but consistent, which is all the rehearsal needs (policy and job definition are
resolved with the same names). An unknown ``Ref``/``GetAtt`` raises: nothing is guessed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from support.iam_eval import Evaluation, PolicyError, Request, account_of, evaluate

ACCOUNT = "111122223333"
REGION = "eu-west-1"
PARTITION = "aws"
ASSET_BUCKET = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"
"""The CDK bootstrap file-asset bucket (default qualifier ``hnb659fds``), as the synthesizer names it."""
ASSET_BUCKET_KEY: str | None = None
"""The asset bucket's key. ``cdk bootstrap`` encrypts it with the AWS managed ``aws/s3`` key unless
``--bootstrap-customer-key`` is given (CDK bootstrapping guide); the aws/s3 key policy lets every principal of the
account use it through S3, so no grant is needed. Set a key ARN here to rehearse a customer-key bootstrap."""


class ResolveError(KeyError):
    pass


def _short(text: str, n: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


@dataclass
class _Names:
    """Ref and GetAtt values of one resource."""

    ref: str
    atts: dict[str, str]


def _physical(stack: str, logical: str, resource: Mapping[str, Any], props: Mapping[str, Any]) -> _Names:
    kind = resource["Type"]
    suffix = _short(f"{stack}/{logical}").upper()
    generic = f"{stack}-{logical}"[:50] + f"-{suffix}"
    if kind == "AWS::IAM::Role":
        name = props.get("RoleName") or generic[:64]
        path = props.get("Path", "/")
        arn = f"arn:{PARTITION}:iam::{ACCOUNT}:role{path}{name}"
        return _Names(name, {"Arn": arn, "RoleId": f"AROA{suffix}"})
    if kind == "AWS::IAM::Policy":
        return _Names(props.get("PolicyName") or generic, {"Id": generic})
    if kind == "AWS::IAM::ManagedPolicy":
        name = props.get("ManagedPolicyName") or generic
        return _Names(
            f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{name}",
            {"PolicyArn": f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{name}"},
        )
    if kind == "AWS::S3::Bucket":
        name = props.get("BucketName") or generic.lower()[:63]
        return _Names(
            name,
            {
                "Arn": f"arn:{PARTITION}:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
            },
        )
    if kind == "AWS::KMS::Key":
        key_id = f"{_short(stack + logical, 8)}-0000-4000-8000-{_short(logical, 12)}"
        return _Names(key_id, {"Arn": _arn("kms", f"key/{key_id}"), "KeyId": key_id})
    if kind == "AWS::KMS::Alias":
        return _Names(props.get("AliasName", generic), {})
    if kind == "AWS::SNS::Topic":
        name = props.get("TopicName") or generic
        arn = _arn("sns", name)
        return _Names(arn, {"TopicArn": arn, "TopicName": name})
    if kind == "AWS::SQS::Queue":
        name = props.get("QueueName") or generic
        return _Names(
            f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}",
            {
                "Arn": _arn("sqs", name),
                "QueueName": name,
                "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}",
            },
        )
    if kind == "AWS::Lambda::Function":
        name = props.get("FunctionName") or generic
        return _Names(name, {"Arn": _arn("lambda", f"function:{name}")})
    if kind == "AWS::Logs::LogGroup":
        name = props.get("LogGroupName") or generic
        return _Names(name, {"Arn": _arn("logs", f"log-group:{name}:*")})
    if kind == "AWS::DynamoDB::Table":
        name = props.get("TableName") or generic
        arn = _arn("dynamodb", f"table/{name}")
        return _Names(name, {"Arn": arn, "StreamArn": f"{arn}/stream/2026-01-01T00:00:00.000"})
    if kind == "AWS::StepFunctions::StateMachine":
        name = props.get("StateMachineName") or generic
        arn = _arn("states", f"stateMachine:{name}")
        return _Names(arn, {"Arn": arn, "Name": name})
    if kind == "AWS::Events::Rule":
        name = props.get("Name") or generic
        return _Names(name, {"Arn": _arn("events", f"rule/{name}")})
    if kind == "AWS::Scheduler::Schedule":
        name = props.get("Name") or generic
        return _Names(name, {"Arn": _arn("scheduler", f"schedule/default/{name}")})
    if kind == "AWS::Scheduler::ScheduleGroup":
        name = props.get("Name") or generic
        return _Names(name, {"Arn": _arn("scheduler", f"schedule-group/{name}")})
    if kind == "AWS::CloudWatch::Alarm":
        name = props.get("AlarmName") or generic
        return _Names(name, {"Arn": _arn("cloudwatch", f"alarm:{name}")})
    if kind == "AWS::CloudWatch::CompositeAlarm":
        name = props.get("AlarmName") or generic
        return _Names(name, {"Arn": _arn("cloudwatch", f"alarm:{name}")})
    if kind == "AWS::CloudWatch::Dashboard":
        return _Names(props.get("DashboardName") or generic, {})
    if kind == "AWS::SageMaker::Model":
        name = props.get("ModelName") or generic.lower()
        arn = _arn("sagemaker", f"model/{name}")
        return _Names(arn, {"ModelName": name, "ModelArn": arn})
    if kind == "AWS::SageMaker::EndpointConfig":
        name = props.get("EndpointConfigName") or generic.lower()
        arn = _arn("sagemaker", f"endpoint-config/{name}")
        return _Names(arn, {"EndpointConfigName": name, "EndpointConfigArn": arn})
    if kind == "AWS::SageMaker::Endpoint":
        name = props.get("EndpointName") or generic.lower()
        # SageMaker writes the endpoint's name in lower case in its ARN (GetAtt EndpointArn returns that ARN).
        arn = _arn("sagemaker", f"endpoint/{name.lower()}")
        return _Names(arn, {"EndpointName": name, "EndpointArn": arn})
    if kind.startswith("AWS::SageMaker::") and kind.endswith("JobDefinition"):
        name = props.get("JobDefinitionName") or generic.lower()
        kind_slug = {
            "AWS::SageMaker::DataQualityJobDefinition": "data-quality-job-definition",
            "AWS::SageMaker::ModelQualityJobDefinition": "model-quality-job-definition",
            "AWS::SageMaker::ModelBiasJobDefinition": "model-bias-job-definition",
            "AWS::SageMaker::ModelExplainabilityJobDefinition": "model-explainability-job-definition",
        }[kind]
        arn = _arn("sagemaker", f"{kind_slug}/{name}")
        return _Names(arn, {"JobDefinitionArn": arn, "JobDefinitionName": name})
    if kind == "AWS::SageMaker::MonitoringSchedule":
        name = props.get("MonitoringScheduleName") or generic.lower()
        arn = _arn("sagemaker", f"monitoring-schedule/{name}")
        return _Names(arn, {"MonitoringScheduleArn": arn, "MonitoringScheduleName": name})
    if kind == "AWS::SageMaker::Pipeline":
        name = props.get("PipelineName") or generic
        return _Names(name, {})
    if kind == "AWS::SageMaker::ModelPackageGroup":
        name = props.get("ModelPackageGroupName") or generic.lower()
        arn = _arn("sagemaker", f"model-package-group/{name}")
        return _Names(arn, {"ModelPackageGroupArn": arn})
    if kind == "AWS::EC2::SecurityGroup":
        return _Names(f"sg-{_short(logical, 17)}", {"GroupId": f"sg-{_short(logical, 17)}"})
    # Resources whose Ref nothing in a policy uses (policies, permissions, alarms' actions ...).
    return _Names(generic, {})


AWS_MANAGED_POLICIES: dict[str, Mapping[str, Any]] = {
    # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html (CDK gives
    # it to the function behind AwsCustomResource).
    f"arn:{PARTITION}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ],
    },
}
"""AWS managed policies whose documents the rehearsal knows (version in force when written down)."""


@dataclass
class Role:
    arn: str
    policies: list[Mapping[str, Any]] = field(default_factory=list)
    unknown_managed_policies: list[str] = field(default_factory=list)
    path: str = ""
    """Construct path (``aws:cdk:path`` metadata) of the role, for readable reports."""


class _Stack:
    def __init__(self, world: World, name: str, template: Mapping[str, Any]) -> None:
        self.world = world
        self.name = name
        self.template = template
        self.resources: Mapping[str, Mapping[str, Any]] = template.get("Resources", {})
        self._names: dict[str, _Names] = {}
        self._resolving: set[str] = set()

    def names(self, logical: str) -> _Names:
        if logical not in self._names:
            if logical not in self.resources:
                raise ResolveError(f"{self.name}: no resource {logical!r}")
            if logical in self._resolving:
                raise ResolveError(f"{self.name}: circular name of {logical!r}")
            self._resolving.add(logical)
            resource = self.resources[logical]
            props = resource.get("Properties", {})
            name_props = {k: self.resolve(v) for k, v in props.items() if k.endswith("Name") or k == "Path"}
            self._names[logical] = _physical(self.name, logical, resource, name_props)
            self._resolving.discard(logical)
        return self._names[logical]

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.name,
            "AWS::StackId": _arn("cloudformation", f"stack/{self.name}/{_short(self.name)}"),
            "AWS::NotificationARNs": [],
        }
        if name in pseudo:
            return pseudo[name]
        if name == "AWS::NoValue":
            return _NO_VALUE
        parameters = self.template.get("Parameters", {})
        if name in parameters:
            parameter = parameters[name]
            if "Default" not in parameter:
                raise ResolveError(f"{self.name}: parameter {name!r} has no default")
            if parameter.get("Type", "").startswith("AWS::SSM::Parameter::Value"):
                return f"ssm:{parameter['Default']}"
            return parameter["Default"]
        return self.names(name).ref

    def get_att(self, logical: str, attribute: str) -> str:
        atts = self.names(logical).atts
        if attribute not in atts:
            raise ResolveError(
                f"{self.name}: {logical}.{attribute} ({self.resources[logical]['Type']}) is unknown"
            )
        return atts[attribute]

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(x) for x in value) if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, self.resolve(attribute))
            if fn == "Fn::Join":
                sep, parts = arg
                return self.resolve(sep).join(str(p) for p in self.resolve(parts))
            if fn == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if fn == "Fn::Split":
                sep, text = arg
                return self.resolve(text).split(self.resolve(sep))
            if fn == "Fn::Sub":
                return self._sub(arg)
            if fn == "Fn::FindInMap":
                mapping, top, second = (self.resolve(a) for a in arg[:3])
                return self.template["Mappings"][mapping][top][second]
            if fn == "Fn::If":
                name, then, otherwise = arg
                return self.resolve(then if self.condition(name) else otherwise)
            if fn == "Fn::Equals":
                a, b = self.resolve(arg)
                return a == b
            if fn == "Fn::Not":
                return not self.resolve(arg)[0]
            if fn == "Fn::And":
                return all(self.resolve(arg))
            if fn == "Fn::Or":
                return any(self.resolve(arg))
            if fn == "Condition":
                return self.condition(arg)
            if fn == "Fn::Contains":
                items, item = self.resolve(arg)
                return item in items
            if fn == "Fn::Base64":
                return self.resolve(arg)
            if fn == "Fn::ImportValue":
                return self.world.export(self.resolve(arg))
            if fn == "Fn::GetStackOutput":
                return self.world.output(self.resolve(arg["StackName"]), self.resolve(arg["OutputName"]))
            if fn.startswith("Fn::"):
                raise ResolveError(f"{self.name}: intrinsic {fn} is not supported by the resolver")
        return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not _NO_VALUE}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return self.get_att(logical, attribute)
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


class _NoValue:
    pass


_NO_VALUE = _NoValue()


class World:
    """The resolved account: roles with their policies, resource policies, bucket keys, and the raw templates."""

    def __init__(self, templates: Mapping[str, Mapping[str, Any]]) -> None:
        self.stacks = {name: _Stack(self, name, template) for name, template in templates.items()}
        self._exports: dict[str, Any] | None = None
        self.roles: dict[str, Role] = {}
        self.bucket_policies: dict[str, list[Mapping[str, Any]]] = {}
        self.bucket_keys: dict[str, str | None] = {ASSET_BUCKET: ASSET_BUCKET_KEY}
        self.key_policies: dict[str, Mapping[str, Any]] = {}
        self.topic_policies: dict[str, list[Mapping[str, Any]]] = {}
        self.topic_keys: dict[str, str | None] = {}
        self.queue_policies: dict[str, list[Mapping[str, Any]]] = {}
        self.queue_keys: dict[str, str | None] = {}
        self.function_policies: dict[str, list[Mapping[str, Any]]] = {}
        self._collect()

    @classmethod
    def from_templates(cls, templates: Mapping[str, Mapping[str, Any]]) -> World:
        return cls(templates)

    # ---------------------------------------------------------------------------------------- resolution

    def resolve(self, stack: str, value: Any) -> Any:
        return self.stacks[stack].resolve(value)

    def export(self, name: str) -> Any:
        if self._exports is None:
            self._exports = {}
            for stack in self.stacks.values():
                for output_name, output in stack.template.get("Outputs", {}).items():
                    if "Export" in output:
                        export_name = stack.resolve(output["Export"]["Name"])
                        self._exports[export_name] = (stack.name, output_name)
        if name not in self._exports:
            raise ResolveError(f"no stack exports {name!r}")
        stack, output_name = self._exports[name]
        return self.output(stack, output_name)

    def output(self, stack: str, output_name: str) -> Any:
        return self.stacks[stack].resolve(self.stacks[stack].template["Outputs"][output_name]["Value"])

    def resources(self, kind: str) -> list[tuple[str, str, Mapping[str, Any]]]:
        """``(stack, logical id, resolved properties)`` of every resource of ``kind``."""
        found = []
        for stack in self.stacks.values():
            for logical, resource in stack.resources.items():
                if resource["Type"] == kind:
                    found.append((stack.name, logical, stack.resolve(resource.get("Properties", {}))))
        return found

    def role_arn(self, stack: str, logical: str) -> str:
        return self.stacks[stack].get_att(logical, "Arn")

    # --------------------------------------------------------------------------------------- collection

    def _collect(self) -> None:
        role_by_name: dict[str, Role] = {}
        for stack_name, logical, props in self.resources("AWS::IAM::Role"):
            stack = self.stacks[stack_name]
            arn = stack.get_att(logical, "Arn")
            path = stack.resources[logical].get("Metadata", {}).get("aws:cdk:path", f"{stack_name}/{logical}")
            role = Role(arn, path=path)
            for inline in props.get("Policies", []):
                role.policies.append(inline["PolicyDocument"])
            for managed in props.get("ManagedPolicyArns", []):
                role.unknown_managed_policies.append(managed)
            self.roles[arn] = role
            role_by_name[stack.ref(logical)] = role
        managed_docs: dict[str, Mapping[str, Any]] = {}
        for stack_name, logical, props in self.resources("AWS::IAM::ManagedPolicy"):
            managed_docs[self.stacks[stack_name].ref(logical)] = props["PolicyDocument"]
            for name in props.get("Roles", []):
                self._role_named(role_by_name, name).policies.append(props["PolicyDocument"])
        for role in self.roles.values():
            # A customer managed policy of these templates is visible; an AWS managed one is not, unless its
            # document is written down in AWS_MANAGED_POLICIES from AWS's managed policy reference.
            unknown = []
            for arn in role.unknown_managed_policies:
                if arn in AWS_MANAGED_POLICIES:
                    role.policies.append(AWS_MANAGED_POLICIES[arn])
                elif arn not in managed_docs:
                    unknown.append(arn)
                elif managed_docs[arn] not in role.policies:
                    role.policies.append(managed_docs[arn])
            role.unknown_managed_policies = unknown
        for _stack, _logical, props in self.resources("AWS::IAM::Policy"):
            for name in props.get("Roles", []):
                self._role_named(role_by_name, name).policies.append(props["PolicyDocument"])
        for _stack, _logical, props in self.resources("AWS::S3::BucketPolicy"):
            self.bucket_policies.setdefault(props["Bucket"], []).append(props["PolicyDocument"])
        for stack_name, logical, props in self.resources("AWS::S3::Bucket"):
            name = self.stacks[stack_name].ref(logical)
            rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
            key = None
            for rule in rules:
                default = rule.get("ServerSideEncryptionByDefault", {})
                if default.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse") and default.get(
                    "KMSMasterKeyID"
                ):
                    key = self._key_arn(default["KMSMasterKeyID"])
            self.bucket_keys[name] = key
        for stack_name, logical, props in self.resources("AWS::KMS::Key"):
            self.key_policies[self.stacks[stack_name].get_att(logical, "Arn")] = props["KeyPolicy"]
        for stack_name, logical, props in self.resources("AWS::SNS::Topic"):
            key = props.get("KmsMasterKeyId")
            self.topic_keys[self.stacks[stack_name].ref(logical)] = self._key_arn(key) if key else None
        for _stack, _logical, props in self.resources("AWS::SNS::TopicPolicy"):
            for topic in props["Topics"]:
                self.topic_policies.setdefault(topic, []).append(props["PolicyDocument"])
        for stack_name, logical, props in self.resources("AWS::SQS::Queue"):
            key = props.get("KmsMasterKeyId")
            self.queue_keys[self.stacks[stack_name].get_att(logical, "Arn")] = (
                self._key_arn(key) if key else None
            )
        for _stack, _logical, props in self.resources("AWS::Lambda::Permission"):
            # A Lambda permission is one statement of the function's resource policy (AddPermission).
            function = props["FunctionName"]
            if not function.startswith("arn:"):
                function = _arn("lambda", f"function:{function}")
            permission: dict[str, Any] = {
                "Effect": "Allow",
                "Action": props["Action"],
                "Resource": function,
                "Principal": {"Service": props["Principal"]}
                if props["Principal"].endswith(".amazonaws.com")
                else {"AWS": props["Principal"]},
            }
            conditions: dict[str, dict[str, str]] = {}
            if "SourceArn" in props:
                conditions["ArnLike"] = {"aws:SourceArn": props["SourceArn"]}
            if "SourceAccount" in props:
                conditions["StringEquals"] = {"aws:SourceAccount": props["SourceAccount"]}
            if conditions:
                permission["Condition"] = conditions
            self.function_policies.setdefault(function, []).append({"Statement": [permission]})
        for _stack, _logical, props in self.resources("AWS::SQS::QueuePolicy"):
            for queue_url in props["Queues"]:
                name = queue_url.rsplit("/", 1)[-1]
                self.queue_policies.setdefault(_arn("sqs", name), []).append(props["PolicyDocument"])

    @staticmethod
    def _role_named(role_by_name: Mapping[str, Role], name: str) -> Role:
        if name not in role_by_name:
            raise ResolveError(f"a policy is attached to role {name!r}, which no template defines")
        return role_by_name[name]

    @staticmethod
    def _key_arn(key: str) -> str | None:
        """A key ARN from a key ARN or ID (IDs resolve to the same ARN as the key's ``Fn::GetAtt Arn``); None for
        an AWS managed ``alias/aws/*`` key, whose key policy lets the account use it through the service."""
        if key.startswith("arn:"):
            return key
        if key.startswith("alias/aws/"):
            return None
        if key.startswith("alias/"):
            raise ResolveError(f"customer key aliases are not resolved: {key!r}")
        return _arn("kms", f"key/{key}")

    # ------------------------------------------------------------------------------------------ judging

    def resource_policy(self, request: Request) -> Mapping[str, Any] | None:
        """The policy of the resource ``request`` targets (merged statements), None when it has none."""
        resource = request.resource
        docs: list[Mapping[str, Any]] = []
        if resource.startswith(f"arn:{PARTITION}:s3:::"):
            docs = self.bucket_policies.get(resource.split(":::", 1)[1].split("/", 1)[0], [])
        elif request.action.lower().startswith("kms:"):
            if resource not in self.key_policies:
                raise PolicyError(f"no template defines key {resource}: its key policy is unknown")
            docs = [self.key_policies[resource]]
        elif resource.startswith(f"arn:{PARTITION}:sns:"):
            docs = self.topic_policies.get(resource, [])
        elif resource.startswith(f"arn:{PARTITION}:sqs:"):
            docs = self.queue_policies.get(resource, [])
        elif resource.startswith(f"arn:{PARTITION}:lambda:"):
            docs = self.function_policies.get(resource, [])
        if not docs:
            return None
        return {"Statement": [s for doc in docs for s in doc.get("Statement", [])]}

    def evaluate(self, request: Request) -> Evaluation:
        if request.principal.startswith("service:"):
            identity: list[Mapping[str, Any]] = []
        else:
            role = self.roles.get(request.principal)
            if role is None:
                raise PolicyError(f"no template defines role {request.principal}")
            if role.unknown_managed_policies:
                raise PolicyError(
                    f"{role.path} has managed policies the rehearsal cannot see: {role.unknown_managed_policies}"
                )
            identity = role.policies
        return evaluate(
            request,
            identity,
            self.resource_policy(request),
            resource_account=account_of(request.resource) or ACCOUNT,
        )
