"""Oracle: every state machine the library synthesizes passes asl-validator (npm, pinned in package.json).

asl-validator checks a definition against the Amazon States Language JSON schemas, including the JSONata query
language (``QueryLanguage: JSONata``; each ``{% ... %}`` is parsed with the jsonata package), transition targets,
terminal states, duplicate state names, Resource ARNs and, for JSONPath states, path syntax. It does not evaluate
expressions or check that a service integration's Arguments fit the API (tests/support's interpreter does that
against botocore's models).

Tokens in a synthesized definition (bucket names, topic ARNs) are resolved to literals of the right shape first.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from oracle_support import ACCOUNT, REGION, resolve
from support.cfn_resolve import World

from infra.app import cdk_context
from sagemaker_constructs import (
    BatchDataCapture,
    BatchStrategy,
    BatchTransform,
    ContainerImage,
    DataProcessing,
    JoinSource,
    Model,
    ModelClientOptions,
    ModelData,
    TransformInput,
    TransformOutput,
    TransformSchedule,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("validate_asl.js")
SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"


def validate(definitions: dict[str, Any], *, stand_in: bool = True) -> dict[str, dict[str, Any]]:
    """asl-validator's verdict on each definition, in one Node.js process (gaps stood in for, see above)."""
    node = shutil.which("node")
    assert node, "Node.js is not on PATH (make setup installs the pinned one in node_modules/.bin)"
    assert (REPO_ROOT / "node_modules" / "asl-validator").is_dir(), "asl-validator is missing: run npm ci"
    done = subprocess.run(
        [node, str(RUNNER)],
        input=json.dumps({name: without_gaps(d) if stand_in else d for name, d in definitions.items()}),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
        timeout=120,
    )
    results: dict[str, dict[str, Any]] = json.loads(done.stdout)
    assert set(results) == set(definitions)
    return results


# asl-validator 4.0.0 gaps, each checked by test_known_validator_gaps_are_still_gaps so that a fixed one is
# noticed. Its JSONata schema accepts a string in a JSONata template only if it is an expression or matches
# ``^(?!\\{% )(.+)(?! %\\})$`` (schemas/jsonata.json, "not_jsonata"): the empty string matches neither, so
# ``"jobName": ""`` in PlanRun's Assign is rejected. The States Language allows any JSON value in Assign (a
# string that is not ``{% ... %}`` is a literal); the workflow needs a string there because CDK drops nulls.
# A schema error also stops asl-validator's other checks (transitions, terminal states), so the empty literals
# are replaced with a non-empty one before validation instead of filtering the error out afterwards.
EMPTY_STRING_GAP = "an empty string literal in a JSONata template"
EMPTY_STAND_IN = "(empty)"
# Its "jsonata_template" also lets an array inside an array hold objects only, so a nested array of numbers (a
# Clarify SHAP baseline, [[40, 24, ...]], in the open monitoring workflow's planner payload) is rejected, though the
# States Language allows any JSON value in Arguments. Such an inner array is stood in for by an object.
NESTED_ARRAY_GAP = "an array of numbers inside an array in a JSONata template"
NESTED_ARRAY_STAND_IN = {"stand-in": "an array inside an array"}


def without_gaps(definition: Any, *, in_array: bool = False) -> Any:
    """``definition`` with every empty string value replaced by a non-empty literal (EMPTY_STRING_GAP) and every
    array directly inside an array by an object (NESTED_ARRAY_GAP)."""
    if isinstance(definition, dict):
        return {key: without_gaps(value) for key, value in definition.items()}
    if isinstance(definition, list):
        if in_array:
            return NESTED_ARRAY_STAND_IN
        return [without_gaps(value, in_array=True) for value in definition]
    return EMPTY_STAND_IN if definition == "" else definition


def problems(result: dict[str, Any]) -> list[str]:
    return [f"{e['code']}: {e['message']}" for e in result["errors"]]


def definitions_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{logical ID: definition}`` of a template's state machines, tokens resolved."""
    resources = template["Resources"]
    found = {}
    for logical_id, body in resources.items():
        if body["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        properties = body["Properties"]
        text = resolve(properties["DefinitionString"], resources)
        for name, value in resolve(properties.get("DefinitionSubstitutions", {}), resources).items():
            text = text.replace("${" + name + "}", str(value))
        found[logical_id] = json.loads(text)
    return found


def _model(stack: Stack) -> Model:
    return Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )


def _defaults(stack: Stack) -> None:
    BatchTransform(
        stack,
        "Batch",
        model=_model(stack),
        input=TransformInput(bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket")),
    )


def _everything(stack: Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    BatchTransform(
        stack,
        "Batch",
        model=_model(stack),
        input=TransformInput(
            bucket=s3.Bucket(stack, "Input", enforce_ssl=True, event_bridge_enabled=True),
            prefix="in/",
            date_format="[Y0001]/[M01]/[D01]",
            date_offset=Duration.hours(2),
        ),
        output=TransformOutput(prefix="out/", accept="text/csv"),
        instance_type="ml.m5.xlarge",
        instance_count=2,
        batch_strategy=BatchStrategy.MULTI_RECORD,
        max_concurrent_transforms=2,
        data_processing=DataProcessing(input_filter="$[1:]", join_source=JoinSource.INPUT, output_filter="$"),
        environment={"SAGEMAKER_PROGRAM": "serve"},
        model_client=ModelClientOptions(invocations_timeout=Duration.minutes(5), invocations_max_retries=1),
        volume_kms_key=key,
        data_capture=BatchDataCapture(generate_inference_id=True),
        job_name_prefix="nightly",
        # A transform runs on arrival or on a schedule, not both (it would score arrived files twice).
        run_on_input_arrival=True,
        job_timeout=Duration.hours(1),
        capacity_retries=0,
    )


def _no_dated_prefix(stack: Stack) -> None:
    BatchTransform(
        stack,
        "Batch",
        model=_model(stack),
        input=TransformInput(
            bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket"), prefix="it's/", date_format=None
        ),
        schedule=TransformSchedule.rate(Duration.hours(6)),
    )


VARIANTS: dict[str, Callable[[Stack], None]] = {
    "defaults": _defaults,
    "every option": _everything,
    "no dated prefix, a quote in it": _no_dated_prefix,
}


@pytest.fixture(scope="module")
def library_definitions() -> dict[str, dict[str, Any]]:
    app = App(context=cdk_context())
    stacks = {
        name: Stack(app, f"Variant{i}", env=Environment(account=ACCOUNT, region=REGION))
        for i, name in enumerate(VARIANTS)
    }
    for name, build in VARIANTS.items():
        build(stacks[name])
    assembly = app.synth()
    found = {}
    for name, stack in stacks.items():
        for logical_id, definition in definitions_of(
            assembly.get_stack_by_name(stack.stack_name).template
        ).items():
            found[f"{name}: {logical_id}"] = definition
    return found


def test_batch_transform_variants_are_valid_asl(library_definitions):
    assert len(library_definitions) == len(VARIANTS)
    assert all(d["QueryLanguage"] == "JSONata" for d in library_definitions.values())
    results = validate(library_definitions)
    invalid = {name: problems(r) for name, r in results.items()}
    assert {name: found for name, found in invalid.items() if found} == {}


def _open_monitors(stack: Stack) -> None:
    """The four monitor types on the open backend (MonitorBackend.processing()), one sharded, with a topic."""
    import sys

    sys.path.insert(0, str(REPO_ROOT / "tests" / "unit" / "monitoring" / "open_backend"))
    from open_backend_builders import monitor

    from sagemaker_constructs import MonitoringJob, NotificationTopic

    topic = NotificationTopic(stack, "Alerts", description="monitoring").topic
    monitor(stack, "DataQuality", "processing", notification_topic=topic)
    monitor(stack, "ModelQuality", "processing", source_kind="batch", job=MonitoringJob(instance_count=2))
    monitor(stack, "ModelBias", "processing")
    monitor(stack, "ModelExplainability", "processing", notification_topic=topic)


@pytest.fixture(scope="module")
def open_monitor_definitions() -> dict[str, dict[str, Any]]:
    app = App(context=cdk_context())
    stack = Stack(app, "OpenMonitors", env=Environment(account=ACCOUNT, region=REGION))
    _open_monitors(stack)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    return {
        logical_id: definition
        for logical_id, definition in definitions_of(template).items()
        if "createProcessingJob" in json.dumps(definition)
    }


def test_open_monitoring_workflows_are_valid_asl(open_monitor_definitions):
    """The open backend's workflows (MonitorBackend.processing()): every type, sharded, with and without a topic."""
    assert len(open_monitor_definitions) == 4
    results = validate(open_monitor_definitions)
    invalid = {name: problems(r) for name, r in results.items()}
    assert {name: found for name, found in invalid.items() if found} == {}


def _app_definitions(templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{"stack: logical ID": definition}`` of an app's state machines, references to other stacks resolved
    (the open monitoring workflows read the real-time stack's outputs)."""
    found = {}
    for stack, logical_id, properties in World.from_templates(templates).resources(
        "AWS::StepFunctions::StateMachine"
    ):
        text = properties["DefinitionString"]
        for name, value in properties.get("DefinitionSubstitutions", {}).items():
            text = text.replace("${" + name + "}", str(value))
        found[f"{stack}: {logical_id}"] = json.loads(text)
    return found


def test_reference_app_state_machines_are_valid_asl(reference_templates, model_monitor_templates):
    definitions = _app_definitions(reference_templates)
    # The batch scoring's two workflows and the six open monitoring workflows of the default app.
    assert len(definitions) == 8, sorted(definitions)
    definitions |= {f"model-monitor {k}": d for k, d in _app_definitions(model_monitor_templates).items()}
    results = validate(definitions)
    invalid = {name: problems(r) for name, r in results.items()}
    assert {name: found for name, found in invalid.items() if found} == {}


def _break(definition: dict[str, Any], how: str) -> dict[str, Any]:
    broken = copy.deepcopy(definition)
    states = broken["States"]
    if how == "a transition to a state that does not exist":
        states["PlanRun"]["Next"] = "NoSuchState"
    elif how == "a JSONata expression that does not parse":
        states["InputExists"]["Choices"][0]["Condition"] = "{% $states.input.keyCount > %}"
    elif how == "a JSONPath field in a JSONata state":
        states["CheckInput"]["Parameters"] = states["CheckInput"].pop("Arguments")
    elif how == "a Resource that is not an ARN":
        states["Transform"]["Resource"] = "sagemaker:createTransformJob.sync"
    elif how == "an unreachable state":
        states["Orphan"] = {"Type": "Succeed"}
    else:
        raise AssertionError(how)
    return broken


BREAKAGES = [
    "a transition to a state that does not exist",
    "a JSONata expression that does not parse",
    "a JSONPath field in a JSONata state",
    "a Resource that is not an ARN",
    "an unreachable state",
]


def test_asl_validator_rejects_broken_definitions(library_definitions):
    """The oracle can fail: each deliberately broken copy of a real definition is rejected."""
    (original,) = [d for name, d in library_definitions.items() if name.startswith("defaults: ")]
    broken = {how: _break(original, how) for how in BREAKAGES}
    results = validate({"original": original, **broken})
    assert problems(results["original"]) == []
    accepted = [how for how in BREAKAGES if results[how]["isValid"]]
    assert accepted == []


def test_known_validator_gaps_are_still_gaps():
    """If asl-validator starts accepting an empty string literal, drop the stand-in (without_gaps)."""
    minimal = {
        "QueryLanguage": "JSONata",
        "StartAt": "Only",
        "States": {"Only": {"Type": "Pass", "Assign": {"name": ""}, "End": True}},
    }
    result = validate({EMPTY_STRING_GAP: minimal}, stand_in=False)[EMPTY_STRING_GAP]
    assert not result["isValid"]
    assert {e["path"] for e in result["errors"]} == {"/States/Only/Assign/name"}
    nested = copy.deepcopy(minimal)
    nested["States"]["Only"]["Assign"] = {"baseline": [[1, 2]]}
    result = validate({NESTED_ARRAY_GAP: nested}, stand_in=False)[NESTED_ARRAY_GAP]
    assert not result["isValid"]
    assert {e["path"] for e in result["errors"]} == {"/States/Only/Assign/baseline/0/0"}


def test_a_quote_in_the_input_prefix_survives_jsonata(library_definitions):
    """The regression behind the quoted variant: the literal JSONata reads back is the prefix itself."""
    import jsonata  # jsonata-python, the test suite's JSONata (tests/support's interpreter)

    (definition,) = [d for name, d in library_definitions.items() if name.startswith("no dated prefix")]
    expression = (
        definition["States"]["PlanRun"]["Assign"]["inputPrefix"].removeprefix("{%").removesuffix("%}")
    )
    compiled = jsonata.Jsonata(expression)
    environment = compiled.create_frame()
    environment.bind("states", {"input": {}, "context": {}})
    assert compiled.evaluate({}, environment) == "it's/"
