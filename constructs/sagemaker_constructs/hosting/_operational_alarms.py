"""The operational alarms of an endpoint (``Endpoint.add_operational_alarms``). Private: the method is the
public face."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from sagemaker_constructs._internal.validation import ValidationErrors, is_token

from ._guardrails import warn_if_percentile
from .deployment import validate_latency_statistic
from .endpoint_base import EndpointBase
from .endpoint_metrics import DEFAULT_LATENCY_STATISTIC
from .variants import ProductionVariant, Variant

MAX_ALARM_METRICS = 10
"""CloudWatch: metrics (not expressions) one alarm's metric math may use."""


def create_operational_alarms(
    endpoint: EndpointBase,
    variants: Sequence[Variant],
    *,
    is_async: bool,
    error_rate_percent: float,
    model_latency: Duration | None,
    latency_statistic: str,
    p99_model_latency: Duration | None,
    disk_utilization_percent: float,
    evaluation_periods: int,
    action: cloudwatch.IAlarmAction | None,
) -> list[cloudwatch.Alarm]:
    """Validate the arguments and create the alarms under ``endpoint``/``OperationalAlarms``: one per kind
    (error rate, latency, disk) whose metric is the highest of the variants' (``MAX([...])``), or one per group
    of variants when they need more than CloudWatch's 10 metrics per alarm."""
    errors = ValidationErrors(f"operational alarms of Endpoint '{endpoint.node.path}'")
    if endpoint.node.try_find_child("OperationalAlarms") is not None:
        errors.add("'add_operational_alarms' was already called for this endpoint")
    errors.check_range("error_rate_percent", error_rate_percent, 0, 100, unit="percent")
    errors.check_range("disk_utilization_percent", disk_utilization_percent, 0, 100, unit="percent")
    errors.check_range("evaluation_periods", evaluation_periods, 1, 1440, integer=True)
    for prop, latency in (("model_latency", model_latency), ("p99_model_latency", p99_model_latency)):
        if latency is not None and not is_token(latency):
            errors.check_range(prop, latency.to_milliseconds(), 1, None, unit="ms")
    if model_latency is not None and p99_model_latency is not None:
        errors.add("'p99_model_latency' is the deprecated spelling of 'model_latency': give one, got both")
    if p99_model_latency is not None and latency_statistic == DEFAULT_LATENCY_STATISTIC:
        latency_statistic = "p99"
    validate_latency_statistic(errors, "latency_statistic", latency_statistic)
    errors.raise_if_any()
    threshold_latency = model_latency or p99_model_latency or Duration.seconds(1)
    warn_if_percentile(endpoint, latency_statistic)

    fixed_name = endpoint.endpoint_name_for_metrics
    scope = Construct(endpoint, "OperationalAlarms")
    kinds: list[_Kind] = []
    if not is_async:
        kinds.append(
            _Kind("ErrorRate", list(variants), 2, "5XX error rate (%)", endpoint.metric_5xx_error_rate,
                  lambda name, i: _error_rate(endpoint, name, i), error_rate_percent, "5XX error rate above %s%%")
        )  # fmt: skip

    def latency_of(name: str, _index: int = 0) -> cloudwatch.IMetric:
        return endpoint.metric_model_latency(name, statistic=latency_statistic)

    # The construct ID predates the statistic choice; it stays so that existing alarms are not replaced.
    kinds.append(
        _Kind("P99Latency", list(variants), 1, f"{latency_statistic} ModelLatency (microseconds)", latency_of,
              latency_of, threshold_latency.to_milliseconds() * 1000,
              f"model latency ({latency_statistic}) above %s microseconds")
    )  # fmt: skip
    instance_variants = [v for v in variants if isinstance(v, ProductionVariant)]
    if instance_variants:

        def disk(name: str, _index: int = 0) -> cloudwatch.IMetric:
            return endpoint.metric_disk_utilization(name)

        kinds.append(
            _Kind("DiskUtilization", instance_variants, 1, "DiskUtilization (%)", disk, disk,
                  disk_utilization_percent, "disk utilization above %s%% (data capture stops when the disk fills up)")
        )  # fmt: skip
    created: list[cloudwatch.Alarm] = []
    for kind in kinds:
        names = [v.name for v in kind.variants]
        groups = [
            names[i : i + kind.variants_per_alarm] for i in range(0, len(names), kind.variants_per_alarm)
        ]
        for number, group in enumerate(groups, start=1):
            threshold = kind.threshold
            who = f"variant {group[0]}" if len(group) == 1 else f"variants {', '.join(group)} (the highest)"
            alarm = cloudwatch.Alarm(
                scope,
                kind.construct_id if len(groups) == 1 else f"{kind.construct_id}-{number}",
                metric=kind.highest(group),
                threshold=threshold,
                evaluation_periods=evaluation_periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"SageMaker endpoint {fixed_name} {who}: " + kind.text % f"{threshold:g}",
            )
            if action is not None:
                alarm.add_alarm_action(action)
                alarm.add_ok_action(action)
            created.append(alarm)
    return created


@dataclass(frozen=True)
class _Kind:
    """One kind of operational alarm: which variants it watches and how to read one variant."""

    construct_id: str
    variants: Sequence[Variant]
    metrics_per_variant: int
    label: str
    single: Callable[[str], cloudwatch.IMetric]
    """One variant's metric, for an alarm on one variant."""
    indexed: Callable[[str, int], cloudwatch.IMetric]
    """One variant's metric with metric IDs numbered ``index``, to sit beside others in one expression."""
    threshold: float
    text: str

    @property
    def variants_per_alarm(self) -> int:
        """CloudWatch takes at most 10 metrics in an alarm's metric math."""
        return MAX_ALARM_METRICS // self.metrics_per_variant

    def highest(self, names: Sequence[str]) -> cloudwatch.IMetric:
        """The highest of the variants' values, ``MAX([v0, v1, ...])``: above the threshold when any variant is."""
        if len(names) == 1:
            return self.single(names[0])
        return cloudwatch.MathExpression(
            expression="MAX([" + ", ".join(f"v{i}" for i in range(len(names))) + "])",
            using_metrics={f"v{i}": self.indexed(name, i) for i, name in enumerate(names)},
            label=f"highest {self.label} of variants {', '.join(names)}",
            period=Duration.minutes(1),
        )


def _error_rate(endpoint: EndpointBase, variant_name: str, index: int) -> cloudwatch.IMetric:
    """The 5XX error rate of one variant, its metric IDs numbered so that several fit in one expression."""
    return cloudwatch.MathExpression(
        expression=f"100 * e{index} / i{index}",
        using_metrics={
            f"e{index}": endpoint.metric_invocation_5xx_errors(variant_name),
            f"i{index}": endpoint.metric_invocations(variant_name),
        },
        label=f"{variant_name} 5XX error rate (%)",
        period=Duration.minutes(1),
    )
