"""The dashboard section of a ``BanditTrafficAllocation``: weights per variant over time, the reward and the
decisions, built only from the allocation's public metrics."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_constructs._internal.handlers import bandit_contract as contract
from sagemaker_constructs._internal.validation import checked_arguments
from sagemaker_constructs.common.dashboard_section import DashboardSection, graph, label

from .bandit import BanditTrafficAllocation


@checked_arguments
def bandit_section(allocation: BanditTrafficAllocation, *, title: str | None = None) -> DashboardSection:
    """Each variant's weight, probability of being best and posterior mean after each tick; each variant's
    reward and trials as read (the reward's own metrics, summed per hour); the ticks by decision; the
    dead-letter alarm when there is one.

    :param title: Default: - "Bandit <endpoint name>"
    """
    names = allocation.variant_names
    endpoint = allocation.endpoint
    reward = allocation.reward
    # The reward as the bandit reads it: counts summed, a continuous reward averaged.
    statistic = "Sum" if reward.kind == contract.REWARD_CONVERSIONS else "Average"
    reward_lines: list[cloudwatch.IMetric] = []
    for name in names:
        metric = reward.reward[name]
        if isinstance(metric, cloudwatch.Metric):
            reward_lines.append(label(metric.with_(statistic=statistic), f"{name} reward"))
        trials = reward.trials_metric(endpoint, name)
        if isinstance(trials, cloudwatch.Metric):
            reward_lines.append(label(trials.with_(statistic="Sum"), f"{name} trials"))
    graphs: list[cloudwatch.IWidget] = [
        graph("Traffic share per variant", [label(allocation.metric_weight(n), n) for n in names]),
        graph("Probability best", [label(allocation.metric_probability_best(n), n) for n in names]),
        graph("Posterior mean reward", [label(allocation.metric_posterior_mean(n), n) for n in names]),
        graph("Reward and trials", reward_lines),
        graph(
            "Decisions (ticks per hour)",
            [label(allocation.metric_decisions(d), d) for d in contract.DECISIONS],
        ),
    ]
    alarms = [allocation.dead_letter_alarm] if allocation.dead_letter_alarm is not None else []
    return DashboardSection(
        title=title or f"Bandit {endpoint.endpoint_name_for_metrics}", graphs=graphs, alarms=alarms
    )
