"""SageMaker execution roles: the role a model or a monitoring job runs as, and one role shared by the monitors of
one source.

IAM limits the inline policies of one role to 10,240 characters together (without whitespace), so a shared role
holds only what its monitors need: each adds its own grants and the role's policy is their union.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Names, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

SHARED_MONITOR_ROLES_ID = "ModelMonitorRoles"
"""The per-stack construct that holds the monitors' shared execution roles, one per monitored source."""


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
