"""Asynchronous inference: output config, least-privilege grants, queue metrics, scaling to zero and back, and the
combinations an asynchronous endpoint rejects."""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pytest
from aws_cdk import CfnParameter, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from support.stacks import synthesize

from sagemaker_constructs import (
    AsyncInference,
    CapacitySize,
    ContainerImage,
    DataCapture,
    DeploymentGuardrails,
    Endpoint,
    IncludeInferenceResponseIn,
    Model,
    NotificationTopic,
    ProductionVariant,
    ServerlessVariant,
)


def model(stack: Stack, name: str = "Model") -> Model:
    return Model(stack, name, image=ContainerImage.for_algorithm("xgboost", "3.0-5"))


def async_endpoint(stack: Stack, settings: AsyncInference | None = None) -> Endpoint:
    return Endpoint(
        stack,
        "Endpoint",
        variants=[ProductionVariant("v", model=model(stack), instance_type="ml.c5.xlarge")],
        async_inference=settings or AsyncInference(),
    )


@pytest.fixture(scope="module")
def default_async_endpoint() -> Template:
    """An asynchronous endpoint with default settings: synthesized once for the tests that only read it."""
    return synthesize(lambda s: async_endpoint(s))


def statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return sorted([action] if isinstance(action, str) else action)


def resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def object_suffix(resource: Any) -> str:
    """The key pattern of ``{"Fn::Join": ["", [<bucket arn>, "/prefix/*"]]}``."""
    return str(resource["Fn::Join"][1][-1])


def test_default_creates_a_secure_bucket_and_writes_responses_and_failures_to_it(default_async_endpoint):
    template = default_async_endpoint
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [Match.object_like({"VariantName": "v", "InitialInstanceCount": 1})],
            "AsyncInferenceConfig": {
                "OutputConfig": {
                    "S3OutputPath": {
                        "Fn::Join": ["", ["s3://", {"Ref": Match.any_value()}, "/async-inference/output"]]
                    },
                    "S3FailurePath": {
                        "Fn::Join": ["", ["s3://", {"Ref": Match.any_value()}, "/async-inference/failures"]]
                    },
                    "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("AsyncInferenceBucketKey"), "Arn"]},
                },
            },
            "DataCaptureConfig": Match.absent(),
        },
    )
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": Match.object_like(
                {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            Match.object_like(
                                {
                                    "ServerSideEncryptionByDefault": Match.object_like(
                                        {"SSEAlgorithm": "aws:kms"}
                                    )
                                }
                            )
                        ]
                    },
                    "LoggingConfiguration": Match.any_value(),
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )
    # The endpoint is an ordinary SageMaker endpoint; only its config makes it asynchronous.
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"DeploymentConfig": Match.absent()})


def test_model_role_may_only_write_under_the_output_and_failure_prefixes(default_async_endpoint):
    template = default_async_endpoint
    found = statements(template)
    writes = [st for st in found if "s3:PutObject" in actions(st)]
    assert len(writes) == 1
    assert actions(writes[0]) == ["s3:AbortMultipartUpload", "s3:PutObject"]
    assert sorted(object_suffix(r) for r in resources(writes[0])) == [
        "/async-inference/failures/*",
        "/async-inference/output/*",
    ]
    for resource in resources(writes[0]):
        assert resource["Fn::Join"][1][0] == {"Fn::GetAtt": [_logical(template, "Bucket"), "Arn"]}
    keys = [st for st in found if "kms:GenerateDataKey" in actions(st)]
    # kms:Decrypt too: large responses are uploaded in parts, and S3 multipart uploads with SSE-KMS need it.
    assert [actions(st) for st in keys] == [["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]]
    assert keys[0]["Resource"] == {"Fn::GetAtt": [_logical(template, "Key"), "Arn"]}
    # Nothing else: no reads, no notifications, no wildcard besides the model role's own log/metric statements.
    assert not [st for st in found if "s3:GetObject" in actions(st) or "sns:Publish" in actions(st)]
    assert [st.get("Sid") for st in found if st["Resource"] == "*"] == ["SageMakerMetrics"]


def _logical(template: Template, kind: str) -> str:
    """The logical ID of the endpoint's created bucket (``kind="Bucket"``) or key (``kind="Key"``)."""
    resource_type, suffix = ("AWS::S3::Bucket", "") if kind == "Bucket" else ("AWS::KMS::Key", "Key")
    pattern = re.compile(rf"AsyncInferenceBucket{suffix}[0-9A-F]{{8}}$")
    (logical,) = [k for k in template.find_resources(resource_type) if pattern.search(k)]
    return logical


def test_notifications_client_config_and_request_prefix(synth):
    def build(stack: Stack) -> None:
        success = NotificationTopic(stack, "Success", description="async results")
        failures = NotificationTopic(stack, "Failures", description="async failures")
        async_endpoint(
            stack,
            AsyncInference(
                success_topic=success.topic,
                error_topic=failures.topic,
                include_inference_response_in=[IncludeInferenceResponseIn.ERROR_NOTIFICATION_TOPIC],
                max_concurrent_invocations_per_instance=4,
                input_prefix="requests",
            ),
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "AsyncInferenceConfig": {
                "OutputConfig": Match.object_like(
                    {
                        "NotificationConfig": {
                            "SuccessTopic": {"Ref": Match.string_like_regexp("^Success")},
                            "ErrorTopic": {"Ref": Match.string_like_regexp("^Failures")},
                            "IncludeInferenceResponseIn": ["ERROR_NOTIFICATION_TOPIC"],
                        }
                    }
                ),
                "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
            }
        },
    )
    found = statements(template)
    publish = [st for st in found if actions(st) == ["sns:Publish"]]
    assert sorted(r["Ref"][:7] for st in publish for r in resources(st)) == ["Failure", "Success"]
    # Each topic's key: exactly what publishing to an encrypted topic needs.
    for name in ("SuccessKey", "FailuresKey"):
        topic_key = next(st for st in found if name in str(st["Resource"]))
        assert actions(topic_key) == ["kms:Decrypt", "kms:GenerateDataKey"]
    reads = [st for st in found if actions(st) == ["s3:GetObject"]]
    assert [object_suffix(r) for st in reads for r in resources(st)] == ["/requests/*"]
    bucket_key = next(st for st in found if "AsyncInferenceBucketKey" in str(st["Resource"]))
    assert actions(bucket_key) == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]


def test_users_bucket_and_key_without_failure_path(synth):
    def build(stack: Stack) -> None:
        key = kms.Key(stack, "Key", enable_key_rotation=True)
        bucket = s3.Bucket.from_bucket_name(stack, "Mine", "my-async-bucket")
        async_endpoint(
            stack, AsyncInference(bucket=bucket, output_prefix="churn/out", failure_prefix=None, kms_key=key)
        )

    template = synth(build)
    template.resource_count_is("AWS::S3::Bucket", 0)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "AsyncInferenceConfig": {
                "OutputConfig": {
                    "S3OutputPath": "s3://my-async-bucket/churn/out",
                    "S3FailurePath": Match.absent(),
                    "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^Key"), "Arn"]},
                }
            }
        },
    )
    writes = next(st for st in statements(template) if "s3:PutObject" in actions(st))
    assert writes["Resource"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-async-bucket/churn/out/*"]]
    }


def test_endpoint_exposes_its_output_locations(stack):
    endpoint = async_endpoint(stack)
    assert endpoint.async_inference == AsyncInference()
    assert endpoint.async_output_bucket is not None
    assert endpoint.async_output_key is not None
    assert stack.resolve(endpoint.async_output_s3_uri)["Fn::Join"][1][-1] == "/async-inference/output"
    assert stack.resolve(endpoint.async_failure_s3_uri)["Fn::Join"][1][-1] == "/async-inference/failures"
    real_time = Endpoint(
        Stack(stack.node.root, "Other"), "E", variants=[ProductionVariant("v", model=model(stack, "Other"))]
    )
    assert real_time.async_inference is None
    assert real_time.async_output_s3_uri is None


@pytest.mark.parametrize(
    ("method", "metric_name"),
    [
        ("metric_approximate_backlog_size", "ApproximateBacklogSize"),
        ("metric_approximate_backlog_size_per_instance", "ApproximateBacklogSizePerInstance"),
        ("metric_approximate_age_of_oldest_request", "ApproximateAgeOfOldestRequest"),
        ("metric_has_backlog_without_capacity", "HasBacklogWithoutCapacity"),
    ],
)
def test_queue_metrics_are_per_endpoint(stack, method, metric_name):
    created = async_endpoint(stack)
    imported = Endpoint.from_endpoint_name(stack, "Imported", "churn-async")
    for endpoint, name in (
        (created, re.compile(r"^Test-Endpoint-[A-F0-9]{8}$")),
        (imported, re.compile("^churn-async$")),
    ):
        metric = getattr(endpoint, method)()
        assert metric.namespace == "AWS/SageMaker"
        assert metric.metric_name == metric_name
        assert list(metric.dimensions) == ["EndpointName"]
        assert name.match(metric.dimensions["EndpointName"])
        assert metric.statistic == "Average"
        assert metric.period.to_seconds() == 60
    tuned = getattr(created, method)(statistic="Maximum", period=Duration.minutes(5))
    assert (tuned.statistic, tuned.period.to_seconds()) == ("Maximum", 300)


def test_an_alarm_on_the_oldest_request_renders_its_dimension(synth):
    def build(stack: Stack) -> None:
        endpoint = async_endpoint(stack)
        endpoint.metric_approximate_age_of_oldest_request().create_alarm(
            stack, "Stale", threshold=600, evaluation_periods=3
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SageMaker",
            "MetricName": "ApproximateAgeOfOldestRequest",
            "Dimensions": [{"Name": "EndpointName", "Value": Match.string_like_regexp("^Test-Endpoint-")}],
            "Statistic": "Average",
            "Period": 60,
        },
    )


def test_scale_to_zero_and_back(synth):
    def build(stack: Stack) -> None:
        scaling = async_endpoint(stack).variant("v").auto_scale(min_capacity=0, max_capacity=4)
        scaling.on_backlog_size_per_instance(5, scale_in_cooldown=Duration.minutes(10))
        scaling.scale_out_from_zero()

    template = synth(build)
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "MinCapacity": 0,
            "MaxCapacity": 4,
        },
    )
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 2)
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "CustomizedMetricSpecification": {
                        "MetricName": "ApproximateBacklogSizePerInstance",
                        "Namespace": "AWS/SageMaker",
                        "Statistic": "Average",
                        "Dimensions": [
                            {"Name": "EndpointName", "Value": Match.string_like_regexp("^Test-Endpoint-")}
                        ],
                    },
                    "TargetValue": 5,
                    "ScaleInCooldown": 600,
                }
            ),
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity",
                "MetricAggregationType": "Average",
                "Cooldown": 300,
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
            },
        },
    )
    # One alarm only: it scales out; scale-in is left to the target-tracking policy.
    template.resource_count_is("AWS::CloudWatch::Alarm", 1)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SageMaker",
            "MetricName": "HasBacklogWithoutCapacity",
            "Dimensions": [{"Name": "EndpointName", "Value": Match.string_like_regexp("^Test-Endpoint-")}],
            "Statistic": "Average",
            "Period": 60,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
            "AlarmActions": [{"Ref": Match.string_like_regexp("ScaleOutFromZero")}],
        },
    )


def test_scale_out_from_zero_options(synth):
    def build(stack: Stack) -> None:
        scaling = async_endpoint(stack).variant("v").auto_scale(min_capacity=0, max_capacity=4)
        scaling.scale_out_from_zero(cooldown=Duration.minutes(2), evaluation_periods=1, instances=2)

    template = synth(build)
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "StepScalingPolicyConfiguration": Match.object_like(
                {
                    "Cooldown": 120,
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}],
                }
            )
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"EvaluationPeriods": 1, "DatapointsToAlarm": 1}
    )


def test_scale_to_zero_is_rejected_for_real_time_endpoints(stack):
    endpoint = Endpoint(stack, "E", variants=[ProductionVariant("v", model=model(stack))])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "'min_capacity' 0 (scale to zero) needs an asynchronous endpoint (async_inference=AsyncInference"
            "(...)); a real-time variant keeps at least 1 instance, got 0"
        ),
    ):
        endpoint.variant("v").auto_scale(min_capacity=0, max_capacity=2)


def test_async_policies_are_rejected_for_real_time_endpoints(stack):
    endpoint = Endpoint(stack, "E", variants=[ProductionVariant("v", model=model(stack))])
    scaling = endpoint.variant("v").auto_scale(min_capacity=1, max_capacity=2)
    for call in (lambda: scaling.on_backlog_size_per_instance(5), scaling.scale_out_from_zero):
        with pytest.raises(
            ValueError, match=r"needs an asynchronous endpoint .* got the real-time variant 'v'"
        ):
            call()


def test_invocations_per_instance_is_rejected_for_async_endpoints(stack):
    scaling = async_endpoint(stack).variant("v").auto_scale(min_capacity=0, max_capacity=2)
    with pytest.raises(ValueError, match="publishes no InvocationsPerInstance metric; use on_backlog_size"):
        scaling.on_invocations_per_instance(100)


def test_async_scaling_bounds_and_repeats(stack):
    endpoint = async_endpoint(stack)
    with pytest.raises(ValueError, match=r"'min_capacity' must be at least 0, got -1"):
        endpoint.variant("v").auto_scale(min_capacity=-1, max_capacity=2)
    scaling = endpoint.variant("v").auto_scale(min_capacity=0, max_capacity=2)
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        scaling.scale_out_from_zero(cooldown=Duration.days(2), evaluation_periods=0, instances=0)
    message = str(excinfo.value)
    for line in [
        "'cooldown' must be between 0 and 86400 seconds, got 172800",
        "'evaluation_periods' must be between 1 and 1440, got 0",
        "'instances' must be at least 1, got 0",
    ]:
        assert line in message, f"missing {line!r} in:\n{message}"
    scaling.scale_out_from_zero()
    with pytest.raises(ValueError, match="'scale_out_from_zero' was already called for variant 'v'"):
        scaling.scale_out_from_zero()
    scaling.on_backlog_size_per_instance(5)
    with pytest.raises(ValueError, match="a policy 'BacklogSizePerInstance' already exists on variant 'v'"):
        scaling.on_backlog_size_per_instance(10)


def test_combinations_an_async_endpoint_rejects(stack):
    m = model(stack)
    with pytest.raises(ValueError, match="Invalid props for Endpoint") as excinfo:
        Endpoint(
            stack,
            "E",
            variants=[ServerlessVariant("s", model=m), ProductionVariant("p", model=m)],
            shadow_variant=ProductionVariant("shadow", model=m),
            data_capture=DataCapture(),
            deployment=DeploymentGuardrails.all_at_once(),
            async_inference=AsyncInference(),
        )
    message = str(excinfo.value)
    for line in [
        "'async_inference' needs instance-based ProductionVariants (asynchronous endpoints queue requests for "
        "instances), got serverless variants ['s']",
        "'async_inference' needs exactly one production variant (InvokeEndpointAsync has no TargetVariant in "
        "botocore's sagemaker-runtime model, and the backlog metrics are per endpoint), got 2",
        "'async_inference' cannot be combined with 'shadow_variant' (SageMaker shadow tests exclude asynchronous "
        "inference), got shadow variant 'shadow'",
        "'async_inference' cannot be combined with 'data_capture' (SageMaker documents data capture for "
        "real-time endpoints and batch transform jobs only: model-monitor-data-capture), got "
        "data_capture=DataCapture(...); use data_capture=None",
    ]:
        assert line in message, f"missing {line!r} in:\n{message}"
    # "Deployment guardrails only apply to Asynchronous inference and Real-time inference" (deployment-guardrails).
    assert "'deployment'" not in message
    # The premise of the variant rule, from botocore's own model: an asynchronous call cannot address a variant.
    runtime = botocore.session.get_session().get_service_model("sagemaker-runtime")
    assert "TargetVariant" not in runtime.operation_model("InvokeEndpointAsync").input_shape.members
    assert "TargetVariant" in runtime.operation_model("InvokeEndpoint").input_shape.members


def test_deployment_guardrails_on_an_async_endpoint_roll_back_on_documented_metrics(synth):
    """Guardrails apply to asynchronous endpoints (AWS: "only apply to Asynchronous inference and Real-time
    inference"); their rollback alarms must watch metrics an asynchronous endpoint publishes: no Invocations."""

    def build(stack: Stack) -> None:
        Endpoint(
            stack,
            "E",
            variants=[ProductionVariant("v", model=model(stack), instance_count=4)],
            deployment=DeploymentGuardrails.rolling(batch_size=CapacitySize.percent(25)),
            async_inference=AsyncInference(),
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {"DeploymentConfig": {"AutoRollbackConfiguration": {"Alarms": Match.any_value()},
                              "RollingUpdatePolicy": Match.any_value()}},
    )  # fmt: skip
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 2
    names = {
        q["MetricStat"]["Metric"]["MetricName"]
        for a in alarms.values()
        for q in a["Properties"].get("Metrics", [])
        if "MetricStat" in q
    } | {a["Properties"]["MetricName"] for a in alarms.values() if "MetricName" in a["Properties"]}
    assert names == {"Invocation5XXErrors", "ModelLatency"}


def test_invalid_async_settings(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Mine", "my-async-bucket")
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        async_endpoint(
            stack,
            AsyncInference(
                bucket=bucket,
                output_prefix="/out/",
                failure_prefix="",
                input_prefix="in\nput",
                max_concurrent_invocations_per_instance=1001,
                include_inference_response_in=[
                    IncludeInferenceResponseIn.SUCCESS_NOTIFICATION_TOPIC,
                    IncludeInferenceResponseIn.SUCCESS_NOTIFICATION_TOPIC,
                ],
                expiration=Duration.days(7),
                removal_policy=RemovalPolicy.DESTROY,
            ),
        )
    message = str(excinfo.value)
    for line in [
        "'async_inference.max_concurrent_invocations_per_instance' must be between 1 and 1000, got 1001",
        "'async_inference.output_prefix' must be 1-443 characters without leading or trailing '/', got '/out/'",
        "'async_inference.failure_prefix' must be 1-443 characters without leading or trailing '/', got ''",
        "'async_inference.input_prefix' must not contain line breaks",
        "'async_inference.include_inference_response_in' must not repeat an entry",
        "'async_inference.include_inference_response_in' holds SUCCESS_NOTIFICATION_TOPIC, which needs "
        "'async_inference.success_topic', got success_topic=None",
        "'async_inference.expiration' applies only to the created bucket",
        "'async_inference.removal_policy' applies only to the created bucket",
    ]:
        assert line in message, f"missing {line!r} in:\n{message}"


def test_a_string_among_the_response_entries_is_a_type_problem(stack):
    # Types are checked before values: the wrong entry is reported on its own.
    with pytest.raises(
        ValueError,
        match=r"'async_inference.include_inference_response_in' must be a list of IncludeInferenceResponseIns",
    ):
        async_endpoint(
            stack,
            AsyncInference(include_inference_response_in=["ERROR_NOTIFICATION_TOPIC"]),  # type: ignore[list-item]
        )


def test_max_concurrency_below_one_is_rejected(stack):
    with pytest.raises(
        ValueError,
        match=r"'async_inference.max_concurrent_invocations_per_instance' must be between 1 and 1000, got 0",
    ):
        async_endpoint(stack, AsyncInference(max_concurrent_invocations_per_instance=0))


def test_unresolved_tokens_are_skipped(synth):
    def build(stack: Stack) -> None:
        concurrency = CfnParameter(stack, "Concurrency", type="Number", default=4)
        prefix = CfnParameter(stack, "Prefix", default="responses")
        async_endpoint(
            stack,
            AsyncInference(
                output_prefix=prefix.value_as_string,
                max_concurrent_invocations_per_instance=concurrency.value_as_number,
            ),
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "AsyncInferenceConfig": Match.object_like(
                {"ClientConfig": {"MaxConcurrentInvocationsPerInstance": {"Ref": "Concurrency"}}}
            )
        },
    )


def test_operational_alarms_skip_the_error_rate_that_async_endpoints_cannot_compute(synth):
    def build(stack: Stack) -> None:
        async_endpoint(stack).add_operational_alarms()

    template = synth(build)
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert sorted(a["Properties"]["MetricName"] for a in alarms.values()) == [
        "DiskUtilization",
        "ModelLatency",
    ]


def test_imported_model_without_role_is_reported(stack):
    imported = Model.from_model_name(stack, "Imported", "churn")
    Endpoint(stack, "E", variants=[ProductionVariant("v", model=imported)], async_inference=AsyncInference())
    Annotations.from_stack(stack).has_warning(
        "/Test/E",
        Match.string_like_regexp(
            r"Variant 'v' uses an imported model without a role: grant its execution role s3:PutObject and "
            r"s3:AbortMultipartUpload on async-inference/output/\*, async-inference/failures/\* of the "
            r"asynchronous inference bucket"
        ),
    )


def test_a_wildcard_added_by_the_user_is_still_reported(stack):
    # The library acknowledges exactly its two prefix wildcards: the same role writing anywhere is reported.
    endpoint = async_endpoint(stack)
    role = endpoint.variants[0].model.role
    bucket = endpoint.async_output_bucket
    assert role is not None
    assert bucket is not None
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects("*")])
    )
    Validations.of(stack.node.root).add_plugins(AwsSolutionsChecks(stack.node.root))
    with pytest.raises(RuntimeError, match="ValidationFailed") as excinfo:
        Template.from_stack(stack)
    findings = re.findall(r"AwsSolutions-IAM5\[Resource::[^\]]*\]", str(excinfo.value))
    assert len(findings) == 1, findings
    assert re.fullmatch(
        r"AwsSolutions-IAM5\[Resource::<EndpointAsyncInferenceBucket[0-9A-F]{8}\.Arn>/\*\]", findings[0]
    )


def test_large_responses_can_be_uploaded_in_parts_to_the_users_encrypted_bucket(synth):
    """S3 multipart uploads with SSE-KMS need kms:Decrypt as well as kms:GenerateDataKey on the key (S3 user guide,
    "Multipart upload API and permissions"); SageMaker may upload responses of up to 1 GB in parts."""

    def build(stack: Stack) -> None:
        key = kms.Key(stack, "MyKey", enable_key_rotation=True)
        bucket = s3.Bucket.from_bucket_name(stack, "MyBucket", "my-encrypted-bucket")
        async_endpoint(stack, AsyncInference(bucket=bucket, kms_key=key))

    found = statements(synth(build))
    on_key = [st for st in found if "MyKey" in str(st["Resource"])]
    granted = {a for st in on_key for a in actions(st)}
    assert {"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"} <= granted
    writes = [st for st in found if "s3:PutObject" in actions(st)]
    assert all("s3:AbortMultipartUpload" in actions(st) for st in writes)
