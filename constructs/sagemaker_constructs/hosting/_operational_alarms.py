"""The operational alarms of an endpoint (``Endpoint.add_operational_alarms``). Private: the method is the
public face."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from sagemaker_constructs._internal.validation import ValidationErrors, is_token

from ._guardrails import warn_if_percentile
from .deployment import validate_latency_statistic
from .endpoint_base import EndpointBase
from .endpoint_metrics import DEFAULT_LATENCY_STATISTIC
from .variants import ProductionVariant, Variant


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
    """Validate the arguments and create the alarms under ``endpoint``/``OperationalAlarms``."""
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
    created: list[cloudwatch.Alarm] = []
    for variant in variants:
        name = variant.name
        specs: list[tuple[str, cloudwatch.IMetric, float, str]] = []
        if not is_async:
            specs.append(
                (
                    "ErrorRate",
                    endpoint.metric_5xx_error_rate(name),
                    error_rate_percent,
                    "5XX error rate above %s%%",
                )
            )
        # The construct ID predates the statistic choice; it stays so that existing alarms are not replaced.
        specs += [
            (
                "P99Latency",
                endpoint.metric_model_latency(name, statistic=latency_statistic),
                threshold_latency.to_milliseconds() * 1000,
                f"model latency ({latency_statistic}) above %s microseconds",
            ),
        ]
        if isinstance(variant, ProductionVariant):
            specs.append(
                (
                    "DiskUtilization",
                    endpoint.metric_disk_utilization(name),
                    disk_utilization_percent,
                    "disk utilization above %s%% (data capture stops when the disk fills up)",
                )
            )
        for suffix, metric, threshold, text in specs:
            alarm = cloudwatch.Alarm(
                scope,
                f"{name}-{suffix}",
                metric=metric,
                threshold=threshold,
                evaluation_periods=evaluation_periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"SageMaker endpoint {fixed_name} variant {name}: "
                + text % f"{threshold:g}",
            )
            if action is not None:
                alarm.add_alarm_action(action)
                alarm.add_ok_action(action)
            created.append(alarm)
    return created
