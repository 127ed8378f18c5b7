"""What the committed integ snapshot's assertions prove in a real account, checked offline.

The last assertion must show that the data-quality monitor's violation started the retraining pipeline, not
merely that some execution exists (a run started by the fallback schedule or an AUC alarm would pass that).
The oracles are other files' truth: the trigger function's own parameter mapping in the retraining template,
the trigger's contract (the value it passes for a violation), the monitoring template's schedule name, and
botocore's SageMaker service model for the request shapes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.session
from botocore.validate import validate_parameters

from lambdas.retraining_trigger.contract import (
    ENV_EVENT_PARAMETERS,
    ENV_PIPELINE_NAME,
    TRIGGER_MONITOR_VIOLATION,
)

SNAPSHOT = Path(__file__).resolve().parents[2] / "integ" / "integ_reference_app.py.snapshot"
EXECUTION_ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/abc123"
"""Stands in for the ARN the assertion reads from the previous call's response (pattern of PipelineExecutionArn)."""


def template(prefix: str) -> dict[str, Any]:
    (path,) = SNAPSHOT.glob(f"{prefix}*.template.json")
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def sdk_calls(api: str) -> dict[str, dict[str, Any]]:
    resources = template("ReferenceAppDefaultTestDeployAssert")["Resources"]
    return {
        logical: resource["Properties"]
        for logical, resource in resources.items()
        if resource["Type"].startswith("Custom::DeployAssert@SdkCall")
        and resource["Properties"]["api"] == api
    }


def request(properties: dict[str, Any]) -> dict[str, Any]:
    """The API request the assertion handler sends: each parameter is a JSON text; references stand in."""
    decoded = {}
    for name, value in properties["parameters"].items():
        decoded[name] = EXECUTION_ARN if isinstance(value, dict) else json.loads(value)
    return decoded


def test_the_pipeline_assertion_shows_the_violation_started_it() -> None:
    trigger = next(
        r["Properties"]["Environment"]["Variables"]
        for r in template("SageMakerRetraining")["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
        and ENV_EVENT_PARAMETERS in r["Properties"].get("Environment", {}).get("Variables", {})
    )
    parameter_of = {field: name for name, field in json.loads(trigger[ENV_EVENT_PARAMETERS]).items()}
    # The open backend's schedule names (the app's default): the ones the trigger's violation rule listens to.
    (rule,) = [
        r["Properties"]["EventPattern"]
        for r in template("SageMakerMonitoring")["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
        and r["Properties"].get("EventPattern", {}).get("source") == ["sagemaker-constructs.monitoring"]
    ]
    (schedule,) = [
        name for name in rule["detail"]["monitoringScheduleName"] if "-EndpointDataQuality-" in name
    ]
    model = botocore.session.get_session().get_service_model("sagemaker")

    (listing_id, listing), *others = sdk_calls("listPipelineExecutions").items()
    assert others == []
    listed = request(listing)
    validate_parameters(listed, model.operation_model("ListPipelineExecutions").input_shape)
    # The newest execution of the trigger's pipeline.
    assert listed == {
        "PipelineName": trigger[ENV_PIPELINE_NAME],
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "MaxResults": 1,
    }

    expected = {}
    for properties in sdk_calls("listPipelineParametersForExecution").values():
        validate_parameters(
            request(properties), model.operation_model("ListPipelineParametersForExecution").input_shape
        )
        # The execution is the one just listed.
        assert properties["parameters"]["PipelineExecutionArn"]["Fn::Join"][1][1] == {
            "Fn::GetAtt": [listing_id, "apiCallResponse.PipelineExecutionSummaries.0.PipelineExecutionArn"]
        }
        (pair,) = json.loads(properties["expected"])["$ObjectLike"]["PipelineParameters"]["$ArrayWith"]
        expected[pair["Name"]] = pair["Value"]
    assert expected == {
        parameter_of["trigger_type"]: TRIGGER_MONITOR_VIOLATION,
        parameter_of["monitoring_schedule"]: schedule,
    }
