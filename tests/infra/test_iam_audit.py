"""Least-privilege audit of every policy in the reference templates.

Walks identity policies (``AWS::IAM::Policy``, ``AWS::IAM::ManagedPolicy``, the inline ``Policies`` of roles,
users and groups), KMS key policies and resource policies (bucket, queue and topic policies). Deny statements
may be as broad as they like; every Allow statement must pass:

- no ``NotAction``, ``NotResource`` or ``NotPrincipal``;
- no ``"*"`` action and no service-wide ``service:*`` action (the one exception: the KMS default statement
  that lets the account's IAM policies use the key, ``kms:*`` for the account root only);
- ``"*"`` resources (or ARNs whose resource part is ``*``) in identity policies only for the actions in
  ``RESOURCE_STAR_ACTIONS``, which support no resource-level permissions, with the conditions listed there;
- resource policies name their resource (a key policy's ``"*"`` is the key itself), grant nothing to ``*``,
  and grant AWS services only with an ``aws:SourceArn`` or ``aws:SourceAccount`` condition (confused deputy);
- ``iam:PassRole`` never on ``"*"``, always with an ``iam:PassedToService`` condition or on a single role.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Template = dict[str, Any]

# Actions that AWS only authorizes on "*": the reason, and the condition key the statement must then use.
_XRAY = "No resource-level permissions (X-Ray tracing of the state machine and the function)."
_LOG_DELIVERY = (
    "CloudWatch Logs vended log delivery, added by CDK for Step Functions logging: AWS requires '*' for these "
    "(Step Functions developer guide, IAM policies for logging to CloudWatch Logs)."
)
_VPC = (
    "Models and monitors in a VPC: SageMaker creates and describes their network interfaces at run time; the "
    "Describe actions and CreateNetworkInterface on interfaces not yet created take no resource ARN."
)
RESOURCE_STAR_ACTIONS: dict[str, tuple[str, str | None]] = {
    "cloudwatch:PutMetricData": (
        "No resource-level permissions; the namespace condition limits it to SageMaker's namespaces.",
        "cloudwatch:namespace",
    ),
    "ecr:GetAuthorizationToken": ("Returns a registry token; no resource-level permissions.", None),
    "cloudwatch:GetMetricData": (
        "No resource-level permissions (Service Authorization Reference, Amazon CloudWatch: no resource type); "
        "the bandit reads its reward metrics with it.",
        None,
    ),
    "sagemaker:ListModelPackages": (
        "SageMaker List- calls take no resource-level permissions (API permissions reference); the approved-model "
        "deployer lists only its group's Approved versions (ModelPackageGroupName in the request).",
        None,
    ),
    "sagemaker:ListMonitoringExecutions": (
        "SageMaker List- calls take no resource-level permissions (API permissions reference); the retraining "
        "trigger only lists the executions of its wired schedules.",
        None,
    ),
    **dict.fromkeys(
        ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
        (_XRAY, None),
    ),
    **dict.fromkeys(
        [
            "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        ],
        (_LOG_DELIVERY, None),
    ),
    **dict.fromkeys(
        [
            "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
            "ec2:DeleteNetworkInterfacePermission", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs",
            "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
        ],
        (_VPC, None),
    ),
    **dict.fromkeys(
        ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget"],
        (
            "Scaling paused around an instance type change of a scaled variant (endpoint-scaling-update): a "
            "scalable target's ARN exists only once it is registered, so no ARN is known to scope it to.",
            None,
        ),
    ),
}  # fmt: skip

RESOURCE_POLICY_TYPES = {
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
}
ACCOUNT_ROOT = "arn:<AWS::Partition>:iam::<AWS::AccountId>:root"
SOURCE_CONDITION_KEYS = {"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner"}


@dataclass(frozen=True)
class Policy:
    logical_id: str
    kind: str  # "identity", "key" or "resource"
    document: dict[str, Any]


def policies(template: Template) -> Iterator[Policy]:
    for logical_id, resource in template.get("Resources", {}).items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield Policy(logical_id, "identity", properties["PolicyDocument"])
        elif kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            for inline in properties.get("Policies", []):
                yield Policy(logical_id, "identity", inline["PolicyDocument"])
        elif kind == "AWS::KMS::Key":
            yield Policy(logical_id, "key", properties["KeyPolicy"])
        elif kind in RESOURCE_POLICY_TYPES:
            yield Policy(logical_id, "resource", properties[RESOURCE_POLICY_TYPES[kind]])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def render(value: Any) -> str:
    """A (possibly intrinsic) string as text: ``arn:<AWS::Partition>:s3:::<Bucket.Arn>/x/*``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()  # fmt: skip
        if function == "Fn::Join":
            return str(argument[0]).join(render(part) for part in argument[1])
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{'.'.join(as_list(argument))}>"
        if function == "Fn::Sub":
            return render(argument[0] if isinstance(argument, list) else argument)
        if function == "Fn::ImportValue":
            return f"<import {render(argument)}>"
        if function == "Fn::GetStackOutput":
            return f"<output {render(argument['StackName'])}.{render(argument['OutputName'])}>"
    return json.dumps(value, sort_keys=True)


def is_star_resource(resource: Any) -> bool:
    """``"*"``, or an ARN whose resource part is ``*`` (``arn:aws:s3:::*``, ``arn:...:sagemaker:r:a:*``)."""
    text = render(resource)
    parts = text.split(":", 5)
    return text == "*" or (text.startswith("arn:") and len(parts) == 6 and parts[5] == "*")


def principals(statement: dict[str, Any]) -> list[tuple[str, str]]:
    """``[(kind, rendered principal)]``: ``("AWS", "*")``, ``("Service", "events.amazonaws.com")``."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if principal == "*":
        return [("AWS", "*")]
    return [(kind, render(p)) for kind, values in principal.items() for p in as_list(values)]


def condition_keys(statement: dict[str, Any]) -> set[str]:
    return {key.lower() for operator in statement.get("Condition", {}).values() for key in operator}


def audit_statement(policy: Policy, statement: dict[str, Any]) -> list[str]:
    where = f"{policy.logical_id} ({policy.kind} policy) {statement.get('Sid') or ''}".rstrip()
    problems = [
        f"{where}: Allow with {key}"
        for key in ("NotAction", "NotResource", "NotPrincipal")
        if key in statement
    ]
    actions = [str(a) for a in as_list(statement.get("Action", []))]
    resources = as_list(statement.get("Resource", []))
    who = principals(statement)
    keys = condition_keys(statement)

    key_default = policy.kind == "key" and who == [("AWS", ACCOUNT_ROOT)] and actions == ["kms:*"]
    for action in actions:
        if action == "*":
            problems.append(f"{where}: action '*'")
        elif action.endswith(":*") and not key_default:
            problems.append(f"{where}: service-wide action {action!r}")

    star = [r for r in resources if is_star_resource(r)]
    if policy.kind == "identity" and star:
        for action in actions:
            if action not in RESOURCE_STAR_ACTIONS:
                problems.append(
                    f"{where}: {action} on resource {render(star[0])!r} (not in RESOURCE_STAR_ACTIONS)"
                )
            elif (needed := RESOURCE_STAR_ACTIONS[action][1]) and needed.lower() not in keys:
                problems.append(f"{where}: {action} on '*' without a {needed} condition")
    if policy.kind == "resource" and star:
        problems.append(f"{where}: resource policy on {render(star[0])!r} instead of its resource")

    if policy.kind in ("key", "resource"):
        for kind, principal in who:
            if principal == "*" and not keys:
                problems.append(f"{where}: grants {actions} to everyone")
            if kind == "Service" and not keys & SOURCE_CONDITION_KEYS:
                problems.append(
                    f"{where}: grants {actions} to {principal} without an aws:SourceArn or aws:SourceAccount condition"
                )

    if any(fnmatch.fnmatchcase("iam:passrole", a.lower()) for a in actions):
        if star or not resources:
            problems.append(f"{where}: iam:PassRole on '*'")
        elif "iam:passedtoservice" not in keys and (len(resources) != 1 or "*" in render(resources[0])):
            problems.append(
                f"{where}: iam:PassRole without an iam:PassedToService condition or a single role"
            )
    return problems


def audit(template: Template) -> list[str]:
    """Every least-privilege problem of the template's policies (empty when there is none)."""
    return [
        problem
        for policy in policies(template)
        for statement in as_list(policy.document.get("Statement", []))
        if statement.get("Effect") == "Allow"
        for problem in audit_statement(policy, statement)
    ]


# --------------------------------------------------------------------------------------------------- the tests


def test_reference_policies_are_least_privilege(reference_templates: dict[str, Template]) -> None:
    problems = [f"{stack}/{p}" for stack, template in reference_templates.items() for p in audit(template)]
    assert problems == [], f"{len(problems)} least-privilege problems:\n" + "\n".join(problems)


def test_every_policy_kind_is_audited(reference_templates: dict[str, Template]) -> None:
    # The walk reaches every kind of policy the reference app has, so none is skipped silently.
    kinds = {p.kind for template in reference_templates.values() for p in policies(template)}
    assert kinds == {"identity", "key", "resource"}
    statements = sum(
        len(as_list(p.document["Statement"])) for t in reference_templates.values() for p in policies(t)
    )
    assert statements > 100


def test_pass_role_is_limited(reference_templates: dict[str, Template]) -> None:
    passes = [
        statement
        for template in reference_templates.values()
        for policy in policies(template)
        for statement in as_list(policy.document["Statement"])
        if "iam:PassRole" in as_list(statement.get("Action", []))
    ]
    assert passes, "the retraining pipeline role passes itself to SageMaker"
    assert all(s["Condition"]["StringEquals"]["iam:PassedToService"] for s in passes)


def _statement(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **fields}


ROOT = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
OFFENDER: Template = {
    "Resources": {
        "Bad": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "bad",
                "Roles": [{"Ref": "Role"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        _statement(Sid="Star", Action="*", Resource={"Fn::GetAtt": ["Queue", "Arn"]}),
                        _statement(Sid="ServiceWide", Action="s3:*", Resource="arn:aws:s3:::b/*"),
                        _statement(Sid="StarResource", Action=["sqs:SendMessage"], Resource="*"),
                        _statement(Sid="StarArn", Action="s3:GetObject", Resource="arn:aws:s3:::*"),
                        _statement(Sid="Metrics", Action="cloudwatch:PutMetricData", Resource="*"),
                        _statement(Sid="PassAny", Action="iam:PassRole", Resource="*"),
                        _statement(Sid="PassMany", Action="iam:PassRole", Resource="arn:aws:iam::1:role/a*"),
                        _statement(Sid="Not", NotAction="iam:*", Resource="arn:aws:s3:::b"),
                    ],
                },
            },
        },
        "Key": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": {
                    "Statement": [
                        _statement(Action="kms:*", Principal={"AWS": ROOT}, Resource="*"),
                        _statement(Sid="KeyToAll", Action="kms:*", Principal={"AWS": "*"}, Resource="*"),
                        _statement(
                            Sid="KeyToEvents", Action="kms:Decrypt", Principal={"Service": "events.amazonaws.com"},
                            Resource="*",
                        ),
                    ]
                }
            },
        },
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "Topic"}],
                "PolicyDocument": {
                    "Statement": [
                        _statement(
                            Sid="Publish", Action="sns:Publish", Principal={"Service": "events.amazonaws.com"},
                            Resource="*",
                        ),
                        {"Effect": "Deny", "Action": "sns:*", "Principal": "*", "Resource": "*"},
                    ]
                },
            },
        },
    }
}  # fmt: skip


def test_audit_catches_every_kind_of_offence() -> None:
    problems = audit(OFFENDER)
    expected = {
        "Star": "action '*'",
        "ServiceWide": "service-wide action 's3:*'",
        "StarResource": "sqs:SendMessage on resource '*'",
        "StarArn": "s3:GetObject on resource 'arn:aws:s3:::*'",
        "Metrics": "without a cloudwatch:namespace condition",
        "PassAny": "iam:PassRole on '*'",
        "PassMany": "without an iam:PassedToService condition or a single role",
        "Not": "Allow with NotAction",
        "KeyToAll": "grants ['kms:*'] to everyone",
        "KeyToEvents": "to events.amazonaws.com without an aws:SourceArn",
        "Publish": "resource policy on '*'",
    }
    missing = {
        sid: text
        for sid, text in expected.items()
        if not any(f" {sid}: " in p and text in p for p in problems)
    }
    assert missing == {}, "\n".join(problems)
    # The KMS default statement (kms:* for the account root only) and Deny statements pass.
    assert not any(p.startswith("Key (key policy):") for p in problems), problems
    assert not any("Deny" in p for p in problems)


def test_audit_accepts_a_conditioned_service_grant() -> None:
    template = copy.deepcopy(OFFENDER)
    statement = template["Resources"]["Key"]["Properties"]["KeyPolicy"]["Statement"][2]
    statement["Condition"] = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert not any(" KeyToEvents: " in p for p in audit(template))


def test_resource_star_actions_are_single_actions_with_reasons() -> None:
    assert [a for a, (reason, _) in RESOURCE_STAR_ACTIONS.items() if len(reason) < 30 or "*" in a] == []
