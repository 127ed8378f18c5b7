"""The dashboard section of an ``ApprovedModelDeployer``: its decisions, the stack updates' outcomes and the
dead-letter queue."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_constructs._internal.handlers import model_deployer_contract as contract
from sagemaker_constructs._internal.validation import checked_arguments
from sagemaker_constructs.common.dashboard_section import DashboardSection, graph, label

from .model_deployer import ApprovedModelDeployer


@checked_arguments
def model_deployment_section(
    deployer: ApprovedModelDeployer, *, title: str | None = None
) -> DashboardSection:
    """The deployer's decisions (one line per decision), the stack updates that completed, failed or rolled
    back and the rejections, the malformed messages and the dead-letter queue's depth, and the dead-letter alarm.

    :param title: Default: - "Model deployment <stack name>"
    """
    graphs: list[cloudwatch.IWidget] = [
        graph(
            "Deployer decisions",
            [label(deployer.metric_decisions(decision), decision) for decision in contract.DECISIONS],
        ),
        graph(
            "Stack updates and rejections",
            [
                label(deployer.metric_deployments_succeeded(), "update complete"),
                label(deployer.metric_deployments_failed(), "failed or rolled back"),
                label(deployer.metric_packages_rejected(), "version rejected"),
            ],
        ),
        graph(
            "Malformed and parked messages",
            [
                label(deployer.metric_malformed_messages(), "malformed (dropped)"),
                label(
                    deployer.dead_letter_queue.metric_approximate_number_of_messages_visible(),
                    "dead-letter queue",
                ),
            ],
        ),
    ]
    return DashboardSection(
        title=title or f"Model deployment {deployer.serving_stack.stack_name}",
        graphs=graphs,
        alarms=[deployer.dead_letter_alarm],
    )


__all__ = ["model_deployment_section"]
