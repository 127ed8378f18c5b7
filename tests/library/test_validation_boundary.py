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
from pathlib import Path

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
    from infra.app import cdk_context
    from sagemaker_constructs import (
        BatchTransform, ContainerImage, DataCapture, DataQualityMonitor, Endpoint, Model, ProductionVariant,
        TransformInput,
    )

    def stack():
        return Stack(App(context=cdk_context()), "Test")

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
        DataQualityMonitor(scope, "Monitor", endpoint=endpoint, instance_type="ml.m5.xlarg")

    def valid():
        scope = stack()
        served = model(scope)
        endpoint = Endpoint(scope, "E", variants=[ProductionVariant("v", model=served)], data_capture=DataCapture())
        DataQualityMonitor(scope, "Monitor", endpoint=endpoint)
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
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo / "constructs"), str(repo)])}
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
        ("monitor", "'instance_type' must be a processing instance type"),
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
            endpoint=endpoint(stack),
            max_runtime=1800,  # type: ignore[arg-type]
            publish_cloudwatch_metrics="true",  # type: ignore[arg-type]
        )
    message = str(excinfo.value)
    assert "'max_runtime' must be a Duration, got int 1800" in message
    assert "'publish_cloudwatch_metrics' must be True or False, got str 'true'" in message


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
            endpoint=endpoint(stack),
            problem_type=ProblemType.REGRESSION,
            ground_truth=GroundTruth(labels, "s3://labels-bucket/ground-truth"),
            inference_attribute="0",
        )
    assert "pass 'ground-truth' and the bucket 'labels-bucket'" in str(excinfo.value)


def test_monitor_output_prefix_refuses_an_s3_uri(stack: Stack) -> None:
    with pytest.raises(
        ValueError, match="'output_prefix' must be a key prefix inside the bucket, not an S3 URI"
    ):
        DataQualityMonitor(stack, "Monitor", endpoint=endpoint(stack), output_prefix="S3://reports/monitor")


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
        DataQualityMonitor(stack, "Monitor", endpoint=imported, max_runtime=Duration.minutes(30))
    message = str(excinfo.value)
    assert "pass data_capture=DataCapture(...) to the Endpoint" not in message
    assert "'endpoint' 'churn-prod' was imported with data_capture_enabled=False" in message
    assert "import it with data_capture_enabled=True" in message


def test_created_endpoint_without_capture_is_told_to_pass_data_capture(stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"pass data_capture=DataCapture\(\.\.\.\) to the Endpoint"):
        DataQualityMonitor(stack, "Monitor", endpoint=endpoint(stack, capture=False))


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
