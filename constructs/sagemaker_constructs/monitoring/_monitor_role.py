"""The execution role of the monitors' processing jobs (one per monitored source and stack) and their VPC
placement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_constructs._internal.execution_role import create_execution_role
from sagemaker_constructs._internal.network import place_in_vpc


def new_monitor_role(scope: Construct, construct_id: str) -> iam.Role:
    """A new monitor execution role (the caller shares it per source)."""
    return create_execution_role(
        scope,
        construct_id,
        description="Model Monitor execution role (sagemaker-constructs)",
        log_groups="/aws/sagemaker/ProcessingJobs",
        logs_sid="ProcessingLogs",
        metrics_sid="MonitorMetrics",
        metric_namespaces=[
            "aws/sagemaker/Endpoints/*",
            "aws/sagemaker/ModelMonitoring/*",
            # The documented variants with a leading slash (an overridden namespace: _create_role).
            "/aws/sagemaker/Endpoints/*",
            "/aws/sagemaker/ModelMonitoring/*",
        ],
        log_groups_reason=None,
        log_streams_reason="Processing jobs write one log stream per job, named at run time.",
        metrics_reason=(
            "cloudwatch:PutMetricData and the EC2 network-interface actions support no resource-level "
            "permissions; metrics are limited to Model Monitor namespaces by a condition."
        ),
    )


def monitor_network(
    scope: Construct,
    role: iam.IRole,
    vpc: ec2.IVpc,
    vpc_subnets: ec2.SubnetSelection | None,
    security_groups: Sequence[ec2.ISecurityGroup] | None,
) -> dict[str, Any]:
    """The jobs' ``vpcConfig`` (``securityGroupIds``, ``subnets``), with a security group made for ``scope``
    unless given."""
    placement = place_in_vpc(
        scope,
        role,
        vpc,
        vpc_subnets,
        security_groups,
        security_group_description="Model Monitor jobs",
        prop="job.vpc_subnets",
    )
    return {
        "securityGroupIds": [g.security_group_id for g in placement.security_groups],
        "subnets": placement.subnet_ids,
    }
