"""Endpoint: variants, shadow and serverless variants, KMS, imports, grants, metrics and alarms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import Duration, Size, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_constructs import (
    ContainerDefinition,
    ContainerImage,
    DataCapture,
    Endpoint,
    InstanceType,
    Model,
    ModelData,
    ProductionVariant,
    RoutingStrategy,
    ServerlessVariant,
)

SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"


def model(stack: Stack, name: str = "Model") -> Model:
    return Model(
        stack,
        name,
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )


def test_weighted_variants_with_all_options(synth):
    def build(stack: Stack) -> None:
        m = model(stack)
        Endpoint(
            stack,
            "Endpoint",
            variants=[
                ProductionVariant(
                    "champion",
                    model=m,
                    instance_type=InstanceType.ML_C5_XLARGE,
                    instance_count=3,
                    weight=90,
                    volume_size=Size.gibibytes(30),
                    model_data_download_timeout=Duration.minutes(10),
                    container_startup_health_check_timeout=Duration.minutes(5),
                    routing_strategy=RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
                ),
                ProductionVariant("challenger", model=model(stack, "V2"), weight=10),
            ],
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                {
                    "VariantName": "champion",
                    "ModelName": {"Fn::GetAtt": [Match.any_value(), "ModelName"]},
                    "InstanceType": "ml.c5.xlarge",
                    "InitialInstanceCount": 3,
                    "InitialVariantWeight": 90,
                    "VolumeSizeInGB": 30,
                    "ModelDataDownloadTimeoutInSeconds": 600,
                    "ContainerStartupHealthCheckTimeoutInSeconds": 300,
                    "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
                },
                Match.object_like({"VariantName": "challenger", "InitialVariantWeight": 10}),
            ],
            "EndpointConfigName": Match.absent(),
            "DataCaptureConfig": Match.absent(),
        },
    )
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "EndpointConfigName": {"Fn::GetAtt": [Match.any_value(), "EndpointConfigName"]},
            "EndpointName": Match.string_like_regexp(r"^Test-Endpoint-[A-F0-9]{8}$"),
        },
    )


def test_shadow_variant(synth):
    def build(stack: Stack) -> None:
        Endpoint(
            stack,
            "Endpoint",
            variants=[ProductionVariant("prod", model=model(stack))],
            shadow_variant=ProductionVariant("shadow", model=model(stack, "Candidate"), instance_count=1),
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [Match.object_like({"VariantName": "prod"})],
            "ShadowProductionVariants": [Match.object_like({"VariantName": "shadow"})],
        },
    )


def test_serverless_variant(synth):
    def build(stack: Stack) -> None:
        Endpoint(
            stack,
            "Endpoint",
            variants=[
                ServerlessVariant(
                    "serverless", model=model(stack), memory_size=Size.gibibytes(4), max_concurrency=50,
                    provisioned_concurrency=5,
                )
            ],
        )  # fmt: skip

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                {
                    "VariantName": "serverless",
                    "ModelName": Match.any_value(),
                    "InitialVariantWeight": 1,
                    "ServerlessConfig": {
                        "MemorySizeInMB": 4096,
                        "MaxConcurrency": 50,
                        "ProvisionedConcurrency": 5,
                    },
                }
            ]
        },
    )


def test_kms_key_for_instance_storage(synth):
    def build(stack: Stack) -> None:
        key = kms.Key(stack, "Key", enable_key_rotation=True)
        Endpoint(stack, "Endpoint", variants=[ProductionVariant("v", model=model(stack))], kms_key=key)

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig", {"KmsKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}
    )


@pytest.mark.parametrize(
    "instance_type", ["ml.m5d.large", "ml.g4dn.xlarge", "ml.g5.xlarge", "ml.p4d.24xlarge"]
)
def test_kms_key_with_local_storage_instances_is_allowed_with_a_warning(stack, instance_type):
    """botocore's SageMaker model (CreateEndpointConfig, KmsKeyId): with Nitro instances that have local storage,
    "the KmsKeyId parameter does not encrypt instance local storage" (a hardware module does); the call does not
    fail, so the library does not refuse it."""
    key = kms.Key(stack, "Key")
    Endpoint(
        stack,
        "E",
        variants=[ProductionVariant("v", model=model(stack), instance_type=instance_type)],
        kms_key=key,
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::EndpointConfig", {"KmsKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}
    )
    Annotations.from_stack(stack).has_warning(
        "*",
        Match.string_like_regexp(f"'kms_key' does not encrypt the local NVMe storage of .*{instance_type}"),
    )


def test_kms_key_with_a_serverless_variant(synth):
    """AWS's serverless endpoint-config example passes KmsKeyId; it is not refused."""

    def build(stack: Stack) -> None:
        key = kms.Key(stack, "Key", enable_key_rotation=True)
        Endpoint(stack, "Endpoint", variants=[ServerlessVariant("s", model=model(stack))], kms_key=key)

    synth(build).has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "KmsKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]},
            "ProductionVariants": [Match.object_like({"ServerlessConfig": Match.any_value()})],
        },
    )


def test_validation_collects_every_variant_problem(stack):
    m = model(stack)
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        Endpoint(
            stack,
            "E",
            variants=[
                ProductionVariant("bad_name", model=m, instance_count=0, weight=-1, volume_size=Size.gibibytes(600)),
                ProductionVariant("ok", model=m, instance_type="m5.large",
                                  model_data_download_timeout=Duration.seconds(30)),
                ServerlessVariant("ok", model=m, memory_size=Size.mebibytes(1500), max_concurrency=300,
                                  provisioned_concurrency=250),
            ],
        )  # fmt: skip
    message = str(excinfo.value)
    expected = [
        "Invalid props for Endpoint 'Test/E'",
        "'variants[0].name' must be 1-63 characters of letters, digits and hyphens",
        "'variants[0].instance_count' must be at least 1, got 0",
        "'variants[0].weight' must be at least 0, got -1",
        "'variants[0].volume_size' must be between 1 and 512 GiB, got 600",
        "'variants[1].instance_type' must look like 'ml.<family>.<size>' (e.g. 'ml.m5.large'), got 'm5.large'",
        "'variants[1].model_data_download_timeout' must be between 60 and 3600 seconds, got 30",
        "'variants[2].memory_size' must be 1, 2, 3, 4, 5 or 6 GiB (1024-6144 MiB in 1024 MiB steps), got 1500 MiB",
        "'variants[2].max_concurrency' must be between 1 and 200, got 300",
        "'variants[2].provisioned_concurrency' must be between 1 and 200, got 250",
        "variant names must be unique across production and shadow variants, got duplicates ['ok']",
    ]
    for line in expected:
        assert line in message, f"missing {line!r} in:\n{message}"


def test_variant_count_limits(stack):
    m = model(stack)
    with pytest.raises(ValueError, match="'variants' must hold 1-10 production variants, got 11"):
        Endpoint(stack, "E", variants=[ProductionVariant(f"v{i}", model=m) for i in range(11)])
    with pytest.raises(ValueError, match="'variants' must hold 1-10 production variants, got 0"):
        Endpoint(stack, "E2", variants=[])


def test_single_variant_not_in_a_list(stack):
    with pytest.raises(
        ValueError,
        match=r"'variants' must be a list of ProductionVariants or ServerlessVariants, got a single ProductionVariant; wrap it in \[\.\.\.\]",
    ):
        Endpoint(stack, "E", variants=ProductionVariant("v", model=model(stack)))  # type: ignore[arg-type]


def test_shadow_needs_exactly_one_production_variant(stack):
    m = model(stack)
    with pytest.raises(ValueError, match="'shadow_variant' needs exactly one production variant, got 2"):
        Endpoint(
            stack,
            "E",
            variants=[ProductionVariant("a", model=m), ProductionVariant("b", model=m)],
            shadow_variant=ProductionVariant("s", model=m),
        )


def test_weights_must_not_all_be_zero(stack):
    m = model(stack)
    with pytest.raises(ValueError, match=r"weights must add up to more than 0, got \[0, 0\]"):
        Endpoint(
            stack,
            "E",
            variants=[ProductionVariant("a", model=m, weight=0), ProductionVariant("b", model=m, weight=0)],
        )


def test_provisioned_concurrency_at_most_max(stack):
    with pytest.raises(ValueError, match=r"'variants\[0\].provisioned_concurrency' must be at most 'max_concurrency' \(10\), got 20"):  # fmt: skip
        Endpoint(
            stack,
            "E",
            variants=[
                ServerlessVariant("s", model=model(stack), max_concurrency=10, provisioned_concurrency=20)
            ],
        )


def test_endpoint_name_is_checked(stack):
    with pytest.raises(ValueError, match=r"'endpoint_name' must be 1-63 characters.*got 'my_endpoint'"):
        Endpoint(
            stack, "E", variants=[ProductionVariant("v", model=model(stack))], endpoint_name="my_endpoint"
        )


def test_grant_invoke_is_scoped_to_the_endpoint(synth):
    def build(stack: Stack) -> None:
        endpoint = Endpoint(stack, "Endpoint", variants=[ProductionVariant("v", model=model(stack))])
        role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
        endpoint.grant_invoke(role)

    template = synth(build)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": [
                            "sagemaker:InvokeEndpoint",
                            "sagemaker:InvokeEndpointAsync",
                            "sagemaker:InvokeEndpointWithResponseStream",
                        ],
                        "Effect": "Allow",
                        "Resource": {"Fn::GetAtt": [Match.string_like_regexp("^Endpoint"), "EndpointArn"]},
                    }
                ]
            },
            "Roles": [{"Ref": Match.string_like_regexp("^Caller")}],
        },
    )


def test_imported_endpoint_metrics_and_grants(synth):
    def build(stack: Stack) -> None:
        endpoint = Endpoint.from_endpoint_attributes(
            stack, "Imported", endpoint_name="Churn-Prod", data_capture_enabled=True
        )
        assert endpoint.data_capture_enabled is True
        role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
        endpoint.grant_invoke(role)
        endpoint.metric_invocations("AllTraffic").create_alarm(
            stack, "Alarm", threshold=1, evaluation_periods=1
        )

    template = synth(build)
    policy = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert ":endpoint/churn-prod" in policy  # ARNs use the lower-cased name
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocations",
            "Dimensions": Match.array_with([{"Name": "EndpointName", "Value": "Churn-Prod"},
                                            {"Name": "VariantName", "Value": "AllTraffic"}]),
            "Statistic": "Sum",
            "Period": 60,
        },
    )  # fmt: skip


def test_imported_endpoint_name_is_checked(stack):
    with pytest.raises(ValueError, match="'endpoint_name' must be 1-63 characters"):
        Endpoint.from_endpoint_name(stack, "Imported", "-bad-")


@pytest.mark.parametrize(
    ("method", "namespace", "metric_name", "statistic"),
    [
        ("metric_invocations", "AWS/SageMaker", "Invocations", "Sum"),
        ("metric_invocations_per_instance", "AWS/SageMaker", "InvocationsPerInstance", "Sum"),
        ("metric_invocation_4xx_errors", "AWS/SageMaker", "Invocation4XXErrors", "Sum"),
        ("metric_invocation_5xx_errors", "AWS/SageMaker", "Invocation5XXErrors", "Sum"),
        ("metric_invocation_model_errors", "AWS/SageMaker", "InvocationModelErrors", "Sum"),
        ("metric_model_latency", "AWS/SageMaker", "ModelLatency", "Average"),
        ("metric_overhead_latency", "AWS/SageMaker", "OverheadLatency", "Average"),
        ("metric_model_setup_time", "AWS/SageMaker", "ModelSetupTime", "Average"),
        ("metric_cpu_utilization", "/aws/sagemaker/Endpoints", "CPUUtilization", "Average"),
        ("metric_memory_utilization", "/aws/sagemaker/Endpoints", "MemoryUtilization", "Average"),
        ("metric_disk_utilization", "/aws/sagemaker/Endpoints", "DiskUtilization", "Average"),
        ("metric_gpu_utilization", "/aws/sagemaker/Endpoints", "GPUUtilization", "Average"),
        ("metric_gpu_memory_utilization", "/aws/sagemaker/Endpoints", "GPUMemoryUtilization", "Average"),
    ],
)
def test_metrics(stack, method, namespace, metric_name, statistic):
    endpoint = Endpoint(
        stack, "E", variants=[ProductionVariant("v", model=model(stack))], endpoint_name="churn"
    )
    metric = getattr(endpoint, method)("v")
    assert metric.namespace == namespace
    assert metric.metric_name == metric_name
    assert metric.statistic == statistic
    assert metric.dimensions == {"EndpointName": "churn", "VariantName": "v"}
    assert metric.period.to_seconds() == 60


def test_operational_alarms_one_per_kind_over_all_variants(synth):
    def build(stack: Stack) -> None:
        m = model(stack)
        endpoint = Endpoint(
            stack,
            "Endpoint",
            variants=[ProductionVariant("a", model=m)],
            shadow_variant=ProductionVariant("b", model=m),
            endpoint_name="churn",
        )
        alarms = endpoint.add_operational_alarms(
            disk_utilization_percent=70, p99_model_latency=Duration.millis(250)
        )
        assert len(alarms) == 3  # error rate, latency, disk: each over both variants
        serverless = Endpoint(stack, "Serverless", variants=[ServerlessVariant("s", model=m)])
        assert len(serverless.add_operational_alarms()) == 2  # no disk metric for serverless

    template = synth(build)
    template.resource_count_is("AWS::CloudWatch::Alarm", 5)
    alarms = _alarms_by_description(template)
    disk = alarms["SageMaker endpoint churn variants a, b (the highest): disk utilization above 70% (data capture "
                  "stops when the disk fills up)"]  # fmt: skip
    assert disk["Threshold"] == 70
    assert disk["ComparisonOperator"] == "GreaterThanThreshold"
    assert disk["TreatMissingData"] == "notBreaching"
    assert _expression(disk) == "MAX([v0, v1])"
    assert _metric_stats(disk) == {
        "v0": ("/aws/sagemaker/Endpoints", "DiskUtilization", "a", "Average"),
        "v1": ("/aws/sagemaker/Endpoints", "DiskUtilization", "b", "Average"),
    }
    latency = alarms["SageMaker endpoint churn variants a, b (the highest): model latency (p99) above 250000 "
                     "microseconds"]  # fmt: skip
    assert latency["Threshold"] == 250000
    assert _metric_stats(latency) == {
        "v0": ("AWS/SageMaker", "ModelLatency", "a", "p99"),
        "v1": ("AWS/SageMaker", "ModelLatency", "b", "p99"),
    }
    error = alarms["SageMaker endpoint churn variants a, b (the highest): 5XX error rate above 1%"]
    assert error["Threshold"] == 1
    assert error["EvaluationPeriods"] == 5
    expressions = {q["Id"]: q["Expression"] for q in error["Metrics"] if "Expression" in q}
    assert sorted(expressions.values()) == ["100 * e0 / i0", "100 * e1 / i1", "MAX([v0, v1])"]
    assert expressions["v0"] == "100 * e0 / i0"
    assert {k: v[1:3] for k, v in _metric_stats(error).items()} == {
        "e0": ("Invocation5XXErrors", "a"),
        "i0": ("Invocations", "a"),
        "e1": ("Invocation5XXErrors", "b"),
        "i1": ("Invocations", "b"),
    }
    # Only the top expression returns data: CloudWatch alarms on exactly one.
    assert [q["Id"] for q in error["Metrics"] if q["ReturnData"]] == [
        q["Id"] for q in error["Metrics"] if q.get("Expression", "").startswith("MAX")
    ]
    # Any variant breaching fires; none breaching stays OK.
    fine = {("Invocation5XXErrors", "a"): 0, ("Invocations", "a"): 900, ("Invocation5XXErrors", "b"): 1,
            ("Invocations", "b"): 200}  # fmt: skip
    assert _evaluate(error, fine) == pytest.approx(0.5)
    assert _evaluate(error, fine) <= error["Threshold"]
    breaching = {**fine, ("Invocation5XXErrors", "b"): 10}  # 5% of the shadow's requests
    assert _evaluate(error, breaching) == pytest.approx(5)
    assert _evaluate(error, breaching) > error["Threshold"]
    # A single variant keeps its own metric, as before.
    single = alarms[f"SageMaker endpoint {_serverless_name(template)} variant s: 5XX error rate above 1%"]
    assert _expression(single) == "100 * errors / invocations"


def test_operational_alarms_split_variants_that_need_more_than_ten_metrics(synth):
    """CloudWatch takes at most 10 metrics per alarm: the error rate needs two per variant, so six variants
    take two alarms (five and one); latency and disk take one metric per variant and fit in one."""

    def build(stack: Stack) -> None:
        m = model(stack)
        endpoint = Endpoint(
            stack,
            "Endpoint",
            variants=[ProductionVariant(f"v{i}", model=m) for i in range(6)],
            endpoint_name="six",
        )
        assert len(endpoint.add_operational_alarms()) == 4

    template = synth(build)
    alarms = _alarms_by_description(template)
    first = alarms[
        "SageMaker endpoint six variants v0, v1, v2, v3, v4 (the highest): 5XX error rate above 1%"
    ]
    assert len([q for q in first["Metrics"] if "MetricStat" in q]) == 10
    assert _expression(first) == "MAX([v0, v1, v2, v3, v4])"
    second = alarms["SageMaker endpoint six variant v5: 5XX error rate above 1%"]
    assert _expression(second) == "100 * errors / invocations"
    latency = alarms["SageMaker endpoint six variants v0, v1, v2, v3, v4, v5 (the highest): model latency (Average) "
                     "above 1e+06 microseconds"]  # fmt: skip
    assert len([q for q in latency["Metrics"] if "MetricStat" in q]) == 6
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        assert len([q for q in alarm["Properties"].get("Metrics", []) if "MetricStat" in q]) <= 10


def _alarms_by_description(template: Template) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmDescription"]: a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
    }


def _serverless_name(template: Template) -> str:
    (endpoint,) = [
        e["Properties"]["EndpointName"]
        for e in template.find_resources("AWS::SageMaker::Endpoint").values()
        if "erverless" in e["Properties"]["EndpointName"]
    ]
    return str(endpoint)


def _expression(alarm: dict[str, Any]) -> str:
    (top,) = [q["Expression"] for q in alarm["Metrics"] if q.get("ReturnData", True) and "Expression" in q]
    return str(top)


def _metric_stats(alarm: dict[str, Any]) -> dict[str, tuple[str, str, str, str]]:
    found = {}
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            dims = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
            found[query["Id"]] = (
                stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], dims["VariantName"], stat["Stat"]
            )  # fmt: skip
    return found


def _evaluate(alarm: dict[str, Any], values: dict[tuple[str, str], float]) -> float:
    """The alarm's metric math on one datapoint per metric: ``+ - * /`` and ``MAX([...])`` only."""
    queries = {q["Id"]: q for q in alarm["Metrics"]}

    def value(query_id: str) -> float:
        query = queries[query_id]
        if "MetricStat" in query:
            stat = query["MetricStat"]
            dims = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
            return values[(stat["Metric"]["MetricName"], dims["VariantName"])]
        expression = query["Expression"].replace("MAX([", "max([")
        names = {q: value(q) for q in queries if re.search(rf"\b{q}\b", expression)}
        result: float = eval(expression, {"__builtins__": {}, "max": max}, names)
        return result

    (top,) = [q["Id"] for q in alarm["Metrics"] if q.get("ReturnData", True)]
    return value(top)


def test_operational_alarms_only_once(stack):
    endpoint = Endpoint(stack, "E", variants=[ProductionVariant("v", model=model(stack))])
    endpoint.add_operational_alarms()
    with pytest.raises(ValueError, match="'add_operational_alarms' was already called"):
        endpoint.add_operational_alarms()


def test_variant_lookup(stack):
    endpoint = Endpoint(stack, "E", variants=[ProductionVariant("v", model=model(stack))])
    assert endpoint.variant("v").name == "v"
    with pytest.raises(ValueError, match=r"'name' must be one of the endpoint's variants \['v'\], got 'x'"):
        endpoint.variant("x")


def test_serverless_exclusions(stack):
    m = model(stack)
    pipeline = Model(
        stack,
        "Pipeline",
        containers=[
            ContainerDefinition(image=ContainerImage.for_algorithm("sklearn", "1.2-1")),
            ContainerDefinition(image=ContainerImage.for_algorithm("xgboost", "3.0-5")),
        ],
    )
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        Endpoint(
            stack,
            "E",
            variants=[ServerlessVariant("s", model=pipeline), ProductionVariant("p", model=m)],
            data_capture=DataCapture(),
        )
    message = str(excinfo.value)
    assert "serverless variants ['s'] must be the endpoint's only variant" in message
    assert "'data_capture' is not supported by Serverless Inference" in message
    assert (
        "serverless variant 's' cannot serve a model with an inference pipeline (several containers)"
        in message
    )


def test_shadow_exclusions(stack):
    pipeline = Model(
        stack,
        "Pipeline",
        containers=[
            ContainerDefinition(image=ContainerImage.for_algorithm("sklearn", "1.2-1")),
            ContainerDefinition(image=ContainerImage.for_algorithm("xgboost", "3.0-5")),
        ],
    )
    with pytest.raises(ValueError, match=r"shadow tests do not support multi-model or multi-container endpoints, got variant 'p'"):  # fmt: skip
        Endpoint(
            stack,
            "E",
            variants=[ProductionVariant("p", model=pipeline)],
            shadow_variant=ProductionVariant("s", model=model(stack)),
        )


# Regressions found by the property tests (tests/unit/test_properties.py).


def test_non_finite_numbers_are_rejected_before_reaching_jsii(stack):
    # NaN or an infinity passed to jsii (Token.is_unresolved) killed its Node.js kernel, and NaN passed every
    # "at least" check: now they are reported like any bad number, and CDK keeps working afterwards.
    m = model(stack)
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        Endpoint(
            stack,
            "E",
            variants=[
                ProductionVariant("a", model=m, weight=float("inf"), instance_count=float("nan")),  # type: ignore[arg-type]
                ProductionVariant("b", model=m, weight=float("nan")),
            ],
        )
    message = str(excinfo.value)
    assert "'variants[0].weight' must be a finite number, got inf" in message
    assert "'variants[0].instance_count' must be a finite number, got nan" in message
    assert "'variants[1].weight' must be a finite number, got nan" in message
    Endpoint(stack, "Fine", variants=[ProductionVariant("v", model=m)])


def test_instance_count_beyond_32_bits_is_rejected(stack):
    # 2**53 + 1 was accepted and rendered as 9007199254740992 (JSON numbers are doubles).
    with pytest.raises(ValueError, match=r"'variants\[0\].instance_count' must be at most 2147483647"):
        Endpoint(stack, "E", variants=[ProductionVariant("v", model=model(stack), instance_count=2**53 + 1)])


@pytest.mark.parametrize("name", ["champion\n", "0\n"])
def test_names_with_a_trailing_newline_are_rejected(stack, name):
    # re.match with '$' accepted a trailing newline; SageMaker's patterns match whole names.
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        Endpoint(stack, "E", variants=[ProductionVariant(name, model=model(stack))], endpoint_name=name)
    assert "'variants[0].name' must be 1-63 characters" in str(excinfo.value)
    assert "'endpoint_name' must be 1-63 characters" in str(excinfo.value)


def test_sizes_in_odd_units_are_reported_not_raised_by_jsii(stack):
    # Size.kibibytes(1).to_gibibytes() raises in jsii; the validation now converts without rounding.
    m = model(stack)
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        Endpoint(
            stack,
            "E",
            variants=[ProductionVariant("v", model=m, volume_size=Size.kibibytes(1))],
        )
    assert "'variants[0].volume_size' must be a whole number of GiB, got" in str(excinfo.value)
    with pytest.raises(ValueError, match=r"'variants\[0\].memory_size' must be 1, 2, 3, 4, 5 or 6 GiB"):
        Endpoint(stack, "S", variants=[ServerlessVariant("s", model=m, memory_size=Size.kibibytes(1500))])


def test_volume_size_in_mebibytes_of_whole_gibibytes_is_kept(synth):
    template = synth(
        lambda s: Endpoint(
            s, "E", variants=[ProductionVariant("v", model=model(s), volume_size=Size.mebibytes(30 * 1024))]
        )
    )
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"ProductionVariants": [Match.object_like({"VolumeSizeInGB": 30})]},
    )


def test_instance_type_must_be_a_hosting_instance_type(stack):
    # Well-formed but unknown types passed, and cfn-lint rejected the template (E3030).
    with pytest.raises(
        ValueError, match=r"'variants\[0\].instance_type' must be a SageMaker hosting instance type"
    ):
        Endpoint(
            stack, "E", variants=[ProductionVariant("v", model=model(stack), instance_type="ml.m5.huge")]
        )
