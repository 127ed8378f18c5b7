"""Running SageMaker containers in a VPC: the security groups, the subnets and the role's network-interface grant,
for models and monitoring jobs alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from .validation import ValidationError

MAX_SUBNETS = 16
"""SageMaker's ``VpcConfig.Subnets``: 1-16 subnets."""
_SUBNET_SELECTION_FIELDS = (
    "availability_zones",
    "one_per_az",
    "subnet_filters",
    "subnet_group_name",
    "subnets",
    "subnet_type",
)
ENI_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
]
"""What SageMaker does with the execution role to attach containers to a VPC; none supports resource-level
permissions."""


@dataclass(frozen=True)
class VpcPlacement:
    """Where the containers run: their security groups and subnet IDs."""

    security_groups: list[ec2.ISecurityGroup]
    subnet_ids: list[str]


def subnet_selection_kwargs(selection: ec2.SubnetSelection) -> dict[str, object]:
    """Every field of ``selection`` that is set, for ``vpc.select_subnets(**...)`` (none is dropped)."""
    return {
        n: getattr(selection, n) for n in _SUBNET_SELECTION_FIELDS if getattr(selection, n, None) is not None
    }


def place_in_vpc(
    scope: Construct,
    role: iam.IRole,
    vpc: ec2.IVpc,
    vpc_subnets: ec2.SubnetSelection | None,
    security_groups: Sequence[ec2.ISecurityGroup] | None,
    *,
    security_group_description: str,
    prop: str = "vpc_subnets",
) -> VpcPlacement:
    """Choose the subnets (private with egress by default; every field of ``vpc_subnets`` is honoured) and the
    security groups (one is created in ``scope`` as ``SecurityGroup``, with no inbound rule, when none is given),
    and let ``role`` manage the containers' network interfaces (a statement ``SageMakerVpcNetworkInterfaces``
    added to a role of this app or a mutable imported one; an immutable imported role is left as it is).

    Raises ``ValidationError`` naming ``prop`` when the selection holds no subnet or more than 16 (SageMaker's
    limit).
    """
    groups = list(security_groups or [])
    if not groups:
        groups = [
            ec2.SecurityGroup(
                scope,
                "SecurityGroup",
                vpc=vpc,
                description=security_group_description,
                allow_all_outbound=True,
            )
        ]
    selection = (
        subnet_selection_kwargs(vpc_subnets)
        if vpc_subnets is not None
        else {"subnet_type": ec2.SubnetType.PRIVATE_WITH_EGRESS}
    )
    subnet_ids = vpc.select_subnets(**selection).subnet_ids
    if not 1 <= len(subnet_ids) <= MAX_SUBNETS:
        raise ValidationError(f"'{prop}' must select 1-{MAX_SUBNETS} subnets, got {len(subnet_ids)}")
    role.add_to_principal_policy(
        iam.PolicyStatement(sid="SageMakerVpcNetworkInterfaces", actions=ENI_ACTIONS, resources=["*"])
    )
    return VpcPlacement(groups, list(subnet_ids))
