"""Test support for the retraining trigger's handler: monitoring execution summaries as SageMaker returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
MONITORING_SCHEDULE = "monitor-under-test"
"""The wired schedule of tests/events/processing_job_monitoring_violations.json."""
OTHER_SCHEDULE = "batch-monitor-under-test"
"""A second wired schedule."""


def at(iso: str) -> datetime:
    """An aware datetime from ISO-8601 text (``Z`` allowed)."""
    return datetime.fromisoformat(iso)


def execution_summary(
    schedule: str,
    *,
    scheduled: str,
    status: str,
    job_arn: str | None = None,
    last_modified: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A MonitoringExecutionSummary of ListMonitoringExecutions (botocore's model: the five required fields,
    ProcessingJobArn when the execution ran a job, and any optional ``extra``). The Stubber checks it against
    the model when it is queued."""
    summary: dict[str, Any] = {
        "MonitoringScheduleName": schedule,
        "ScheduledTime": at(scheduled),
        "CreationTime": at(scheduled),
        "LastModifiedTime": at(last_modified or scheduled),
        "MonitoringExecutionStatus": status,
        **extra,
    }
    if job_arn is not None:
        summary["ProcessingJobArn"] = job_arn
    return summary


def job_arn(name: str) -> str:
    """A processing job's ARN."""
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{name}"
