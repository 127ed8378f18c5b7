"""Issue 12, items 4-6: validation that does not depend on what is installed, inputs that used to get through,
and advice that fits the case.

Self-contained (no fixtures from conftest.py), so that it also runs against older commits of the library.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_s3 as s3
from support.cdk_flags import app_context

import sagemaker_constructs
from sagemaker_constructs import (
    BatchTransform,
    ContainerImage,
    DataCapture,
    DataQualityMonitor,
    Endpoint,
    GroundTruth,
    Model,
    ModelQualityMonitor,
    MonitoringJob,
    MonitoringOutput,
    MonitorSource,
    ProblemType,
    ProductionVariant,
    ServerlessVariant,
    TransformInput,
)

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1.0"

# Run in a fresh interpreter in which `import botocore` fails, as in a virtual environment that has only the
# library's declared dependencies (aws-cdk-lib, constructs). Each case prints the error it got, or None.
NO_BOTOCORE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    blocked = sys.argv[1] == "block"
    if blocked:
        sys.modules["botocore"] = None  # any `import botocore...` now raises ImportError
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3
    from support.cdk_flags import app_context
    from sagemaker_constructs import (
        BatchTransform, ContainerImage, DataCapture, DataQualityMonitor, Endpoint, Model, MonitoringJob,
        MonitorSource, ProductionVariant, TransformInput,
    )

    def stack():
        return Stack(App(context=app_context()), "Test")

    def model(scope):
        return Model(scope, "Model", image=ContainerImage.from_image_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"))

    def batch():
        scope = stack()
        bucket = s3.Bucket.from_bucket_name(scope, "In", "input-bucket")
        BatchTransform(scope, "Batch", model=model(scope), input=TransformInput(bucket=bucket), instance_type="ml.m5.larg")

    def variant():
        scope = stack()
        Endpoint(scope, "E", variants=[ProductionVariant("v", model=model(scope), instance_type="ml.m5.larg")])

    def monitor():
        scope = stack()
        endpoint = Endpoint(scope, "E", variants=[ProductionVariant("v", model=model(scope))], data_capture=DataCapture())
        DataQualityMonitor(
            scope, "Monitor", source=MonitorSource.endpoint(endpoint), job=MonitoringJob(instance_type="ml.m5.xlarg")
        )

    def valid():
        scope = stack()
        served = model(scope)
        endpoint = Endpoint(scope, "E", variants=[ProductionVariant("v", model=served)], data_capture=DataCapture())
        DataQualityMonitor(scope, "Monitor", source=MonitorSource.endpoint(endpoint))
        bucket = s3.Bucket.from_bucket_name(scope, "In", "input-bucket")
        BatchTransform(scope, "Batch", model=served, input=TransformInput(bucket=bucket))

    results = {}
    for case in (batch, variant, monitor) if blocked else (valid,):
        try:
            case()
            results[case.__name__] = None
        except ValueError as error:
            results[case.__name__] = str(error)
    results["botocore_imported"] = any(
        name == "botocore" or name.startswith("botocore.") for name, mod in sys.modules.items() if mod is not None
    )
    print(json.dumps(results))
    """
)


@pytest.fixture
def stack() -> Stack:
    return Stack(App(context=app_context()), "Test")


def model(scope: Stack) -> Model:
    existing = scope.node.try_find_child("Model")
    if isinstance(existing, Model):
        return existing
    return Model(scope, "Model", image=ContainerImage.from_image_uri(IMAGE))


def endpoint(scope: Stack, *, capture: bool = True) -> Endpoint:
    return Endpoint(
        scope,
        "Endpoint",
        variants=[ProductionVariant("v", model=model(scope))],
        data_capture=DataCapture() if capture else None,
    )


# ---------------------------------------------------------------- item 4: the same checks in every environment


def run_script(mode: str) -> dict[str, object]:
    """Run NO_BOTOCORE_SCRIPT in a fresh interpreter: ``block`` makes botocore unimportable, ``observe`` builds
    valid constructs with botocore importable and reports whether the library imported it."""
    # The checkout of the library under test (constructs/sagemaker_constructs/__init__.py -> the repository).
    repo = Path(sagemaker_constructs.__file__).resolve().parents[2]
    env = {
        **os.environ,
        # The inherited path stays last: an environment whose dependencies come from PYTHONPATH keeps them.
        "PYTHONPATH": os.pathsep.join(
            [str(repo / "constructs"), str(repo), str(repo / "tests"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    done = subprocess.run(
        [sys.executable, "-c", NO_BOTOCORE_SCRIPT, mode],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def without_botocore() -> dict[str, object]:
    return run_script("block")


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("batch", "'instance_type' must be a batch transform instance type"),
        ("variant", "'variants[0].instance_type' must be a SageMaker hosting instance type"),
        ("monitor", "'job.instance_type' must be a processing instance type"),
    ],
)
def test_instance_type_typos_are_refused_without_botocore(
    without_botocore: dict[str, object], case: str, fragment: str
) -> None:
    message = without_botocore[case]
    assert message is not None, f"{case}: a misspelt instance type was accepted without botocore"
    assert fragment in str(message)
    assert "got 'ml.m5.xlarg'" in str(message) or "got 'ml.m5.larg'" in str(message)


def test_the_library_never_imports_botocore() -> None:
    # botocore is importable here (the test venv has it): the library must still not reach for it.
    observed = run_script("observe")
    assert observed["valid"] is None, observed["valid"]
    assert observed["botocore_imported"] is False


# ------------------------------------------------------------------------- item 5: one error class, a subclass


def test_validation_error_is_a_public_value_error(stack: Stack) -> None:
    from sagemaker_constructs import ValidationError

    assert issubclass(ValidationError, ValueError)
    with pytest.raises(ValidationError) as excinfo:
        Endpoint(stack, "E", variants=[ProductionVariant("v", model=model(stack), instance_count=0)])
    assert excinfo.value.problems == ("'variants[0].instance_count' must be at least 1, got 0",)


# ------------------------------------------------------------------------ item 5: wrong types name their prop


def test_weight_given_as_a_string_names_the_prop(stack: Stack) -> None:
    variant = ProductionVariant("v", model=model(stack), weight="80")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'variants\[0\].weight' must be a number, got str '80'"):
        Endpoint(stack, "E", variants=[variant])


@pytest.mark.parametrize(
    ("variant_props", "fragment"),
    [
        ({"instance_count": "2"}, "'variants[0].instance_count' must be a number, got str '2'"),
        ({"weight": True}, "'variants[0].weight' must be a number, got bool True"),
        ({"volume_size": 30}, "'variants[0].volume_size' must be a Size, got int 30"),
        (
            {"model_data_download_timeout": 600},
            "'variants[0].model_data_download_timeout' must be a Duration, got int 600",
        ),
        (
            {"enable_ssm_access": "yes"},
            "'variants[0].enable_ssm_access' must be True or False, got str 'yes'",
        ),
        ({"instance_type": 5}, "'variants[0].instance_type' must be an InstanceType or a string, got int 5"),
    ],
)
def test_wrong_types_in_a_variant_name_the_prop(
    stack: Stack, variant_props: dict[str, object], fragment: str
) -> None:
    variant = ProductionVariant("v", model=model(stack), **variant_props)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Invalid props for Endpoint") as excinfo:
        Endpoint(stack, "E", variants=[variant])
    assert fragment in str(excinfo.value)


def test_every_wrong_type_of_a_construct_is_reported_at_once(stack: Stack) -> None:
    with pytest.raises(ValueError, match="Invalid props for Endpoint") as excinfo:
        Endpoint(
            stack,
            "E",
            variants=[ServerlessVariant("s", model=model(stack), max_concurrency="20")],  # type: ignore[arg-type]
            endpoint_name=42,  # type: ignore[arg-type]
        )
    message = str(excinfo.value)
    assert "'variants[0].max_concurrency' must be a number, got str '20'" in message
    assert "'endpoint_name' must be a string, got int 42" in message


def test_monitor_durations_and_flags_are_type_checked(stack: Stack) -> None:
    with pytest.raises(ValueError, match="Invalid props for DataQualityMonitor") as excinfo:
        DataQualityMonitor(
            stack,
            "Monitor",
            source=MonitorSource.endpoint(endpoint(stack)),
            job=MonitoringJob(max_runtime=1800),  # type: ignore[arg-type]
            output=MonitoringOutput(publish_cloudwatch_metrics="true"),  # type: ignore[arg-type]
        )
    message = str(excinfo.value)
    assert "'job.max_runtime' must be a Duration, got int 1800" in message
    assert "'output.publish_cloudwatch_metrics' must be True or False, got str 'true'" in message


# ---------------------------------------------------------------- item 5: s3:// URIs where a key prefix goes


def test_data_capture_prefix_refuses_an_s3_uri(stack: Stack) -> None:
    with pytest.raises(
        ValueError, match=r"'data_capture.prefix' must be a key prefix inside the bucket, not an S3 URI"
    ):
        Endpoint(
            stack,
            "E",
            variants=[ProductionVariant("v", model=model(stack))],
            data_capture=DataCapture(prefix="s3://my-bucket/captures"),
        )


def test_ground_truth_prefix_refuses_an_s3_uri(stack: Stack) -> None:
    labels = s3.Bucket.from_bucket_name(stack, "Labels", "labels-bucket")
    with pytest.raises(ValueError, match=r"'ground_truth\.prefix' must be a key prefix") as excinfo:
        ModelQualityMonitor(
            stack,
            "Quality",
            source=MonitorSource.endpoint(endpoint(stack)),
            problem_type=ProblemType.REGRESSION,
            ground_truth=GroundTruth(labels, "s3://labels-bucket/ground-truth"),
            inference_attribute="0",
        )
    assert "pass 'ground-truth' and the bucket 'labels-bucket'" in str(excinfo.value)


def test_monitor_output_prefix_refuses_an_s3_uri(stack: Stack) -> None:
    with pytest.raises(
        ValueError, match=r"'output\.prefix' must be a key prefix inside the bucket, not an S3 URI"
    ):
        DataQualityMonitor(
            stack,
            "Monitor",
            source=MonitorSource.endpoint(endpoint(stack)),
            output=MonitoringOutput(prefix="S3://reports/monitor"),
        )


def test_transform_input_prefix_refuses_an_s3_uri(stack: Stack) -> None:
    bucket = s3.Bucket.from_bucket_name(stack, "In", "input-bucket")
    with pytest.raises(
        ValueError, match=r"'input\.prefix' must be a key prefix inside the bucket, not an S3 URI"
    ):
        BatchTransform(
            stack,
            "Batch",
            model=model(stack),
            input=TransformInput(bucket=bucket, prefix="s3://input-bucket/in/"),
        )


# ---------------------------------------------------------------------- item 6: advice that fits the endpoint


def test_imported_endpoint_without_capture_gets_advice_for_an_imported_endpoint(stack: Stack) -> None:
    imported = Endpoint.from_endpoint_attributes(
        stack, "Imported", endpoint_name="churn-prod", data_capture_enabled=False
    )
    with pytest.raises(ValueError, match="Invalid props for DataQualityMonitor") as excinfo:
        DataQualityMonitor(
            stack,
            "Monitor",
            source=MonitorSource.endpoint(imported),
            job=MonitoringJob(max_runtime=Duration.minutes(30)),
        )
    message = str(excinfo.value)
    assert "pass data_capture=DataCapture(...) to the Endpoint" not in message
    assert "'source' endpoint 'churn-prod' was imported with data_capture_enabled=False" in message
    assert "import it with data_capture_enabled=True" in message


def test_created_endpoint_without_capture_is_told_to_pass_data_capture(stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"pass data_capture=DataCapture\(\.\.\.\) to the Endpoint"):
        DataQualityMonitor(stack, "Monitor", source=MonitorSource.endpoint(endpoint(stack, capture=False)))


def test_scaling_policy_arguments_are_type_checked(stack: Stack) -> None:
    served = Endpoint(stack, "E", variants=[ProductionVariant("v", model=model(stack))])
    scalable = served.variant("v").auto_scale(min_capacity=1, max_capacity=4)
    with pytest.raises(ValueError, match=r"on_cpu_utilization") as excinfo:
        scalable.on_cpu_utilization("70", disable_scale_in="no")  # type: ignore[arg-type]
    message = str(excinfo.value)
    assert "'target_percent' must be a number, got str '70'" in message
    assert "'disable_scale_in' must be True or False, got str 'no'" in message


def test_auto_scale_capacities_are_type_checked(stack: Stack) -> None:
    served = Endpoint(stack, "E", variants=[ProductionVariant("v", model=model(stack))])
    with pytest.raises(ValueError, match=r"'max_capacity' must be a number, got str '4'"):
        served.variant("v").auto_scale(min_capacity=1, max_capacity="4")  # type: ignore[arg-type]


def test_named_constructors_check_their_argument_types() -> None:
    from sagemaker_constructs import CapacitySize, DeploymentGuardrails, MonitoringSchedule, TransformSchedule

    with pytest.raises(ValueError, match=r"'hour' must be a number, got str '3'"):
        TransformSchedule.daily(hour="3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'wait' must be a Duration, got int 600"):
        DeploymentGuardrails.canary(size=CapacitySize.percent(10), wait=600)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'hour' must be a number, got str '3'"):
        MonitoringSchedule.daily(hour="3")  # type: ignore[arg-type]


# --------------------------------------------------- item 5: every public method checks its arguments' types


class World:
    """One of each construct whose public methods take user values, built once for the cases below (a rejected
    call changes nothing, so the cases can share it)."""

    def __init__(self) -> None:
        from aws_cdk import aws_iam as iam

        from sagemaker_constructs import (
            BiasAnalysisConfig,
            ExplainabilityAnalysisConfig,
            Facet,
            ModelBiasMonitor,
            ModelExplainabilityMonitor,
            OperationsDashboard,
            RetrainingTrigger,
            SageMakerPipeline,
        )

        self.stack = Stack(App(context=app_context()), "Test")
        stack = self.stack
        self.model = model(stack)
        self.endpoint = endpoint(stack)
        self.imported = Endpoint.from_endpoint_name(stack, "Imported", "churn-prod")
        self.batch = BatchTransform(
            stack,
            "Batch",
            model=self.model,
            input=TransformInput(bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket")),
        )
        labels = GroundTruth(s3.Bucket.from_bucket_name(stack, "Labels", "labels-bucket"), "labels")
        self.data_quality = DataQualityMonitor(
            stack, "DataQuality", source=MonitorSource.endpoint(self.endpoint)
        )
        self.model_quality = ModelQualityMonitor(
            stack,
            "Quality",
            source=MonitorSource.endpoint(self.endpoint),
            problem_type=ProblemType.REGRESSION,
            ground_truth=labels,
            inference_attribute="0",
        )
        self.bias = ModelBiasMonitor(
            stack,
            "Bias",
            source=MonitorSource.endpoint(self.endpoint),
            ground_truth=labels,
            probability_attribute="0",
            probability_threshold_attribute=0.5,
            analysis_config=BiasAnalysisConfig(
                headers=["churned", "age"],
                label="churned",
                label_values_or_threshold=[1],
                facets=[Facet(name="age", values_or_threshold=[40])],
            ),
        )
        self.explainability = ModelExplainabilityMonitor(
            stack,
            "Shap",
            source=MonitorSource.endpoint(self.endpoint),
            probability_attribute="0",
            shadow_model_name="churn-v1",
            analysis_config=ExplainabilityAnalysisConfig(headers=["age", "tenure"], shap_baseline=[[40, 24]]),
        )
        role = iam.Role(stack, "PipelineRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        self.pipeline = SageMakerPipeline(
            stack, "Pipeline", definition={"Version": "2020-12-01", "Parameters": [], "Steps": []}, role=role
        )
        self.trigger = RetrainingTrigger(stack, "Trigger", pipeline=self.pipeline)
        self.dashboard = OperationsDashboard(stack, "Dashboard")


@pytest.fixture(scope="module")
def world() -> World:
    return World()


ENDPOINT_VARIANT_METRICS = [
    "metric_invocations",
    "metric_invocations_per_instance",
    "metric_invocation_4xx_errors",
    "metric_invocation_5xx_errors",
    "metric_invocation_model_errors",
    "metric_invocation_failures",
    "metric_5xx_error_rate",
    "metric_model_latency",
    "metric_overhead_latency",
    "metric_model_setup_time",
    "metric_cpu_utilization",
    "metric_memory_utilization",
    "metric_disk_utilization",
    "metric_gpu_utilization",
    "metric_gpu_memory_utilization",
]
ENDPOINT_QUEUE_METRICS = [
    "metric_approximate_backlog_size",
    "metric_approximate_backlog_size_per_instance",
    "metric_approximate_age_of_oldest_request",
    "metric_has_backlog_without_capacity",
]
BATCH_METRICS = [
    "metric_runs_failed",
    "metric_runs_timed_out",
    "metric_runs_succeeded",
    "metric_runs_started",
    "metric_run_time",
]
PIPELINE_METRICS = ["metric_execution_failed", "metric_execution_started", "metric_execution_succeeded"]
TRIGGER_METRICS = ["metric_pipelines_started", "metric_triggers_received", "metric_failures"]
PERIOD = "'period' must be a Duration, got int 60"


def _case(case_id: str, call: Callable[[World], object], fragment: str) -> Any:
    return pytest.param(call, fragment, id=case_id)


def _getter(attribute: str, method: str) -> Callable[[World], Callable[..., object]]:
    return lambda w: getattr(getattr(w, attribute), method)


METHOD_CASES = [
    # Endpoints, created and imported: every metric method (period must be a Duration, not seconds).
    *(
        _case(f"Endpoint.{m}", lambda w, m=m: _getter("endpoint", m)(w)("v", period=60), PERIOD)
        for m in ENDPOINT_VARIANT_METRICS
    ),
    *(
        _case(f"Endpoint.{m}", lambda w, m=m: _getter("endpoint", m)(w)(period=60), PERIOD)
        for m in ENDPOINT_QUEUE_METRICS
    ),
    _case(
        "Endpoint.metric",
        lambda w: w.endpoint.metric("Invocations", 7),
        "'variant_name' must be a string, got int 7",
    ),
    _case(
        "Endpoint.metric_endpoint",
        lambda w: w.endpoint.metric_endpoint("CPUUtilization", statistic=99),
        "'statistic' must be a string, got int 99",
    ),
    _case(
        "imported Endpoint.metric_model_latency",
        lambda w: w.imported.metric_model_latency("v", statistic=["p99"]),
        "'statistic' must be a string, got list ['p99']",
    ),
    _case("Endpoint.variant", lambda w: w.endpoint.variant(0), "'name' must be a string, got int 0"),
    _case(
        "Endpoint.variant_kind",
        lambda w: w.endpoint.variant_kind(None),
        "'variant_name' must be a string, got NoneType None",
    ),
    # Importers.
    _case(
        "Endpoint.from_endpoint_name",
        lambda w: Endpoint.from_endpoint_name(w.stack, "ByName", 42),
        "'endpoint_name' must be a string, got int 42",
    ),
    _case(
        "Endpoint.from_endpoint_attributes",
        lambda w: Endpoint.from_endpoint_attributes(
            w.stack, "ByAttributes", endpoint_name="churn", data_capture_enabled="yes"
        ),
        "'data_capture_enabled' must be True or False, got str 'yes'",
    ),
    _case(
        "Model.from_model_name",
        lambda w: Model.from_model_name(w.stack, "ModelByName", ["churn"]),
        "'model_name' must be a string, got list ['churn']",
    ),
    _case(
        "SageMakerPipeline.from_pipeline_name",
        lambda w: type(w.pipeline).from_pipeline_name(w.stack, "PipelineByName", 3),
        "'pipeline_name' must be a string, got int 3",
    ),
    # Batch transform and pipeline metrics.
    *(
        _case(f"BatchTransform.{m}", lambda w, m=m: _getter("batch", m)(w)(period=60), PERIOD)
        for m in BATCH_METRICS
    ),
    *(
        _case(f"SageMakerPipeline.{m}", lambda w, m=m: _getter("pipeline", m)(w)(period=60), PERIOD)
        for m in PIPELINE_METRICS
    ),
    _case(
        "SageMakerPipeline.metric",
        lambda w: w.pipeline.metric("ExecutionFailed", statistic=1),
        "'statistic' must be a string, got int 1",
    ),
    # Monitors: metrics and alarms.
    _case(
        "DataQualityMonitor.metric",
        lambda w: w.data_quality.metric("feature_non_null_age", period=60),
        PERIOD,
    ),
    _case(
        "DataQualityMonitor.metric_feature_baseline_drift",
        lambda w: w.data_quality.metric_feature_baseline_drift(["age"]),
        "'feature' must be a string, got list ['age']",
    ),
    _case(
        "DataQualityMonitor.metric_feature_non_null",
        lambda w: w.data_quality.metric_feature_non_null("age", period=60),
        PERIOD,
    ),
    _case(
        "DataQualityMonitor.metric_feature_data",
        lambda w: w.data_quality.metric_feature_data("age", statistic=50),
        "'statistic' must be a string, got int 50",
    ),
    _case(
        "DataQualityMonitor.alarm_on_drift",
        lambda w: w.data_quality.alarm_on_drift("age", threshold="0.2"),
        "'threshold' must be a number, got str '0.2'",
    ),
    _case(
        "DataQualityMonitor.alarm_on_features_drift",
        lambda w: w.data_quality.alarm_on_features_drift(["age"], threshold="0.2"),
        "'threshold' must be a number, got str '0.2'",
    ),
    _case(
        "DataQualityMonitor.create_metric_alarm",
        lambda w: w.data_quality.create_metric_alarm(
            "Custom", w.data_quality.metric("x"), threshold=1, evaluation_periods="3"
        ),
        "'evaluation_periods' must be a number, got str '3'",
    ),
    _case(
        "ModelQualityMonitor.metric",
        lambda w: w.model_quality.metric("rmse", period=60),
        PERIOD,
    ),
    _case(
        "ModelQualityMonitor.alarm_on_metric",
        lambda w: w.model_quality.alarm_on_metric("rmse", threshold="5"),
        "'threshold' must be a number, got str '5'",
    ),
    _case(
        "ModelBiasMonitor.metric_bias",
        lambda w: w.bias.metric_bias("DPPL", facet="age", facet_value=40, label="churned", label_value="1"),
        "'facet_value' must be a string, got int 40",
    ),
    _case(
        "ModelExplainabilityMonitor.metric_feature_attribution",
        lambda w: w.explainability.metric_feature_attribution("age", label=0),
        "'label' must be a string, got int 0",
    ),
    # Retraining trigger.
    _case(
        "RetrainingTrigger.add_monitor",
        lambda w: w.trigger.add_monitor(w.endpoint),
        "'monitor' must be a MonitorBase, got Endpoint",
    ),
    *(
        _case(f"RetrainingTrigger.{m}", lambda w, m=m: _getter("trigger", m)(w)(period=60), PERIOD)
        for m in TRIGGER_METRICS
    ),
    _case(
        "RetrainingTrigger.metric_triggers_skipped",
        lambda w: w.trigger.metric_triggers_skipped(None),
        "'reason' must be a string, got NoneType None",
    ),
    _case(
        "RetrainingTrigger.metric",
        lambda w: w.trigger.metric("PipelinesStarted", period=60),
        PERIOD,
    ),
    # Operations dashboard sections.
    _case(
        "OperationsDashboard.add_endpoint",
        lambda w: w.dashboard.add_endpoint(w.endpoint, title=1),
        "'title' must be a string, got int 1",
    ),
    _case(
        "OperationsDashboard.add_endpoint latency_statistics",
        lambda w: w.dashboard.add_endpoint(w.endpoint, latency_statistics=[99]),
        "'latency_statistics' must be a list of strings, got list [99]",
    ),
    _case(
        "OperationsDashboard.add_batch_transform",
        lambda w: w.dashboard.add_batch_transform(w.batch, title=2),
        "'title' must be a string, got int 2",
    ),
    _case(
        "OperationsDashboard.add_data_quality_monitor",
        lambda w: w.dashboard.add_data_quality_monitor(w.data_quality, features=["age"], title=3),
        "'title' must be a string, got int 3",
    ),
    _case(
        "OperationsDashboard.add_model_quality_monitor",
        lambda w: w.dashboard.add_model_quality_monitor(w.data_quality),
        "'monitor' must be a ModelQualityMonitor, got DataQualityMonitor",
    ),
    _case(
        "OperationsDashboard.add_model_bias_monitor",
        lambda w: w.dashboard.add_model_bias_monitor(
            w.bias, metrics=["DPPL"], facet="age", facet_value=40, label="churned", label_value="1"
        ),
        "'facet_value' must be a string, got int 40",
    ),
    _case(
        "OperationsDashboard.add_model_explainability_monitor",
        lambda w: w.dashboard.add_model_explainability_monitor(w.explainability, features=["age"], label=0),
        "'label' must be a string, got int 0",
    ),
    _case(
        "OperationsDashboard.add_retraining",
        lambda w: w.dashboard.add_retraining(w.pipeline),
        "'trigger' must be a RetrainingTrigger, got SageMakerPipeline",
    ),
    _case(
        "OperationsDashboard.add_alarms",
        lambda w: w.dashboard.add_alarms(5, []),
        "'title' must be a string, got int 5",
    ),
    # Value classes' named constructors.
    _case(
        "S3Source.from_asset",
        lambda w: sagemaker_constructs.S3Source.from_asset(Path("baseline.json")),
        "'path' must be a string, got PosixPath",
    ),
    _case(
        "S3Source.from_bucket",
        lambda w: sagemaker_constructs.S3Source.from_bucket(
            s3.Bucket.from_bucket_name(w.stack, "Baselines", "baselines"), 1
        ),
        "'key' must be a string, got int 1",
    ),
    _case(
        "DatasetFormat.for_content_type",
        lambda w: sagemaker_constructs.DatasetFormat.for_content_type(["text/csv"]),
        "'content_type' must be a string, got list ['text/csv']",
    ),
    _case(
        "InstanceType.of",
        lambda w: sagemaker_constructs.InstanceType.of(None),
        "'name' must be a string, got NoneType None",
    ),
    _case(
        "AutoRollback.on_alarms",
        lambda w: sagemaker_constructs.AutoRollback.on_alarms("churn-5xx"),
        "'alarms' must be a list of IAlarms, got str 'churn-5xx'",
    ),
    # cdk-nag helpers.
    _case(
        "nag.acknowledge_finding",
        lambda w: sagemaker_constructs.common.nag.acknowledge_finding(w.stack, "IAM5", None),
        "'reason' must be a string, got NoneType None",
    ),
    _case(
        "nag.acknowledge_wildcard_resource",
        lambda w: sagemaker_constructs.common.nag.acknowledge_wildcard_resource(w.stack, 1, "why"),
        "'resource_arn' must be a string, got int 1",
    ),
]


@pytest.mark.parametrize(("call", "fragment"), METHOD_CASES)
def test_public_methods_check_their_argument_types(
    world: World, call: Callable[[World], object], fragment: str
) -> None:
    with pytest.raises(ValueError, match=r"^Invalid props for ") as excinfo:
        call(world)
    assert type(excinfo.value).__name__ == "ValidationError"
    assert fragment in str(excinfo.value)


def test_importers_by_arn_check_their_argument_types(stack: Stack) -> None:
    # Added after b941ee5: these can only fail on the commit before this change.
    from sagemaker_constructs import SageMakerPipeline

    with pytest.raises(ValueError, match=r"'endpoint_arn' must be a string, got int 1"):
        Endpoint.from_endpoint_arn(stack, "E", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'data_capture_enabled' must be True or False, got int 1"):
        Endpoint.from_endpoint_arn(
            stack,
            "E2",
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn",
            data_capture_enabled=1,  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match=r"'model_arn' must be a string, got NoneType None"):
        Model.from_model_arn(stack, "M", None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'pipeline_arn' must be a string, got list"):
        SageMakerPipeline.from_pipeline_arn(stack, "P", ["arn"])  # type: ignore[arg-type]
