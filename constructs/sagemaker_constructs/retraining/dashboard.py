"""The dashboard section of a ``RetrainingTrigger``: its decisions, the pipeline's executions and the
dead-letter queue."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_constructs._internal.handlers import retraining_trigger_contract as contract
from sagemaker_constructs._internal.validation import checked_arguments
from sagemaker_constructs.common.dashboard_section import DashboardSection, graph, label

from .retraining_trigger import RetrainingTrigger
from .sagemaker_pipeline import PipelineBase


@checked_arguments
def retraining_section(trigger: RetrainingTrigger, *, title: str | None = None) -> DashboardSection:
    """What the trigger decided (received, started, skipped by reason, failed), the pipeline's executions (when
    the pipeline is a ``PipelineBase``), the dead-letter queue's depth, and the dead-letter alarm.

    :param title: Default: - "Retraining <pipeline name>"
    """
    pipeline = trigger.pipeline
    graphs: list[cloudwatch.IWidget] = [
        graph(
            "Trigger decisions",
            [
                label(trigger.metric_triggers_received(), "received"),
                label(trigger.metric_pipelines_started(), "pipeline started"),
                label(trigger.metric_failures(), "failed"),
            ],
        ),
        graph(
            "Triggers skipped",
            [
                label(trigger.metric_triggers_skipped(reason), reason)
                for reason in dict.fromkeys(contract.SKIP_REASONS.values())
            ],
        ),
        graph(
            "Dead-letter queue (messages)",
            [trigger.dead_letter_queue.metric_approximate_number_of_messages_visible()],
        ),
    ]
    if isinstance(pipeline, PipelineBase):  # created or imported with this library: it has metrics
        graphs.insert(
            2,
            graph(
                "Pipeline executions",
                [
                    label(pipeline.metric_execution_started(), "started"),
                    label(pipeline.metric_execution_succeeded(), "succeeded"),
                    label(pipeline.metric_execution_failed(), "failed"),
                ],
            ),
        )
    return DashboardSection(
        title=title or f"Retraining {pipeline.pipeline_name}",
        graphs=graphs,
        alarms=[trigger.dead_letter_alarm],
    )
