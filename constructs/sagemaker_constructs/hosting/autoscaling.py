"""Auto scaling of one endpoint variant's instance count with target-tracking policies, and, for asynchronous
endpoints, scaling to zero and back.

Changing the instance type of a scaled variant. AWS: "If the update would change the instance type for any model
that is a target for auto scaling, the update fails ... Before you update the endpoint, delete any scaling policies
configured for it and deregister the variant as a scalable target ... After you update the endpoint, you can
register the updated variant as a scalable target and attach a scaling policy"
(https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html). CloudFormation updates the
endpoint before the scalable target, which references it, so the library orders that procedure around the update
with two custom resources whose properties carry the variant's instance type, so that they run only when it
changes:

1. ``PauseScaling`` (the endpoint depends on it) calls ``DeregisterScalableTarget`` before the endpoint update;
   Application Auto Scaling deletes the target's policies with it.
2. The endpoint update (``UpdateEndpoint``) then succeeds.
3. ``ResumeScaling`` (it depends on the endpoint and the target) calls ``RegisterScalableTarget`` with the
   target's own capacity, so the ``AWS::ApplicationAutoScaling::ScalableTarget`` resource is true again.
4. The scaling policies (and step-scaling alarms) live under a construct named after the instance type, so they
   are new resources with new names, created after ``ResumeScaling``; the old ones, already deleted with the
   target, are removed at cleanup.

A scalable target cannot simply be given a new logical ID instead: the old and new resources would share one
Application Auto Scaling identity (resource ID, dimension, namespace), and deleting the old one at cleanup would
deregister the new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from sagemaker_constructs._internal.validation import (
    ValidationError,
    ValidationErrors,
    checked_arguments,
    is_token,
)

from . import _scaling_pause
from ._scaling_pause import AWS_CUSTOM_RESOURCE_PROVIDER_ID as AWS_CUSTOM_RESOURCE_PROVIDER_ID

INSTANCE_COUNT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
"""The scalable dimension of an instance variant's instance count."""
PROVISIONED_CONCURRENCY_DIMENSION = "sagemaker:variant:DesiredProvisionedConcurrency"
"""The scalable dimension of a serverless variant's provisioned concurrency (Application Auto Scaling API,
ScalableDimension; https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-autoscale.html)."""


@dataclass(frozen=True, kw_only=True)
class ScalingMetrics:
    """The metrics a ``ScalableVariant``'s target-tracking and step-scaling helpers scale on, handed over by
    whoever owns the variant (``Endpoint`` fills it from its ``metric_*`` methods).

    A helper whose metric is missing raises a ``ValidationError``.
    """

    cpu_utilization: cloudwatch.IMetric | None = None
    """The variant's ``CPUUtilization`` (``on_cpu_utilization``). Default: - none"""
    backlog_size_per_instance: cloudwatch.IMetric | None = None
    """Asynchronous endpoints: ``ApproximateBacklogSizePerInstance`` (``on_backlog_size_per_instance``).
    Default: - none"""
    has_backlog_without_capacity: cloudwatch.IMetric | None = None
    """Asynchronous endpoints: ``HasBacklogWithoutCapacity`` (``scale_out_from_zero``). Default: - none"""


class ScalableVariant(Construct):
    """The scalable instance count (or provisioned concurrency) of one endpoint variant, usually made by
    ``endpoint.variant(name).auto_scale(...)``.

    It knows the variant only by its Application Auto Scaling resource ID and the metrics it is handed, as
    aws-cdk's ``ScalableInstanceCount`` knows only its resource ID. Every variant of an endpoint can scale:
    construct IDs and policy names include the variant name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_id: str,
        variant_name: str,
        min_capacity: int,
        max_capacity: int,
        scalable_dimension: str = INSTANCE_COUNT_DIMENSION,
        is_async: bool = False,
        metrics: ScalingMetrics | None = None,
        instance_type: str | None = None,
        synth_time_resource_id: str | None = None,
    ) -> None:
        """Register the variant with Application Auto Scaling (service-linked role).

        :param resource_id: the scalable target's resource ID, ``endpoint/<endpoint name>/variant/<variant name>``.
            Built from the endpoint's ``endpoint_name`` attribute, the target waits for the endpoint.
        :param variant_name: the variant's name (messages and policy names).
        :param min_capacity: the lowest capacity.
        :param max_capacity: the highest capacity.
        :param scalable_dimension: ``INSTANCE_COUNT_DIMENSION``, or ``PROVISIONED_CONCURRENCY_DIMENSION`` for a
            serverless variant. Default: INSTANCE_COUNT_DIMENSION
        :param is_async: whether the variant belongs to an asynchronous endpoint (scale to zero, backlog
            policies). Default: False
        :param metrics: the metrics the helpers scale on. Default: - none: ``on_cpu_utilization``,
            ``on_backlog_size_per_instance`` and ``scale_out_from_zero`` are refused.
        :param instance_type: the variant's instance type: when it changes, scaling is paused around the
            endpoint update (see the module docstring), and the endpoint must depend on ``pause``.
            Default: - no pause (serverless variants)
        :param synth_time_resource_id: ``resource_id`` with the endpoint name known at synth time, which the
            pause uses (the endpoint depends on the pause, so the pause cannot reference it).
            Default: - ``resource_id``
        """
        super().__init__(scope, construct_id)
        self.resource_id = resource_id
        """The scalable target's resource ID."""
        self.variant_name = variant_name
        self.scalable_dimension = scalable_dimension
        self.is_async = is_async
        """Whether the variant belongs to an asynchronous endpoint."""
        self._metrics = metrics or ScalingMetrics()
        self.target = appscaling.ScalableTarget(
            self,
            "Target",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=resource_id,
            scalable_dimension=scalable_dimension,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            # Without a role, CDK creates an empty one; SageMaker variants scale with this service-linked role,
            # which Application Auto Scaling creates on first use.
            role=iam.Role.from_role_arn(
                self,
                "ServiceLinkedRole",
                Stack.of(self).format_arn(
                    service="iam",
                    region="",
                    resource="role",
                    resource_name="aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                ),
                mutable=False,
            ),
        )
        self._policy_ids: set[str] = set()
        self._policy_scope: Construct = self
        self.pause: cr.AwsCustomResource | None = None
        """Deregisters the target before an instance type change: the endpoint must depend on it."""
        self.resume: cr.AwsCustomResource | None = None
        """Registers the target again after the endpoint update."""
        if instance_type is not None and not is_token(instance_type):
            self._pause_around_instance_type_changes(
                instance_type, synth_time_resource_id or resource_id, min_capacity, max_capacity
            )

    def _pause_around_instance_type_changes(
        self, instance_type: str, static_id: str, min_capacity: int, max_capacity: int
    ) -> None:
        self.pause, self.resume = _scaling_pause.pause_around_instance_type_changes(
            self,
            resource_id=self.resource_id,
            static_id=static_id,
            scalable_dimension=self.scalable_dimension,
            instance_type=instance_type,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )
        self.resume.node.add_dependency(self.target)
        # Policies under a scope named after the instance type: new resources (and names) after each change.
        self._policy_scope = Construct(self, "For-" + re.sub(r"[^A-Za-z0-9-]", "-", instance_type))
        self._policy_scope.node.add_dependency(self.resume)

    @checked_arguments
    def on_invocations_per_instance(
        self,
        target: float,
        *,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track ``SageMakerVariantInvocationsPerInstance`` (requests per instance per minute).

        :param target: the requests per instance per minute to hold.
        :param scale_in_cooldown: Default: - 300 seconds (Application Auto Scaling's default).
        :param scale_out_cooldown: Default: - 300 seconds.
        :param disable_scale_in: never remove instances. Default: False
        """
        self._require_instances("on_invocations_per_instance")
        if self.is_async:
            raise ValidationError(
                f"'on_invocations_per_instance' cannot scale variant {self.variant_name!r} of an asynchronous "
                "endpoint: it publishes no InvocationsPerInstance metric; use on_backlog_size_per_instance(...)"
            )
        self._validate("target", target, scale_in_cooldown, scale_out_cooldown, "InvocationsPerInstance")
        return appscaling.TargetTrackingScalingPolicy(
            self._policy_scope,
            "InvocationsPerInstance",
            scaling_target=self.target,
            target_value=target,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

    @checked_arguments
    def on_cpu_utilization(
        self,
        target_percent: float,
        *,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track the average ``CPUUtilization`` of the variant's instances.

        SageMaker sums CPU over cores (0-100% times the core count): on a 4-vCPU type, 200 means half busy.

        :param target_percent: the CPU utilization to hold.
        :param scale_in_cooldown: Default: - 300 seconds.
        :param scale_out_cooldown: Default: - 300 seconds.
        :param disable_scale_in: never remove instances. Default: False
        """
        self._require_instances("on_cpu_utilization")
        return self.on_metric(
            "CPUUtilization",
            self._metric("on_cpu_utilization", self._metrics.cpu_utilization, "cpu_utilization"),
            target_percent,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

    @checked_arguments
    def on_backlog_size_per_instance(
        self,
        target: float,
        *,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Asynchronous endpoints: track ``ApproximateBacklogSizePerInstance`` (queued requests per instance,
        statistic Average), the policy AWS recommends for asynchronous endpoints.

        With ``min_capacity=0`` it scales the variant in to zero when the queue is empty. It only scales out
        from zero once the backlog exceeds ``target``: add ``scale_out_from_zero()`` to react to the first
        request.

        :param target: the queued requests per instance to hold, e.g. 5.
        :param scale_in_cooldown: Default: - 300 seconds.
        :param scale_out_cooldown: Default: - 300 seconds.
        :param disable_scale_in: never remove instances. Default: False
        """
        self._require_async("on_backlog_size_per_instance")
        return self.on_metric(
            "BacklogSizePerInstance",
            self._metric(
                "on_backlog_size_per_instance",
                self._metrics.backlog_size_per_instance,
                "backlog_size_per_instance",
            ),
            target,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

    @checked_arguments
    def scale_out_from_zero(
        self,
        *,
        cooldown: Duration = Duration.minutes(5),
        evaluation_periods: int = 2,
        instances: int = 1,
    ) -> appscaling.StepScalingPolicy:
        """Asynchronous endpoints: add ``instances`` when requests wait and the variant has no instance.

        A step-scaling policy on ``HasBacklogWithoutCapacity`` (statistic Average, 1-minute periods) whose
        alarm fires at 1 or more for ``evaluation_periods`` consecutive minutes, as AWS documents for scaling
        an asynchronous endpoint up from zero. It never removes instances.

        :param cooldown: wait after a scaling activity before the next, 0-86400 s. Default: 5 minutes
        :param evaluation_periods: consecutive 1-minute periods with a backlog and no instance. Default: 2
        :param instances: instances to add, at least 1. Default: 1
        """
        self._require_async("scale_out_from_zero")
        metric = self._metric(
            "scale_out_from_zero", self._metrics.has_backlog_without_capacity, "has_backlog_without_capacity"
        )
        errors = ValidationErrors(f"scaling policy 'ScaleOutFromZero' of variant '{self.variant_name}'")
        if "ScaleOutFromZero" in self._policy_ids:
            errors.add(f"'scale_out_from_zero' was already called for variant {self.variant_name!r}")
        errors.check_seconds("cooldown", cooldown, 0, 86400)
        errors.check_range("evaluation_periods", evaluation_periods, 1, 1440, integer=True)
        errors.check_range("instances", instances, 1, None, integer=True)
        errors.raise_if_any()
        self._policy_ids.add("ScaleOutFromZero")
        return appscaling.StepScalingPolicy(
            self._policy_scope,
            "ScaleOutFromZero",
            scaling_target=self.target,
            metric=metric,
            # Only the upper step acts: a no-op step below 1 keeps CDK from creating a scale-in alarm.
            scaling_steps=[
                appscaling.ScalingInterval(upper=1, change=0),
                appscaling.ScalingInterval(lower=1, change=instances),
            ],
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            metric_aggregation_type=appscaling.MetricAggregationType.AVERAGE,
            cooldown=cooldown,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
        )

    @checked_arguments
    def on_metric(
        self,
        policy_id: str,
        metric: cloudwatch.IMetric,
        target: float,
        *,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Track any utilization metric that falls as instances are added.

        :param policy_id: a construct ID for the policy, unique on this variant.
        :param metric: the metric, e.g. ``endpoint.metric_memory_utilization("champion")``.
        :param target: the value to hold.
        :param scale_in_cooldown: Default: - 300 seconds.
        :param scale_out_cooldown: Default: - 300 seconds.
        :param disable_scale_in: never remove instances. Default: False
        """
        self._validate("target", target, scale_in_cooldown, scale_out_cooldown, policy_id)
        return appscaling.TargetTrackingScalingPolicy(
            self._policy_scope,
            policy_id,
            scaling_target=self.target,
            target_value=target,
            custom_metric=metric,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

    @checked_arguments
    def on_provisioned_concurrency_utilization(
        self,
        target: float,
        *,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy:
        """Serverless variants: track ``SageMakerVariantProvisionedConcurrencyUtilization``, the share of the
        provisioned concurrency in use (the predefined metric AWS documents for serverless provisioned
        concurrency, serverless-endpoints-autoscale).

        :param target: the utilization to hold, e.g. 0.5.
        :param scale_in_cooldown: Default: - 300 seconds.
        :param scale_out_cooldown: Default: - 300 seconds.
        :param disable_scale_in: never lower the provisioned concurrency. Default: False
        """
        if self.scalable_dimension != PROVISIONED_CONCURRENCY_DIMENSION:
            raise ValidationError(
                f"'on_provisioned_concurrency_utilization' needs a serverless variant with provisioned_concurrency, "
                f"got the instance variant {self.variant_name!r}"
            )
        self._validate(
            "target", target, scale_in_cooldown, scale_out_cooldown, "ProvisionedConcurrencyUtilization"
        )
        return appscaling.TargetTrackingScalingPolicy(
            self._policy_scope,
            "ProvisionedConcurrencyUtilization",
            scaling_target=self.target,
            target_value=target,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY_UTILIZATION,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

    def _require_instances(self, method: str) -> None:
        if self.scalable_dimension != INSTANCE_COUNT_DIMENSION:
            raise ValidationError(
                f"'{method}' scales instances, but variant {self.variant_name!r} is serverless: use "
                "on_provisioned_concurrency_utilization(...)"
            )

    def _require_async(self, method: str) -> None:
        if not self.is_async:
            raise ValidationError(
                f"'{method}' needs an asynchronous endpoint (async_inference=AsyncInference(...)), got the "
                f"real-time variant {self.variant_name!r}"
            )

    def _metric(self, method: str, metric: cloudwatch.IMetric | None, field: str) -> cloudwatch.IMetric:
        if metric is None:
            raise ValidationError(
                f"'{method}' needs ScalingMetrics({field}=...) in 'metrics' of the ScalableVariant of variant "
                f"{self.variant_name!r}, got none"
            )
        return metric

    def _validate(
        self,
        prop: str,
        target: float,
        scale_in_cooldown: Duration | None,
        scale_out_cooldown: Duration | None,
        policy_id: str,
    ) -> None:
        errors = ValidationErrors(f"scaling policy '{policy_id}' of variant '{self.variant_name}'")
        if policy_id in self._policy_ids:
            errors.add(f"a policy '{policy_id}' already exists on variant {self.variant_name!r}")
        errors.check_range(prop, target, 0.0001, None)
        errors.check_seconds("scale_in_cooldown", scale_in_cooldown, 0, 86400)
        errors.check_seconds("scale_out_cooldown", scale_out_cooldown, 0, 86400)
        errors.raise_if_any()
        self._policy_ids.add(policy_id)
