"""Auto scaling of one endpoint variant's instance count with target-tracking policies."""

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
