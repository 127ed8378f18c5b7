"""How a ``RetrainingTrigger`` reaches the reports of an open-backend monitor (``MonitorBackend.processing()``).

Two ways, chosen per monitor by where its reports bucket was created:

- **The bucket is the trigger's stack's, or imported by name**: the function's environment names the bucket and
  the prefix, and the function's role gets read (``s3:GetObject`` under the prefix, ``s3:ListBucket`` with an
  ``s3:prefix`` condition) and ``kms:Decrypt`` by identity policy.
- **The bucket was created in another stack** (the monitoring stack's own reports bucket): naming it in the
  function's environment or role policy would make the trigger's stack depend on that stack, which already depends
  on the trigger's (its event rule targets the function): a cycle. So the environment lists only the schedule name
  and the prefix (static strings), and the *monitoring* stack grants the function's role, whose ARN already flows
  that way, through the bucket's policy and the key's policy. In one account a resource policy that allows the
  request is enough ("If either the identity-based policy or the resource-based policy within the same account
  allows the request and the other doesn't, the request is still allowed": "Policy evaluation for requests within
  a single account", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html),
  and a key policy alone controls access for principals of the key's account ("KMS key access and permissions",
  https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html). The monitoring stack also gets a
  reconciliation rule that lists ``{"name", "bucket", "prefix"}`` of its open monitors in the reconcile event.

A key created in another stack is granted through its key policy the same way, whatever the bucket. An imported
bucket or key whose name or ARN is a reference to another stack has no policy this library can edit, and the
identity-policy path would close the cycle: such a monitor is refused.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import IStableAnyProducer, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from sagemaker_constructs._internal.handlers import retraining_trigger_contract as contract
from sagemaker_constructs._internal.s3_access import grant_read_prefix
from sagemaker_constructs._internal.validation import ValidationError, is_token
from sagemaker_constructs.monitoring._monitor_base import MonitorBase


def created_elsewhere(trigger_stack: Stack, construct: IConstruct | None, value: str) -> bool:
    """Whether ``construct`` (a bucket or key, with ``value`` its name or ARN) is a reference into another stack
    than the trigger's: using it from the trigger's stack would make that stack depend on the other one."""
    return construct is not None and is_token(value) and Stack.of(construct) is not trigger_stack


def bucket_elsewhere(trigger_stack: Stack, monitor: MonitorBase) -> bool:
    """Whether ``monitor``'s reports bucket is a reference into another stack than the trigger's."""
    return created_elsewhere(trigger_stack, monitor.output_bucket, monitor.output_bucket.bucket_name)


def key_elsewhere(trigger_stack: Stack, monitor: MonitorBase) -> bool:
    """Whether ``monitor``'s reports key is a reference into another stack than the trigger's."""
    key = monitor.output_kms_key
    return key is not None and created_elsewhere(trigger_stack, key, key.key_arn)


def check_static_location(monitor: MonitorBase, prefix: str) -> None:
    """A monitor whose reports bucket is another stack's is wired by its schedule name and report prefix alone:
    both must be known at synth, or they too would be references to that stack (and the prefix must not be empty:
    it is all that keeps the function's reads in the monitor's folder)."""
    name = monitor.monitoring_schedule_name
    if is_token(name) or is_token(prefix) or not prefix:
        raise ValidationError(
            f"monitor {monitor.node.path!r} (processing backend) keeps its reports in a bucket of stack "
            f"{Stack.of(monitor.output_bucket).node.path!r}: its schedule name and report prefix must be plain, "
            f"non-empty strings known at synth, got name {name!r} and prefix {prefix!r}. Pass "
            "MonitoringOutput(prefix=...) a literal, or wire the monitor to a RetrainingTrigger in its own stack"
        )


def grant_bucket_read(role: iam.IRole, monitor: MonitorBase, prefix: str) -> None:
    """Let ``role`` read the objects under ``prefix/`` and list the keys under it, through the reports bucket's
    policy (in the bucket's stack)."""
    bucket: s3.IBucket = monitor.output_bucket
    statements = [
        iam.PolicyStatement(
            principals=[role],
            actions=["s3:GetObject"],
            resources=[bucket.arn_for_objects(f"{prefix}/*")],
        ),
        iam.PolicyStatement(
            principals=[role],
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}/*"]}},
        ),
    ]
    for statement in statements:
        if not bucket.add_to_resource_policy(statement).statement_added:
            raise ValidationError(
                f"monitor {monitor.node.path!r} (processing backend) keeps its reports in bucket "
                f"{bucket.node.path!r}, imported in stack {Stack.of(bucket).node.path!r} by a reference to "
                "another stack: it has no bucket policy to grant the trigger's function, and a grant on the "
                "function's role would make the stacks depend on each other. Pass the monitor the bucket itself "
                "(s3.Bucket), a bucket imported by its literal name, or wire it to a RetrainingTrigger in its stack"
            )


def grant_key_decrypt(role: iam.IRole, monitor: MonitorBase) -> None:
    """Let ``role`` decrypt the reports through the reports key's policy (in the key's stack), only for S3's
    requests of the key's region (``kms:ViaService``: "AWS KMS condition keys",
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service)."""
    key = monitor.output_kms_key
    assert key is not None
    statement = iam.PolicyStatement(
        principals=[role],
        actions=["kms:Decrypt"],
        resources=["*"],
        conditions={"StringEquals": {"kms:ViaService": f"s3.{Stack.of(key).region}.amazonaws.com"}},
    )
    if not key.add_to_resource_policy(statement).statement_added:
        raise ValidationError(
            f"monitor {monitor.node.path!r} (processing backend) encrypts its reports with key "
            f"{key.node.path!r}, imported in stack {Stack.of(key).node.path!r} by a reference to another stack: "
            "it has no key policy to grant the trigger's function, and a grant on the function's role would make "
            "the stacks depend on each other. Pass the monitor the key itself (kms.Key), a key imported by its "
            "literal ARN, or wire it to a RetrainingTrigger in its stack"
        )


def grant_reports(
    function: lambda_.IFunction, monitor: MonitorBase, prefix: str, *, by_bucket_policy: bool
) -> None:
    """Let the trigger's ``function`` read and list ``monitor``'s run summaries under ``prefix`` (GetObject of
    each run's ``summary.json``, ListBucket of the reconciliation's day folders) and decrypt them: by the bucket's
    and key's policies where they are another stack's, else by the function role's identity policy (a key
    imported by its literal ARN must itself allow IAM policies, as the keys of this library do)."""
    role = function.role
    assert role is not None
    key = monitor.output_kms_key
    if key_elsewhere(Stack.of(function), monitor):
        grant_key_decrypt(role, monitor)
    elif key is not None:
        key.grant_decrypt(function)
    if by_bucket_policy:
        grant_bucket_read(role, monitor, prefix)
    else:
        grant_read_prefix(
            function, monitor.output_bucket, f"{prefix}/" if prefix else "", "open monitor's run summaries"
        )


@jsii.implements(IStableAnyProducer)
class ListedMonitorsProducer:
    """The open monitors of one stack (added one by one) as the reconcile event's detail lists them."""

    def __init__(self) -> None:
        self.entries: list[dict[str, str]] = []

    def produce(self) -> Any:
        return list(self.entries)


def listed_entry(monitor: MonitorBase, prefix: str) -> dict[str, str]:
    """One entry of the reconcile event's ``detail.openMonitors``: the bucket as its stack names it."""
    return {
        contract.OPEN_MONITOR_NAME_KEY: monitor.monitoring_schedule_name,
        contract.OPEN_MONITOR_BUCKET_KEY: monitor.output_bucket.bucket_name,
        contract.OPEN_MONITOR_PREFIX_KEY: prefix,
    }


def reconcile_input(detail: dict[str, Any]) -> events.RuleTargetInput:
    """The reconcile event a reconciliation rule sends the function (its target input), with ``detail``: the
    function tells it from the fallback schedule's "Scheduled Event" by source and detail-type."""
    return events.RuleTargetInput.from_object(
        {
            "version": "0",
            "id": events.EventField.event_id,
            "detail-type": contract.RECONCILE_DETAIL_TYPE,
            "source": contract.RECONCILE_SOURCE,
            "account": events.EventField.account,
            "time": events.EventField.time,
            "region": events.EventField.region,
            "resources": [],
            "detail": detail,
        }
    )
