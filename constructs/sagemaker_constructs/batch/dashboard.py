"""The dashboard section of a ``BatchTransform``: its runs, run time and alarms."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_constructs._internal.validation import checked_arguments
from sagemaker_constructs.common.dashboard_section import DashboardSection, graph, label

from .batch_transform import BatchTransform


@checked_arguments
def batch_transform_section(transform: BatchTransform, *, title: str | None = None) -> DashboardSection:
    """Runs started, succeeded, failed and timed out, run time, the failure alarm and, when the transform has
    triggers, the alarm on their dead-letter queue.

    :param title: Default: - "Batch transform <job name prefix>"
    """
    graphs: list[cloudwatch.IWidget] = [
        graph(
            "Runs",
            [
                label(transform.metric_runs_started(), "started"),
                label(transform.metric_runs_succeeded(), "succeeded"),
                label(transform.metric_runs_failed(), "failed"),
                label(transform.metric_runs_timed_out(), "timed out"),
            ],
        ),
        graph("Run time (ms)", [transform.metric_run_time()]),
    ]
    alarms: list[cloudwatch.IAlarm] = [transform.failure_alarm]
    if transform.dead_letter_alarm is not None:
        alarms.append(transform.dead_letter_alarm)
    return DashboardSection(
        title=title or f"Batch transform {transform.job_name_prefix}", graphs=graphs, alarms=alarms
    )
