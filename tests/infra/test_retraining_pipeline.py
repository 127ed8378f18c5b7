"""The churn retraining pipeline definition and its evaluation script.

The definition is checked without AWS: its expressions must reference declared parameters and earlier steps,
the step property paths must exist in botocore's Describe* shapes, and each step's request, with every
expression replaced by the value it takes at execution time, must satisfy botocore's model of the API the
step calls. The evaluation script runs on the sample model. When the SageMaker SDK is installed, the
definition is compared with what the SDK renders for the same steps.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import numpy as np
import pytest

from infra import retraining_pipeline as rp
from sagemaker_constructs._handlers.retraining_trigger import contract
from sagemaker_constructs.retraining.retraining_trigger import IncidentField

REPO_ROOT = Path(__file__).resolve().parents[2]
CHURN = REPO_ROOT / "model_artifacts" / "churn"
EVALUATE_SCRIPT = REPO_ROOT / "infra" / "pipeline_code" / "evaluate.py"
BUILD_SCRIPT = REPO_ROOT / "model_artifacts" / "build_churn_model.py"

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/churn-retraining"
DATA_BUCKET = "churn-data-123456789012"
ARTIFACTS_BUCKET = "churn-artifacts-123456789012"
GROUP = "churn-model"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
SCRIPT_URI = f"s3://{ARTIFACTS_BUCKET}/pipeline-code/evaluate.py"

SAGEMAKER_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
EVENTBRIDGE_PARAMETER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
STEP_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")
EXECUTION_VARIABLES = {
    "PipelineName",
    "PipelineArn",
    "PipelineExecutionId",
    "PipelineExecutionArn",
    "StartDateTime",
    "CurrentDateTime",
}
EXPECTED_PARAMETERS = [
    "TrainingInstanceType",
    "TrainingDataUri",
    "ValidationDataUri",
    "TriggerType",
    "TriggerAlarm",
    "TriggerEndpoint",
    "TriggerMonitor",
    "TriggerReason",
    "TriggerTime",
]
# Step type -> (the API it calls, the response its properties come from, the name the pipeline adds).
STEP_APIS = {
    "Training": ("CreateTrainingJob", "DescribeTrainingJobResponse", "TrainingJobName"),
    "Processing": ("CreateProcessingJob", "DescribeProcessingJobResponse", "ProcessingJobName"),
    "RegisterModel": ("CreateModelPackage", "DescribeModelPackageOutput", None),
}
EXECUTION_ID = "k2x9q8w7e6r5"
JOB_NAMES = {
    "Train": "pipelines-k2x9q8w7e6r5-Train-Ab12Cd34Ef",
    "Evaluate": "pipelines-k2x9q8w7e6r5-Evaluate-Gh56Ij",
}

# What the trigger passes for the kinds of incident (values as the handler's incident fields hold them).
ALARM_INCIDENT = {
    "TriggerType": "alarm",
    "TriggerAlarm": "churn-endpoint-model-quality-auc",
    "TriggerEndpoint": "churn-endpoint",
    "TriggerMonitor": "",
    "TriggerReason": "Threshold Crossed: 1 out of the last 1 datapoints [0.71 (22/11/26 10:00:00)] was less than "
    "the threshold (0.75) (minimum 1 datapoint for OK -> ALARM transition).",
    "TriggerTime": "2026-11-22T10:00:00.000+0000",
}
MONITOR_INCIDENT = {
    "TriggerType": "monitor-violation",
    "TriggerAlarm": "",
    "TriggerEndpoint": "churn-endpoint",
    "TriggerMonitor": "churn-endpoint-model-quality",
    "TriggerReason": "CompletedWithViolations: Job completed successfully with 3 violations.",
    "TriggerTime": "2026-11-22T11:00:00Z",
}
SCHEDULE_INCIDENT = {
    "TriggerType": "schedule",
    "TriggerReason": "scheduled retraining",
    "TriggerTime": "2026-11-22T02:00:00Z",
}
OVERRIDES = {
    "TrainingInstanceType": "ml.m5.2xlarge",
    "TrainingDataUri": f"s3://{DATA_BUCKET}/churn/train/2026-11-22/",
    "ValidationDataUri": f"s3://{DATA_BUCKET}/churn/validation/2026-11-22/",
}
SCENARIOS = {
    "manual-start-defaults": {},
    "alarm": {**OVERRIDES, **ALARM_INCIDENT},
    "monitor-violation": MONITOR_INCIDENT,
    "schedule": SCHEDULE_INCIDENT,
}


def build(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "role_arn": ROLE_ARN,
        "data_bucket_name": DATA_BUCKET,
        "artifacts_bucket_name": ARTIFACTS_BUCKET,
        "model_package_group_name": GROUP,
        "xgboost_image_uri": XGBOOST_IMAGE,
        "evaluation_script_s3_uri": SCRIPT_URI,
    }
    arguments.update(overrides)
    return rp.churn_retraining_definition(**arguments)


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return build()


def load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def is_expression(value: Any) -> bool:
    """Whether a value is a pipeline expression: ``{"Get": ...}`` or a function such as ``{"Std:Join": ...}``."""
    return (
        isinstance(value, dict)
        and len(value) == 1
        and ("Get" in value or next(iter(value)).startswith("Std:"))
    )


def expressions(value: Any) -> Iterator[dict[str, Any]]:
    """Every pipeline expression in a value, outermost first."""
    if isinstance(value, dict):
        if is_expression(value):
            yield value
        for item in value.values():
            yield from expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from expressions(item)


def references(value: Any) -> list[str]:
    return [e["Get"] for e in expressions(value) if "Get" in e]


def parameter_values(definition: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    values = {p["Name"]: p["DefaultValue"] for p in definition["Parameters"]}
    assert set(overrides) <= set(values), set(overrides) - set(values)
    return {**values, **overrides}


def resolve(value: Any, parameters: dict[str, str], properties: dict[str, str]) -> Any:
    """The value with every expression replaced by what it evaluates to at execution time."""
    if isinstance(value, dict):
        if set(value) == {"Get"}:
            kind, _, name = value["Get"].partition(".")
            if kind == "Parameters":
                return parameters[name]
            if kind == "Execution":
                assert name == "PipelineExecutionId", name
                return EXECUTION_ID
            assert kind == "Steps", value
            return properties[value["Get"]]
        if set(value) == {"Std:Join"}:
            join = value["Std:Join"]
            assert set(join) == {"On", "Values"}, join
            return join["On"].join(str(resolve(v, parameters, properties)) for v in join["Values"])
        assert not any(key.startswith("Std:") for key in value), f"unexpected function {value}"
        return {key: resolve(item, parameters, properties) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, parameters, properties) for item in value]
    return value


def step_requests(
    definition: dict[str, Any], overrides: dict[str, str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Step name -> (API operation, request), with the names the pipeline adds and plausible step properties.

    A step's properties are derived from its own resolved request, as SageMaker derives them.
    """
    parameters = parameter_values(definition, overrides)
    properties: dict[str, str] = {}
    requests: dict[str, tuple[str, dict[str, Any]]] = {}
    for step in definition["Steps"]:
        operation, _, name_field = STEP_APIS[step["Type"]]
        request = resolve(step["Arguments"], parameters, properties)
        if name_field:
            request[name_field] = JOB_NAMES[step["Name"]]
        requests[step["Name"]] = (operation, request)
        if step["Type"] == "Training":
            output = request["OutputDataConfig"]["S3OutputPath"]
            properties[f"Steps.{step['Name']}.ModelArtifacts.S3ModelArtifacts"] = (
                f"{output}/{request['TrainingJobName']}/output/model.tar.gz"
            )
        if step["Type"] == "Processing":
            for output in request["ProcessingOutputConfig"]["Outputs"]:
                key = f"Steps.{step['Name']}.ProcessingOutputConfig.Outputs['{output['OutputName']}'].S3Output.S3Uri"
                properties[key] = output["S3Output"]["S3Uri"]
    return requests


@pytest.fixture
def check_request(
    service_model: Callable[[str, str, dict[str, Any]], list[str]],
) -> Callable[[str, str, dict[str, Any]], list[str]]:
    """``service_model`` (it handles the ``\\p{L}`` patterns of CustomerMetadataProperties and
    ModelPackageDescription with the ``regex`` module)."""
    return service_model


# --- The definition ---------------------------------------------------------------------------------------


def test_definition_is_json_and_has_the_documented_top_level(definition: dict[str, Any]) -> None:
    assert json.loads(json.dumps(definition)) == definition
    assert set(definition) == {"Version", "Metadata", "Parameters", "Steps"}
    assert definition["Version"] == "2020-12-01"
    assert definition["Metadata"] == {}
    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("PipelineDefinition")
    assert len(json.dumps(definition)) <= shape.metadata["max"]


def test_parameters(definition: dict[str, Any]) -> None:
    parameters = definition["Parameters"]
    names = [p["Name"] for p in parameters]
    assert names == EXPECTED_PARAMETERS
    botocore_pattern = (
        botocore.session.get_session().get_service_model("sagemaker").shape_for("PipelineParameterName")
    ).metadata["pattern"]
    for name in names:
        assert SAGEMAKER_PARAMETER_NAME.fullmatch(name), name
        assert EVENTBRIDGE_PARAMETER_NAME.fullmatch(name), name
        assert re.fullmatch(botocore_pattern, name), name
        assert re.fullmatch(contract.PARAMETER_NAME_PATTERN, name), name
    for p in parameters:
        assert set(p) == {"Name", "Type", "DefaultValue"}
        assert p["Type"] == "String"
    defaults = {p["Name"]: p["DefaultValue"] for p in parameters}
    assert defaults["TrainingInstanceType"] == "ml.m5.xlarge"
    assert defaults["TrainingDataUri"] == f"s3://{DATA_BUCKET}/churn/train/"
    assert defaults["ValidationDataUri"] == f"s3://{DATA_BUCKET}/churn/validation/"
    assert all(defaults[name] == "" for name in rp.TRIGGER_PARAMETERS)
    assert all(p.description for p in rp.pipeline_parameters(data_bucket_name=DATA_BUCKET))


def test_trigger_parameters_match_the_retraining_trigger_incident_fields() -> None:
    assert set(rp.TRIGGER_PARAMETERS) == {n for n in EXPECTED_PARAMETERS if n.startswith("Trigger")}
    for name, field in rp.TRIGGER_PARAMETERS.items():
        assert field in contract.EVENT_FIELDS, (name, field)
        IncidentField(field)  # the construct's enum accepts it
    declared = {p.name: p.incident_field for p in rp.pipeline_parameters(data_bucket_name=DATA_BUCKET)}
    assert {n: f for n, f in declared.items() if f} == rp.TRIGGER_PARAMETERS


def test_every_reference_resolves(definition: dict[str, Any]) -> None:
    declared = {p["Name"] for p in definition["Parameters"]}
    used: set[str] = set()
    earlier: list[str] = []
    for step in definition["Steps"]:
        for ref in references(step):
            kind, _, rest = ref.partition(".")
            if kind == "Parameters":
                assert rest in declared, f"{step['Name']}: {ref} is not a declared parameter"
                used.add(rest)
            elif kind == "Steps":
                assert rest.split(".")[0] in earlier, f"{step['Name']}: {ref} does not name an earlier step"
            else:
                assert kind == "Execution", f"{step['Name']}: {ref}"
                assert rest in EXECUTION_VARIABLES, f"{step['Name']}: {ref}"
        for dependency in step.get("DependsOn", []):
            assert dependency in earlier, f"{step['Name']} depends on {dependency}, not an earlier step"
        earlier.append(step["Name"])
    assert used == declared, f"parameters never used: {declared - used}"


def test_steps(definition: dict[str, Any]) -> None:
    steps = definition["Steps"]
    names = [s["Name"] for s in steps]
    assert names == ["Train", "Evaluate", "Register"]
    assert len(set(names)) == len(names)
    assert all(STEP_NAME.fullmatch(n) for n in names)
    assert [s["Type"] for s in steps] == ["Training", "Processing", "RegisterModel"]
    train, evaluate, register = steps
    assert "TrainingJobName" not in train["Arguments"]
    assert "ProcessingJobName" not in evaluate["Arguments"]
    assert register["DependsOn"] == ["Evaluate"]
    assert evaluate["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}
    ]
    outputs = [o["OutputName"] for o in evaluate["Arguments"]["ProcessingOutputConfig"]["Outputs"]]
    assert evaluate["PropertyFiles"][0]["OutputName"] in outputs


def test_step_property_paths_exist_in_the_describe_responses(definition: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    steps = {s["Name"]: s for s in definition["Steps"]}
    refs = [r for s in definition["Steps"] for r in references(s) if r.startswith("Steps.")]
    assert refs, "the steps must pass data on"
    for ref in refs:
        _, step_name, path = ref.split(".", 2)
        step = steps[step_name]
        shape = model.shape_for(STEP_APIS[step["Type"]][1])
        for part in re.findall(r"[^.\[]+(?:\['[^']*'\]|\[\d+\])?", path):
            member, _, index = part.partition("[")
            assert shape.type_name == "structure", f"{ref}: {member!r} is inside a {shape.type_name}"
            assert member in shape.members, f"{ref}: no {member!r}"
            shape = shape.members[member]
            if index:
                assert shape.type_name == "list", f"{ref}: {member} is not a list"
                key = index.rstrip("]").strip("'")
                if step["Type"] == "Processing" and member == "Outputs":
                    outputs = step["Arguments"]["ProcessingOutputConfig"]["Outputs"]
                    assert key in [o["OutputName"] for o in outputs], f"{ref}: no output {key!r}"
                shape = shape.member
        assert shape.type_name == "string", f"{ref} is a {shape.type_name}, not a string"


def test_training_matches_the_sample_model_build(definition: dict[str, Any]) -> None:
    build_script = load_module("_retraining_build_churn_model", BUILD_SCRIPT)
    arguments = definition["Steps"][0]["Arguments"]
    expected = {key: str(value) for key, value in build_script.XGB_PARAMS.items()}
    expected["num_round"] = str(build_script.NUM_BOOST_ROUND)
    assert arguments["HyperParameters"] == expected
    assert build_script.CONTAINER_IMAGE_VERSION in XGBOOST_IMAGE
    assert arguments["AlgorithmSpecification"] == {
        "TrainingImage": XGBOOST_IMAGE,
        "TrainingInputMode": "File",
    }
    channels = {c["ChannelName"]: c for c in arguments["InputDataConfig"]}
    assert set(channels) == {"train", "validation"}
    assert channels["train"]["DataSource"]["S3DataSource"]["S3Uri"] == {"Get": "Parameters.TrainingDataUri"}
    assert channels["validation"]["DataSource"]["S3DataSource"]["S3Uri"] == {
        "Get": "Parameters.ValidationDataUri"
    }
    assert all(c["ContentType"] == "text/csv" for c in channels.values())
    assert arguments["ResourceConfig"] == {
        "InstanceType": {"Get": "Parameters.TrainingInstanceType"},
        "InstanceCount": 1,
        "VolumeSizeInGB": 10,
    }
    assert arguments["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert arguments["OutputDataConfig"]["S3OutputPath"].startswith(f"s3://{ARTIFACTS_BUCKET}/")


def test_evaluation_wiring(definition: dict[str, Any]) -> None:
    evaluate = load_module("_retraining_evaluate", EVALUATE_SCRIPT)
    arguments = definition["Steps"][1]["Arguments"]
    assert arguments["AppSpecification"] == {
        "ImageUri": XGBOOST_IMAGE,
        "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/evaluate.py"],
    }
    inputs = {i["InputName"]: i["S3Input"] for i in arguments["ProcessingInputs"]}
    assert inputs["model"]["S3Uri"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    assert inputs["validation"]["S3Uri"] == {"Get": "Parameters.ValidationDataUri"}
    assert inputs["code"]["S3Uri"] == SCRIPT_URI
    # The script's defaults are where the job puts its inputs and collects its output.
    assert str(evaluate.DEFAULT_MODEL_ARCHIVE.parent) == inputs["model"]["LocalPath"]
    assert evaluate.DEFAULT_MODEL_ARCHIVE.name == "model.tar.gz"
    assert str(evaluate.DEFAULT_VALIDATION_DIR) == inputs["validation"]["LocalPath"]
    assert (
        f"{inputs['code']['LocalPath']}/{EVALUATE_SCRIPT.name}"
        == arguments["AppSpecification"]["ContainerEntrypoint"][1]
    )
    (output,) = arguments["ProcessingOutputConfig"]["Outputs"]
    assert str(evaluate.DEFAULT_OUTPUT_DIR) == output["S3Output"]["LocalPath"]
    assert definition["Steps"][1]["PropertyFiles"][0]["FilePath"] == evaluate.REPORT_FILE
    assert evaluate.MODEL_MEMBER == "xgboost-model"
    assert output["S3Output"]["S3Uri"] == {
        "Std:Join": {
            "On": "/",
            "Values": [f"s3://{ARTIFACTS_BUCKET}/churn/evaluation", {"Get": "Execution.PipelineExecutionId"}],
        }
    }


def test_evaluation_image_can_be_overridden() -> None:
    other = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn-evaluation:1"
    definition = build(evaluation_image_uri=other)
    assert definition["Steps"][1]["Arguments"]["AppSpecification"]["ImageUri"] == other
    assert definition["Steps"][0]["Arguments"]["AlgorithmSpecification"]["TrainingImage"] == XGBOOST_IMAGE


def test_registration(definition: dict[str, Any]) -> None:
    arguments = definition["Steps"][2]["Arguments"]
    assert arguments["ModelPackageGroupName"] == GROUP
    assert arguments["ModelApprovalStatus"] == "PendingManualApproval"
    spec = arguments["InferenceSpecification"]
    assert spec["Containers"] == [
        {"Image": XGBOOST_IMAGE, "ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}
    ]
    assert spec["SupportedContentTypes"] == ["text/csv"]
    assert spec["SupportedResponseMIMETypes"] == ["text/csv"]
    assert "ml.m5.large" in spec["SupportedRealtimeInferenceInstanceTypes"]  # the reference endpoint's type
    assert "ml.m5.xlarge" in spec["SupportedTransformInstanceTypes"]  # the reference batch transform's type
    statistics = arguments["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics == {
        "ContentType": "application/json",
        "S3Uri": {
            "Std:Join": {
                "On": "/",
                "Values": [
                    {"Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"},
                    "evaluation.json",
                ],
            }
        },
    }
    metadata = arguments["CustomerMetadataProperties"]
    assert set(metadata) == set(rp.TRIGGER_METADATA)
    assert set(rp.TRIGGER_METADATA) == set(rp.TRIGGER_PARAMETERS) - {"TriggerReason"}
    for name, value in metadata.items():
        assert references(value) == [f"Parameters.{name}"]
    assert "Parameters.TriggerReason" in references(arguments["ModelPackageDescription"])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_step_request_satisfies_the_api_model(
    definition: dict[str, Any], check_request: Callable[[str, str, dict[str, Any]], list[str]], scenario: str
) -> None:
    requests = step_requests(definition, SCENARIOS[scenario])
    assert [operation for operation, _ in requests.values()] == [
        "CreateTrainingJob",
        "CreateProcessingJob",
        "CreateModelPackage",
    ]
    for step, (operation, request) in requests.items():
        problems = check_request("sagemaker", operation, request)
        assert problems == [], f"{scenario}: {step}:\n" + "\n".join(problems)


def test_the_registered_version_records_the_incident(definition: dict[str, Any]) -> None:
    _, request = step_requests(definition, {**OVERRIDES, **ALARM_INCIDENT})["Register"]
    assert request["CustomerMetadataProperties"] == {
        "TriggerType": "TriggerType=alarm",
        "TriggerAlarm": "TriggerAlarm=churn-endpoint-model-quality-auc",
        "TriggerEndpoint": "TriggerEndpoint=churn-endpoint",
        "TriggerMonitor": "TriggerMonitor=",
        "TriggerTime": "TriggerTime=2026-11-22T10:00:00.000+0000",
    }
    assert ALARM_INCIDENT["TriggerReason"] in request["ModelPackageDescription"]
    assert request["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == (
        f"s3://{ARTIFACTS_BUCKET}/churn/evaluation/{EXECUTION_ID}/evaluation.json"
    )
    _, evaluation = step_requests(definition, OVERRIDES)["Evaluate"]
    model_input = next(i for i in evaluation["ProcessingInputs"] if i["InputName"] == "model")
    assert model_input["S3Input"]["S3Uri"] == (
        f"s3://{ARTIFACTS_BUCKET}/churn/models/{JOB_NAMES['Train']}/output/model.tar.gz"
    )


def test_the_api_check_catches_what_the_metadata_design_avoids(
    definition: dict[str, Any], check_request: Callable[[str, str, dict[str, Any]], list[str]]
) -> None:
    """Raw trigger values in CustomerMetadataProperties would fail registration: empty or free-text values."""
    _, request = step_requests(definition, {**OVERRIDES, **ALARM_INCIDENT})["Register"]
    raw = copy.deepcopy(request)
    raw["CustomerMetadataProperties"] = {
        "TriggerMonitor": ALARM_INCIDENT["TriggerMonitor"],
        "TriggerReason": ALARM_INCIDENT["TriggerReason"],
    }
    problems = check_request("sagemaker", "CreateModelPackage", raw)
    assert any("TriggerMonitor" in p and "length 0" in p for p in problems), problems
    assert any("TriggerReason" in p and "does not match" in p for p in problems), problems
    broken = copy.deepcopy(request)
    broken["InferenceSpecification"]["SupportedRealtimeInferenceInstanceTypes"] = ["m5.large"]
    assert check_request("sagemaker", "CreateModelPackage", broken) != []


def test_the_evaluation_script_location_is_checked() -> None:
    with pytest.raises(ValueError, match=r"evaluate\.py"):
        build(evaluation_script_s3_uri=f"s3://{ARTIFACTS_BUCKET}/assets/0f1e2d3c.py")


def evaluate_intrinsics(value: Any) -> Any:
    """A resolved CloudFormation value with ``Ref``/``Fn::GetAtt`` as ``<name>`` placeholders and joins done."""
    if isinstance(value, dict) and len(value) == 1:
        (key, argument), *_ = value.items()
        if key == "Ref":
            return f"<{argument}>"
        if key == "Fn::GetAtt":
            return f"<{'.'.join(argument)}>"
        if key == "Fn::Join":
            separator, parts = argument
            return separator.join(evaluate_intrinsics(part) for part in parts)
    assert isinstance(value, str), f"unexpected intrinsic {value}"
    return value


def test_cdk_tokens_are_embedded_untouched(stack: Any) -> None:
    """Rendered with ``Stack.to_json_string``, tokens become references in the right places, nothing else moves."""
    from aws_cdk import Aws, Fn
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_sagemaker as sagemaker

    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    data = s3.Bucket(stack, "Data")
    artifacts = s3.Bucket(stack, "Artifacts")
    group = sagemaker.CfnModelPackageGroup(stack, "Group", model_package_group_name="churn-model")
    image = f"683313688378.dkr.ecr.{Aws.REGION}.{Aws.URL_SUFFIX}/sagemaker-xgboost:3.0-5"
    script = Fn.join("", ["s3://", artifacts.bucket_name, "/pipeline-code/evaluate.py"])  # a token as a whole
    tokens = build(
        role_arn=role.role_arn,
        data_bucket_name=data.bucket_name,
        artifacts_bucket_name=artifacts.bucket_name,
        model_package_group_name=group.ref,
        xgboost_image_uri=image,
        evaluation_script_s3_uri=script,
    )
    rendered = json.loads(evaluate_intrinsics(stack.resolve(stack.to_json_string(tokens))))

    def logical_id(construct: Any) -> str:
        return str(stack.get_logical_id(construct.node.default_child or construct))

    artifacts_name = f"<{logical_id(artifacts)}>"
    expected = build(
        role_arn=f"<{logical_id(role)}.Arn>",
        data_bucket_name=f"<{logical_id(data)}>",
        artifacts_bucket_name=artifacts_name,
        model_package_group_name=f"<{logical_id(group)}>",
        xgboost_image_uri="683313688378.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/sagemaker-xgboost:3.0-5",
        evaluation_script_s3_uri=f"s3://{artifacts_name}/pipeline-code/evaluate.py",
    )
    assert rendered == expected


# --- The evaluation script ----------------------------------------------------------------------------------


def test_evaluation_script_runs_on_python_3_10_syntax() -> None:
    # The XGBoost 3.0-5 image runs Python 3.10.
    ast.parse(EVALUATE_SCRIPT.read_text(), feature_version=(3, 10))


def test_evaluation_script_on_the_sample_model(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    validation_dir = tmp_path / "validation" / "part"
    output_dir = tmp_path / "evaluation"
    model_dir.mkdir()
    validation_dir.mkdir(parents=True)
    (model_dir / "model.tar.gz").write_bytes((CHURN / "model.tar.gz").read_bytes())
    (validation_dir / "validation.csv").write_bytes((CHURN / "validation.csv").read_bytes())
    result = subprocess.run(
        [
            sys.executable,
            str(EVALUATE_SCRIPT),
            "--model-archive",
            str(model_dir / "model.tar.gz"),
            "--validation-dir",
            str(tmp_path / "validation"),
            "--output-dir",
            str(output_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((output_dir / "evaluation.json").read_text())
    recorded = json.loads((CHURN / "metrics.json").read_text())["validation"]
    baseline = json.loads((CHURN / "baselines" / "model_quality" / "statistics.json").read_text())
    metrics = report["binary_classification_metrics"]
    assert report["dataset"]["item_count"] == recorded["rows"]
    assert metrics["auc"]["value"] == pytest.approx(recorded["auc"], abs=1e-6)
    assert metrics["accuracy"]["value"] == pytest.approx(recorded["accuracy"], abs=1e-6)
    for name in ("accuracy", "precision", "recall", "f1", "auc"):
        assert metrics[name]["standard_deviation"] == "NaN"
        expected = baseline["binary_classification_metrics"][name]["value"]
        assert metrics[name]["value"] == pytest.approx(expected, abs=1e-6), name
    confusion = metrics["confusion_matrix"]
    assert sum(confusion[a][p] for a in "01" for p in "01") == recorded["rows"]
    # The property file the pipeline reads: JsonGet paths such as binary_classification_metrics.auc.value.
    assert isinstance(metrics["auc"]["value"], float)


def test_rank_auc_equals_the_pairwise_definition() -> None:
    evaluate = load_module("_retraining_evaluate", EVALUATE_SCRIPT)
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 300).astype(np.int64)
    scores = np.round(rng.random(300) + labels * 0.3, 1)  # coarse scores: many ties
    positives, negatives = scores[labels == 1], scores[labels == 0]
    wins = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (
        positives[:, None] == negatives[None, :]
    ).sum()
    assert evaluate.roc_auc(labels, scores) == pytest.approx(
        wins / (len(positives) * len(negatives)), abs=1e-12
    )
    with pytest.raises(ValueError, match="both classes"):
        evaluate.roc_auc(np.ones(5, dtype=np.int64), np.linspace(0, 1, 5))


def test_undefined_metrics_are_nan_strings() -> None:
    evaluate = load_module("_retraining_evaluate", EVALUATE_SCRIPT)
    labels = np.array([0, 1, 0, 1], dtype=np.int64)
    report = evaluate.evaluation_report(labels, np.array([0.1, 0.2, 0.3, 0.4]), 0.5)  # nothing predicted 1
    metrics = report["binary_classification_metrics"]
    assert metrics["precision"] == {"value": "NaN", "standard_deviation": "NaN"}
    assert metrics["recall"]["value"] == 0.0
    json.dumps(report, allow_nan=False)


# --- Cross-check with the SageMaker Python SDK ----------------------------------------------------------------

# What the SDK renders beyond the hand-written definition: its defaults, none of which the definition needs.
SDK_ONLY = [
    r"MlflowConfig",  # null
    r"PipelineExperimentConfig\..*",  # experiment/trial per execution: left out on purpose
    r"Steps\[0\]\.Arguments\.OutputDataConfig\.CompressionType",  # GZIP, the API default
    r"Steps\[1\]\.Arguments\.ProcessingInputs\[\d\]\.S3Input\.S3CompressionType",  # None, the API default
    r"Steps\[2\]\.Arguments\.InferenceSpecification\.Containers\[0\]\.Environment\..*",  # script-mode vars
    r"Steps\[2\]\.Arguments\.SkipModelValidation",  # "None", the API default
]


def render_with_sdk() -> dict[str, Any]:
    """The same pipeline built with the SageMaker Python SDK 3.x and rendered by ``Pipeline.definition()``.

    Offline, this needs a region, any credentials, ``SAGEMAKER_VALIDATE_ROLE=false`` (``ModelTrainer`` checks
    the role with IAM otherwise) and a default bucket the session does not look up in S3.
    """
    from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.core.processing import Processor
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow import ModelStep, Pipeline, ProcessingStep, TrainingStep
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train.configs import Compute, InputData, Networking, OutputDataConfig, StoppingCondition
    from sagemaker.train.model_trainer import ModelTrainer

    session = PipelineSession(default_bucket=ARTIFACTS_BUCKET)
    session._default_bucket = ARTIFACTS_BUCKET  # ModelBuilder.register would otherwise check the bucket in S3
    params = {
        p.name: ParameterString(p.name, default_value=p.default)
        for p in rp.pipeline_parameters(data_bucket_name=DATA_BUCKET)
    }
    trainer = ModelTrainer(
        sagemaker_session=session,
        role=ROLE_ARN,
        training_image=XGBOOST_IMAGE,
        training_input_mode="File",
        compute=Compute(instance_type=params["TrainingInstanceType"], instance_count=1, volume_size_in_gb=10),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=3600),
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{ARTIFACTS_BUCKET}/churn/models"),
        networking=Networking(enable_inter_container_traffic_encryption=True),
        hyperparameters=dict(rp.HYPERPARAMETERS),
        base_job_name="churn",
    )
    channels = [
        InputData(channel_name="train", data_source=params["TrainingDataUri"], content_type="text/csv"),
        InputData(
            channel_name="validation", data_source=params["ValidationDataUri"], content_type="text/csv"
        ),
    ]
    train = TrainingStep(name="Train", step_args=trainer.train(input_data_config=channels))

    def s3_input(name: str, uri: Any, path: str) -> ProcessingInput:
        source = ProcessingS3Input(
            s3_uri=uri,
            local_path=path,
            s3_data_type="S3Prefix",
            s3_input_mode="File",
            s3_data_distribution_type="FullyReplicated",
        )
        return ProcessingInput(input_name=name, s3_input=source)

    processor = Processor(
        role=ROLE_ARN,
        image_uri=XGBOOST_IMAGE,
        instance_count=1,
        instance_type="ml.m5.large",
        entrypoint=["python3", "/opt/ml/processing/code/evaluate.py"],
        volume_size_in_gb=10,
        max_runtime_in_seconds=1800,
        sagemaker_session=session,
        base_job_name="churn-evaluation",
    )
    report_prefix = Join(
        on="/", values=[f"s3://{ARTIFACTS_BUCKET}/churn/evaluation", ExecutionVariables.PIPELINE_EXECUTION_ID]
    )
    evaluation_args = processor.run(
        inputs=[
            s3_input("model", train.properties.ModelArtifacts.S3ModelArtifacts, "/opt/ml/processing/model"),
            s3_input("validation", params["ValidationDataUri"], "/opt/ml/processing/validation"),
            s3_input("code", SCRIPT_URI, "/opt/ml/processing/code"),
        ],
        outputs=[
            ProcessingOutput(
                output_name="evaluation",
                s3_output=ProcessingS3Output(
                    s3_uri=report_prefix,
                    local_path="/opt/ml/processing/evaluation",
                    s3_upload_mode="EndOfJob",
                ),
            )
        ],
    )
    report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    evaluate = ProcessingStep(name="Evaluate", step_args=evaluation_args, property_files=[report])
    builder = ModelBuilder(
        image_uri=XGBOOST_IMAGE,
        s3_model_data_url=train.properties.ModelArtifacts.S3ModelArtifacts,
        role_arn=ROLE_ARN,
        sagemaker_session=session,
    )
    report_uri = Join(
        on="/",
        values=[
            evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri,
            "evaluation.json",
        ],
    )
    description = Join(
        on="",
        values=[
            "Churn model retrained by the pipeline. Trigger: ",
            params["TriggerType"],
            " at ",
            params["TriggerTime"],
            ". Reason: ",
            params["TriggerReason"],
        ],
    )
    registration_args = builder.register(
        model_package_group_name=GROUP,
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=list(rp.INFERENCE_INSTANCE_TYPES),
        transform_instances=list(rp.INFERENCE_INSTANCE_TYPES),
        approval_status="PendingManualApproval",
        description=description,
        model_metrics=ModelMetrics(
            model_statistics=MetricsSource(content_type="application/json", s3_uri=report_uri)
        ),
        customer_metadata_properties={n: Join(on="=", values=[n, params[n]]) for n in rp.TRIGGER_METADATA},
    )
    register = ModelStep(name="Register", step_args=registration_args, depends_on=[evaluate])
    pipeline = Pipeline(
        name="churn-retraining",
        parameters=list(params.values()),
        steps=[train, evaluate, register],
        sagemaker_session=session,
    )
    rendered: dict[str, Any] = json.loads(pipeline.definition())
    return rendered


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Path -> leaf value; expressions are leaves, empty objects have none."""
    if isinstance(value, dict) and not is_expression(value):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(leaves(item, f"{path}.{key}" if path else key))
        return found
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in leaves(item, f"{path}[{i}]").items()}
    return {path: value}


def test_the_sdk_renders_the_same_pipeline(definition: dict[str, Any], tmp_path: Path) -> None:
    """Every field of the hand-written definition is what the SDK renders for the same steps, with the same
    value; the SDK adds only its defaults (``SDK_ONLY``). Runs the SDK in a child process, offline."""
    pytest.importorskip("sagemaker.mlops.workflow", reason="the SageMaker Python SDK is a dev dependency")
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "SAGEMAKER_VALIDATE_ROLE": "false",
        "PYTHONPATH": os.pathsep.join(
            [str(REPO_ROOT), str(REPO_ROOT / "constructs"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    output = tmp_path / "sdk-definition.json"
    result = subprocess.run(
        [sys.executable, __file__, "--render-with-sdk", str(output)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    rendered = json.loads(output.read_text())
    ours, sdk = leaves(definition), leaves(rendered)
    assert sorted(set(ours) - set(sdk)) == [], "fields the SDK does not render"
    extra = [path for path in set(sdk) - set(ours) if not any(re.fullmatch(p, path) for p in SDK_ONLY)]
    assert sorted(extra) == [], "fields the SDK renders that the definition lacks"
    different = {path: (ours[path], sdk[path]) for path in set(ours) & set(sdk) if ours[path] != sdk[path]}
    assert different == {}
    assert [(s["Name"], s["Type"]) for s in rendered["Steps"]] == [
        (s["Name"], s["Type"]) for s in definition["Steps"]
    ]


if __name__ == "__main__":
    # Used by test_the_sdk_renders_the_same_pipeline: python test_retraining_pipeline.py --render-with-sdk OUT
    if sys.argv[1:2] == ["--render-with-sdk"]:
        Path(sys.argv[2]).write_text(json.dumps(render_with_sdk()))
