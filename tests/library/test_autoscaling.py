"""Per-variant auto scaling: every variant can scale; serverless and burstable variants cannot."""

from __future__ import annotations

import pytest
from aws_cdk import Duration, Stack
from aws_cdk.assertions import Match

from sagemaker_constructs import ContainerImage, Endpoint, Model, ProductionVariant, ServerlessVariant


def two_variant_endpoint(stack: Stack) -> Endpoint:
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    return Endpoint(
        stack,
        "Endpoint",
        variants=[
            ProductionVariant("champion", model=model, instance_count=2, weight=90),
            ProductionVariant("challenger", model=model, instance_count=1, weight=10),
            ProductionVariant("burst", model=model, instance_type="ml.t2.medium", weight=0),
        ],
    )


def test_every_variant_scales_independently(synth):
    def build(stack: Stack) -> None:
        endpoint = two_variant_endpoint(stack)
        endpoint.variant("champion").auto_scale(min_capacity=2, max_capacity=8).on_invocations_per_instance(
            700, scale_in_cooldown=Duration.minutes(10), scale_out_cooldown=Duration.minutes(1)
        )
        scaling = endpoint.variant("challenger").auto_scale(min_capacity=1, max_capacity=3)
        scaling.on_cpu_utilization(60, disable_scale_in=True)
        scaling.on_metric("Memory", endpoint.metric_memory_utilization("challenger"), 70)

    template = synth(build)
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 2)
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 3)
    for variant, low, high in (("champion", 2, 8), ("challenger", 1, 3)):
        template.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalableTarget",
            {
                "ServiceNamespace": "sagemaker",
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "MinCapacity": low,
                "MaxCapacity": high,
                "ResourceId": {
                    "Fn::Join": [
                        "",
                        [
                            "endpoint/",
                            {"Fn::GetAtt": [Match.any_value(), "EndpointName"]},
                            f"/variant/{variant}",
                        ],
                    ]
                },
            },
        )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
                "TargetValue": 700,
                "ScaleInCooldown": 600,
                "ScaleOutCooldown": 60,
            },
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": {
                "CustomizedMetricSpecification": {
                    "MetricName": "CPUUtilization",
                    "Namespace": "/aws/sagemaker/Endpoints",
                    "Statistic": "Average",
                    "Dimensions": Match.array_with([{"Name": "VariantName", "Value": "challenger"}]),
                },
                "TargetValue": 60,
                "DisableScaleIn": True,
            }
        },
    )
    # Updates keep the scaled instance counts but apply new weights.
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "RetainAllVariantProperties": True,
            "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "DesiredWeight"}],
        },
    )


def test_without_scaling_counts_are_not_retained(synth):
    template = synth(two_variant_endpoint)
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint", {"RetainAllVariantProperties": Match.absent()}
    )


def test_burstable_instances_cannot_scale(stack):
    endpoint = two_variant_endpoint(stack)
    with pytest.raises(
        ValueError, match=r"burstable instance type 'ml.t2.medium'; auto scaling needs a non-burstable"
    ):
        endpoint.variant("burst").auto_scale(min_capacity=1, max_capacity=2)


def test_serverless_cannot_scale_instances(stack):
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    endpoint = Endpoint(stack, "E", variants=[ServerlessVariant("s", model=model)])
    with pytest.raises(ValueError, match="variant 's' is serverless"):
        endpoint.variant("s").auto_scale(min_capacity=1, max_capacity=2)


def test_capacity_bounds(stack):
    endpoint = two_variant_endpoint(stack)
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        endpoint.variant("champion").auto_scale(min_capacity=5, max_capacity=3)
    message = str(excinfo.value)
    assert "'min_capacity' (5) must be at most 'max_capacity', got 3" in message
    assert (
        "the variant's instance_count (2) must lie between 'min_capacity' and 'max_capacity', got 5-3"
        in message
    )


def test_scale_once_and_unique_policies(stack):
    endpoint = two_variant_endpoint(stack)
    scaling = endpoint.variant("champion").auto_scale(min_capacity=1, max_capacity=3)
    with pytest.raises(ValueError, match="'auto_scale' was already called for variant 'champion'"):
        endpoint.variant("champion").auto_scale(min_capacity=1, max_capacity=3)
    scaling.on_invocations_per_instance(100)
    with pytest.raises(
        ValueError, match="a policy 'InvocationsPerInstance' already exists on variant 'champion'"
    ):
        scaling.on_invocations_per_instance(200)
    with pytest.raises(ValueError, match=r"'target' must be at least 0.0001, got 0"):
        scaling.on_cpu_utilization(0)


def test_scaling_uses_the_service_linked_role(synth):
    def build(stack: Stack) -> None:
        two_variant_endpoint(stack).variant("champion").auto_scale(min_capacity=1, max_capacity=3)

    template = synth(build)
    template.resource_count_is("AWS::IAM::Role", 1)  # only the model's execution role
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "RoleARN": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":iam::",
                        {"Ref": "AWS::AccountId"},
                        ":role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                    ],
                ]
            }
        },
    )
