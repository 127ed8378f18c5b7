"""Oracle: the four monitors' job definitions and schedules equal what the SageMaker Python SDK sends.

The SDK (``sagemaker==3.27.0``: ``sagemaker.core.model_monitor``'s DefaultModelMonitor, ModelQualityMonitor,
ModelBiasMonitor, ModelExplainabilityMonitor) is AWS's own client for Model Monitor. Each monitor is built with the
library (endpoint and batch transform), synthesized, and its tokens resolved to literals; the SDK is then given
the same free choices (names, ARNs, S3 URIs, instance settings, attributes) and its ``Create*JobDefinition`` and
``CreateMonitoringSchedule`` requests are captured before they leave botocore (a ``before-call`` hook answers
them; each request is first validated against botocore's model, as ``Stubber`` does). What the SDK decides
itself (container paths, upload modes, environment, image, request shape) is what the comparison tests.

CloudFormation's ``AWS::SageMaker::*JobDefinition`` properties carry the API's member names, so the comparison
is member by member. Every difference is listed in DELIBERATE with its reason, or fails the test.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import botocore.validate
import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_s3 as s3
from moto import mock_aws
from oracle_support import ACCOUNT, REGION, resolve

from infra.app import cdk_context
from sagemaker_constructs import (
    Baseline,
    BatchDataCapture,
    BatchTransform,
    BiasAnalysisConfig,
    ContainerImage,
    DataCapture,
    DataQualityMonitor,
    Endpoint,
    ExplainabilityAnalysisConfig,
    Facet,
    GroundTruth,
    Model,
    ModelBiasMonitor,
    ModelData,
    ModelExplainabilityMonitor,
    ModelQualityMonitor,
    MonitorSource,
    ProblemType,
    ProductionVariant,
    S3Source,
    SecureBucket,
    TransformInput,
)

sdk_monitor = pytest.importorskip("sagemaker.core.model_monitor.model_monitoring", reason="the SageMaker SDK")

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
MONITOR_TYPES = ["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"]
# The SDK's own container path for monitored data (model_monitoring.py: _CONTAINER_BASE_PATH/input/endpoint).
SDK_INPUT_PATH = str(
    pathlib.PurePosixPath(
        sdk_monitor._CONTAINER_BASE_PATH,
        sdk_monitor._CONTAINER_INPUT_PATH,
        sdk_monitor._CONTAINER_ENDPOINT_INPUT_PATH,
    )
)

ASSET_BUCKET = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"  # CDK's default bootstrap bucket

# Differences from the SDK's requests that are deliberate: {(request, end of the member path): reason}.
# A request is "Job" (any Create*JobDefinition) or "Schedule" (CreateMonitoringSchedule).
DELIBERATE: dict[tuple[str, str], str] = {
    ("Job", "JobOutputConfig.MonitoringOutputs[0].S3Output.S3UploadMode"): (
        "The SDK's MonitoringOutput defaults to Continuous; the library uploads the reports EndOfJob, as the "
        "SDK's own baselining jobs do (model_monitoring.py), since the analyzers write them once, at the end, "
        "and the violations check reads them after the execution completes. Both modes are in botocore's enum."
    ),
    ("Job", "NetworkConfig.EnableNetworkIsolation"): (
        "The SDK sends False; the library leaves it out, which the API reads as False (botocore's "
        "MonitoringNetworkConfig documents no isolation by default). The same request."
    ),
    ("Schedule", "Tags"): "The SDK sends an empty tag list; the library sends none. The same request.",
    ("Schedule", "EndpointName"): (
        "A CloudFormation-only property of AWS::SageMaker::MonitoringSchedule, not a member of the API "
        "request (test_schedule_endpoint_name_is_cloudformation_only checks botocore's model)."
    ),
}


# ---------------------------------------------------------------------------------------------- the library


def _model(stack: Stack) -> Model:
    return Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )


def _monitors(stack: Stack, source: MonitorSource) -> None:
    labels = SecureBucket(stack, "Labels", description="labels")
    ground_truth = GroundTruth(labels.bucket, "labels")
    DataQualityMonitor(
        stack,
        "DataQuality",
        source=source,
        baseline=Baseline(
            constraints=S3Source.from_asset(f"{BASELINES}/data_quality/constraints.json"),
            statistics=S3Source.from_asset(f"{BASELINES}/data_quality/statistics.json"),
        ),
    )
    ModelQualityMonitor(
        stack,
        "ModelQuality",
        source=source,
        problem_type=ProblemType.BINARY_CLASSIFICATION,
        ground_truth=ground_truth,
        probability_attribute="0",
        probability_threshold_attribute=0.5,
        baseline=Baseline(constraints=S3Source.from_asset(f"{BASELINES}/model_quality/constraints.json")),
    )
    ModelBiasMonitor(
        stack,
        "ModelBias",
        source=source,
        analysis_config=BiasAnalysisConfig(
            headers=["churned", *FEATURES],
            label="churned",
            label_values_or_threshold=[1],
            facets=[Facet(name="age", values_or_threshold=[40])],
        ),
        ground_truth=ground_truth,
        probability_attribute="0",
        probability_threshold_attribute=0.5,
    )
    ModelExplainabilityMonitor(
        stack,
        "ModelExplainability",
        source=source,
        analysis_config=ExplainabilityAnalysisConfig(
            headers=FEATURES, shap_baseline=[[40, 24, 46, 1, 1, 0, 2]]
        ),
        probability_attribute="0",
        # Clarify serves a named model on its own shadow endpoint (the model's name is generated here).
        shadow_model_name="churn-model",
    )


def _on_endpoint(stack: Stack) -> None:
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[ProductionVariant("v", model=_model(stack))],
        data_capture=DataCapture(),
        endpoint_name="churn",
    )
    _monitors(stack, MonitorSource.endpoint(endpoint))


def _on_batch_transform(stack: Stack) -> None:
    batch = BatchTransform(
        stack,
        "Batch",
        model=_model(stack),
        input=TransformInput(bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket")),
        data_capture=BatchDataCapture(),
    )
    _monitors(stack, MonitorSource.batch_transform(batch))


@pytest.fixture(scope="module")
def library() -> dict[str, dict[str, dict[str, Any]]]:
    """``{target: {monitor type: {"job": resolved properties, "schedule": resolved properties}}}``."""
    app = App(context=cdk_context())
    env = Environment(account=ACCOUNT, region=REGION)
    targets = {"endpoint": _on_endpoint, "batch transform": _on_batch_transform}
    stacks = {name: Stack(app, f"Monitors{i}", env=env) for i, name in enumerate(targets)}
    for name, build in targets.items():
        build(stacks[name])
    assembly = app.synth()
    found: dict[str, dict[str, dict[str, Any]]] = {"assets": {}}
    # File assets as the deployment would publish them: {S3 key: local file} (the SDK reads baselines back).
    for asset in pathlib.Path(assembly.directory).glob("asset.*.json"):
        found["assets"][asset.name.removeprefix("asset.")] = {"path": str(asset)}
    for name, stack in stacks.items():
        template = assembly.get_stack_by_name(stack.stack_name).template
        resources = template["Resources"]
        parameters = {p: f"parameter-{p.lower()}" for p in template.get("Parameters", {})}
        jobs = {
            logical: resolve(body["Properties"], resources, parameters)
            for logical, body in resources.items()
            if body["Type"].endswith("JobDefinition")
        }
        schedules = [
            resolve(body["Properties"], resources, parameters)
            for body in resources.values()
            if body["Type"] == "AWS::SageMaker::MonitoringSchedule"
        ]
        found[name] = {}
        for schedule in schedules:
            config = schedule["MonitoringScheduleConfig"]
            (job,) = [
                j
                for logical, j in jobs.items()
                if resolve({"Ref": logical}, resources) == config["MonitoringJobDefinitionName"]
            ]
            found[name][config["MonitoringType"]] = {"job": job, "schedule": schedule}
    return found


# ---------------------------------------------------------------------------------------------- the SDK


class Recorder:
    """Answers every SageMaker call of a boto3 client, after checking it against botocore's model."""

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.sagemaker.*", self._record)
        client.meta.events.register("before-call.sagemaker.*", self._answer)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        botocore.validate.validate_parameters(params, model.input_shape)
        self.calls.append((model.name, dict(params)))

    @staticmethod
    def _answer(model: Any, **_: Any) -> tuple[Any, dict[str, Any]]:
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:resource/answered-by-the-test"
        answers = {
            "CreateMonitoringSchedule": {"MonitoringScheduleArn": arn},
        }
        parsed = answers.get(model.name, {"JobDefinitionArn": arn})
        return botocore.awsrequest.AWSResponse(None, 200, {}, None), {**parsed, "ResponseMetadata": {}}

    def request(self, operation: str) -> dict[str, Any]:
        (params,) = [p for name, p in self.calls if name == operation]
        return params


def publish_assets(assets: dict[str, Any]) -> None:
    """Put the file assets where CDK's bootstrap bucket holds them (moto): the SDK reads baselines back."""
    s3_client = boto3.client("s3", region_name=REGION)
    s3_client.create_bucket(Bucket=ASSET_BUCKET)
    for key, asset in assets.items():
        s3_client.upload_file(asset["path"], ASSET_BUCKET, key)


def sdk_requests(monitor_type: str, job: dict[str, Any], schedule: dict[str, Any]) -> Recorder:
    """The requests the SDK sends for a monitor with the library's free choices (inside moto, for S3)."""
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.model_monitor import clarify_model_monitoring as clarify
    from sagemaker.core.network import NetworkConfig

    boto_session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    client = boto_session.client("sagemaker")
    recorder = Recorder(client)
    session = Session(
        boto_session=boto_session, sagemaker_client=client, default_bucket="unused-default-bucket"
    )

    app_spec = job[f"{monitor_type}AppSpecification"]
    job_input = job[f"{monitor_type}JobInput"]
    output = job[f"{monitor_type}JobOutputConfig"]
    cluster = job["JobResources"]["ClusterConfig"]
    network = job.get("NetworkConfig", {})
    environment = dict(app_spec.get("Environment", {}))
    metrics = environment.pop("publish_cloudwatch_metrics", "Disabled") == "Enabled"
    monitor_args: dict[str, Any] = {
        "role": job["RoleArn"],
        "instance_count": cluster["InstanceCount"],
        "instance_type": cluster["InstanceType"],
        "volume_size_in_gb": cluster["VolumeSizeInGB"],
        "volume_kms_key": cluster.get("VolumeKmsKeyId"),
        "output_kms_key": output.get("KmsKeyId"),
        "max_runtime_in_seconds": job["StoppingCondition"]["MaxRuntimeInSeconds"],
        "env": environment or None,
        "sagemaker_session": session,
        "network_config": NetworkConfig(
            enable_network_isolation=network.get("EnableNetworkIsolation", False),
            encrypt_inter_container_traffic=network.get("EnableInterContainerTrafficEncryption"),
            security_group_ids=network.get("VpcConfig", {}).get("SecurityGroupIds"),
            subnets=network.get("VpcConfig", {}).get("Subnets"),
        ),
    }
    attributes = {
        "start_time_offset": None,
        "end_time_offset": None,
        "features_attribute": None,
        "inference_attribute": None,
        "probability_attribute": None,
        "probability_threshold_attribute": None,
    }
    data_input = job_input.get("EndpointInput") or job_input["BatchTransformInput"]
    for name in attributes:
        member = "".join(part.capitalize() for part in name.split("_"))
        attributes[name] = data_input.get(member)
    if "EndpointInput" in job_input:
        target = {
            "endpoint_input": sdk_monitor.EndpointInput(
                endpoint_name=data_input["EndpointName"], destination=SDK_INPUT_PATH, **attributes
            )
        }
    else:
        from sagemaker.core.model_monitor.dataset_format import MonitoringDatasetFormat

        target = {
            "batch_transform_input": sdk_monitor.BatchTransformInput(
                data_captured_destination_s3_uri=data_input["DataCapturedDestinationS3Uri"],
                # The SDK has no default container path for batch input: the library's is a free choice.
                destination=data_input["LocalPath"],
                dataset_format=MonitoringDatasetFormat.csv(
                    header=data_input["DatasetFormat"]["Csv"].get("Header", False)
                ),
                **attributes,
            )
        }
    schedule_args = {
        **target,
        "output_s3_uri": output["MonitoringOutputs"][0]["S3Output"]["S3Uri"],
        "monitor_schedule_name": schedule["MonitoringScheduleName"],
        "schedule_cron_expression": schedule["MonitoringScheduleConfig"]["ScheduleConfig"][
            "ScheduleExpression"
        ],
        "enable_cloudwatch_metrics": metrics,
    }
    baseline = job.get(f"{monitor_type}BaselineConfig", {})
    constraints = baseline.get("ConstraintsResource", {}).get("S3Uri")
    if monitor_type == "DataQuality":
        monitor = sdk_monitor.DefaultModelMonitor(**monitor_args)
        statistics = baseline.get("StatisticsResource", {}).get("S3Uri")
        monitor.create_monitoring_schedule(**schedule_args, constraints=constraints, statistics=statistics)
    elif monitor_type == "ModelQuality":
        monitor = sdk_monitor.ModelQualityMonitor(**monitor_args)
        monitor.create_monitoring_schedule(
            **schedule_args,
            constraints=constraints,
            ground_truth_input=job_input["GroundTruthS3Input"]["S3Uri"],
            problem_type=app_spec["ProblemType"],
        )
    elif monitor_type == "ModelBias":
        monitor = clarify.ModelBiasMonitor(**monitor_args)
        monitor.create_monitoring_schedule(
            **schedule_args,
            constraints=constraints,
            ground_truth_input=job_input["GroundTruthS3Input"]["S3Uri"],
            analysis_config=app_spec["ConfigUri"],
        )
    else:
        monitor = clarify.ModelExplainabilityMonitor(**monitor_args)
        monitor.create_monitoring_schedule(
            **schedule_args, constraints=constraints, analysis_config=app_spec["ConfigUri"]
        )
    return recorder


# ---------------------------------------------------------------------------------------------- comparison


def differences(ours: Any, theirs: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """``(member path, ours, the SDK's)`` for every member that differs; lists compared item by item."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            yield from differences(ours.get(key), theirs.get(key), f"{path}.{key}" if path else key)
    elif isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            yield from differences(a, b, f"{path}[{i}]")
    elif ours != theirs:
        yield path, ours, theirs


def unexplained(request: str, found: list[tuple[str, Any, Any]]) -> list[str]:
    return [
        f"{path}: ours {a!r}, SDK {b!r}"
        for path, a, b in found
        if not any(kind == request and path.endswith(suffix) for kind, suffix in DELIBERATE)
    ]


def test_every_deliberate_difference_is_still_a_difference(library):
    """A listed difference that no longer occurs is stale: drop it from DELIBERATE."""
    seen: set[tuple[str, str]] = set()
    for target, monitor_type in CASES:
        ours = library[target][monitor_type]
        with mock_aws():
            publish_assets(library["assets"])
            recorder = sdk_requests(monitor_type, ours["job"], ours["schedule"])
        theirs = recorder.request(f"Create{monitor_type}JobDefinition")
        for kind, found in [
            ("Job", differences(ours["job"], theirs)),
            ("Schedule", differences(ours["schedule"], recorder.request("CreateMonitoringSchedule"))),
        ]:
            for path, _, _ in found:
                seen |= {(k, suffix) for k, suffix in DELIBERATE if k == kind and path.endswith(suffix)}
    assert set(DELIBERATE) == seen


def test_schedule_endpoint_name_is_cloudformation_only():
    model = botocore.session.get_session().get_service_model("sagemaker")
    assert "EndpointName" not in model.operation_model("CreateMonitoringSchedule").input_shape.members


CASES = [
    (target, monitor_type) for target in ("endpoint", "batch transform") for monitor_type in MONITOR_TYPES
]


@pytest.mark.parametrize(("target", "monitor_type"), CASES)
def test_job_definition_equals_the_sdk_request(library, target, monitor_type):
    ours = library[target][monitor_type]
    with mock_aws():
        publish_assets(library["assets"])
        recorder = sdk_requests(monitor_type, ours["job"], ours["schedule"])
    theirs = recorder.request(f"Create{monitor_type}JobDefinition")
    # The SDK names the job definition; CloudFormation generates the name (see the schedule test).
    theirs = {k: v for k, v in theirs.items() if k != "JobDefinitionName"}
    assert unexplained("Job", list(differences(ours["job"], theirs))) == []


@pytest.mark.parametrize(("target", "monitor_type"), CASES)
def test_schedule_equals_the_sdk_request(library, target, monitor_type):
    ours = library[target][monitor_type]
    with mock_aws():
        publish_assets(library["assets"])
        recorder = sdk_requests(monitor_type, ours["job"], ours["schedule"])
    theirs = dict(recorder.request("CreateMonitoringSchedule"))
    job_name = recorder.request(f"Create{monitor_type}JobDefinition")["JobDefinitionName"]
    config = theirs["MonitoringScheduleConfig"]
    # The schedule points at the job definition the SDK just created: the library's points at its own.
    assert config["MonitoringJobDefinitionName"] == job_name
    theirs["MonitoringScheduleConfig"] = {
        **config,
        "MonitoringJobDefinitionName": ours["schedule"]["MonitoringScheduleConfig"][
            "MonitoringJobDefinitionName"
        ],
    }
    assert unexplained("Schedule", list(differences(ours["schedule"], theirs))) == []
