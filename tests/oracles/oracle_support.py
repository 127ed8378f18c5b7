"""Support for the oracle tests: resolve a synthesized template's intrinsics to literals, and ask whether an
identity policy allows an action on a resource.

The oracles themselves (aws-cdk-lib's task policies, the SageMaker SDK's requests, asl-validator) are not
written here; this only turns CloudFormation values into the literals those oracles speak.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"

PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "Test",
    "AWS::NoValue": None,
}

# What a Ref or Fn::GetAtt returns for the resource types the library's templates reference inside policies,
# job definitions and state machine definitions (CloudFormation resource reference pages, "Return values").
_REF_IS_ARN = {"AWS::SNS::Topic", "AWS::IAM::ManagedPolicy", "AWS::StepFunctions::StateMachine"}


def _arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _name(logical_id: str) -> str:
    # A deterministic physical name, shaped like those CloudFormation generates (lowercase for S3).
    return f"test-{logical_id.lower()}"[:60]


def ref_value(resources: Mapping[str, Any], logical_id: str) -> str:
    resource_type = resources[logical_id]["Type"]
    if resource_type in _REF_IS_ARN:
        service = resource_type.split("::")[1].lower()
        kind = {"AWS::StepFunctions::StateMachine": "stateMachine:", "AWS::SNS::Topic": ""}.get(
            resource_type, "policy/"
        )
        service = {"stepfunctions": "states"}.get(service, service)
        return _arn(service, f"{kind}{_name(logical_id)}")
    if resource_type == "AWS::KMS::Key":
        return f"{logical_id.lower()}-0000-0000-0000-000000000000"
    return _name(logical_id)


def get_att_value(resources: Mapping[str, Any], logical_id: str, attribute: str) -> str:
    resource_type = resources[logical_id]["Type"]
    name = _name(logical_id)
    if attribute == "Arn":
        if resource_type == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        if resource_type == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{name}"
        if resource_type == "AWS::KMS::Key":
            return _arn("kms", f"key/{ref_value(resources, logical_id)}")
        if resource_type == "AWS::SQS::Queue":
            return _arn("sqs", name)
        if resource_type == "AWS::Lambda::Function":
            return _arn("lambda", f"function:{name}")
        if resource_type == "AWS::Logs::LogGroup":
            return _arn("logs", f"log-group:{name}:*")
        return _arn("unknown", name)
    if attribute.endswith("Arn"):
        kind = {
            "AWS::SageMaker::Endpoint": "endpoint",
            "AWS::SageMaker::Model": "model",
            "AWS::SageMaker::MonitoringSchedule": "monitoring-schedule",
            "AWS::SageMaker::Pipeline": "pipeline",
        }.get(resource_type, "unknown")
        return _arn("sagemaker", f"{kind}/{name}")
    if attribute == "TopicName":
        return name
    return name


def resolve(value: Any, resources: Mapping[str, Any], parameters: Mapping[str, Any] | None = None) -> Any:
    """``value`` with Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub resolved to literals."""
    parameters = parameters or {}

    def go(item: Any) -> Any:
        if isinstance(item, list):
            return [go(i) for i in item]
        if not isinstance(item, dict):
            return item
        if len(item) == 1:
            ((key, arg),) = item.items()
            if key == "Ref":
                if arg in PSEUDO_PARAMETERS:
                    return PSEUDO_PARAMETERS[arg]
                if arg in parameters:
                    return parameters[arg]
                return ref_value(resources, arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return get_att_value(resources, logical, attribute)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(go(p)) for p in go(parts))
            if key == "Fn::Select":
                index, items = go(arg)
                return items[int(index)]
            if key == "Fn::Split":
                separator, text = go(arg)
                return text.split(separator)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], go(arg[1]))

                def sub(match: re.Match[str]) -> str:
                    name = match.group(1)
                    if name in variables:
                        return str(variables[name])
                    if "." in name:
                        logical, attribute = name.split(".", 1)
                        return get_att_value(resources, logical, attribute)
                    return str(go({"Ref": name}))

                return re.sub(r"\$\{([^}!]+)\}", sub, text)
            if key.startswith("Fn::"):
                raise ValueError(f"unsupported intrinsic {key}")
        return {k: go(v) for k, v in item.items()}

    return go(value)


def role_statements(template: Mapping[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    """Every identity-policy statement attached to a role (inline and AWS::IAM::Policy), resolved."""
    resources = template["Resources"]
    found: list[dict[str, Any]] = []
    role = resources[role_logical_id]["Properties"]
    for policy in role.get("Policies", []):
        found.extend(policy["PolicyDocument"]["Statement"])
    for body in resources.values():
        if body["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        if {"Ref": role_logical_id} in body["Properties"].get("Roles", []):
            found.extend(body["Properties"]["PolicyDocument"]["Statement"])
    return [resolve(st, resources) for st in found]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    if case_sensitive:
        return fnmatch.fnmatchcase(value, pattern)
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _statement_applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        action_ok = any(_matches(p, action, case_sensitive=False) for p in _as_list(statement["Action"]))
    else:
        action_ok = not any(
            _matches(p, action, case_sensitive=False) for p in _as_list(statement["NotAction"])
        )
    if "Resource" in statement:
        resource_ok = any(_matches(p, resource, case_sensitive=True) for p in _as_list(statement["Resource"]))
    else:
        resource_ok = not any(
            _matches(p, resource, case_sensitive=True) for p in _as_list(statement["NotResource"])
        )
    return action_ok and resource_ok


def allows(statements: Iterable[Mapping[str, Any]], action: str, resource: str) -> bool:
    """Whether the statements allow ``action`` on ``resource`` with no condition to satisfy.

    Conservative: a statement with a Condition never counts as an Allow (the calls checked here carry no
    condition keys the library could rely on), but always counts as a Deny.
    """
    statements = list(statements)
    if any(st["Effect"] == "Deny" and _statement_applies(st, action, resource) for st in statements):
        return False
    return any(
        st["Effect"] == "Allow" and "Condition" not in st and _statement_applies(st, action, resource)
        for st in statements
    )


def actions_of(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in _as_list(statement.get("Action", []))]


def resources_of(statement: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in _as_list(statement.get("Resource", []))]
