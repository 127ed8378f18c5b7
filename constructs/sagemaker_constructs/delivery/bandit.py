"""``BanditTrafficAllocation``: a scheduled function that moves an endpoint's traffic toward the variant with the
best reward, within guardrails, with a kill switch."""

from __future__ import annotations

import json
from collections.abc import Sequence

import jsii
from aws_cdk import Annotations, Duration, IStableStringProducer, Lazy, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IValidation

from sagemaker_constructs._internal import dead_letter as _dead_letter
from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.handlers import bandit_contract as contract
from sagemaker_constructs._internal.powertools_function import powertools_function
from sagemaker_constructs._internal.validation import (
    ValidationError,
    ValidationErrors,
    check_argument_types,
    checked_arguments,
    construct_path,
)
from sagemaker_constructs.common.notification_topic import NotificationTopic
from sagemaker_constructs.hosting.endpoint_base import EndpointBase

from .bandit_options import BanditPolicy, BanditReward

MAX_VARIANTS = 10
"""An endpoint has at most 10 production variants."""
LAMBDA_MAX_EVENT_AGE = 6 * 3600
"""Lambda's ``MaximumEventAgeInSeconds`` is at most 6 hours (AWS::Lambda::EventInvokeConfig)."""
SCHEDULER_MAX_EVENT_AGE = 86400
"""EventBridge Scheduler's ``RetryPolicy.MaximumEventAgeInSeconds`` is at most 24 hours."""
LAMBDA_ENVIRONMENT_BYTES = 4096
"""Lambda: "The total size of all environment variables doesn't exceed 4 KB" (Lambda Developer Guide, quotas)."""
TOKEN_ESTIMATES = (63, 128, 256)
"""Bytes assumed at synth for values known only at deploy time: the endpoint's name (at most 63), the kill
switch's generated name, and each freeze alarm's name (at most 255)."""


class BanditTrafficAllocation(Construct):
    """Every ``every``, sets the endpoint's variant weights from each variant's reward over the last ``window``.

    An EventBridge Scheduler schedule invokes a Powertools function (ticks that overlap on a retry move at most one step together: each writes
    absolute weights bounded by ``max_step`` from what it read).
    It reads the kill switch (an SSM parameter, ``enabled`` or ``paused``), the ``freeze_on`` alarms and the
    endpoint; reads the reward with ``GetMetricData``; decides with Thompson sampling or epsilon-greedy
    (``lambdas/bandit/allocation.py``), each share at least ``min_weight`` and moving at most ``max_step`` per
    tick; and applies the weights with ``UpdateEndpointWeightsAndCapacities`` when a share moves by at least
    ``min_change``. It holds while any variant has fewer than ``min_trials`` trials in the window, and freezes
    while an alarm fires or the endpoint is not ``InService``. Every tick's decision is logged and counted
    (namespace ``SageMakerConstructs/Bandit``).

    The endpoint keeps the bandit's weights across stack updates (``endpoint.retain_variant_weights()``): with the
    bandit on, a variant's ``weight=`` only sets the initial split.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointBase,
        reward: BanditReward,
        policy: BanditPolicy | None = None,
        every: Duration | None = None,
        window: Duration | None = None,
        min_weight: float = 0.05,
        max_step: float = 0.2,
        min_trials: int = 100,
        min_change: float = 0.01,
        freeze_on: Sequence[cloudwatch.IAlarm] | None = None,
        enabled: bool = True,
        notifications: NotificationTopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        """Allocate ``endpoint``'s traffic by ``reward``.

        :param endpoint: the endpoint, created (``Endpoint``) or imported; 2-10 production variants.
        :param reward: each variant's reward; its keys are the variants the bandit allocates between.
        :param policy: Default: - ``BanditPolicy.thompson_sampling()``
        :param every: how often the bandit decides (1 minute or more, whole minutes). Default: 15 minutes
        :param window: the sliding window the reward is read over, ending at each tick (whole minutes, at least
            ``every``). A variant whose reward changes is re-learned within one window. Default: 6 hours
        :param min_weight: the smallest share any variant keeps, in [0, 1/variants]. Default: 0.05
        :param max_step: the largest change of a share in one tick, in (0, 1]. Default: 0.2
        :param min_trials: fewer trials than this on any variant in the window holds the weights. Default: 100
        :param min_change: weights are applied only when some share moves by at least this, in [0, 1).
            Default: 0.01
        :param freeze_on: alarms that freeze the weights while in ALARM. Default: - the endpoint's alarms
            (``endpoint.alarms``: rollback and operational) when the allocation is created
        :param enabled: False disables the schedule (nothing runs). The kill switch parameter pauses it at run
            time without a deploy. Default: True
        :param notifications: where the dead-letter alarm goes (a tick that failed after Lambda's retries).
            Default: - no alarm
        :param log_retention: Default: one year
        """
        check_argument_types(
            construct_path(scope, construct_id, "BanditTrafficAllocation"),
            BanditTrafficAllocation.__init__,
            locals(),
        )
        super().__init__(scope, construct_id)
        policy = policy or BanditPolicy.thompson_sampling()
        every = every or Duration.minutes(15)
        window = window or Duration.hours(6)
        self._validate(endpoint, reward, every, window, min_weight, max_step, min_trials, min_change)
        self.endpoint = endpoint
        self.reward = reward
        self.policy = policy
        self.variant_names: list[str] = reward.variant_names
        """The variants the bandit allocates between."""
        self.every = every
        self._freeze: list[cloudwatch.IAlarm] = list(freeze_on if freeze_on is not None else endpoint.alarms)

        self.kill_switch = ssm.StringParameter(
            self,
            "KillSwitch",
            string_value=contract.KILL_SWITCH_ENABLED,
            allowed_pattern="^(" + "|".join(contract.KILL_SWITCH_VALUES) + ")$",
            description=f"Bandit traffic allocation of endpoint {endpoint.endpoint_name_for_metrics}: "
            f"'{contract.KILL_SWITCH_ENABLED}' or '{contract.KILL_SWITCH_PAUSED}'",
        )
        """The kill switch: set it to ``paused`` (``aws ssm put-parameter --overwrite``) to stop the bandit."""
        self.dead_letter_queue: sqs.Queue = _dead_letter.dead_letter_queue(
            self, nag_reason="This queue is itself the dead-letter queue of the bandit's function."
        )
        """Ticks that failed after Lambda's retries."""
        environment = {
            contract.ENV_ENDPOINT_NAME: endpoint.endpoint_name,
            contract.ENV_VARIANTS: json.dumps(self.variant_names),
            contract.ENV_POLICY: policy.allocation_policy(reward),
            contract.ENV_EPSILON: repr(policy.epsilon),
            contract.ENV_REWARD_KIND: reward.kind,
            contract.ENV_QUERIES: reward.render(self, endpoint),
            contract.ENV_WINDOW_SECONDS: str(int(window.to_seconds())),
            contract.ENV_MIN_WEIGHT: repr(float(min_weight)),
            contract.ENV_MAX_STEP: repr(float(max_step)),
            contract.ENV_MIN_TRIALS: str(int(min_trials)),
            contract.ENV_MIN_CHANGE: repr(float(min_change)),
            contract.ENV_KILL_SWITCH_PARAMETER: self.kill_switch.parameter_name,
            contract.ENV_FREEZE_ALARMS: Lazy.string(_AlarmNames(self, self._freeze)),
            contract.POWERTOOLS_SERVICE_NAME: contract.SERVICE_NAME,
            contract.POWERTOOLS_METRICS_NAMESPACE: contract.METRICS_NAMESPACE,
        }
        built = powertools_function(
            self,
            handler=contract.HANDLER,
            description=f"Bandit traffic allocation of endpoint {endpoint.endpoint_name_for_metrics}",
            role_description="Bandit traffic allocation function (sagemaker-constructs)",
            timeout=Duration.minutes(1),
            memory_size=256,
            log_retention=log_retention,
            star_resource_reason="X-Ray tracing (PutTraceSegments) and cloudwatch:GetMetricData have no "
            "resource-level permissions.",
            environment=environment,
            # No reserved concurrency: a reservation fails deployment in accounts at the minimum unreserved
            # concurrency (new accounts have 10). Ticks that overlap (a retry beside the next tick) each write
            # absolute weights computed from what they read, so together they still move at most one step.
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
            retry_attempts=2,
            # A tick older than the next one is pointless (Lambda allows 1 minute to 6 hours).
            max_event_age=Duration.seconds(min(every.to_seconds(), LAMBDA_MAX_EVENT_AGE)),
        )
        self.function: lambda_.Function = built.function
        """The allocator function."""
        self.node.add_validation(_EnvironmentSize(self, environment))
        self.role: iam.Role = built.role
        self._grant(built.role)
        schedule_role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="Lets the bandit's schedule invoke its function (sagemaker-constructs)",
        )
        function_id = Stack.of(self).get_logical_id(self.function.node.default_child)  # type: ignore[arg-type]
        _nag.acknowledge(
            schedule_role,
            f"IAM5[Resource::<{function_id}.Arn>:*]",
            "aws-cdk-lib's Lambda grant_invoke also covers the function's versions and aliases (<arn>:*); the "
            "schedule invokes the unqualified function.",
        )
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            schedule=scheduler.ScheduleExpression.rate(every),
            time_window=scheduler.TimeWindow.off(),
            enabled=enabled,
            description=f"Bandit traffic allocation of endpoint {endpoint.endpoint_name_for_metrics}",
            target=scheduler_targets.LambdaInvoke(
                self.function,
                role=schedule_role,
                input=scheduler.ScheduleTargetInput.from_object(
                    {
                        contract.EVENT_SCHEDULED_TIME: scheduler.ContextAttribute.scheduled_time,
                        contract.EVENT_EXECUTION_ID: scheduler.ContextAttribute.execution_id,
                    }
                ),
                retry_attempts=3,
                max_event_age=Duration.seconds(min(every.to_seconds(), SCHEDULER_MAX_EVENT_AGE)),
                dead_letter_queue=self.dead_letter_queue,
            ),
        )
        """The EventBridge Scheduler schedule invoking the function every ``every``."""
        self.dead_letter_alarm: cloudwatch.Alarm | None = None
        """Alarms when a tick lands in the dead-letter queue (with ``notifications``)."""
        if notifications is not None:
            self.dead_letter_alarm = _dead_letter.dead_letter_alarm(
                self,
                self.dead_letter_queue,
                description=f"A bandit tick of endpoint {endpoint.endpoint_name_for_metrics} failed after retries",
                topic=notifications.topic,
            )
        if not endpoint.retain_variant_weights():
            Annotations.of(self).add_warning_v2(
                "sagemaker-constructs:bandit-imported-endpoint",
                "The endpoint is imported: call retain_variant_weights() on it in its own stack, or every stack "
                "update resets the bandit's weights to the endpoint config's.",
            )

    def _validate(
        self,
        endpoint: EndpointBase,
        reward: BanditReward,
        every: Duration,
        window: Duration,
        min_weight: float,
        max_step: float,
        min_trials: int,
        min_change: float,
    ) -> None:
        errors = ValidationErrors(f"BanditTrafficAllocation '{self.node.path}'")
        names = reward.variant_names
        if not 2 <= len(names) <= MAX_VARIANTS:
            errors.add(f"'reward' must name 2-{MAX_VARIANTS} variants, got {len(names)}: {names}")
        known = [v.name for v in endpoint.variants]
        if known and sorted(known) != sorted(names):
            errors.add(f"'reward' must name exactly the endpoint's production variants {known}, got {names}")
        errors.check_seconds("every", every, 60, 86400 * 365)
        errors.check_seconds("window", window, 60, 86400 * 15)
        seconds = {p: v.to_seconds(integral=False) for p, v in (("every", every), ("window", window))}
        for prop, value in seconds.items():
            if value % 60:
                errors.add(f"'{prop}' must be whole minutes, got {value:g} seconds")
        if seconds["window"] < seconds["every"]:
            errors.add(
                f"'window' must be at least 'every' ({seconds['every']:g} s), got {seconds['window']:g} s"
            )
        if names and not 0 <= min_weight <= 1 / len(names):
            errors.add(f"'min_weight' must be between 0 and 1/{len(names)} (variants), got {min_weight!r}")
        if not 0 < max_step <= 1:
            errors.add(f"'max_step' must be greater than 0 and at most 1, got {max_step!r}")
        errors.check_range("min_trials", min_trials, 0, 2**31 - 1, integer=True)
        if not 0 <= min_change < 1:
            errors.add(f"'min_change' must be at least 0 and less than 1, got {min_change!r}")
        errors.raise_if_any()

    def _grant(self, role: iam.Role) -> None:
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"],
            resource_arns=[self.endpoint.endpoint_arn],
        )
        # GetMetricData has no resource-level permissions (Service Authorization Reference, CloudWatch).
        iam.Grant.add_to_principal(grantee=role, actions=["cloudwatch:GetMetricData"], resource_arns=["*"])
        iam.Grant.add_to_principal(
            grantee=role, actions=["ssm:GetParameter"], resource_arns=[self.kill_switch.parameter_arn]
        )
        self._describe_alarms = iam.PolicyStatement(
            actions=["cloudwatch:DescribeAlarms"], resources=[a.alarm_arn for a in self._freeze]
        )
        if self._freeze:
            role.add_to_policy(self._describe_alarms)

    @checked_arguments
    def add_freeze_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Freeze the weights while ``alarm`` is in ALARM, besides ``freeze_on``."""
        if any(existing is alarm for existing in self._freeze):
            return
        self._freeze.append(alarm)
        self._describe_alarms.add_resources(alarm.alarm_arn)
        if len(self._freeze) == 1:
            self.role.add_to_policy(self._describe_alarms)

    @property
    def freeze_alarms(self) -> list[cloudwatch.IAlarm]:
        """The alarms that freeze the weights."""
        return list(self._freeze)

    def metric(self, metric_name: str, **dimensions: str) -> cloudwatch.Metric:
        """A metric the function emits (namespace ``SageMakerConstructs/Bandit``, dimensions ``service``,
        ``EndpointName`` and ``dimensions``). Statistic Average, period ``every``.

        :raises ValidationError: when ``VariantName`` is not one of ``variant_names``.
        """
        variant = dimensions.get(contract.DIMENSION_VARIANT)
        if variant is not None and variant not in self.variant_names:
            raise ValidationError(
                f"'variant' must be one of the bandit's variants {self.variant_names}, got {variant!r}"
            )
        return cloudwatch.Metric(
            namespace=contract.METRICS_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={
                "service": contract.SERVICE_NAME,
                contract.DIMENSION_ENDPOINT: self.endpoint.endpoint_name_for_metrics,
                **dimensions,
            },
            statistic="Average",
            period=self.every,
        )

    @checked_arguments
    def metric_weight(self, variant: str) -> cloudwatch.Metric:
        """The variant's share after each tick (0-1). Statistic Average, period ``every``."""
        return self.metric(contract.METRIC_WEIGHT, **{contract.DIMENSION_VARIANT: variant})

    @checked_arguments
    def metric_probability_best(self, variant: str) -> cloudwatch.Metric:
        """Thompson sampling: the posterior probability that the variant is best. Average, period ``every``."""
        return self.metric(contract.METRIC_PROBABILITY_BEST, **{contract.DIMENSION_VARIANT: variant})

    @checked_arguments
    def metric_posterior_mean(self, variant: str) -> cloudwatch.Metric:
        """The variant's posterior mean reward. Statistic Average, period ``every``."""
        return self.metric(contract.METRIC_POSTERIOR_MEAN, **{contract.DIMENSION_VARIANT: variant})

    @checked_arguments
    def metric_decisions(self, decision: str) -> cloudwatch.Metric:
        """Ticks that ended in ``decision`` (``applied``, ``held``, ``frozen``, ``paused``, ``insufficient-data``,
        ``malformed``). Statistic Sum, period 1 hour."""
        if decision not in contract.DECISIONS:
            raise ValidationError(f"'decision' must be one of {list(contract.DECISIONS)}, got {decision!r}")
        metric = self.metric(contract.METRIC_DECISIONS, **{contract.DIMENSION_DECISION: decision})
        return metric.with_(statistic="Sum", period=Duration.hours(1))


@jsii.implements(IStableStringProducer)
class _AlarmNames:
    """Renders the freeze alarms (some added after the function) as the function's JSON list of names."""

    def __init__(self, scope: Construct, alarms: list[cloudwatch.IAlarm]) -> None:
        self._stack = Stack.of(scope)
        self._alarms = alarms

    def produce(self) -> str:
        return self._stack.to_json_string([a.alarm_name for a in self._alarms])


@jsii.implements(IValidation)
class _EnvironmentSize:
    """Lambda refuses a function whose environment exceeds 4 KB: judged at synth, once the freeze alarms are
    known, with deploy-time names counted at their estimated length (``TOKEN_ESTIMATES``)."""

    def __init__(self, allocation: BanditTrafficAllocation, environment: dict[str, str]) -> None:
        self._allocation = allocation
        self._environment = environment

    def validate(self) -> list[str]:
        endpoint, parameter, alarm = TOKEN_ESTIMATES
        size = len(self._allocation.freeze_alarms) * alarm
        for key, value in self._environment.items():
            if key == contract.ENV_FREEZE_ALARMS:
                size += len(key) + 2
            elif not Token.is_unresolved(value):
                size += len(key) + len(value)
            elif key == contract.ENV_QUERIES:
                size += len(key) + len(Stack.of(self._allocation).resolve(value))
            else:
                size += len(key) + (endpoint if key == contract.ENV_ENDPOINT_NAME else parameter)
        if size <= LAMBDA_ENVIRONMENT_BYTES:
            return []
        return [
            f"the bandit's function environment needs about {size} bytes, Lambda allows {LAMBDA_ENVIRONMENT_BYTES}"
            " (4 KB): use fewer variants, shorter variant or metric names and dimensions, or fewer 'freeze_on'"
            " alarms"
        ]
