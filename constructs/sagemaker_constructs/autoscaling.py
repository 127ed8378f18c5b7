"""Auto scaling of one endpoint variant's instance count with target-tracking policies, and, for asynchronous
endpoints, scaling to zero and back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct

from ._validation import ValidationErrors

if TYPE_CHECKING:
    from .endpoint import Endpoint


class ScalableVariant(Construct):
    """The scalable instance count of one variant (``endpoint.variant(name).auto_scale(...)``).

    Every variant of an endpoint can scale: construct IDs and policy names include the variant name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: Endpoint,
        variant_name: str,
        min_capacity: int,
        max_capacity: int,
    ) -> None:
        """Register the variant with Application Auto Scaling (service-linked role)."""
        super().__init__(scope, construct_id)
        self._endpoint = endpoint
        self.variant_name = variant_name
        self.target = appscaling.ScalableTarget(
            self,
            "Target",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            # endpoint_name is a GetAtt: the target waits for the endpoint.
            resource_id=f"endpoint/{endpoint.endpoint_name}/variant/{variant_name}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
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
        if self._endpoint.async_inference is not None:
            raise ValueError(
                f"'on_invocations_per_instance' cannot scale variant {self.variant_name!r} of an asynchronous "
                "endpoint: it publishes no InvocationsPerInstance metric; use on_backlog_size_per_instance(...)"
            )
        self._validate("target", target, scale_in_cooldown, scale_out_cooldown, "InvocationsPerInstance")
        return self.target.scale_to_track_metric(
            "InvocationsPerInstance",
            target_value=target,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

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
        return self.on_metric(
            "CPUUtilization",
            self._endpoint.metric_cpu_utilization(self.variant_name),
            target_percent,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

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
            self._endpoint.metric_approximate_backlog_size_per_instance(),
            target,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

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
        errors = ValidationErrors(f"scaling policy 'ScaleOutFromZero' of variant '{self.variant_name}'")
        if "ScaleOutFromZero" in self._policy_ids:
            errors.add(f"'scale_out_from_zero' was already called for variant {self.variant_name!r}")
        errors.check_seconds("cooldown", cooldown, 0, 86400)
        errors.check_range("evaluation_periods", evaluation_periods, 1, 1440, integer=True)
        errors.check_range("instances", instances, 1, None, integer=True)
        errors.raise_if_any()
        self._policy_ids.add("ScaleOutFromZero")
        return self.target.scale_on_metric(
            "ScaleOutFromZero",
            metric=self._endpoint.metric_has_backlog_without_capacity(),
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
        return self.target.scale_to_track_metric(
            policy_id,
            target_value=target,
            custom_metric=metric,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

    def _require_async(self, method: str) -> None:
        if self._endpoint.async_inference is None:
            raise ValueError(
                f"'{method}' needs an asynchronous endpoint (async_inference=AsyncInference(...)), got the "
                f"real-time variant {self.variant_name!r}"
            )

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
