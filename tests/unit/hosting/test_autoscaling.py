"""Per-variant auto scaling: instance variants scale their instances, serverless variants their provisioned
concurrency; burstable variants cannot scale."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk.assertions import Match
from botocore.session import get_session
from botocore.validate import validate_parameters
from moto import mock_aws

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


def test_serverless_without_provisioned_concurrency_cannot_scale(stack):
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    endpoint = Endpoint(stack, "E", variants=[ServerlessVariant("s", model=model)])
    with pytest.raises(ValueError, match="variant 's' is serverless without 'provisioned_concurrency'"):
        endpoint.variant("s").auto_scale(min_capacity=1, max_capacity=2)


def test_serverless_provisioned_concurrency_scales(synth):
    """AWS documents auto scaling of serverless provisioned concurrency: dimension
    sagemaker:variant:DesiredProvisionedConcurrency, predefined metric
    SageMakerVariantProvisionedConcurrencyUtilization (serverless-endpoints-autoscale)."""

    def build(stack: Stack) -> None:
        model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        endpoint = Endpoint(
            stack,
            "E",
            variants=[ServerlessVariant("s", model=model, max_concurrency=20, provisioned_concurrency=5)],
        )
        scaling = endpoint.variant("s").auto_scale(min_capacity=1, max_capacity=10)
        scaling.on_provisioned_concurrency_utilization(0.5)
        for method in (scaling.on_invocations_per_instance, scaling.on_cpu_utilization):
            with pytest.raises(ValueError, match="scales instances, but variant 's' is serverless"):
                method(5)

    template = synth(build)
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency",
            "ServiceNamespace": "sagemaker",
            "MinCapacity": 1,
            "MaxCapacity": 10,
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "TargetValue": 0.5,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"
                    },
                }
            )
        },
    )


def test_serverless_provisioned_concurrency_bounds(stack):
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    endpoint = Endpoint(
        stack,
        "E",
        variants=[ServerlessVariant("s", model=model, max_concurrency=20, provisioned_concurrency=5)],
    )
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        endpoint.variant("s").auto_scale(min_capacity=0, max_capacity=30)
    message = str(excinfo.value)
    assert "'min_capacity' must be at least 1, got 0" in message
    assert "'max_capacity' must be between 1 and 20, got 30" in message
    instances = two_variant_endpoint(Stack()).variant("champion").auto_scale(min_capacity=1, max_capacity=3)
    with pytest.raises(ValueError, match="needs a serverless variant with provisioned_concurrency"):
        instances.on_provisioned_concurrency_utilization(0.5)


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
    # No role for Application Auto Scaling: the model's execution role, and the function that pauses scaling
    # around instance type changes.
    principals = sorted(
        st["Principal"]["Service"]
        for role in template.find_resources("AWS::IAM::Role").values()
        for st in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    )
    assert principals == ["lambda.amazonaws.com", "sagemaker.amazonaws.com"]
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


# ------------------------------------------------- changing the instance type of a scaled variant (update path)


APPLICATION_AUTOSCALING = get_session().get_service_model("application-autoscaling")


def _scaled_endpoint(instance_type: str) -> Callable[[Stack], None]:
    def build(stack: Stack) -> None:
        model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        endpoint = Endpoint(
            stack,
            "Endpoint",
            variants=[ProductionVariant("v", model=model, instance_type=instance_type, instance_count=2)],
            endpoint_name="churn",
        )
        scaling = endpoint.variant("v").auto_scale(min_capacity=2, max_capacity=6)
        scaling.on_invocations_per_instance(700)

    return build


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for item in value.values():
            found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def _waits_for(resources: dict[str, Any]) -> dict[str, set[str]]:
    """What CloudFormation makes each resource wait for (Ref, GetAtt, DependsOn), transitively."""
    direct = {
        logical: (_references(r.get("Properties", {})) | set(r.get("DependsOn", []))) & resources.keys()
        for logical, r in resources.items()
    }
    closure: dict[str, set[str]] = {}

    def visit(logical: str) -> set[str]:
        if logical not in closure:
            closure[logical] = set()
            for dep in direct[logical]:
                closure[logical] |= {dep, *visit(dep)}
        return closure[logical]

    for logical in resources:
        visit(logical)
    return closure


def _sdk_call(resource: dict[str, Any], endpoint_name: str) -> dict[str, Any]:
    """The AwsCustomResource's update call, with the endpoint's name in place of its GetAtt."""
    raw = resource["Properties"]["Update"]
    if isinstance(raw, dict):
        raw = "".join(p if isinstance(p, str) else endpoint_name for p in raw["Fn::Join"][1])
    call: dict[str, Any] = json.loads(raw)
    return call


def test_changing_the_instance_type_of_a_scaled_variant_deploys(synth):
    """AWS: an UpdateEndpoint that changes the instance type of a variant registered with Application Auto Scaling
    fails; deregister it first, register it again after (endpoint-scaling-update). CloudFormation updates the
    endpoint before the target that references it, so the pause must come before the endpoint and the resume
    after it, and run only when the instance type changes."""
    before, same, after = (synth(_scaled_endpoint(t)).to_json()["Resources"]
                           for t in ("ml.c5.xlarge", "ml.c5.xlarge", "ml.m5.xlarge"))  # fmt: skip

    def by_action(resources: dict[str, Any], action: str) -> str:
        (logical,) = [
            k for k, r in resources.items() if r["Type"] == "Custom::AWS" and action in json.dumps(r)
        ]
        return logical

    pause, resume = by_action(after, "DeregisterScalableTarget"), by_action(after, "RegisterScalableTarget")
    assert {pause, resume} == {
        by_action(before, "DeregisterScalableTarget"),
        by_action(before, "RegisterScalableTarget"),
    }
    # CloudFormation calls a custom resource's Update only when its properties change: here only with the type.
    assert before[pause]["Properties"] == same[pause]["Properties"] != after[pause]["Properties"]
    assert before[resume]["Properties"] == same[resume]["Properties"] != after[resume]["Properties"]
    (target,) = [k for k, r in after.items() if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"]
    assert before[target] == after[target]  # same target, unchanged: the resume re-registers it as it is
    (endpoint,) = [k for k, r in after.items() if r["Type"] == "AWS::SageMaker::Endpoint"]

    # The update order CloudFormation follows: pause < endpoint < resume < the (new) scaling policies.
    waits = _waits_for(after)
    assert pause in waits[endpoint]
    assert endpoint in waits[resume]
    assert target in waits[resume]
    policies = {k for k, r in after.items() if r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"}
    assert policies
    assert all(resume in waits[p] for p in policies)
    assert endpoint not in waits[pause]
    # The policies are new resources with new names: the old ones went with the deregistered target.
    old_policies = {k for k, r in before.items() if r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"}
    assert not policies & old_policies
    assert {after[p]["Properties"]["PolicyName"] for p in policies}.isdisjoint(
        {before[p]["Properties"]["PolicyName"] for p in old_policies}
    )

    # The calls, checked against botocore's Application Auto Scaling model and run against moto.
    deregister, register = _sdk_call(after[pause], "churn"), _sdk_call(after[resume], "churn")
    assert (deregister["action"], register["action"]) == (
        "DeregisterScalableTarget",
        "RegisterScalableTarget",
    )
    for call in (deregister, register):
        assert call["service"] == "ApplicationAutoScaling"
        # botocore's own validator (required members, types, ranges): the shared service_model fixture cannot
        # compile this model's Java-style \u patterns.
        operation = APPLICATION_AUTOSCALING.operation_model(call["action"])
        validate_parameters(call["parameters"], operation.input_shape)
    assert register["parameters"]["MinCapacity"] == after[target]["Properties"]["MinCapacity"] == 2
    assert register["parameters"]["MaxCapacity"] == after[target]["Properties"]["MaxCapacity"] == 6
    assert (
        deregister["parameters"]["ResourceId"]
        == register["parameters"]["ResourceId"]
        == "endpoint/churn/variant/v"
    )
    assert "ObjectNotFoundException" in json.dumps(
        after[pause]["Properties"]["Create"]
        if "Create" in after[pause]["Properties"]
        else after[pause]["Properties"]["Update"]
    )

    with mock_aws():
        client = boto3.client("application-autoscaling", region_name="eu-west-1")
        ids = {k: register["parameters"][k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")}
        client.register_scalable_target(**ids, MinCapacity=2, MaxCapacity=6)
        client.put_scaling_policy(
            PolicyName="old", PolicyType="TargetTrackingScaling", **ids,
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 700,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            },
        )  # fmt: skip
        client.deregister_scalable_target(**deregister["parameters"])
        assert client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
        client.register_scalable_target(**register["parameters"])
        (restored,) = client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        assert (restored["MinCapacity"], restored["MaxCapacity"]) == (2, 6)


def test_a_scaled_variant_of_an_endpoint_named_by_a_parameter(synth):
    """The pause's ARNs lower-case a literal endpoint name (as SageMaker's ARNs do) but keep a token intact."""

    def build(stack: Stack) -> None:
        name = CfnParameter(stack, "EndpointName", default="churn").value_as_string
        model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        endpoint = Endpoint(stack, "E", variants=[ProductionVariant("v", model=model)], endpoint_name=name)
        endpoint.variant("v").auto_scale(min_capacity=1, max_capacity=2).on_cpu_utilization(60)

    roles = json.dumps(synth(build).find_resources("AWS::IAM::Role"))
    assert '"Ref": "EndpointName"' in roles


# ------------------------------------------------------------------ one role for pausing scaling, per stack


def _two_scaled_variants(stack: Stack, endpoint_id: str, name: str) -> None:
    model = Model(stack, f"{endpoint_id}Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    endpoint = Endpoint(
        stack,
        endpoint_id,
        variants=[
            ProductionVariant("a", model=model, instance_type="ml.c5.xlarge", weight=1),
            ProductionVariant("b", model=model, instance_type="ml.c5.xlarge", weight=1),
        ],
        endpoint_name=name,
    )
    for variant in ("a", "b"):
        endpoint.variant(variant).auto_scale(min_capacity=1, max_capacity=2).on_invocations_per_instance(100)


def _pause_role(template: Any) -> dict[str, Any]:
    (function,) = [
        f for f in template.find_resources("AWS::Lambda::Function").values()
        if "AWS679f53fac002430cb0da5b7982bd2287" in json.dumps(f) or f["Properties"].get("Handler") == "index.handler"
    ]  # fmt: skip
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role: dict[str, Any] = template.to_json()["Resources"][role_id]
    return role


def test_the_pause_and_resume_calls_of_a_stack_share_one_role_without_policy_resources(synth):
    """Two endpoints with two scaled variants each: 8 custom resources, one role, no AWS::IAM::Policy for them
    (before: one per custom resource); the role holds exactly the statements each call had."""

    def build(stack: Stack) -> None:
        _two_scaled_variants(stack, "First", "first")
        _two_scaled_variants(stack, "Second", "Second")

    template = synth(build)
    template.resource_count_is("Custom::AWS", 8)
    policies = template.find_resources("AWS::IAM::Policy")
    assert not [p for p in policies.values() if "ScalableTarget" in json.dumps(p)]
    role = _pause_role(template)
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    assert "AWSLambdaBasicExecutionRole" in json.dumps(role["Properties"]["ManagedPolicyArns"])
    (inline,) = role["Properties"]["Policies"]
    statements = inline["PolicyDocument"]["Statement"]

    def arn(resource: Any) -> str:
        return "".join(p if isinstance(p, str) else "~" for p in resource["Fn::Join"][1])

    assert [(st["Action"], st["Resource"] if st["Resource"] == "*" else None) for st in statements] == [
        (
            [
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:RegisterScalableTarget",
            ],
            "*",
        ),
        (["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"], None),
        ("sagemaker:DescribeEndpointConfig", None),
    ]
    # Each endpoint once, lower-cased as SageMaker writes endpoint ARNs; configs of this stack's account only.
    assert sorted(arn(r) for r in statements[1]["Resource"]) == [
        "arn:~:sagemaker:~:~:endpoint/first",
        "arn:~:sagemaker:~:~:endpoint/second",
    ]
    assert arn(statements[2]["Resource"]) == "arn:~:sagemaker:~:~:endpoint-config/*"
    assert all(st["Effect"] == "Allow" and "Condition" not in st for st in statements)


def test_a_stack_whose_custom_resource_function_exists_keeps_a_policy_per_call(synth):
    """CDK's provider function is a singleton: when another AwsCustomResource made it first, a role given later
    would be ignored, so the calls keep their own policies, attached to that function's role."""
    from aws_cdk import custom_resources as cr

    def build(stack: Stack) -> None:
        cr.AwsCustomResource(
            stack,
            "Other",
            on_create=cr.AwsSdkCall(
                service="SSM", action="GetParameter", parameters={"Name": "p"},
                physical_resource_id=cr.PhysicalResourceId.of("p"),
            ),
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
                resources=[stack.format_arn(service="ssm", resource="parameter", resource_name="p")]
            ),
            install_latest_aws_sdk=False,
        )  # fmt: skip
        _two_scaled_variants(stack, "First", "first")

    template = synth(build, nag=False)
    policies = template.find_resources("AWS::IAM::Policy")
    assert len([p for p in policies.values() if "RegisterScalableTarget" in json.dumps(p)]) == 4
    assert "SageMakerScalingPauseRole" not in json.dumps(template.to_json())


# ------------------------------------------------------------------ scaling knows nothing of the endpoint


def test_autoscaling_imports_no_endpoint_module():
    import ast
    from pathlib import Path

    import sagemaker_constructs.hosting.autoscaling as autoscaling

    tree = ast.parse(Path(autoscaling.__file__).read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert not [m for m in imported if "endpoint" in m]


def test_a_scalable_variant_is_given_a_resource_id_and_metrics(synth):
    from aws_cdk import aws_cloudwatch as cloudwatch

    from sagemaker_constructs import ScalableVariant, ScalingMetrics

    cpu = cloudwatch.Metric(
        namespace="/aws/sagemaker/Endpoints",
        metric_name="CPUUtilization",
        dimensions_map={"EndpointName": "elsewhere", "VariantName": "v"},
        statistic="Average",
    )

    def build(stack: Stack) -> None:
        scaling = ScalableVariant(
            stack,
            "Scaling",
            resource_id="endpoint/elsewhere/variant/v",
            variant_name="v",
            min_capacity=1,
            max_capacity=3,
            metrics=ScalingMetrics(cpu_utilization=cpu),
        )
        scaling.on_cpu_utilization(60)
        assert scaling.pause is None
        assert scaling.resume is None

    template = synth(build)
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"ResourceId": "endpoint/elsewhere/variant/v", "MinCapacity": 1, "MaxCapacity": 3},
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "TargetValue": 60,
                    "CustomizedMetricSpecification": Match.object_like(
                        {
                            "MetricName": "CPUUtilization",
                            "Dimensions": Match.array_with([{"Name": "EndpointName", "Value": "elsewhere"}]),
                        }
                    ),
                }
            )
        },
    )


def test_a_scalable_variant_without_the_metric_refuses_its_helper(stack):
    from sagemaker_constructs import ScalableVariant

    scaling = ScalableVariant(
        stack, "Scaling", resource_id="endpoint/e/variant/v", variant_name="v", min_capacity=0, max_capacity=2,
        is_async=True,
    )  # fmt: skip
    with pytest.raises(
        ValueError, match=r"'on_cpu_utilization' needs ScalingMetrics\(cpu_utilization=\.\.\.\)"
    ):
        scaling.on_cpu_utilization(60)
    with pytest.raises(
        ValueError, match=r"'scale_out_from_zero' needs ScalingMetrics\(has_backlog_without_cap"
    ):
        scaling.scale_out_from_zero()


def test_a_paused_variant_names_the_endpoint_by_its_synth_time_id(synth):
    from sagemaker_constructs import ScalableVariant

    def build(stack: Stack) -> None:
        scaling = ScalableVariant(
            stack, "Scaling", resource_id="endpoint/Later/variant/v", synth_time_resource_id="endpoint/Later/variant/v",
            variant_name="v", min_capacity=1, max_capacity=2, instance_type="ml.m5.large",
        )  # fmt: skip
        assert scaling.pause is not None
        assert scaling.resume is not None

    template = synth(build)
    assert "endpoint/Later/variant/v@ml.m5.large" in json.dumps(template.find_resources("Custom::AWS"))
    # SageMaker lower-cases endpoint names in ARNs: the pause may describe exactly this endpoint.
    assert ":endpoint/later" in json.dumps(template.to_json())
