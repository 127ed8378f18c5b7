"""The four Model Monitor constructs: job definitions, schedules, guards, metrics, events and validation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, Size, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from support.aws_calls import arn
from support.cdk_flags import app_context
from support.cfn_resolve import World
from support.iam_eval import Decision, Request
from support.stacks import synthesize

from sagemaker_constructs import (
    Baseline,
    BatchDataCapture,
    BatchTransform,
    BiasAnalysisConfig,
    ContainerDefinition,
    ContainerImage,
    DataCapture,
    DataProcessing,
    DataQualityMonitor,
    DatasetFormat,
    Endpoint,
    ExplainabilityAnalysisConfig,
    Facet,
    GroundTruth,
    JoinSource,
    Model,
    ModelBiasMonitor,
    ModelData,
    ModelExplainabilityMonitor,
    ModelQualityMonitor,
    MonitoringJob,
    MonitoringOutput,
    MonitoringSchedule,
    MonitorSource,
    NotificationTopic,
    ProblemType,
    ProductionVariant,
    S3Source,
    SecureBucket,
    TransformInput,
    transform_output_column,
)
from sagemaker_constructs.monitoring.clarify_config import write_config_file

SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"
BASELINES = "model_artifacts/churn/baselines"
FEATURES = [
    "age",
    "tenure_months",
    "monthly_charges",
    "support_calls",
    "contract_monthly",
    "has_fiber",
    "num_products",
]


def model(stack: Stack) -> Model:
    existing = stack.node.try_find_child("Model")
    if isinstance(existing, Model):
        return existing
    return Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )


def endpoint(stack: Stack, *, capture: bool = True) -> Endpoint:
    return Endpoint(
        stack,
        "Endpoint",
        variants=[ProductionVariant("v", model=model(stack))],
        data_capture=DataCapture() if capture else None,
        endpoint_name="churn",
    )


def transform(
    stack: Stack, *, capture: bool = True, data_processing: DataProcessing | None = None
) -> BatchTransform:
    return BatchTransform(
        stack,
        "Batch",
        model=model(stack),
        input=TransformInput(bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket")),
        data_capture=BatchDataCapture() if capture else None,
        data_processing=data_processing,
    )


def ground_truth(stack: Stack) -> GroundTruth:
    existing = stack.node.try_find_child("Labels")
    bucket = (
        existing
        if isinstance(existing, SecureBucket)
        else SecureBucket(stack, "Labels", description="labels")
    )
    return GroundTruth(bucket.bucket, "labels")


def bias_config() -> BiasAnalysisConfig:
    return BiasAnalysisConfig(
        headers=[*FEATURES[:2], "churned", *FEATURES[2:]],  # the label need not be first
        label="churned",
        label_values_or_threshold=[1],
        facets=[Facet(name="age", values_or_threshold=[40])],
    )


def shap_config() -> ExplainabilityAnalysisConfig:
    return ExplainabilityAnalysisConfig(headers=FEATURES, shap_baseline=[[40, 24, 46, 1, 1, 0, 2]])


def only(template: Template, resource_type: str) -> dict[str, Any]:
    (resource,) = template.find_resources(resource_type).values()
    return resource


def statements(template: Template, role_fragment: str) -> list[dict[str, Any]]:
    """The statements of the role that the monitor ``<id>`` (``role_fragment`` is ``"<id>Role"``) runs as, found
    through its job definition's ``RoleArn``: monitors of one source share a role."""
    monitor_id = role_fragment.removesuffix("Role")
    (role_arn,) = {
        json.dumps(props["RoleArn"])
        for logical, resource in template.to_json()["Resources"].items()
        if logical.startswith(f"{monitor_id}JobDefinition")
        for props in [resource["Properties"]]
    }
    (role,) = json.loads(role_arn)["Fn::GetAtt"][:1]
    return [
        st
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


# Shared syntheses: several tests read the same construct built with the same props, so it is synthesized (and
# checked by cdk-nag and cfn-lint) once per module. The tests only read the Template.


@pytest.fixture(scope="module")
def data_quality_on_an_endpoint() -> Template:
    """A data-quality monitor on a capturing endpoint, every other prop at its default."""
    return synthesize(
        lambda s: DataQualityMonitor(s, "DataQuality", source=MonitorSource.endpoint(endpoint(s)))
    )


@pytest.fixture(scope="module")
def data_quality_with_baseline() -> Template:
    """A data-quality monitor on a capturing endpoint with the churn model's constraints and statistics."""

    def build(stack: Stack) -> None:
        DataQualityMonitor(
            stack,
            "DataQuality",
            source=MonitorSource.endpoint(endpoint(stack)),
            baseline=Baseline(
                constraints=S3Source.from_asset(f"{BASELINES}/data_quality/constraints.json"),
                statistics=S3Source.from_asset(f"{BASELINES}/data_quality/statistics.json"),
            ),
        )

    return synthesize(build)


@pytest.fixture(scope="module")
def data_quality_on_a_batch_transform() -> tuple[Template, DataQualityMonitor]:
    """A data-quality monitor on a capturing batch transform, every other prop at its default, and the monitor."""
    built: dict[str, DataQualityMonitor] = {}

    def build(stack: Stack) -> None:
        built["monitor"] = DataQualityMonitor(
            stack, "DataQuality", source=MonitorSource.batch_transform(transform(stack))
        )

    template = synthesize(build)
    return template, built["monitor"]


# ------------------------------------------------------------------------------------------------- roles


def test_monitors_of_one_source_share_one_role_with_the_union_of_their_grants(synth):
    """Without ``role``, the monitors of one endpoint in one stack run as one created role (issue 13); each adds
    its own grants (its output prefix), and a monitor of another source gets its own role."""

    def build(stack: Stack) -> None:
        served = endpoint(stack)
        DataQualityMonitor(
            stack, "DataQuality", source=MonitorSource.endpoint(served), metric_namespace="Custom/Quality"
        )
        ModelQualityMonitor(
            stack,
            "Quality",
            source=MonitorSource.endpoint(served),
            problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=ground_truth(stack),
            probability_attribute="0",
            probability_threshold_attribute=0.5,
        )
        DataQualityMonitor(stack, "BatchQuality", source=MonitorSource.batch_transform(transform(stack)))

    template = synth(build)
    monitor_roles = template.find_resources(
        "AWS::IAM::Role",
        {"Properties": {"Description": "Model Monitor execution role (sagemaker-constructs)"}},
    )
    assert len(monitor_roles) == 2, list(monitor_roles)
    shared = statements(template, "DataQualityRole")
    assert shared == statements(template, "QualityRole")
    assert shared != statements(template, "BatchQualityRole")
    writes = json.dumps([st["Resource"] for st in shared if _actions(st) == ["s3:PutObject"]])
    assert "model-monitor/DataQuality/" in writes, writes
    assert "model-monitor/ModelQuality/" in writes, writes
    # The overridden namespace of one monitor is added, the defaults stay.
    namespaces = [
        ns
        for st in shared
        if _actions(st) == ["cloudwatch:PutMetricData"]
        for ns in st["Condition"]["StringLike"]["cloudwatch:namespace"]
    ]
    assert "Custom/Quality" in namespaces, namespaces
    assert "aws/sagemaker/Endpoints/*" in namespaces, namespaces


def test_a_given_role_is_used_as_is(synth):
    from aws_cdk import aws_iam as iam

    def build(stack: Stack) -> None:
        role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        served = endpoint(stack)
        DataQualityMonitor(
            stack, "DataQuality", source=MonitorSource.endpoint(served), job=MonitoringJob(role=role)
        )
        DataQualityMonitor(
            stack, "Second", source=MonitorSource.endpoint(served), job=MonitoringJob(role=role)
        )

    template = synth(build)
    assert not template.find_resources(
        "AWS::IAM::Role",
        {"Properties": {"Description": "Model Monitor execution role (sagemaker-constructs)"}},
    )
    for job in template.find_resources("AWS::SageMaker::DataQualityJobDefinition").values():
        assert job["Properties"]["RoleArn"]["Fn::GetAtt"][0].startswith("Mine")


# ----------------------------------------------------------------------------------------------- data quality


def test_data_quality_on_an_endpoint(data_quality_with_baseline):
    template = data_quality_with_baseline
    job = only(template, "AWS::SageMaker::DataQualityJobDefinition")["Properties"]
    assert job["DataQualityAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    image = json.dumps(job["DataQualityAppSpecification"]["ImageUri"])
    assert "SageMakerImageAccountsModelMonitor" in image
    assert "sagemaker-model-monitor-analyzer" in image
    endpoint_ref = job["DataQualityJobInput"]["EndpointInput"]["EndpointName"]["Fn::GetAtt"]
    assert endpoint_ref[0].startswith("Endpoint")
    assert endpoint_ref[1] == "EndpointName"
    assert set(job["DataQualityBaselineConfig"]) == {"ConstraintsResource", "StatisticsResource"}
    assert job["JobResources"]["ClusterConfig"] == {
        "InstanceCount": 1,
        "InstanceType": "ml.m5.xlarge",
        "VolumeSizeInGB": 20,
    }
    assert job["NetworkConfig"] == {"EnableInterContainerTrafficEncryption": True}
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert "JobDefinitionName" not in job  # replaced on every change: names are generated
    output = job["DataQualityJobOutputConfig"]
    key_suffix = output["MonitoringOutputs"][0]["S3Output"]["S3Uri"]["Fn::Join"][1][-1]
    assert re.fullmatch(r"/model-monitor/DataQuality/Test-DataQuality-[A-F0-9]{8}", key_suffix), key_suffix
    assert "KmsKeyId" in output
    schedule = only(template, "AWS::SageMaker::MonitoringSchedule")["Properties"]
    assert schedule["MonitoringScheduleConfig"]["MonitoringType"] == "DataQuality"
    assert schedule["MonitoringScheduleConfig"]["ScheduleConfig"] == {
        "ScheduleExpression": "cron(0 * ? * * *)"
    }
    assert schedule["MonitoringScheduleName"].startswith("Test-DataQuality-")
    assert schedule["EndpointName"]["Fn::GetAtt"][1] == "EndpointName"


def test_monitor_role_is_least_privilege(data_quality_on_an_endpoint):
    template = data_quality_on_an_endpoint
    sts = statements(template, "DataQualityRole")
    actions = {a for st in sts for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert not any(a == "*" or a.endswith(":*") for a in actions), actions
    assert "iam:PassRole" not in actions
    listing = next(st for st in sts if st["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["data-capture/*"]}}
    metrics = next(st for st in sts if st["Action"] == "cloudwatch:PutMetricData")
    assert metrics["Condition"]["StringLike"]["cloudwatch:namespace"] == [
        "aws/sagemaker/Endpoints/*",
        "aws/sagemaker/ModelMonitoring/*",
        "/aws/sagemaker/Endpoints/*",
        "/aws/sagemaker/ModelMonitoring/*",
    ]
    assert any("kms:Decrypt" in json.dumps(st["Action"]) for st in sts)  # the capture bucket's key


def test_schedule_is_deleted_before_its_endpoint(data_quality_on_an_endpoint):
    """CloudFormation deletes dependants first: prove the schedule depends on the endpoint, directly or not."""
    template = data_quality_on_an_endpoint.to_json()
    resources = template["Resources"]

    def references(value: Any) -> set[str]:
        found: set[str] = set()
        if isinstance(value, dict):
            if "Ref" in value and value["Ref"] in resources:
                found.add(value["Ref"])
            if "Fn::GetAtt" in value:
                found.add(value["Fn::GetAtt"][0])
            for item in value.values():
                found |= references(item)
        elif isinstance(value, list):
            for item in value:
                found |= references(item)
        return found

    graph = {
        logical: references(body.get("Properties", {})) | set(body.get("DependsOn", []))
        for logical, body in resources.items()
    }
    (schedule,) = [k for k, v in resources.items() if v["Type"] == "AWS::SageMaker::MonitoringSchedule"]
    (endpoint_id,) = [k for k, v in resources.items() if v["Type"] == "AWS::SageMaker::Endpoint"]
    assert endpoint_id in graph[schedule]  # a direct edge
    # ... and the endpoint never depends on the schedule (no cycle that would block deletion).
    seen, stack = set(), [endpoint_id]
    while stack:
        node = stack.pop()
        for dependency in graph[node]:
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    assert schedule not in seen


def test_data_quality_on_a_batch_transform(data_quality_on_a_batch_transform):
    template, monitor = data_quality_on_a_batch_transform
    assert monitor.metric_namespace == "aws/sagemaker/ModelMonitoring/data-metrics"
    assert monitor.metric_dimensions == {"MonitoringSchedule": monitor.monitoring_schedule_name}
    job_input = only(template, "AWS::SageMaker::DataQualityJobDefinition")["Properties"][
        "DataQualityJobInput"
    ]
    batch = job_input["BatchTransformInput"]
    assert batch["DatasetFormat"] == {"Csv": {"Header": False}}
    assert batch["DataCapturedDestinationS3Uri"]["Fn::Join"][1][-1] == "/data-capture"
    schedule = only(template, "AWS::SageMaker::MonitoringSchedule")["Properties"]
    assert "EndpointName" not in schedule


def test_data_quality_metrics_and_override(stack):
    monitor = DataQualityMonitor(stack, "DataQuality", source=MonitorSource.endpoint(endpoint(stack)))
    drift = monitor.metric_feature_baseline_drift("age")
    assert drift.namespace == "aws/sagemaker/Endpoints/data-metrics"
    assert drift.metric_name == "feature_baseline_drift_age"
    assert drift.dimensions == {"Endpoint": "churn", "MonitoringSchedule": monitor.monitoring_schedule_name}
    assert monitor.metric_feature_non_null("age").statistic == "Minimum"
    other = DataQualityMonitor(
        stack,
        "Overridden",
        source=MonitorSource.endpoint(endpoint(Stack(stack.node.root, "Second"))),
        metric_namespace="/aws/sagemaker/Endpoints/data-metric",
        metric_dimensions={"EndpointName": "churn", "ScheduleName": "s"},
    )
    metric = other.metric_feature_baseline_drift("age")
    assert metric.namespace == "/aws/sagemaker/Endpoints/data-metric"
    assert metric.dimensions == {"EndpointName": "churn", "ScheduleName": "s"}


def test_data_quality_drift_alarm_follows_the_override_and_can_show_missing_data(synth):
    """The namespace and dimensions are unverified (AWS pages disagree), so the drift alarm takes the overrides,
    and ``treat_missing_data`` lets a metric that never arrives show as INSUFFICIENT_DATA instead of OK."""

    def build(stack: Stack) -> None:
        monitor = DataQualityMonitor(
            stack,
            "Overridden",
            source=MonitorSource.endpoint(endpoint(stack)),
            metric_namespace="/aws/sagemaker/Endpoints/data-metric",
            metric_dimensions={"EndpointName": "churn", "ScheduleName": "s"},
        )
        monitor.alarm_on_drift("age", treat_missing_data=cloudwatch.TreatMissingData.MISSING)
        monitor.create_metric_alarm(
            "Completeness",
            monitor.metric_feature_non_null("age"),
            threshold=0.9,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "feature_baseline_drift_age",
            "Namespace": "/aws/sagemaker/Endpoints/data-metric",
            "Dimensions": [
                {"Name": "EndpointName", "Value": "churn"},
                {"Name": "ScheduleName", "Value": "s"},
            ],
            "TreatMissingData": "missing",
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "feature_non_null_age", "TreatMissingData": "breaching"}
    )


def test_one_drift_alarm_for_several_features(synth, stack):
    """``alarm_on_features_drift``: one alarm on MAX of up to 10 features' drift metrics (CloudWatch's limit per
    alarm), more alarms beyond; same threshold as ``alarm_on_drift``, which keeps making one alarm per feature."""
    features = [f"f{i:02d}" for i in range(12)]
    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        monitor = DataQualityMonitor(stack, "DataQuality", source=MonitorSource.endpoint(endpoint(stack)))
        built["alarms"] = monitor.alarm_on_features_drift(features, threshold=0.2)
        built["single"] = monitor.alarm_on_drift("age")

    template = synth(build)
    assert len(built["alarms"]) == 2
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    math = [a["Properties"] for a in alarms.values() if "Metrics" in a["Properties"]]
    assert len(math) == 2
    groups = []
    for alarm in sorted(math, key=lambda a: -len(a["Metrics"])):
        assert alarm["Threshold"] == 0.2
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
        inputs = {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}
        assert expression["Expression"] == f"MAX([{', '.join(sorted(inputs, key=lambda i: int(i[1:])))}])"
        assert expression["ReturnData"] is True
        assert all(stat["Period"] == 3600 and stat["Stat"] == "Maximum" for stat in inputs.values())
        assert all(
            stat["Metric"]["Namespace"] == "aws/sagemaker/Endpoints/data-metrics" for stat in inputs.values()
        )
        groups.append([inputs[i]["Metric"]["MetricName"] for i in sorted(inputs, key=lambda i: int(i[1:]))])
    assert [len(g) for g in groups] == [10, 2]
    assert [n for g in groups for n in g] == [f"feature_baseline_drift_{f}" for f in features]
    # The single-feature form is unchanged: one plain metric alarm.
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "feature_baseline_drift_age", "Threshold": 0.1}
    )

    monitor = DataQualityMonitor(stack, "Other", source=MonitorSource.endpoint(endpoint(stack)))
    with pytest.raises(ValueError, match=r"'features' must name at least one feature, got \[\]"):
        monitor.alarm_on_features_drift([])
    with pytest.raises(ValueError, match=r"'features' must not repeat a feature, got \['age'\]"):
        monitor.alarm_on_features_drift(["age", "tenure", "age"])
    with pytest.raises(ValueError, match="'features' must be a list of strings, got str 'age'"):
        monitor.alarm_on_features_drift("age")


# ---------------------------------------------------------------------------------------------- model quality


def test_model_quality_with_ground_truth_and_offsets(synth):
    def build(stack: Stack) -> None:
        monitor = ModelQualityMonitor(
            stack,
            "Quality",
            source=MonitorSource.endpoint(endpoint(stack)),
            problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=ground_truth(stack),
            probability_attribute="0",
            probability_threshold_attribute=0.5,
            start_time_offset="-P1D",
            end_time_offset="-PT1H",
            baseline=Baseline(constraints=S3Source.from_asset(f"{BASELINES}/model_quality/constraints.json")),
        )
        monitor.alarm_on_metric("auc", threshold=0.75)
        monitor.alarm_on_metric("false_positive_rate", threshold=0.3)

    template = synth(build)
    job = only(template, "AWS::SageMaker::ModelQualityJobDefinition")["Properties"]
    assert job["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification"
    endpoint_input = job["ModelQualityJobInput"]["EndpointInput"]
    assert endpoint_input["ProbabilityAttribute"] == "0"
    assert endpoint_input["ProbabilityThresholdAttribute"] == 0.5
    assert endpoint_input["StartTimeOffset"] == "-P1D"
    assert endpoint_input["EndTimeOffset"] == "-PT1H"
    assert job["ModelQualityJobInput"]["GroundTruthS3Input"]["S3Uri"]["Fn::Join"][1][-1] == "/labels"
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
    assert only(template, "AWS::SageMaker::MonitoringSchedule")["Properties"]["MonitoringScheduleConfig"][
        "ScheduleConfig"
    ] == {"ScheduleExpression": "cron(0 0 ? * * *)"}
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "auc", "Namespace": "aws/sagemaker/Endpoints/model-metrics", "ComparisonOperator": "LessThanThreshold",
         "TreatMissingData": "notBreaching"},
    )  # fmt: skip
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "false_positive_rate", "ComparisonOperator": "GreaterThanThreshold"},
    )
    sts = statements(template, "QualityRole")
    gt_list = [st for st in sts if st["Action"] == "s3:ListBucket" and "labels/*" in json.dumps(st)]
    assert gt_list, "the role may list the ground truth prefix"


def test_hourly_model_quality_runtime_is_capped(stack):
    with pytest.raises(
        ValueError, match=r"'job.max_runtime' of an hourly ModelQuality monitor must be at most 1800 seconds"
    ):
        ModelQualityMonitor(
            stack, "Quality", source=MonitorSource.endpoint(endpoint(stack)), job=MonitoringJob(max_runtime=Duration.hours(1)), problem_type=ProblemType.REGRESSION,
            ground_truth=ground_truth(stack), inference_attribute="0", schedule=MonitoringSchedule.hourly(),
        )  # fmt: skip


def test_model_quality_attribute_rules(stack):
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        ModelQualityMonitor(
            stack, "Quality", source=MonitorSource.endpoint(endpoint(stack)), problem_type=ProblemType.REGRESSION,
            ground_truth=GroundTruth(ground_truth(stack).bucket, "/labels/"), probability_attribute="0",
            start_time_offset="yesterday",
        )  # fmt: skip
    message = str(excinfo.value)
    assert "'inference_attribute' is required for Regression" in message
    assert (
        "'probability_attribute' and 'probability_threshold_attribute' do not apply to Regression" in message
    )
    assert (
        "'start_time_offset' must be an ISO-8601 offset such as -PT1H, -PT24H or -P1D, got 'yesterday'"
        in message
    )
    assert (
        "'ground_truth.prefix' must be a non-empty prefix without leading or trailing '/', got '/labels/'"
        in message
    )


def test_model_quality_metric_names_follow_the_problem_type(stack):
    monitor = ModelQualityMonitor(
        stack, "Quality", source=MonitorSource.endpoint(endpoint(stack)), problem_type=ProblemType.REGRESSION,
        ground_truth=ground_truth(stack), inference_attribute="0",
    )  # fmt: skip
    assert monitor.metric("rmse").dimensions == {
        "Endpoint": "churn",
        "MonitoringSchedule": monitor.monitoring_schedule_name,
    }
    with pytest.raises(
        ValueError,
        match=r"'metric_name' for Regression must be one of \['mse', 'rmse', 'r2', 'mae'\], got 'auc'",
    ):
        monitor.metric("auc")


# --------------------------------------------------------------------------------------------- bias, SHAP


def test_bias_monitor_renders_and_uploads_its_clarify_config(synth):
    def build(stack: Stack) -> None:
        monitor = ModelBiasMonitor(
            stack, "Bias", source=MonitorSource.endpoint(endpoint(stack)), analysis_config=bias_config(), ground_truth=ground_truth(stack),
            probability_attribute="0", probability_threshold_attribute=0.5,
        )  # fmt: skip
        metric = monitor.metric_bias("DPPL", facet="age", facet_value="40", label="churned", label_value="1")
        assert metric.metric_name == "bias_metric_DPPL"
        assert metric.namespace == "aws/sagemaker/Endpoints/bias-metrics"
        assert metric.dimensions["Facet"] == "age"

    template = synth(build)
    job = only(template, "AWS::SageMaker::ModelBiasJobDefinition")["Properties"]
    app = job["ModelBiasAppSpecification"]
    assert "sagemaker-clarify-processing:1.0" in json.dumps(app["ImageUri"])
    assert app["ConfigUri"]["Fn::Sub"].endswith(".json")
    config = bias_config().to_json()
    assert config["label"] == "churned"
    assert config["headers"][2] == "churned"
    assert config["facet"] == [{"name_or_index": "age", "value_or_threshold": [40]}]
    # Deterministic rendering: the same config gives the same file (and asset hash).
    assert write_config_file(config) == write_config_file(bias_config().to_json())


def rendered_config(stack: Stack, template: Template, resource_type: str, app_key: str) -> dict[str, Any]:
    """The analysis_config.json a Clarify job definition points at, read from the synthesized asset."""
    config_uri = json.dumps(only(template, resource_type)["Properties"][app_key]["ConfigUri"])
    (asset_hash,) = re.findall(r"([0-9a-f]{64})\.json", config_uri)
    outdir = Path(stack.node.root.outdir)  # type: ignore[attr-defined]
    loaded: dict[str, Any] = json.loads((outdir / f"asset.{asset_hash}.json").read_text())
    return loaded


def named_endpoint(stack: Stack) -> Endpoint:
    champion = Model(
        stack, "Champion", image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL), model_name="churn-champion",
    )  # fmt: skip
    challenger = Model(
        stack, "Challenger", image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL), model_name="churn-challenger",
    )  # fmt: skip
    return Endpoint(
        stack, "Endpoint", endpoint_name="churn", data_capture=DataCapture(sampling_percentage=100),
        variants=[
            ProductionVariant("challenger", model=challenger, weight=10),
            ProductionVariant("champion", model=champion, weight=90),
        ],
    )  # fmt: skip


def test_explainability_serves_the_endpoints_model_on_a_shadow_endpoint(synth):
    # The production endpoint captures its traffic: SHAP's synthetic requests must not go there (AWS advises
    # against endpoint_name as the predictor). Clarify serves the champion's model on a shadow endpoint instead.
    built: dict[str, Stack] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        monitor = ModelExplainabilityMonitor(
            stack,
            "Shap",
            source=MonitorSource.endpoint(named_endpoint(stack)),
            analysis_config=shap_config(),
            probability_attribute="0",
        )
        attribution = monitor.metric_feature_attribution("age")
        assert attribution.metric_name == "feature_age"
        assert attribution.dimensions["ExplainabilityMethod"] == "KernelShap"
        assert attribution.dimensions["ValueType"] == "GlobalShapValues"

    template = synth(build)
    config = rendered_config(
        built["stack"], template, "AWS::SageMaker::ModelExplainabilityJobDefinition",
        "ModelExplainabilityAppSpecification",
    )  # fmt: skip
    predictor = config["predictor"]
    assert "endpoint_name" not in predictor
    assert predictor["model_name"] == "churn-champion"  # the variant with the highest weight
    assert predictor["instance_type"] == "ml.m5.xlarge"
    assert predictor["initial_instance_count"] == 1
    prefix = predictor["endpoint_name_prefix"]
    assert re.fullmatch(r"sm-clarify-[0-9a-f]{8}", prefix)
    sts = statements(template, "ShapRole")
    # The role may not invoke the production endpoint, only this monitor's Clarify shadow endpoints.
    assert not any("EndpointArn" in json.dumps(st) for st in sts)
    invoke = next(st for st in sts if "sagemaker:InvokeEndpoint" in st["Action"])
    assert all(f"{prefix}*" in json.dumps(r) for r in invoke["Resource"])
    assert any(":model/churn-champion" in json.dumps(st["Resource"]) for st in sts)


SHADOW_ACTIONS = (
    "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig",
    "sagemaker:CreateEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint", "sagemaker:DeleteEndpoint",
)  # fmt: skip


def test_two_explainability_monitors_cannot_touch_each_others_shadow_endpoints(synth):
    # Each monitor's role may manage only the shadow endpoints named with the prefix its own rendered config
    # gives Clarify, judged by the IAM evaluator on the resolved template (not by string search).
    built: dict[str, Stack] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        served = named_endpoint(stack)
        for name in ("ShapA", "ShapB"):
            ModelExplainabilityMonitor(
                stack,
                name,
                source=MonitorSource.endpoint(served),
                analysis_config=shap_config(),
                probability_attribute="0",
            )

    template = synth(build)
    stack = built["stack"]
    outdir = Path(stack.node.root.outdir)  # type: ignore[attr-defined]
    world = World.from_templates({stack.stack_name: template.to_json()})
    monitors = []
    for _stack, _logical, job in world.resources("AWS::SageMaker::ModelExplainabilityJobDefinition"):
        (asset_hash,) = re.findall(
            r"([0-9a-f]{64})\.json", job["ModelExplainabilityAppSpecification"]["ConfigUri"]
        )
        predictor = json.loads((outdir / f"asset.{asset_hash}.json").read_text())["predictor"]
        monitors.append((job["RoleArn"], predictor["endpoint_name_prefix"]))
    assert len(monitors) == 2
    (role_a, prefix_a), (role_b, prefix_b) = monitors
    assert prefix_a != prefix_b

    def decision(role: str, action: str, prefix: str) -> Decision:
        # Clarify appends a suffix of its own to the prefix (a run timestamp here).
        kind = "endpoint-config" if "EndpointConfig" in action else "endpoint"
        resource = arn("sagemaker", f"{kind}/{prefix}-1764615600")
        return world.evaluate(Request(role, action, resource)).decision

    for action in SHADOW_ACTIONS:
        for own, other in (((role_a, prefix_a), prefix_b), ((role_b, prefix_b), prefix_a)):
            assert decision(own[0], action, own[1]) is Decision.ALLOW, (action, own)
            assert decision(own[0], action, other) is Decision.IMPLICIT_DENY, (action, own, other)
        # Nor another team's Clarify endpoints with Clarify's default prefix.
        assert decision(role_a, action, "sm-clarify") is Decision.IMPLICIT_DENY


def test_shadow_endpoint_name_prefix_is_chosen_and_checked(synth, stack):
    built: dict[str, Stack] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        ModelExplainabilityMonitor(
            stack, "Shap", source=MonitorSource.endpoint(named_endpoint(stack)), analysis_config=shap_config(),
            shadow_endpoint_name_prefix="Churn-Shap",
        )  # fmt: skip

    template = synth(build)
    config = rendered_config(
        built["stack"], template, "AWS::SageMaker::ModelExplainabilityJobDefinition",
        "ModelExplainabilityAppSpecification",
    )  # fmt: skip
    assert config["predictor"]["endpoint_name_prefix"] == "Churn-Shap"
    invoke = next(st for st in statements(template, "ShapRole") if "sagemaker:InvokeEndpoint" in st["Action"])
    # SageMaker ARNs carry resource names in lower case.
    assert all("churn-shap*" in json.dumps(r) for r in invoke["Resource"])
    with pytest.raises(
        ValueError,
        match=r"'shadow_endpoint_name_prefix' must be 1-23 characters of letters, digits and hyphens, .*"
        r"got 'a-prefix-longer-than-twenty-three'",
    ):
        ModelExplainabilityMonitor(
            stack, "Long", source=MonitorSource.endpoint(named_endpoint(stack)), analysis_config=shap_config(),
            shadow_endpoint_name_prefix="a-prefix-longer-than-twenty-three",
        )  # fmt: skip
    with pytest.raises(ValueError, match=r"'shadow_endpoint_name_prefix' .* got 'sm_clarify'"):
        ModelExplainabilityMonitor(
            stack, "Underscore", source=MonitorSource.endpoint(named_endpoint(Stack(stack.node.root, "U"))),
            analysis_config=shap_config(), shadow_endpoint_name_prefix="sm_clarify",
        )  # fmt: skip


def test_s3_analysis_config_may_not_invoke_the_production_endpoint_unless_asked(synth, stack):
    config = S3Source.from_asset(
        write_config_file({"version": "1.0", "predictor": {"endpoint_name": "churn"}})
    )
    with pytest.raises(
        ValueError,
        match=r"an S3Source 'analysis_config' on an endpoint needs 'shadow_model_name' .* or "
        r"'invoke_monitored_endpoint=True' .* got neither",
    ):
        ModelExplainabilityMonitor(
            stack, "Shap", source=MonitorSource.endpoint(named_endpoint(stack)), analysis_config=config
        )
    with pytest.raises(ValueError, match=r"'invoke_monitored_endpoint' applies only to an S3Source"):
        ModelExplainabilityMonitor(
            stack, "Typed", source=MonitorSource.endpoint(named_endpoint(Stack(stack.node.root, "T"))), analysis_config=shap_config(),
            invoke_monitored_endpoint=True,
        )  # fmt: skip

    def opted_in(stack: Stack) -> None:
        ModelExplainabilityMonitor(
            stack,
            "Shap",
            source=MonitorSource.endpoint(named_endpoint(stack)),
            analysis_config=config,
            invoke_monitored_endpoint=True,
        )

    sts = statements(synth(opted_in), "ShapRole")
    invoke = next(st for st in sts if "sagemaker:InvokeEndpoint" in st["Action"])
    assert "EndpointArn" in json.dumps(invoke["Resource"]) or ":endpoint/churn" in json.dumps(
        invoke["Resource"]
    )
    assert not any("sm-clarify" in json.dumps(st) for st in sts)


def test_explainability_needs_a_model_name_known_at_synth(stack):
    with pytest.raises(ValueError, match="'shadow_model_name' is required for an imported endpoint"):
        ModelExplainabilityMonitor(
            stack, "Imported", analysis_config=shap_config(),
            source=MonitorSource.endpoint(Endpoint.from_endpoint_name(stack, "Churn", "churn")),
        )  # fmt: skip
    with pytest.raises(
        ValueError,
        match="the model name of the endpoint's variant 'v' is generated at deploy time: create the Model with "
        "model_name=",
    ):
        ModelExplainabilityMonitor(
            stack, "Generated", analysis_config=shap_config(), source=MonitorSource.endpoint(endpoint(stack))
        )
    # An explicit literal name serves, for imported endpoints and generated model names alike.
    ModelExplainabilityMonitor(
        stack, "Explicit", analysis_config=shap_config(), shadow_model_name="churn-v1",
        source=MonitorSource.endpoint(Endpoint.from_endpoint_name(stack, "Churn2", "churn")),
    )  # fmt: skip


def test_explaining_a_batch_transform_needs_a_fixed_shadow_model(stack):
    with pytest.raises(ValueError, match="the batch transform's model name is generated at deploy time"):
        ModelExplainabilityMonitor(
            stack,
            "Shap",
            source=MonitorSource.batch_transform(transform(stack)),
            analysis_config=shap_config(),
        )
    with pytest.raises(ValueError, match="'shadow_model_name' must be known at synth time"):
        ModelExplainabilityMonitor(
            stack, "Shap2", source=MonitorSource.batch_transform(transform(Stack(stack.node.root, "B"))), analysis_config=shap_config(),
            shadow_model_name=model(stack).model_name,
        )  # fmt: skip


def test_clarify_config_rules(stack):
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        ModelBiasMonitor(
            stack, "Bias", source=MonitorSource.endpoint(endpoint(stack)), ground_truth=ground_truth(stack), probability_attribute="0",
            analysis_config=BiasAnalysisConfig(
                headers=["Age", "churned", "churned"], label="label", label_values_or_threshold=[],
                facets=[Facet(name="gender")],
            ),
        )  # fmt: skip
    message = str(excinfo.value)
    assert (
        "'analysis_config.headers' must be Spark-compliant (lowercase letters, digits and '_', starting with a letter), got ['Age']"
        in message
    )
    assert "'analysis_config.headers' must be unique, got duplicates ['churned']" in message
    assert "'analysis_config.label' must be one of the headers, got 'label'" in message
    assert "'analysis_config.label_values_or_threshold' must hold at least one value" in message
    assert "'analysis_config.facets' name must be one of the headers, got 'gender'" in message
    with pytest.raises(
        ValueError, match=r"'analysis_config.shap_baseline\[0\]' must hold one value per header \(7\), got 2"
    ):
        ModelExplainabilityMonitor(
            stack, "Shap", source=MonitorSource.endpoint(endpoint(Stack(stack.node.root, "Other"))), shadow_model_name="churn-v1",
            analysis_config=ExplainabilityAnalysisConfig(headers=FEATURES, shap_baseline=[[1, 2]]),
        )  # fmt: skip


# ------------------------------------------------------------------------------------------------- guards


def test_endpoint_without_data_capture_is_rejected(stack):
    with pytest.raises(
        ValueError, match="'source' endpoint has no data capture: Model Monitor reads captured traffic"
    ):
        DataQualityMonitor(
            stack, "DataQuality", source=MonitorSource.endpoint(endpoint(stack, capture=False))
        )


def test_batch_transform_without_data_capture_is_rejected(stack):
    with pytest.raises(ValueError, match="'source' batch transform has no data capture"):
        DataQualityMonitor(
            stack, "DataQuality", source=MonitorSource.batch_transform(transform(stack, capture=False))
        )


def test_multi_model_endpoint_is_rejected(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Models", "models")
    mme = Model(
        stack, "Mme",
        containers=[ContainerDefinition(image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
                                        model_data=ModelData.from_bucket(bucket, "m/"), multi_model=True)],
    )  # fmt: skip
    e = Endpoint(stack, "E", variants=[ProductionVariant("v", model=mme)], data_capture=DataCapture())
    with pytest.raises(
        ValueError, match="'source' endpoint hosts a multi-model container: Model Monitor supports only"
    ):
        DataQualityMonitor(stack, "DataQuality", source=MonitorSource.endpoint(e))


def test_a_source_watches_exactly_one_endpoint_or_batch_transform(stack):
    served = endpoint(stack)
    # The named constructors cannot build these; a direct construction can, and is refused at once.
    with pytest.raises(
        ValueError, match=r"'source' must watch exactly one endpoint or batch transform.*got both"
    ):
        MonitorSource(monitored_endpoint=served, monitored_batch_transform=transform(stack))
    with pytest.raises(
        ValueError, match=r"'source' must watch exactly one endpoint or batch transform.*got neither"
    ):
        MonitorSource()
    with pytest.raises(ValueError, match=r"'source.dataset_format' applies only to a batch transform"):
        MonitorSource(monitored_endpoint=served, dataset_format=DatasetFormat.csv())


def test_source_is_required_and_type_checked(stack):
    with pytest.raises(TypeError, match="source"):
        DataQualityMonitor(stack, "DataQuality")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match=r"'source' must be a MonitorSource, got Endpoint"):
        DataQualityMonitor(stack, "Other", source=endpoint(stack))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'transform' must be a BatchTransform, got str 'churn'"):
        MonitorSource.batch_transform("churn")  # type: ignore[arg-type]


def test_option_groups_are_type_checked_field_by_field(stack):
    with pytest.raises(ValueError, match="Invalid props for DataQualityMonitor") as excinfo:
        DataQualityMonitor(
            stack,
            "DataQuality",
            source=MonitorSource.endpoint(endpoint(stack)),
            job=MonitoringJob(instance_count="2", network_isolation="yes"),  # type: ignore[arg-type]
            output=MonitoringOutput(prefix=5),  # type: ignore[arg-type]
        )
    message = str(excinfo.value)
    assert "'job.instance_count' must be" in message
    assert "'job.network_isolation' must be True or False" in message
    assert "'output.prefix' must be" in message


def test_job_problems_are_collected_under_job(stack):
    with pytest.raises(ValueError, match="Invalid props for DataQualityMonitor") as excinfo:
        DataQualityMonitor(
            stack,
            "DataQuality",
            source=MonitorSource.endpoint(endpoint(stack)),
            job=MonitoringJob(
                instance_count=0,
                volume_size=Size.gibibytes(16385),
                max_runtime=Duration.hours(25),
                environment={"1BAD": "x"},
                security_groups=[],
            ),
        )
    message = str(excinfo.value)
    assert "'job.instance_count' must be between 1 and 100, got 0" in message
    assert "'job.volume_size' must be" in message
    assert "'job.max_runtime' must be" in message
    assert "'job.environment' key must match" in message
    assert "'job.vpc_subnets' and 'job.security_groups' require 'job.vpc', got vpc=None" in message


def test_one_job_and_one_source_serve_several_monitors(synth):
    def build(stack: Stack) -> None:
        key = kms.Key(stack, "VolumeKey", enable_key_rotation=True)
        source = MonitorSource.endpoint(endpoint(stack))
        job = MonitoringJob(instance_type="ml.c5.xlarge", volume_kms_key=key, environment={"MODE": "strict"})
        DataQualityMonitor(stack, "DataQuality", source=source, job=job)
        ModelQualityMonitor(
            stack,
            "Quality",
            source=source,
            job=job,
            problem_type=ProblemType.REGRESSION,
            ground_truth=ground_truth(stack),
            inference_attribute="0",
        )

    template = synth(build)
    jobs = [
        *template.find_resources("AWS::SageMaker::DataQualityJobDefinition").values(),
        *template.find_resources("AWS::SageMaker::ModelQualityJobDefinition").values(),
    ]
    assert len(jobs) == 2
    for job in jobs:
        props = job["Properties"]
        cluster = props["JobResources"]["ClusterConfig"]
        assert cluster["InstanceType"] == "ml.c5.xlarge"
        assert "VolumeKmsKeyId" in cluster
        app = next(v for k, v in props.items() if k.endswith("AppSpecification"))
        assert app["Environment"]["MODE"] == "strict"
    # Each monitor keeps its own default runtime: 1 hour for data quality, 30 minutes for model quality.
    runtimes = sorted(job["Properties"]["StoppingCondition"]["MaxRuntimeInSeconds"] for job in jobs)
    assert runtimes == [1800, 3600]


def test_batch_source_dataset_format(synth):
    def build(stack: Stack) -> None:
        source = MonitorSource.batch_transform(
            transform(stack), dataset_format=DatasetFormat.csv(header=True)
        )
        DataQualityMonitor(stack, "DataQuality", source=source)

    template = synth(build)
    job = only(template, "AWS::SageMaker::DataQualityJobDefinition")["Properties"]
    assert job["DataQualityJobInput"]["BatchTransformInput"]["DatasetFormat"] == {"Csv": {"Header": True}}


def test_imported_endpoint_warns_about_unknown_capture(synth):
    def build(stack: Stack) -> None:
        DataQualityMonitor(
            stack,
            "DataQuality",
            source=MonitorSource.endpoint(Endpoint.from_endpoint_name(stack, "Imported", "legacy")),
        )

    template = synth(build)
    assert only(template, "AWS::SageMaker::MonitoringSchedule")["Properties"]["EndpointName"] == "legacy"


def test_region_without_the_image_fails_at_synth():
    stack = Stack(
        App(context=app_context()), "Gov", env=Environment(account="123456789012", region="us-gov-west-1")
    )
    with pytest.raises(
        ValueError, match="SageMaker publishes no model-monitor  image in region 'us-gov-west-1'"
    ):
        DataQualityMonitor(stack, "DataQuality", source=MonitorSource.endpoint(endpoint(stack)))


# ---------------------------------------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    ("schedule", "expression"),
    [
        (MonitoringSchedule.hourly(), "cron(0 * ? * * *)"),
        (MonitoringSchedule.daily(hour=3), "cron(0 3 ? * * *)"),
        (MonitoringSchedule.every_n_hours(6, starting_hour=1), "cron(0 1/6 ? * * *)"),
    ],
)
def test_accepted_schedules(synth, schedule, expression):
    template = synth(
        lambda s: DataQualityMonitor(
            s, "DataQuality", source=MonitorSource.endpoint(endpoint(s)), schedule=schedule
        )
    )
    config = only(template, "AWS::SageMaker::MonitoringSchedule")["Properties"]["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"]["ScheduleExpression"] == expression


def test_one_time_schedule_with_window(synth):
    schedule = MonitoringSchedule.now(start="-PT5H", end="-PT1H")
    template = synth(
        lambda s: DataQualityMonitor(
            s, "DataQuality", source=MonitorSource.endpoint(endpoint(s)), schedule=schedule
        )
    )
    config = only(template, "AWS::SageMaker::MonitoringSchedule")["Properties"]["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"] == {
        "ScheduleExpression": "NOW",
        "DataAnalysisStartTime": "-PT5H",
        "DataAnalysisEndTime": "-PT1H",
    }


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (MonitoringSchedule.from_expression("cron(30 * ? * * *)"), "'schedule' must be one of MonitoringSchedule.hourly()"),
        (MonitoringSchedule.from_expression("rate(1 hour)"), "cron(0 * ? * * *), cron(0 H ? * * *), cron(0 H/N ? * * *) or NOW, got 'rate(1 hour)'"),
        (MonitoringSchedule.daily(hour=24), "'schedule hour' must be between 0 and 23, got 24"),
        (MonitoringSchedule.every_n_hours(24), "'schedule every_n_hours' must be between 1 and 23, got 24"),
        (MonitoringSchedule.from_expression("NOW"), "'schedule' NOW needs a data analysis window"),
        (MonitoringSchedule.now(start="-P2D", end="-PT1H"), "'schedule' analysis window must span at most 24 hours"),
        (MonitoringSchedule.now(start="-PT1H", end="-PT5H"), "'schedule.start' must not be later than 'schedule.end'"),
        (MonitoringSchedule.now(start="5 hours ago", end="-PT1H"), "'schedule.start' must be an ISO-8601 offset"),
    ],
)  # fmt: skip
def test_rejected_schedules(stack, schedule, message):
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        DataQualityMonitor(
            stack, "DataQuality", source=MonitorSource.endpoint(endpoint(stack)), schedule=schedule
        )
    assert message in str(excinfo.value)


# ----------------------------------------------------------------------------------------------- events


def test_failed_executions_are_notified_and_patterns_route(synth, routes, sample_event):
    holder: dict[str, DataQualityMonitor] = {}

    def build(stack: Stack) -> None:
        topic = NotificationTopic(stack, "Alerts", description="monitoring")
        holder["monitor"] = DataQualityMonitor(
            stack,
            "DataQuality",
            source=MonitorSource.endpoint(endpoint(stack)),
            notification_topic=topic.topic,
        )

    template = synth(build)
    rule = only(template, "AWS::Events::Rule")["Properties"]
    assert rule["Targets"][0]["Arn"]["Ref"].startswith("Alerts")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/monitor-under-test"
    failed_pattern = json.loads(json.dumps(rule["EventPattern"]).replace(
        json.dumps(rule["EventPattern"]["detail"]["MonitoringScheduleArn"][0]), json.dumps(arn)
    ))  # fmt: skip
    failed, violations = (
        sample_event("processing_job_monitoring_failed"),
        sample_event("processing_job_monitoring_violations"),
    )
    assert routes(failed_pattern, failed)
    assert not routes(failed_pattern, violations)
    other_schedule = json.loads(json.dumps(failed))
    other_schedule["detail"]["MonitoringScheduleArn"] = arn.replace("monitor-under-test", "someone-else")
    assert not routes(failed_pattern, other_schedule)

    monitor = holder["monitor"]
    stack = Stack.of(monitor)
    violation_pattern = json.loads(
        json.dumps(stack.resolve(monitor.violations_event_pattern()._values)).replace(
            json.dumps(stack.resolve(monitor.monitoring_schedule_arn)), json.dumps(arn)
        )
    )
    violation_pattern = {k.replace("detail_type", "detail-type"): v for k, v in violation_pattern.items()}
    assert routes(violation_pattern, violations)
    assert not routes(violation_pattern, failed)


def test_monitors_notifying_one_topic_share_one_failure_rule(synth, routes, sample_event):
    """One rule per stack and topic (issue 13): each notifying monitor's failed execution is delivered by it, the
    failures of a monitor that notifies another topic are not."""
    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        alerts = NotificationTopic(stack, "Alerts", description="monitoring")
        others = NotificationTopic(stack, "Others", description="someone else")
        served = endpoint(stack)
        built["notifying"] = [
            DataQualityMonitor(
                stack, "DataQuality", source=MonitorSource.endpoint(served), notification_topic=alerts.topic
            ),
            ModelQualityMonitor(
                stack,
                "Quality",
                source=MonitorSource.endpoint(served),
                problem_type=ProblemType.BINARY_CLASSIFICATION,
                ground_truth=ground_truth(stack),
                probability_attribute="0",
                probability_threshold_attribute=0.5,
                notification_topic=alerts.topic,
            ),
            DataQualityMonitor(stack, "BatchQuality", source=MonitorSource.batch_transform(transform(stack))),
        ]
        built["notifying"][2].notify_on_failure(alerts.topic)
        built["other"] = DataQualityMonitor(
            stack, "Elsewhere", source=MonitorSource.endpoint(served), notification_topic=others.topic
        )
        built["stack"] = stack

    template = synth(build)
    rules = template.find_resources("AWS::Events::Rule")
    assert len(rules) == 2  # one per topic
    (rule,) = [
        r["Properties"]
        for r in rules.values()
        if r["Properties"]["Targets"][0]["Arn"]["Ref"].startswith("Alerts")
    ]
    stack: Stack = built["stack"]

    def concrete(monitor: DataQualityMonitor) -> tuple[str, str]:
        token = json.dumps(stack.resolve(monitor.monitoring_schedule_arn))
        return token, arn("sagemaker", f"monitoring-schedule/{monitor.monitoring_schedule_name.lower()}")

    text = json.dumps(rule["EventPattern"])
    for monitor in [*built["notifying"], built["other"]]:
        token, value = concrete(monitor)
        text = text.replace(token, json.dumps(value))
    pattern = json.loads(text)
    assert len(pattern["detail"]["MonitoringScheduleArn"]) == 3
    for monitor in [*built["notifying"], built["other"]]:
        event = sample_event("processing_job_monitoring_failed")
        event["detail"]["MonitoringScheduleArn"] = concrete(monitor)[1]
        assert routes(pattern, event) is (monitor is not built["other"]), monitor.node.path
    # The topic's policy lets EventBridge publish once, whatever the number of monitors.
    policies = json.dumps(template.find_resources("AWS::SNS::TopicPolicy"))
    assert policies.count("events.amazonaws.com") == 2


def test_failure_rules_split_before_the_event_pattern_quota():
    """EventBridge limits an event pattern to 2,048 characters: the monitors of one topic fill a rule up to that,
    counted with the longest partition, region and account when the stack's are unknown, then start another."""
    from sagemaker_constructs.monitoring._failure_rules import (
        MAX_EVENT_PATTERN_CHARS,
        base_pattern_chars,
        schedule_arn_chars,
    )

    app = App(context=app_context())
    stack = Stack(app, "Test")
    topic = NotificationTopic(stack, "Alerts", description="monitoring")
    served = endpoint(stack)
    name = "x" * 62  # the longest schedule name Names.unique_resource_name gives (at most 63)
    per_schedule = schedule_arn_chars(stack, name)
    worst = "arn:aws-iso-f:sagemaker:" + "r" * 20 + ":" + "1" * 12 + ":monitoring-schedule/" + name
    assert per_schedule == len(json.dumps(worst)) + len(", ")
    fit = (MAX_EVENT_PATTERN_CHARS - base_pattern_chars()) // per_schedule
    monitors = [
        DataQualityMonitor(
            stack, f"{'M' * 60}{i:03d}", source=MonitorSource.endpoint(served), notification_topic=topic.topic
        )
        for i in range(fit + 1)
    ]
    assert {len(m.monitoring_schedule_name) for m in monitors} == {len(name)}
    rules = {id(m.notify_on_failure(topic.topic)) for m in monitors}
    assert len(rules) == 2
    template = Template.from_stack(stack)
    for rule in template.find_resources("AWS::Events::Rule").values():
        arns = rule["Properties"]["EventPattern"]["detail"]["MonitoringScheduleArn"]
        longest = {**rule["Properties"]["EventPattern"], "detail": {
            **rule["Properties"]["EventPattern"]["detail"], "MonitoringScheduleArn": [worst] * len(arns),
        }}  # fmt: skip
        assert len(json.dumps(longest)) <= MAX_EVENT_PATTERN_CHARS


def test_model_quality_constraints_builder_matches_the_documented_schema():
    from sagemaker_constructs import ModelQualityConstraints

    sample = json.loads(Path(f"{BASELINES}/model_quality/constraints.json").read_text())
    thresholds = {k: v["threshold"] for k, v in sample["binary_classification_constraints"].items()}
    built = ModelQualityConstraints(problem_type=ProblemType.BINARY_CLASSIFICATION, thresholds=thresholds)
    assert built.to_json() == sample
    regression = ModelQualityConstraints(
        problem_type=ProblemType.REGRESSION, thresholds={"rmse": 3.5, "r2": 0.6}
    )
    assert regression.to_json() == {
        "version": 0.0,
        "regression_constraints": {
            "r2": {"threshold": 0.6, "comparison_operator": "LessThanThreshold"},
            "rmse": {"threshold": 3.5, "comparison_operator": "GreaterThanThreshold"},
        },
    }
    with pytest.raises(
        ValueError, match=r"'constraints.thresholds' for Regression must use \[.*\], got \['auc'\]"
    ):
        ModelQualityConstraints(problem_type=ProblemType.REGRESSION, thresholds={"auc": 0.7}).to_source()


def test_model_quality_constraints_as_a_baseline(synth):
    from sagemaker_constructs import ModelQualityConstraints

    constraints = ModelQualityConstraints(
        problem_type=ProblemType.BINARY_CLASSIFICATION, thresholds={"auc": 0.75}
    )

    def build(stack: Stack) -> None:
        ModelQualityMonitor(
            stack, "Quality", source=MonitorSource.endpoint(endpoint(stack)), problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=ground_truth(stack), probability_attribute="0", probability_threshold_attribute=0.5,
            baseline=Baseline(constraints=constraints.to_source()),
        )  # fmt: skip

    job = only(synth(build), "AWS::SageMaker::ModelQualityJobDefinition")["Properties"]
    assert job["ModelQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"]["Fn::Sub"].endswith(".json")


def test_image_override_for_regions_without_a_registry_image():
    from sagemaker_constructs import ContainerImage

    # The SDK's registry has no Model Monitor image in eusc-de-east-1, where CloudFormation has the monitoring
    # resource types (cfn-lint's region schemas; us-gov-west-1 has neither, and CDK's own template validation,
    # an error under @aws-cdk/core:validateAgainstDefaultRules, rejects the types there). No cfn-lint here:
    # cfn-lint 1.58's IAM patterns do not know the aws-eusc partition of the key policy's account ARN.
    registry = "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu"
    uri = f"{registry}/my-analyzer:1"
    stack = Stack(
        App(context=app_context()), "Eusc", env=Environment(account="123456789012", region="eusc-de-east-1")
    )
    # The endpoint's own model needs its image named too (no SageMaker XGBoost image there either).
    image = ContainerImage.from_image_uri(f"{registry}/churn:1")
    Model(stack, "Model", image=image, model_data=ModelData.from_asset(SAMPLE_MODEL))
    DataQualityMonitor(
        stack,
        "DataQuality",
        source=MonitorSource.endpoint(endpoint(stack)),
        job=MonitoringJob(image=ContainerImage.from_image_uri(uri)),
    )
    template = Template.from_stack(stack)
    job = only(template, "AWS::SageMaker::DataQualityJobDefinition")["Properties"]
    assert job["DataQualityAppSpecification"]["ImageUri"] == uri


def test_shadow_model_gets_clarify_endpoint_permissions(synth):
    def build(stack: Stack) -> None:
        ModelExplainabilityMonitor(
            stack,
            "Shap",
            source=MonitorSource.batch_transform(transform(stack)),
            analysis_config=shap_config(),
            shadow_model_name="churn-v1",
        )

    sts = statements(synth(build), "ShapRole")
    create = next(st for st in sts if "sagemaker:CreateEndpoint" in st["Action"])
    ends = sorted(r["Fn::Join"][1][-1] for r in create["Resource"])
    assert len(ends) == 2
    assert re.fullmatch(r":endpoint-config/sm-clarify-[0-9a-f]{8}\*", ends[0])
    assert ends[1] == ends[0].replace("endpoint-config", "endpoint")
    assert any(":model/churn-v1" in json.dumps(st["Resource"]) for st in sts)


# Regressions found by the property tests (tests/unit/test_properties.py).


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        (MonitoringSchedule.from_expression("cron(0 \u0663 ? * * *)"), "'schedule' must be one of"),
        (MonitoringSchedule.from_expression("cron(0 3 ? * * *)\n"), "'schedule' must be one of"),
        (
            MonitoringSchedule.now(start="-PT\u0665H", end="-PT1H"),
            "'schedule.start' must be an ISO-8601 offset",
        ),
    ],
)
def test_schedules_with_non_ascii_digits_or_a_newline_are_rejected(stack, schedule, problem):
    # '\d' matched Arabic-Indic digits and re.match accepted a trailing newline.
    with pytest.raises(ValueError, match=re.escape(problem)):
        DataQualityMonitor(
            stack, "Monitor", source=MonitorSource.endpoint(endpoint(stack)), schedule=schedule
        )


def test_volume_size_in_odd_units_is_reported_not_raised_by_jsii(stack):
    # Size.kibibytes(1).to_gibibytes() raised a jsii error.
    from aws_cdk import Size

    with pytest.raises(ValueError, match=r"'job\.volume_size' must be a whole number of GiB"):
        DataQualityMonitor(
            stack,
            "Monitor",
            source=MonitorSource.endpoint(endpoint(stack)),
            job=MonitoringJob(volume_size=Size.kibibytes(1)),
        )


def test_instance_type_must_be_a_processing_instance_type(stack):
    # 'ml.zz9.large' matched ml.<family>.<size> and was accepted; monitoring jobs run on processing instances.
    with pytest.raises(ValueError, match=r"'job\.instance_type' must be a processing instance type"):
        DataQualityMonitor(
            stack,
            "Monitor",
            source=MonitorSource.endpoint(endpoint(stack)),
            job=MonitoringJob(instance_type="ml.zz9.large"),
        )


def test_empty_environment_values_are_rejected(stack):
    # CloudFormation's schema of the job definitions gives environment values minLength 1 (cfn-lint E3033).
    with pytest.raises(
        ValueError, match=re.escape("'job.environment['MODE']' must be 1-256 characters, got 0")
    ):
        DataQualityMonitor(
            stack,
            "Monitor",
            source=MonitorSource.endpoint(endpoint(stack)),
            job=MonitoringJob(environment={"MODE": ""}),
        )


def test_attributes_longer_than_cloudformation_allows_are_rejected(stack):
    # They were not checked (cfn-lint E3033: ExcludeFeaturesAttribute at most 100, the others at most 256).
    with pytest.raises(ValueError, match="'exclude_features_attribute' must be 0-100 characters, got 101"):
        DataQualityMonitor(
            stack,
            "Monitor",
            source=MonitorSource.endpoint(endpoint(stack)),
            exclude_features_attribute="x" * 101,
        )
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        ModelBiasMonitor(
            stack,
            "Bias",
            analysis_config=bias_config(),
            ground_truth=ground_truth(stack),
            source=MonitorSource.endpoint(endpoint(Stack(stack.node.root, "Other"))),
            features_attribute="f" * 257,
            inference_attribute="i" * 257,
        )
    assert "'features_attribute' must be 1-256 characters, got 257" in str(excinfo.value)
    assert "'inference_attribute' must be 1-256 characters, got 257" in str(excinfo.value)


def test_clarify_configs_hold_only_finite_numbers():
    # json.dumps wrote NaN and Infinity, which are not JSON: Clarify could not read the uploaded config.
    from sagemaker_constructs._internal.validation import ValidationErrors

    errors = ValidationErrors("config")
    BiasAnalysisConfig(
        headers=["age", "churned"],
        label="churned",
        label_values_or_threshold=[float("nan")],
        facets=[Facet(name="age", values_or_threshold=[float("inf")])],
    ).validate(errors)
    ExplainabilityAnalysisConfig(headers=["age"], shap_baseline=[[float("-inf")]]).validate(errors)
    assert errors.problems == (
        "'analysis_config.label_values_or_threshold' must hold finite numbers (the config is JSON), got [nan]",
        "'analysis_config.facets' must hold finite numbers (the config is JSON), got [inf]",
        "'analysis_config.shap_baseline[0]' must hold finite numbers (the config is JSON), got [-inf]",
    )


def test_shadow_model_name_is_checked(stack):
    # Any string was accepted, and ended up in the Clarify config and the role's model ARN.
    with pytest.raises(ValueError, match="'shadow_model_name' must be 1-63 characters"):
        ModelExplainabilityMonitor(
            stack, "Monitor", analysis_config=shap_config(), source=MonitorSource.batch_transform(transform(stack)),
            shadow_model_name="churn_model",
        )  # fmt: skip


def test_empty_output_prefix_is_rejected_not_replaced(stack):
    # "" was silently replaced by the default prefix model-monitor/<type>/<schedule name>.
    with pytest.raises(ValueError, match=r"'output\.prefix' must not be empty"):
        DataQualityMonitor(
            stack,
            "Monitor",
            source=MonitorSource.endpoint(endpoint(stack)),
            output=MonitoringOutput(prefix=""),
        )


def test_max_runtime_that_is_not_whole_seconds_is_reported(stack):
    # The hourly-runtime check called to_seconds() on it, and jsii raised.
    with pytest.raises(ValueError, match=r"'job\.max_runtime' must be a whole number of seconds"):
        ModelQualityMonitor(
            stack, "Monitor", problem_type=ProblemType.REGRESSION, ground_truth=ground_truth(stack),
            source=MonitorSource.endpoint(endpoint(stack)), job=MonitoringJob(max_runtime=Duration.millis(1500)), inference_attribute="0",
        )  # fmt: skip


def test_ground_truth_prefix_with_a_line_break_is_rejected(stack):
    with pytest.raises(ValueError, match=r"'ground_truth\.prefix' must not contain line breaks"):
        ModelQualityMonitor(
            stack, "Monitor", problem_type=ProblemType.REGRESSION, source=MonitorSource.endpoint(endpoint(stack)),
            ground_truth=GroundTruth(SecureBucket(stack, "L", description="labels").bucket, "labels\nhourly"),
            inference_attribute="0",
        )  # fmt: skip


def test_output_and_ground_truth_prefixes_fit_in_512_character_uris(stack):
    # MonitoringS3Uri holds at most 512 characters (botocore's model): longer prefixes reached the template.
    labels = s3.Bucket.from_bucket_name(stack, "LongLabels", "labels")
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        ModelQualityMonitor(
            stack, "Monitor", problem_type=ProblemType.REGRESSION, source=MonitorSource.endpoint(endpoint(stack)), output=MonitoringOutput(prefix="o" * 444),
            inference_attribute="0", ground_truth=GroundTruth(labels, "g" * 444),
        )  # fmt: skip
    message = str(excinfo.value)
    assert "'output.prefix' must be at most 443 characters" in message
    assert "'ground_truth.prefix' must be at most 443 characters" in message
    ModelQualityMonitor(
        stack, "Fits", problem_type=ProblemType.REGRESSION, source=MonitorSource.endpoint(stack.node.find_child("Endpoint")), output=MonitoringOutput(prefix="o" * 443),
        inference_attribute="0", ground_truth=GroundTruth(labels, "g" * 443),
    )  # fmt: skip


# ----------------------------------------------------------------------------- joined batch transform output


def test_transform_output_column_follows_the_join(stack):
    joined = transform(stack, data_processing=DataProcessing(join_source=JoinSource.INPUT))
    assert transform_output_column(joined, input_columns=7) == "7"
    assert transform_output_column(joined, input_columns=7, output_column=1) == "8"
    plain = transform(Stack(stack.node.root, "Plain"))
    assert transform_output_column(plain, input_columns=7) == "0"
    unjoined = transform(
        Stack(stack.node.root, "NoJoin"), data_processing=DataProcessing(join_source=JoinSource.NONE)
    )
    assert transform_output_column(unjoined, input_columns=7) == "0"
    filtered = transform(
        Stack(stack.node.root, "Filtered"),
        data_processing=DataProcessing(join_source=JoinSource.INPUT, output_filter="$[0,-1]"),
    )
    with pytest.raises(ValueError, match=re.escape("filters its joined output (output_filter='$[0,-1]')")):
        transform_output_column(filtered, input_columns=7)
    with pytest.raises(ValueError, match="'input_columns' must be a whole number of at least 1, got 0"):
        transform_output_column(joined, input_columns=0)
    json_stack = Stack(stack.node.root, "Json")
    json_transform = BatchTransform(
        json_stack, "Batch", model=model(json_stack), data_capture=BatchDataCapture(),
        input=TransformInput(
            bucket=s3.Bucket.from_bucket_name(json_stack, "In", "input-bucket"), content_type="application/jsonlines"
        ),
        data_processing=DataProcessing(join_source=JoinSource.INPUT),
    )  # fmt: skip
    with pytest.raises(ValueError, match="the prediction is under 'SageMakerOutput'"):
        transform_output_column(json_transform, input_columns=7)


def test_an_index_into_the_input_part_of_a_joined_output_is_rejected(stack):
    # The reference app read the batch AUC from column 0 of records that start with the features.
    joined = transform(stack, data_processing=DataProcessing(join_source=JoinSource.INPUT))
    with pytest.raises(
        ValueError, match="'probability_attribute' is column 0 of the batch transform's output"
    ):
        ModelQualityMonitor(
            stack, "Quality", source=MonitorSource.batch_transform(joined), problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=ground_truth(stack), probability_attribute="0", probability_threshold_attribute=0.5,
        )  # fmt: skip
    with pytest.raises(ValueError, match="'inference_attribute' is column 0 of the batch transform's output"):
        ModelBiasMonitor(
            stack, "Bias", source=MonitorSource.batch_transform(joined), analysis_config=bias_config(),
            ground_truth=ground_truth(stack), inference_attribute="0",
        )  # fmt: skip
    # The derived column is accepted, and so is column 0 of an output that is not joined.
    ModelQualityMonitor(
        stack, "Derived", source=MonitorSource.batch_transform(joined), problem_type=ProblemType.BINARY_CLASSIFICATION,
        ground_truth=ground_truth(stack), probability_threshold_attribute=0.5,
        probability_attribute=transform_output_column(joined, input_columns=len(FEATURES)),
    )  # fmt: skip
    other = Stack(stack.node.root, "Other")
    ModelQualityMonitor(
        other, "Quality", source=MonitorSource.batch_transform(transform(other)), problem_type=ProblemType.BINARY_CLASSIFICATION,
        ground_truth=ground_truth(other), probability_attribute="0", probability_threshold_attribute=0.5,
    )  # fmt: skip


def test_clarify_monitors_need_clarify_constraints(stack):
    # A Model Monitor constraints.json holds no Clarify metrics: the monitor would never report a violation.
    mq = S3Source.from_asset(f"{BASELINES}/model_quality/constraints.json")
    with pytest.raises(
        ValueError,
        match=r"'baseline.constraints' must be the analysis.json of a Clarify bias baselining job \(with "
        r"'post_training_bias_metrics'\), got '.*model_quality/constraints.json' with keys "
        r"\['binary_classification_constraints', 'version'\]",
    ):
        ModelBiasMonitor(
            stack, "Bias", source=MonitorSource.endpoint(endpoint(stack)), analysis_config=bias_config(), ground_truth=ground_truth(stack),
            probability_attribute="0", probability_threshold_attribute=0.5, baseline=Baseline(constraints=mq),
        )  # fmt: skip
    bias_constraints = S3Source.from_asset(f"{BASELINES}/bias/analysis.json")
    shap_stack = Stack(stack.node.root, "Shap")
    with pytest.raises(ValueError, match="Clarify explainability baselining job \\(with 'explanations'\\)"):
        ModelExplainabilityMonitor(
            shap_stack, "Shap", source=MonitorSource.endpoint(named_endpoint(shap_stack)), analysis_config=shap_config(),
            baseline=Baseline(constraints=bias_constraints),
        )  # fmt: skip
    other = Stack(stack.node.root, "Other")
    ModelBiasMonitor(
        other, "Bias", source=MonitorSource.endpoint(endpoint(other)), analysis_config=bias_config(), ground_truth=ground_truth(other),
        probability_attribute="0", probability_threshold_attribute=0.5, baseline=Baseline(constraints=bias_constraints),
    )  # fmt: skip
    accepted = Stack(stack.node.root, "Accepted")
    ModelExplainabilityMonitor(
        accepted, "Shap", source=MonitorSource.endpoint(named_endpoint(accepted)), analysis_config=shap_config(),
        baseline=Baseline(constraints=S3Source.from_asset(f"{BASELINES}/explainability/analysis.json")),
    )  # fmt: skip


def test_explaining_a_batch_transform_serves_its_named_model(synth):
    built: dict[str, Stack] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        named = Model(
            stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
            model_data=ModelData.from_asset(SAMPLE_MODEL), model_name="churn-batch",
        )  # fmt: skip
        scoring = BatchTransform(
            stack, "Batch", model=named, data_capture=BatchDataCapture(),
            input=TransformInput(bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket")),
        )  # fmt: skip
        ModelExplainabilityMonitor(
            stack, "Shap", source=MonitorSource.batch_transform(scoring), analysis_config=shap_config()
        )

    template = synth(build)
    config = rendered_config(
        built["stack"], template, "AWS::SageMaker::ModelExplainabilityJobDefinition",
        "ModelExplainabilityAppSpecification",
    )  # fmt: skip
    assert config["predictor"]["model_name"] == "churn-batch"
    assert any(":model/churn-batch" in json.dumps(st["Resource"]) for st in statements(template, "ShapRole"))


# Runtime truth (issue 10, defects 2-4): what a monitoring execution reads at run time, asserted on the role
# policies a user's stack gets. The actor rehearsal (tests/rehearsal) evaluates the same calls on the reference app.


def _actions(statement: dict[str, Any]) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def test_monitor_roles_can_list_their_baselines(data_quality_with_baseline):
    """Baselines and the Clarify config are ``S3Prefix`` processing inputs: SageMaker lists them, so the role needs
    ``s3:ListBucket`` for exactly the object's key (sagemaker-roles.html, CreateProcessingJob permissions)."""

    sts = statements(data_quality_with_baseline, "DataQualityRole")
    prefixes = sorted(
        key
        for st in sts
        if _actions(st) == ["s3:ListBucket"] and "StringEquals" in st.get("Condition", {})
        for key in st["Condition"]["StringEquals"]["s3:prefix"]
    )
    assert len(prefixes) == 2, sts  # the constraints and the statistics, each by its exact key
    assert all(p.endswith(".json") for p in prefixes), prefixes


def test_ground_truth_monitors_can_read_back_their_merge(synth):
    """The ground-truth merge writes under the monitor's output and the analysis reads it back: read, list and
    decrypt on its own output prefix, not only write."""

    def build(stack: Stack) -> None:
        ModelQualityMonitor(
            stack,
            "Quality",
            source=MonitorSource.endpoint(endpoint(stack)),
            problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=ground_truth(stack),
            probability_attribute="0",
            probability_threshold_attribute=0.5,
        )

    template = synth(build)
    sts = statements(template, "QualityRole")
    prefix = "model-monitor/ModelQuality/"
    reads = [st for st in sts if "s3:GetObject" in _actions(st) and prefix in json.dumps(st["Resource"])]
    assert reads, "the monitor cannot read its own output (the merge)"
    listing = [
        st
        for st in sts
        if _actions(st) == ["s3:ListBucket"] and prefix in json.dumps(st.get("Condition", {}))
    ]
    assert listing, "the monitor cannot list its own output (the merge)"
    assert any("kms:Decrypt" in _actions(st) for st in sts)


def test_batch_monitors_can_read_the_transform_input_and_output(data_quality_on_a_batch_transform):
    """Batch capture writes manifests pointing at the transform's input and output objects, which the monitoring
    job then reads (model-monitor-data-capture-batch)."""
    template, _monitor = data_quality_on_a_batch_transform
    sts = statements(template, "DataQualityRole")
    reads = json.dumps([st["Resource"] for st in sts if "s3:GetObject" in _actions(st)])
    assert "input-bucket" in reads, "the monitor cannot read the transform's input"
    listed = json.dumps([st.get("Condition") for st in sts if _actions(st) == ["s3:ListBucket"]])
    # The default transform output prefix of BatchTransform.
    assert "predictions/" in listed or "output" in listed, listed


# ------------------------------------------------------------------------------------------------ network


def _vpc_with_subnets(stack: Stack, azs: int, per_az: int) -> Any:
    from aws_cdk import aws_ec2 as ec2

    vpc = ec2.Vpc(
        stack,
        "Vpc",
        ip_addresses=ec2.IpAddresses.cidr("10.0.0.0/16"),
        # An environment-agnostic stack has 2 zones; more need named zones (cfn-lint warns on those).
        **({"max_azs": 2} if azs == 2 else {"availability_zones": [f"us-east-1{c}" for c in "abcdef"[:azs]]}),
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(
                name=f"jobs{i}", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
            )
            for i in range(per_az)
        ],
    )
    vpc.add_flow_log("FlowLog")
    return vpc


def test_monitor_network_follows_the_whole_subnet_selection(synth):
    """The monitor places its jobs as a model does (one helper): every field of ``vpc_subnets`` counts
    (``one_per_az`` here), not only the type, group and subnets."""
    from aws_cdk import aws_ec2 as ec2

    def build(stack: Stack) -> None:
        vpc = _vpc_with_subnets(stack, azs=2, per_az=2)
        DataQualityMonitor(
            stack,
            "DataQuality",
            source=MonitorSource.endpoint(endpoint(stack)),
            job=MonitoringJob(
                vpc=vpc,
                vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, one_per_az=True),
            ),
        )

    job = only(synth(build), "AWS::SageMaker::DataQualityJobDefinition")["Properties"]
    assert len(job["NetworkConfig"]["VpcConfig"]["Subnets"]) == 2  # one of the two per zone


def test_monitor_rejects_more_than_16_subnets(stack):
    from aws_cdk import aws_ec2 as ec2

    vpc = _vpc_with_subnets(stack, azs=6, per_az=3)  # 18 isolated subnets
    with pytest.raises(ValueError, match=r"'job\.vpc_subnets' must select 1-16 subnets, got 18"):
        DataQualityMonitor(
            stack,
            "DataQuality",
            source=MonitorSource.endpoint(endpoint(stack)),
            job=MonitoringJob(
                vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            ),
        )
