"""SageMaker execution roles: the role a model or a monitoring job runs as, and one role shared by the monitors of
one source.

IAM limits the inline policies of one role to 10,240 characters together (without whitespace), so a shared role
holds only what its monitors need: each adds its own grants and the role's policy is their union.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import ArnFormat, Names, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import nag as _nag

SHARED_MONITOR_ROLES_ID = "ModelMonitorRoles"
"""The per-stack construct that holds the monitors' shared execution roles, one per monitored source."""


def create_execution_role(
    scope: Construct,
    construct_id: str,
    *,
    description: str,
    log_groups: str,
    logs_sid: str,
    metrics_sid: str,
    metric_namespaces: list[str],
    log_groups_reason: str | None,
    log_streams_reason: str,
    metrics_reason: str,
) -> iam.Role:
    """A role SageMaker assumes, allowed only to write its logs under ``log_groups`` (a log group name, or a
    pattern such as ``/aws/sagemaker/*``) and to put metrics in ``metric_namespaces``; the caller grants the rest.

    The wildcards are acknowledged for cdk-nag with the reasons given (``log_groups_reason`` None: the log group
    name has no wildcard to acknowledge).
    """
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description=description,
    )
    log_group_arn = Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_groups,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid=logs_sid,
            actions=[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            resources=[log_group_arn, f"{log_group_arn}:log-stream:*"],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid=metrics_sid,
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": metric_namespaces}},
        )
    )
    if log_groups_reason is not None:
        _nag.acknowledge_resource(role, log_group_arn, log_groups_reason)
    _nag.acknowledge_resource(role, f"{log_group_arn}:log-stream:*", log_streams_reason)
    _nag.acknowledge(role, "IAM5[Resource::*]", metrics_reason)
    return role


class _SharedRoles(Construct):
    """The shared roles of one stack, by source construct address, each with the monitoring types it serves."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.roles: dict[str, list[tuple[iam.Role, set[str]]]] = {}


def shared_role(
    scope: Construct,
    source: object,
    kind: str,
    create: Callable[[Construct, str], iam.Role],
) -> iam.Role:
    """The execution role that the monitors of ``source`` (an endpoint or a batch transform) in ``scope``'s stack
    share, created with ``create(scope, id)`` on first use.

    A monitor of a ``kind`` that the role already serves gets a role of its own (the next one for the source):
    two monitors of one kind would otherwise hold each other's grants (the explainability monitors' shadow
    endpoints, for one). A source that is not a construct has no address to share by: ``create`` makes a role in
    ``scope`` itself (``<scope>/Role``).
    """
    if not isinstance(source, Construct):
        return create(scope, "Role")
    stack = Stack.of(scope)
    holder = stack.node.try_find_child(SHARED_MONITOR_ROLES_ID)
    if not isinstance(holder, _SharedRoles):
        holder = _SharedRoles(stack, SHARED_MONITOR_ROLES_ID)
    entries = holder.roles.setdefault(source.node.addr, [])
    for role, kinds in entries:
        if kind not in kinds:
            kinds.add(kind)
            return role
    base = Names.unique_id(source)
    role = create(holder, base if not entries else f"{base}{len(entries) + 1}")
    entries.append((role, {kind}))
    return role
