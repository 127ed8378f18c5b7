"""How a ``RetrainingTrigger`` reaches the reports of an open-backend monitor (``MonitorBackend.processing()``).

Two ways, chosen per monitor by where its reports bucket (and key) were created:

- **By the function role's identity policy** (the bucket is the trigger's stack's, or imported, or the monitor
  itself is in the trigger's stack): the function's environment names the bucket and the prefix, and the role gets
  ``s3:GetObject`` under the prefix, ``s3:ListBucket`` with an ``s3:prefix`` condition and ``kms:Decrypt``. This
  stack then depends on the bucket's stack, as the monitor's already does when they are one stack.
- **By the bucket's and key's own policies** (an ``s3.Bucket`` / ``kms.Key`` created in another stack than the
  trigger's, for a monitor of another stack, like the monitoring stack's own reports bucket): naming the bucket in
  the function's environment or role policy would make the trigger's stack depend on that stack, which already
  depends on the trigger's (the monitor's event rule targets the function): a cycle. So the environment lists only
  the schedule name and the prefix (static strings), and the bucket's stack grants the function's role, whose ARN
  already flows that way, through the bucket policy and the key policy. In one account a resource policy that
  allows the request is enough ("If either the identity-based policy or the resource-based policy within the same
  account allows the request and the other doesn't, the request is still allowed": "Policy evaluation for requests
  within a single account",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html),
  and a key policy alone controls access for principals of the key's account ("KMS key access and permissions",
  https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html). That stack also gets a
  reconciliation rule listing ``{"name", "bucket", "prefix"}`` of its such monitors in the reconcile event.

An imported bucket or key has no policy this library can edit: it keeps the identity-policy path, which is
cycle-free unless the import refers to a resource of the monitor's own stack (then pass the bucket or key itself).
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import IStableAnyProducer, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from sagemaker_constructs._internal.handlers import retraining_trigger_contract as contract
from sagemaker_constructs._internal.s3_access import grant_read_prefix
from sagemaker_constructs._internal.validation import ValidationError, is_token
from sagemaker_constructs.monitoring._monitor_base import MonitorBase


def _by_policy(trigger_stack: Stack, monitor: MonitorBase, resource: IConstruct) -> bool:
    """Whether ``resource`` (created, with a policy to edit) must grant the function itself: it is another
    stack's than the trigger's, and so is the monitor (whose stack depends on the trigger's)."""
    return Stack.of(resource) is not trigger_stack and Stack.of(monitor) is not trigger_stack


def bucket_by_policy(trigger_stack: Stack, monitor: MonitorBase) -> bool:
    """Whether ``monitor``'s reports bucket grants the trigger's function through its bucket policy."""
    bucket = monitor.output_bucket
    return isinstance(bucket, s3.Bucket) and _by_policy(trigger_stack, monitor, bucket)


def key_by_policy(trigger_stack: Stack, monitor: MonitorBase) -> bool:
    """Whether ``monitor``'s reports key grants the trigger's function through its key policy."""
    key = monitor.output_kms_key
    return isinstance(key, kms.Key) and _by_policy(trigger_stack, monitor, key)


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
    bucket = monitor.output_bucket
    for statement in (
        iam.PolicyStatement(
            principals=[role], actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{prefix}/*")]
        ),
        iam.PolicyStatement(
            principals=[role],
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}/*"]}},
        ),
    ):
        added = bucket.add_to_resource_policy(statement).statement_added
        assert added, "an s3.Bucket always takes a bucket policy statement"


def grant_key_decrypt(role: iam.IRole, key: kms.IKey) -> None:
    """Let ``role`` decrypt the reports through the key's policy (in the key's stack), only for S3's requests of
    the key's region (``kms:ViaService``: "AWS KMS condition keys",
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service)."""
    statement = iam.PolicyStatement(
        principals=[role],
        actions=["kms:Decrypt"],
        resources=["*"],
        conditions={"StringEquals": {"kms:ViaService": f"s3.{Stack.of(key).region}.amazonaws.com"}},
    )
    added = key.add_to_resource_policy(statement).statement_added
    assert added, "a kms.Key always takes a key policy statement"


def grant_reports(
    function: lambda_.IFunction, monitor: MonitorBase, prefix: str, *, by_bucket_policy: bool
) -> None:
    """Let the trigger's ``function`` read and list ``monitor``'s run summaries under ``prefix`` (GetObject of
    each run's ``summary.json``, ListBucket of the reconciliation's day folders) and decrypt them: by the bucket's
    and key's policies where they are another stack's (``bucket_by_policy``, ``key_by_policy``), else by the
    function role's identity policy (an imported key must itself allow IAM policies, as the keys of this library
    do)."""
    role = function.role
    assert role is not None
    key = monitor.output_kms_key
    if key is not None and key_by_policy(Stack.of(function), monitor):
        grant_key_decrypt(role, key)
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
