"""The Model Monitor backend's ``AWS::SageMaker::MonitoringSchedule``, and the reports bucket every monitor of a
stack shares."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_constructs.common.secure_bucket import SecureBucket

from .monitoring_options import MonitoringSchedule

REPORTS_BUCKET_ID = "ModelMonitorReports"


def create_monitoring_schedule(
    scope: Construct,
    *,
    name: str,
    endpoint_name: str | None,
    job_definition_name: str,
    monitoring_type: str,
    schedule: MonitoringSchedule,
) -> sagemaker.CfnMonitoringSchedule:
    """The schedule (construct id ``Resource`` in ``scope``) that runs ``job_definition_name`` on ``schedule``."""
    schedule_config: dict[str, Any] = {"scheduleExpression": schedule.expression}
    if schedule.data_analysis_start is not None:
        schedule_config["dataAnalysisStartTime"] = schedule.data_analysis_start
    if schedule.data_analysis_end is not None:
        schedule_config["dataAnalysisEndTime"] = schedule.data_analysis_end
    return sagemaker.CfnMonitoringSchedule(
        scope,
        "Resource",
        monitoring_schedule_name=name,
        # A GetAtt on the endpoint: CloudFormation creates the schedule after the endpoint and deletes it
        # first (SageMaker refuses to delete an endpoint that still has schedules).
        endpoint_name=endpoint_name,
        monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
            monitoring_job_definition_name=job_definition_name,
            monitoring_type=monitoring_type,
            schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(**_snake(schedule_config)),
        ),
    )


def _snake(camel: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): v for k, v in camel.items()}


def reports_bucket(stack: Stack) -> SecureBucket:
    existing = stack.node.try_find_child(REPORTS_BUCKET_ID)
    if isinstance(existing, SecureBucket):
        return existing
    return SecureBucket(stack, REPORTS_BUCKET_ID, description="Model Monitor reports")
