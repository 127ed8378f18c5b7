"""``BanditReward`` and ``BanditPolicy``: what a ``BanditTrafficAllocation`` maximizes, and how it explores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from sagemaker_constructs._internal.handlers import bandit_contract as contract
from sagemaker_constructs._internal.validation import ValidationError, ValidationErrors, received
from sagemaker_constructs.hosting.endpoint_base import EndpointBase


class BanditReward:
    """Each variant's reward, as CloudWatch metrics the bandit reads over its window.

    Use ``BanditReward.conversions(...)`` (a yes/no outcome per request: a Beta posterior) or
    ``BanditReward.continuous(...)`` (a number per request: a Gaussian posterior). The keys are the variant names;
    they must be exactly the endpoint's production variants.
    """

    def __init__(
        self,
        kind: str,
        reward: Mapping[str, cloudwatch.IMetric],
        trials: Mapping[str, cloudwatch.IMetric] | None,
    ) -> None:
        """Use the named constructors."""
        self.kind = kind
        self.reward: dict[str, cloudwatch.IMetric] = dict(reward)
        self.trials: dict[str, cloudwatch.IMetric] | None = dict(trials) if trials is not None else None

    @staticmethod
    def conversions(
        successes: Mapping[str, cloudwatch.IMetric], trials: Mapping[str, cloudwatch.IMetric] | None = None
    ) -> BanditReward:
        """Successes out of trials per variant (e.g. offers accepted out of predictions served).

        Both are read with statistic ``Sum`` over the window, whatever statistic the metrics carry.

        :param successes: variant name -> the metric counting its successes.
        :param trials: variant name -> the metric counting its trials. Default: - the variant's ``Invocations``
            (``AWS/SageMaker``)
        """
        errors = ValidationErrors("BanditReward.conversions")
        _check_metrics(errors, "successes", successes)
        if trials is not None:
            _check_metrics(errors, "trials", trials)
            if set(trials) != set(successes):
                errors.add(
                    f"'trials' must have the same variants as 'successes' ({sorted(successes)}), "
                    f"got {sorted(trials)}"
                )
        errors.raise_if_any()
        return BanditReward(contract.REWARD_CONVERSIONS, successes, trials)

    @staticmethod
    def continuous(values: Mapping[str, cloudwatch.IMetric]) -> BanditReward:
        """A number per request per variant (e.g. revenue per recommendation), one datapoint per request.

        Read per period (the metric's period) with ``Sum`` and ``SampleCount``: the trials are the samples, the
        posterior mean is the window's mean, and the per-request variance is estimated from the period means
        (``sum(n_i * (m_i - m) ** 2) / (P - 1)``; README "Bandit traffic allocation").

        :param values: variant name -> the metric of its per-request reward.
        """
        errors = ValidationErrors("BanditReward.continuous")
        _check_metrics(errors, "values", values)
        errors.raise_if_any()
        return BanditReward(contract.REWARD_CONTINUOUS, values, None)

    @property
    def variant_names(self) -> list[str]:
        """The variants, in the order given."""
        return list(self.reward)

    def trials_metric(self, endpoint: EndpointBase, variant: str) -> cloudwatch.IMetric | None:
        """The metric counting ``variant``'s trials (None for a continuous reward: its samples are the trials)."""
        if self.kind != contract.REWARD_CONVERSIONS:
            return None
        if self.trials is not None:
            return self.trials[variant]
        return endpoint.metric_invocations(variant)

    def render(self, scope: Construct, endpoint: EndpointBase) -> str:
        """The handler's ``ENV_QUERIES``: each metric as GetMetricData's ``MetricStat`` (tokens resolved)."""
        queries: dict[str, dict[str, Any]] = {}
        for variant, metric in self.reward.items():
            entry: dict[str, Any] = {"reward": _metric_stat(metric, f"reward of {variant!r}")}
            if self.kind == contract.REWARD_CONVERSIONS:
                # The default trials in short: the handler builds the Invocations query (4 KB of environment).
                trials = self.trials
                entry["trials"] = (
                    contract.TRIALS_INVOCATIONS
                    if trials is None
                    else _metric_stat(trials[variant], f"trials of {variant!r}")
                )
            queries[variant] = entry
        return Stack.of(scope).to_json_string(queries)


def _check_metrics(errors: ValidationErrors, prop: str, metrics: Mapping[str, cloudwatch.IMetric]) -> None:
    if not isinstance(metrics, Mapping) or not metrics:
        errors.add(f"'{prop}' must map each variant name to a metric, got {received(metrics)}")
        return
    for name, metric in metrics.items():
        if not isinstance(name, str) or not name or Token.is_unresolved(name):
            errors.add(f"'{prop}' keys must be variant names (non-empty strings), got {received(name)}")
        config = metric.to_metric_config() if hasattr(metric, "to_metric_config") else None
        if config is None or config.metric_stat is None:
            errors.add(
                f"'{prop}[{name!r}]' must be a single metric (cloudwatch.Metric), not math or a search, "
                f"got {received(metric)}"
            )


def _metric_stat(metric: cloudwatch.IMetric, what: str) -> dict[str, Any]:
    stat = metric.to_metric_config().metric_stat
    if stat is None:  # checked by the named constructors
        raise ValidationError(f"the {what} must be a single metric, got {received(metric)}")
    rendered: dict[str, Any] = {
        "Metric": {"Namespace": stat.namespace, "MetricName": stat.metric_name},
        "Period": int(stat.period.to_seconds()),
        "Stat": stat.statistic,
    }
    if stat.dimensions:
        rendered["Metric"]["Dimensions"] = [{"Name": d.name, "Value": d.value} for d in stat.dimensions]
    return rendered


class BanditPolicy:
    """How the bandit turns rewards into traffic shares."""

    def __init__(self, name: str, epsilon: float = 0.1) -> None:
        """Use the named constructors."""
        self.name = name
        self.epsilon = epsilon

    @staticmethod
    def thompson_sampling() -> BanditPolicy:
        """Each variant's share is the posterior probability that it is the best (Beta posteriors for
        conversions, Gaussian for continuous rewards)."""
        return BanditPolicy("thompson")

    @staticmethod
    def epsilon_greedy(epsilon: float = 0.1) -> BanditPolicy:
        """``1 - epsilon`` of the traffic to the best posterior mean, ``epsilon`` spread evenly.

        :param epsilon: the exploration share, in (0, 1). Default: 0.1
        """
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0 < epsilon < 1:
            raise ValidationError(f"'epsilon' must be a number in (0, 1), got {received(epsilon)}")
        return BanditPolicy("epsilon-greedy", float(epsilon))

    def allocation_policy(self, reward: BanditReward) -> str:
        """The handler's policy name (``allocation.POLICIES``) for ``reward``."""
        if self.name == "epsilon-greedy":
            return "epsilon-greedy"
        return "thompson-beta" if reward.kind == contract.REWARD_CONVERSIONS else "thompson-gaussian"
