"""Deployment guardrails: how an endpoint moves to a new endpoint config, and when it rolls back."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_constructs._internal.validation import INT32_MAX, ValidationErrors, checked_arguments, is_token

from .endpoint_metrics import DEFAULT_LATENCY_STATISTIC, is_percentile

LATENCY_ALARM_STATISTICS = ("Average", "Maximum", "Minimum")
"""Statistics of ModelLatency that AWS documents and that a latency threshold makes sense for."""


class CapacityUnit(enum.Enum):
    """The unit of a ``CapacitySize``."""

    INSTANCE_COUNT = "INSTANCE_COUNT"
    CAPACITY_PERCENT = "CAPACITY_PERCENT"


@dataclass(frozen=True)
class CapacitySize:
    """A share of a variant's fleet: ``CapacitySize.percent(10)`` or ``CapacitySize.instances(1)``."""

    unit: CapacityUnit
    value: int

    @staticmethod
    @checked_arguments
    def percent(value: int) -> CapacitySize:
        """A percentage of the variant's instances."""
        return CapacitySize(CapacityUnit.CAPACITY_PERCENT, value)

    @staticmethod
    @checked_arguments
    def instances(value: int) -> CapacitySize:
        """A number of instances."""
        return CapacitySize(CapacityUnit.INSTANCE_COUNT, value)

    def describe(self) -> str:
        """Human-readable form used in error messages."""
        return f"{self.value}%" if self.unit is CapacityUnit.CAPACITY_PERCENT else f"{self.value} instance(s)"


@dataclass(frozen=True)
class AutoRollback:
    """Which CloudWatch alarms roll a deployment back.

    ``AutoRollback.default()`` lets the endpoint create two alarms over all its production variants: 5XX error
    rate and model latency (statistic Average by default). ``AutoRollback.on_alarms([...])`` uses yours;
    ``AutoRollback.none()`` disables automatic rollback.

    SageMaker reads the alarms with the execution role of each variant's model ("Ensure that your IAM execution
    role has permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms",
    https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html): the endpoint grants
    ``cloudwatch:DescribeAlarms`` on exactly these alarms to every model role it knows.
    """

    alarms: tuple[cloudwatch.IAlarm, ...] = ()
    error_rate_percent: float | None = None
    model_latency: Duration | None = None
    latency_statistic: str = DEFAULT_LATENCY_STATISTIC
    p99_model_latency: Duration | None = None
    """Deprecated spelling of ``model_latency`` with ``latency_statistic="p99"``."""

    @staticmethod
    @checked_arguments
    def default(
        *,
        error_rate_percent: float = 1.0,
        model_latency: Duration | None = None,
        latency_statistic: str = DEFAULT_LATENCY_STATISTIC,
        p99_model_latency: Duration | None = None,
    ) -> AutoRollback:
        """Alarms created by the endpoint.

        :param error_rate_percent: roll back when 5XX responses exceed this share of invocations in two
            consecutive minutes. Default: 1.0
        :param model_latency: roll back when ``ModelLatency`` (at ``latency_statistic``) of any production
            variant exceeds this in two consecutive minutes. Default: 1 second
        :param latency_statistic: ``"Average"``, ``"Maximum"`` or ``"Minimum"``, the statistics AWS documents for
            ``ModelLatency``; a percentile such as ``"p99"`` is accepted with a warning, since AWS does not list
            percentiles for it and the alarm may never see data. Default: "Average"
        :param p99_model_latency: deprecated: the same as ``model_latency`` with ``latency_statistic="p99"``.
            Default: - not used
        """
        if p99_model_latency is not None and model_latency is None:
            return AutoRollback(error_rate_percent=error_rate_percent, p99_model_latency=p99_model_latency,
                                latency_statistic="p99" if latency_statistic == DEFAULT_LATENCY_STATISTIC
                                else latency_statistic)  # fmt: skip
        return AutoRollback(
            error_rate_percent=error_rate_percent,
            model_latency=model_latency if model_latency is not None else Duration.seconds(1),
            latency_statistic=latency_statistic,
            p99_model_latency=p99_model_latency,
        )

    @staticmethod
    @checked_arguments
    def on_alarms(alarms: Sequence[cloudwatch.IAlarm]) -> AutoRollback:
        """Your alarms (1-10). The endpoint grants ``cloudwatch:DescribeAlarms`` on them to each variant's model
        execution role, which SageMaker reads them with."""
        return AutoRollback(alarms=tuple(alarms))

    @staticmethod
    def none() -> AutoRollback:
        """No automatic rollback."""
        return AutoRollback()

    @property
    def latency_threshold(self) -> Duration | None:
        """The model latency threshold, however it was given."""
        return self.model_latency if self.model_latency is not None else self.p99_model_latency

    @property
    def creates_default_alarms(self) -> bool:
        """Whether the endpoint must create its own rollback alarms."""
        return self.error_rate_percent is not None or self.latency_threshold is not None

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'deployment.auto_rollback'."""
        prop = "deployment.auto_rollback"
        if self.alarms and not 1 <= len(self.alarms) <= 10:
            errors.add(f"'{prop}.alarms' must hold 1-10 alarms, got {len(self.alarms)}")
        errors.check_range(f"{prop}.error_rate_percent", self.error_rate_percent, 0, 100, unit="percent")
        for name, latency in (
            ("model_latency", self.model_latency),
            ("p99_model_latency", self.p99_model_latency),
        ):
            if latency is not None and not is_token(latency):
                errors.check_range(f"{prop}.{name}", latency.to_milliseconds(), 1, None, unit="ms")
        if self.model_latency is not None and self.p99_model_latency is not None:
            errors.add(
                f"'{prop}.p99_model_latency' is the deprecated spelling of 'model_latency': give one, got both"
            )
        if self.latency_threshold is not None:
            validate_latency_statistic(errors, f"{prop}.latency_statistic", self.latency_statistic)


def validate_latency_statistic(errors: ValidationErrors, prop: str, statistic: str) -> None:
    """A latency alarm's statistic: one AWS documents for ModelLatency, or a percentile (the caller warns)."""
    if is_token(statistic):
        return
    if statistic not in LATENCY_ALARM_STATISTICS and not (
        isinstance(statistic, str) and is_percentile(statistic)
    ):
        errors.add(
            f"'{prop}' must be one of {list(LATENCY_ALARM_STATISTICS)} (documented for ModelLatency) or a "
            f"percentile such as 'p99', got {statistic!r}"
        )


class TrafficShift(enum.Enum):
    """How traffic moves to the new fleet during a blue/green deployment."""

    ALL_AT_ONCE = "ALL_AT_ONCE"
    CANARY = "CANARY"
    LINEAR = "LINEAR"


@dataclass(frozen=True)
class DeploymentGuardrails:
    """How an endpoint moves to a new endpoint config. Use the named constructors:

    - ``DeploymentGuardrails.all_at_once()``: blue/green, all traffic at once, then bake;
    - ``DeploymentGuardrails.canary(size=CapacitySize.percent(10), wait=Duration.minutes(5))``;
    - ``DeploymentGuardrails.linear(step=CapacitySize.percent(20), wait=Duration.minutes(2))``;
    - ``DeploymentGuardrails.rolling(batch_size=CapacitySize.percent(25), wait=Duration.minutes(5))``.

    Each rolls back on alarms: by default two alarms the endpoint creates (``AutoRollback.default()``).
    """

    traffic_shift: TrafficShift | None
    wait: Duration | None
    size: CapacitySize | None
    termination_wait: Duration | None
    max_execution_timeout: Duration | None
    rollback_batch_size: CapacitySize | None
    auto_rollback: AutoRollback

    @property
    def is_rolling(self) -> bool:
        """Whether this is a rolling update rather than blue/green."""
        return self.traffic_shift is None

    @staticmethod
    @checked_arguments
    def all_at_once(
        *,
        wait: Duration = Duration.minutes(5),
        termination_wait: Duration | None = None,
        max_execution_timeout: Duration | None = None,
        auto_rollback: AutoRollback | None = None,
    ) -> DeploymentGuardrails:
        """Blue/green: shift all traffic to the new fleet, then bake for ``wait`` watching the alarms.

        :param wait: baking period after the shift, 0-3600 s. Default: 5 minutes
        :param termination_wait: keep the old fleet this long after success, 0-3600 s. Default: 0
        :param max_execution_timeout: deployment timeout, 600-28800 s. Default: - SageMaker's default.
        :param auto_rollback: rollback alarms. Default: ``AutoRollback.default()``
        """
        return DeploymentGuardrails(
            TrafficShift.ALL_AT_ONCE, wait, None, termination_wait, max_execution_timeout, None,
            auto_rollback or AutoRollback.default(),
        )  # fmt: skip

    @staticmethod
    @checked_arguments
    def canary(
        *,
        size: CapacitySize,
        wait: Duration = Duration.minutes(5),
        termination_wait: Duration | None = None,
        max_execution_timeout: Duration | None = None,
        auto_rollback: AutoRollback | None = None,
    ) -> DeploymentGuardrails:
        """Blue/green: send ``size`` of the traffic to the new fleet, bake for ``wait``, then shift the rest.

        :param size: the canary, at most 50% of each variant's instances.
        :param wait: baking period of the canary, 0-3600 s. Default: 5 minutes
        :param termination_wait: keep the old fleet this long after success, 0-3600 s. Default: 0
        :param max_execution_timeout: deployment timeout, 600-28800 s. Default: - SageMaker's default.
        :param auto_rollback: rollback alarms. Default: ``AutoRollback.default()``
        """
        return DeploymentGuardrails(
            TrafficShift.CANARY, wait, size, termination_wait, max_execution_timeout, None,
            auto_rollback or AutoRollback.default(),
        )  # fmt: skip

    @staticmethod
    @checked_arguments
    def linear(
        *,
        step: CapacitySize,
        wait: Duration = Duration.minutes(5),
        termination_wait: Duration | None = None,
        max_execution_timeout: Duration | None = None,
        auto_rollback: AutoRollback | None = None,
    ) -> DeploymentGuardrails:
        """Blue/green: shift traffic in steps of ``step`` (10-50% of the fleet), baking ``wait`` after each.

        :param step: the step size, 10-50% of each variant's instances.
        :param wait: baking period after each step, 0-3600 s. Default: 5 minutes
        :param termination_wait: keep the old fleet this long after success, 0-3600 s. Default: 0
        :param max_execution_timeout: deployment timeout, 600-28800 s. Default: - SageMaker's default.
        :param auto_rollback: rollback alarms. Default: ``AutoRollback.default()``
        """
        return DeploymentGuardrails(
            TrafficShift.LINEAR, wait, step, termination_wait, max_execution_timeout, None,
            auto_rollback or AutoRollback.default(),
        )  # fmt: skip

    @staticmethod
    @checked_arguments
    def rolling(
        *,
        batch_size: CapacitySize,
        wait: Duration = Duration.minutes(5),
        rollback_batch_size: CapacitySize | None = None,
        max_execution_timeout: Duration | None = None,
        auto_rollback: AutoRollback | None = None,
    ) -> DeploymentGuardrails:
        """Rolling update: replace instances in batches (5-50% of the fleet), baking ``wait`` after each.

        Not available for serverless or multi-variant endpoints.

        :param batch_size: instances replaced per batch, 5-50% of the fleet.
        :param wait: baking period after each batch, 0-3600 s. Default: 5 minutes
        :param rollback_batch_size: instances restored per batch on rollback. Default: - all at once.
        :param max_execution_timeout: deployment timeout, 600-28800 s. Default: - SageMaker's default.
        :param auto_rollback: rollback alarms. Default: ``AutoRollback.default()``
        """
        return DeploymentGuardrails(
            None, wait, batch_size, None, max_execution_timeout, rollback_batch_size,
            auto_rollback or AutoRollback.default(),
        )  # fmt: skip

    def validate(
        self,
        errors: ValidationErrors,
        instance_counts: Sequence[int],
        variant_count: int,
        has_serverless: bool,
    ) -> None:
        """Record every problem under 'deployment.*', judging sizes against the variants' instance counts."""
        errors.check_seconds("deployment.wait", self.wait, 0, 3600)
        errors.check_seconds("deployment.termination_wait", self.termination_wait, 0, 3600)
        errors.check_seconds("deployment.max_execution_timeout", self.max_execution_timeout, 600, 28800)
        self.auto_rollback.validate(errors)
        # Only well-formed counts: the others are reported as 'variants[i].instance_count' (NaN breaks math.ceil).
        counts = [
            c
            for c in instance_counts
            if not is_token(c) and math.isfinite(c) and float(c).is_integer() and 1 <= c <= INT32_MAX
        ]
        if self.is_rolling:
            self._validate_size(errors, "deployment.batch_size", self.size, 5, 50, counts)
            if self.rollback_batch_size is not None:
                self._validate_size(
                    errors, "deployment.rollback_batch_size", self.rollback_batch_size, 5, 100, counts
                )
            # "If you're doing a rolling deployment, there are additional feature-based exclusions: Serverless
            # inference endpoints, Multi-variant inference endpoints"
            # (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html).
            if has_serverless:
                errors.add("'deployment' rolling updates are not supported for serverless variants")
            if variant_count > 1:
                errors.add(
                    f"'deployment' rolling updates need exactly one production variant, got {variant_count}"
                )
        elif self.traffic_shift is TrafficShift.CANARY:
            self._validate_size(errors, "deployment.size", self.size, 1, 50, counts)
        elif self.traffic_shift is TrafficShift.LINEAR:
            self._validate_size(errors, "deployment.step", self.size, 10, 50, counts)
        self._validate_timeout(errors)

    @staticmethod
    def _validate_size(
        errors: ValidationErrors,
        prop: str,
        size: CapacitySize | None,
        min_percent: int,
        max_percent: int,
        instance_counts: Sequence[int],
    ) -> None:
        if size is None or is_token(size.value):
            return
        if size.unit is CapacityUnit.CAPACITY_PERCENT:
            errors.check_range(prop, size.value, min_percent, max_percent, unit="percent", integer=True)
            return
        errors.check_range(prop, size.value, 1, None, unit="instances", integer=True)
        for count in instance_counts:
            low, high = math.ceil(count * min_percent / 100), math.floor(count * max_percent / 100)
            if not low <= size.value <= high:
                allowed = f"between {low} and {high}" if low <= high else "impossible (use more instances)"
                errors.add(
                    f"'{prop}' must be {min_percent}-{max_percent}% of each variant's instances: for "
                    f"{count} instance(s) that is {allowed}, got {size.describe()}"
                )
                return

    def _validate_timeout(self, errors: ValidationErrors) -> None:
        timeout = self.max_execution_timeout
        if timeout is None or is_token(timeout) or is_token(self.wait) or is_token(self.termination_wait):
            return
        durations = [d for d in (timeout, self.wait, self.termination_wait) if d is not None]
        if any(not float(d.to_seconds(integral=False)).is_integer() for d in durations):
            return  # already reported: not a whole number of seconds
        waits = (self.wait.to_seconds() if self.wait else 0) + (
            self.termination_wait.to_seconds() if self.termination_wait else 0
        )
        if timeout.to_seconds() <= waits:
            errors.add(
                "'deployment.max_execution_timeout' must exceed 'wait' + 'termination_wait' "
                f"({waits} seconds), got {timeout.to_seconds()} seconds"
            )
