"""Rendering deployment guardrails (``DeploymentConfig``) and the endpoint's default rollback alarms. Private:
``Endpoint`` calls it; ``deployment.py`` holds the public option classes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jsii
from aws_cdk import Annotations, Duration, IResolvable, IStableAnyProducer, Lazy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IDependable, IValidation

from .deployment import CapacitySize, DeploymentGuardrails
from .endpoint_base import EndpointBase
from .endpoint_metrics import is_percentile
from .variants import Variant


@jsii.implements(IStableAnyProducer)
class _Producer:
    def __init__(self, produce: Callable[[], object]) -> None:
        self._produce = produce

    def produce(self) -> object:
        return self._produce()


def lazy(produce: Callable[[], object]) -> IResolvable:
    """A value rendered at synth time by ``produce``."""
    return Lazy.any(_Producer(produce))


@jsii.implements(IValidation)
class RollbackAlarmLimit:
    """Synth-time check: SageMaker takes at most 10 rollback alarms per endpoint."""

    def __init__(self, alarms: list[cloudwatch.IAlarm]) -> None:
        self._alarms = alarms

    def validate(self) -> list[str]:
        """At most 10 alarms."""
        if len(self._alarms) > 10:
            return [f"an endpoint takes at most 10 rollback alarms, got {len(self._alarms)}"]
        return []


def warn_if_percentile(scope: Construct, statistic: str) -> None:
    """Warn that AWS documents no percentiles for ``ModelLatency``."""
    if isinstance(statistic, str) and is_percentile(statistic):
        Annotations.of(scope).add_warning_v2(
            "sagemaker-constructs:UndocumentedLatencyStatistic",
            f"Latency alarms use {statistic!r}: AWS documents only Average, Sum, Minimum, Maximum and "
            "SampleCount for ModelLatency (https://docs.aws.amazon.com/sagemaker/latest/dg/"
            "monitoring-cloudwatch.html). If CloudWatch has no percentile data, the alarm never fires.",
        )


def render_deployment_config(
    deployment: DeploymentGuardrails, auto_rollback: IResolvable
) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
    """The endpoint's ``DeploymentConfig``: a rolling or blue/green update policy, with ``auto_rollback``."""
    timeout = deployment.max_execution_timeout
    timeout_seconds = int(timeout.to_seconds()) if timeout else None
    wait_seconds = int(deployment.wait.to_seconds()) if deployment.wait else None
    if deployment.is_rolling:
        assert deployment.size is not None
        return sagemaker.CfnEndpoint.DeploymentConfigProperty(
            auto_rollback_configuration=auto_rollback,
            rolling_update_policy=sagemaker.CfnEndpoint.RollingUpdatePolicyProperty(
                maximum_batch_size=_capacity(deployment.size),
                wait_interval_in_seconds=wait_seconds or 0,
                maximum_execution_timeout_in_seconds=timeout_seconds,
                rollback_maximum_batch_size=(
                    _capacity(deployment.rollback_batch_size) if deployment.rollback_batch_size else None
                ),
            ),
        )
    assert deployment.traffic_shift is not None
    shift = deployment.traffic_shift.value
    return sagemaker.CfnEndpoint.DeploymentConfigProperty(
        auto_rollback_configuration=auto_rollback,
        blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
            traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                type=shift,
                wait_interval_in_seconds=wait_seconds,
                canary_size=_capacity(deployment.size) if shift == "CANARY" and deployment.size else None,
                linear_step_size=_capacity(deployment.size)
                if shift == "LINEAR" and deployment.size
                else None,
            ),
            termination_wait_in_seconds=(
                int(deployment.termination_wait.to_seconds()) if deployment.termination_wait else None
            ),
            maximum_execution_timeout_in_seconds=timeout_seconds,
        ),
    )


def create_rollback_alarms(
    endpoint: EndpointBase,
    variant_names: Sequence[str],
    *,
    is_async: bool,
    error_rate_percent: float | None,
    model_latency: Duration | None,
    latency_statistic: str,
) -> list[cloudwatch.Alarm]:
    """The default rollback alarms, children of ``endpoint``, over all its production variants."""
    # The alarms watch the endpoint by its synth-time name, so they exist before the endpoint that names
    # them in its AutoRollbackConfiguration (no dependency cycle).
    names = list(variant_names)
    created: list[cloudwatch.Alarm] = []
    if error_rate_percent is not None and is_async:
        # Asynchronous endpoints publish no Invocations; Invocation5XXErrors is 1 or 0 per request, so its
        # Average is the error rate (async-inference-monitor: "For each 5xx response, 1 is sent; otherwise, 0").
        (only,) = names
        rate = cloudwatch.MathExpression(
            expression="100 * e0",
            using_metrics={"e0": endpoint.metric("Invocation5XXErrors", only, statistic="Average")},
            label="5XX error rate (%)",
            period=Duration.minutes(1),
        )
        created.append(_rollback_alarm(endpoint, "RollbackErrorRateAlarm", rate, error_rate_percent,
                                       f"5XX error rate above {error_rate_percent:g}%"))  # fmt: skip
    elif error_rate_percent is not None:
        errors = " + ".join(f"e{i}" for i in range(len(names)))
        invocations = " + ".join(f"i{i}" for i in range(len(names)))
        using: dict[str, cloudwatch.IMetric] = {}
        for i, name in enumerate(names):
            using[f"e{i}"] = endpoint.metric_invocation_5xx_errors(name)
            using[f"i{i}"] = endpoint.metric_invocations(name)
        rate = cloudwatch.MathExpression(
            expression=f"100 * ({errors}) / ({invocations})",
            using_metrics=using,
            label="5XX error rate (%) over production variants",
            period=Duration.minutes(1),
        )
        created.append(_rollback_alarm(endpoint, "RollbackErrorRateAlarm", rate, error_rate_percent,
                                       f"5XX error rate above {error_rate_percent:g}%"))  # fmt: skip
    if model_latency is not None:
        threshold = model_latency.to_milliseconds() * 1000
        latency: cloudwatch.IMetric
        if len(names) == 1:
            latency = endpoint.metric_model_latency(names[0], statistic=latency_statistic)
        else:
            latency = cloudwatch.MathExpression(
                expression="MAX([" + ", ".join(f"l{i}" for i in range(len(names))) + "])",
                using_metrics={
                    f"l{i}": endpoint.metric_model_latency(n, statistic=latency_statistic)
                    for i, n in enumerate(names)
                },
                label=f"highest {latency_statistic} ModelLatency over production variants (microseconds)",
                period=Duration.minutes(1),
            )
        created.append(_rollback_alarm(endpoint, "RollbackLatencyAlarm", latency, threshold,
                                       f"model latency ({latency_statistic}) above {threshold:g} "
                                       "microseconds"))  # fmt: skip
    return created


def _rollback_alarm(
    endpoint: EndpointBase, construct_id: str, metric: cloudwatch.IMetric, threshold: float, text: str
) -> cloudwatch.Alarm:
    return cloudwatch.Alarm(
        endpoint,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=2,
        datapoints_to_alarm=2,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=f"Rolls back deployments of SageMaker endpoint {endpoint.endpoint_name_for_metrics}: "
        f"{text}",
    )


def grant_describe_rollback_alarms(
    scope: Construct, statement: iam.PolicyStatement, variants: Sequence[Variant], deploying: Construct
) -> None:
    """SageMaker reads the rollback alarms during a guarded deployment with the model execution role: "Ensure
    that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action on the
    auto-rollback alarms you specify" (https://docs.aws.amazon.com/sagemaker/latest/dg/
    deployment-guardrails-configuration.html). Every variant's model role gets ``statement`` (shared, so that
    alarms added later join it); ``deploying`` (the endpoint resource) waits for the grants."""
    roles: list[iam.IRole] = []
    for variant in variants:
        role = variant.model.role
        if role is None:
            Annotations.of(scope).add_warning_v2(
                "sagemaker-constructs:RollbackRoleUnknown",
                f"Variant {variant.name!r} uses an imported model without a role: grant its execution role "
                "cloudwatch:DescribeAlarms on the endpoint's rollback alarms yourself, or SageMaker cannot "
                "watch them during a deployment.",
            )
            continue
        if any(role is r for r in roles):
            continue
        roles.append(role)
        result = role.add_to_principal_policy(statement)
        # The grant must be in place before SageMaker deploys a config that it checks alarms for.
        dependable: IDependable | None = result.policy_dependable
        if dependable is not None:
            deploying.node.add_dependency(dependable)


def _capacity(size: CapacitySize) -> sagemaker.CfnEndpoint.CapacitySizeProperty:
    return sagemaker.CfnEndpoint.CapacitySizeProperty(type=size.unit.value, value=size.value)
