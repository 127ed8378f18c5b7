"""The actor rehearsal: every runtime actor of the reference app makes its calls against the synthesized
policies (identity, bucket, key and topic policies), judged by ``support.iam_eval``.

A failure reads "actor / call / why / decision: reason", one line per denied call. The call lists and their
sources are in ``actors.py``; README "What the test suite checks" lists them.
"""

from __future__ import annotations

from typing import Any

import pytest
from actors import (
    async_calls,
    clarify_shadow_calls,
    custom_resource_calls,
    delivery_calls,
    hosting_calls,
    monitor_calls,
    pipeline_calls,
    transform_calls,
)
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template
from open_actors import open_monitor_calls
from support import iam_eval
from support.aws_calls import Call, denials, report
from support.cfn_resolve import World

from infra.app import cdk_context


@pytest.fixture(scope="module")
def world(reference_templates: dict[str, dict[str, Any]]) -> World:
    """The default app: its monitors on the open backend."""
    return World.from_templates(reference_templates)


@pytest.fixture(scope="module")
def model_monitor_world(model_monitor_templates: dict[str, dict[str, Any]]) -> World:
    """The app with ``-c sagemaker-constructs:monitoring-backend=model-monitor``."""
    return World.from_templates(model_monitor_templates)


@pytest.fixture(scope="module")
def sync_task_actions() -> list[str]:
    """The actions aws-cdk-lib's own ``SageMakerCreateTransformJob`` (``.sync``) grants its state machine: the
    oracle of what Step Functions calls for the task (it tags the job, and manages an EventBridge rule)."""
    stack = Stack(App(), "Oracle")
    task = tasks.SageMakerCreateTransformJob(
        stack,
        "Transform",
        transform_job_name="job",
        model_name="model",
        integration_pattern=sfn.IntegrationPattern.RUN_JOB,
        transform_input=tasks.TransformInput(
            transform_data_source=tasks.TransformDataSource(
                s3_data_source=tasks.TransformS3DataSource(s3_uri="s3://bucket/in/")
            )
        ),
        transform_output=tasks.TransformOutput(s3_output_path="s3://bucket/out/"),
        role=iam.Role(stack, "ModelRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")),
    )
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(task))
    actions: list[str] = []
    for policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            for action in (
                statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            ):
                # iam:PassRole of the task's own role: our workflow's model already has its role, none is passed.
                if action != "iam:PassRole" and action not in actions:
                    actions.append(action)
    assert "sagemaker:CreateTransformJob" in actions
    return actions


def _check(world: World, actors: list[tuple[str, list[Call]]]) -> None:
    assert actors, "the rehearsal found no actor of this kind in the templates"
    for actor, calls in actors:
        assert calls, f"{actor} makes no call: the actor table is broken"
    denied = [d for _actor, calls in actors for d in denials(world, calls)]
    assert not denied, report(denied)


def test_every_monitor_can_run(model_monitor_world: World) -> None:
    world = model_monitor_world
    actors = list(monitor_calls(world))
    # Four monitors on the endpoint, data and model quality on the batch transform.
    assert len(actors) == 6, [a for a, _ in actors]
    _check(world, actors)


def test_every_open_monitor_can_run(world: World) -> None:
    """The default app's monitors on the open backend: each workflow's role makes every call of its definition,
    each processing job's role reads its inputs and writes its reports, the planner lists the capture (the
    real-time stack's bucket, the batch transform's) and ground truth and writes the run's files
    (``open_actors``)."""
    actors = list(open_monitor_calls(world))
    names = [a for a, _ in actors]
    assert sum(a.startswith("workflow ") for a in names) == 6, names
    assert sum(a.startswith("planner of ") for a in names) == 6, names
    # One job each for data quality, model quality and bias (endpoint and batch), explainability's three:
    # extract, Clarify (its shadow endpoint of the champion model) and compare.
    assert sum(" job of " in a for a in names) == 8, names
    _check(world, actors)


def test_the_open_monitors_schedules_can_start_their_workflows(world: World) -> None:
    actors = [(a, c) for a, c in delivery_calls(world) if a.startswith("EventBridge Scheduler")]
    # The six monitors' schedules, the batch scoring's nightly one and the bandit's (it invokes its function).
    assert len(actors) == 8, [a for a, _ in actors]
    [bandit] = [calls for a, calls in actors if "BanditSchedule" in a]
    assert [c.request.action for c in bandit] == ["lambda:InvokeFunction", "sqs:SendMessage"]
    _check(world, actors)


def test_model_monitor_variant_events_and_alarms_can_deliver(model_monitor_world: World) -> None:
    actors = list(delivery_calls(model_monitor_world))
    assert any(a.startswith("EventBridge rule") for a, _ in actors)
    _check(model_monitor_world, actors)


def test_transform_workflow_and_job_can_run(world: World, sync_task_actions: list[str]) -> None:
    actors = list(transform_calls(world, sync_task_actions))
    # The nightly scoring and the scoring of each arrived file (a workflow and a job each); older versions of the
    # reference app had the nightly one only.
    assert len(actors) in (2, 4), [a for a, _ in actors]
    _check(world, actors)


def test_retraining_pipeline_steps_can_run(world: World) -> None:
    actors = list(pipeline_calls(world))
    assert {a.rsplit(" ", 1)[-1] for a, _ in actors} == {"Train", "Evaluate", "Register"}
    _check(world, actors)


def test_endpoint_variants_can_load_their_model_and_capture(world: World) -> None:
    actors = list(hosting_calls(world))
    assert len(actors) == 2, [a for a, _ in actors]  # champion and challenger
    # The reference endpoint deploys behind canary guardrails: both model roles read its rollback alarms.
    for actor, calls in actors:
        assert any(c.request.action == "cloudwatch:DescribeAlarms" for c in calls), actor
    _check(world, actors)


def test_events_schedules_and_alarms_can_deliver(world: World) -> None:
    actors = list(delivery_calls(world))
    assert any(a.startswith("EventBridge rule") for a, _ in actors)
    assert any(a.startswith("EventBridge Scheduler") for a, _ in actors)
    _check(world, actors)


def test_the_evaluator_understands_every_condition_in_the_templates(world: World) -> None:
    """Every condition operator and key the reference app's policies use is one the evaluator implements (an
    unknown one raises PolicyError), and the list is what the evaluator's own tests cover."""
    documents = [doc for role in world.roles.values() for doc in role.policies]
    for group in (world.bucket_policies, world.topic_policies, world.queue_policies, world.function_policies):
        documents += [doc for docs in group.values() for doc in docs]
    documents += list(world.key_policies.values())
    used = set()
    for document in documents:
        for statement in iam_eval.statements(document):
            for operator, keys in statement.get("Condition", {}).items():
                for key, values in keys.items():
                    iam_eval.condition_holds(operator, key, values, {})
                    used.add((operator, key))
    assert used >= {("StringLike", "s3:prefix"), ("Bool", "aws:SecureTransport")}, used


def test_unknown_managed_policies_are_reported(world: World) -> None:
    # No role of the reference app depends on an AWS managed policy the rehearsal cannot see.
    hidden = {
        role.path: role.unknown_managed_policies
        for role in world.roles.values()
        if role.unknown_managed_policies
    }
    assert not hidden


def _monitored_batch_stack(sample_model: str) -> dict[str, Any]:
    """A case the reference app lacks: bias on a batch transform whose input, output and capture each have their
    own bucket and key, a baseline in a customer bucket, and monitor reports in a customer bucket and key."""
    from aws_cdk import aws_kms as kms

    from sagemaker_constructs import (
        Baseline,
        BatchDataCapture,
        BatchTransform,
        BiasAnalysisConfig,
        ContainerImage,
        DataQualityMonitor,
        Facet,
        GroundTruth,
        Model,
        ModelBiasMonitor,
        ModelData,
        MonitoringOutput,
        MonitorSource,
        S3Source,
        SecureBucket,
        TransformInput,
        TransformOutput,
    )

    stack = Stack(App(context=cdk_context()), "MonitoredBatch")
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
                  model_data=ModelData.from_asset(sample_model))  # fmt: skip
    inputs = SecureBucket(stack, "Input", description="input")
    outputs = SecureBucket(stack, "Output", description="output")
    capture = SecureBucket(stack, "Capture", description="capture")
    transform = BatchTransform(
        stack,
        "Batch",
        model=model,
        input=TransformInput(bucket=inputs.bucket, prefix="in/", content_type="text/csv"),
        output=TransformOutput(bucket=outputs.bucket, prefix="out/"),
        data_capture=BatchDataCapture(bucket=capture.bucket, prefix="captured"),
    )
    baselines = SecureBucket(stack, "Baselines", description="baselines")
    reports = SecureBucket(stack, "Reports", description="reports")
    reports_key = kms.Key(stack, "ReportsKey", enable_key_rotation=True)
    labels = SecureBucket(stack, "Labels", description="labels")
    ModelBiasMonitor(
        stack,
        "Bias",
        source=MonitorSource.batch_transform(transform),
        output=MonitoringOutput(bucket=reports.bucket, kms_key=reports_key),
        analysis_config=BiasAnalysisConfig(
            headers=["churned", "age", "calls"],
            label="churned",
            label_values_or_threshold=[1],
            facets=[Facet(name="age", values_or_threshold=[40])],
        ),
        ground_truth=GroundTruth(labels.bucket, "labels"),
        probability_attribute="0",
        probability_threshold_attribute=0.5,
    )
    DataQualityMonitor(
        stack,
        "Quality",
        source=MonitorSource.batch_transform(transform),
        baseline=Baseline(
            constraints=S3Source.from_bucket(baselines.bucket, "churn/constraints.json"),
            statistics=S3Source.from_bucket(baselines.bucket, "churn/statistics.json"),
        ),
    )
    return {"MonitoredBatch": Template.from_stack(stack).to_json()}


def test_monitors_of_a_batch_transform_with_its_own_buckets_and_keys(
    sync_task_actions: list[str], sample_model: str
) -> None:
    world = World.from_templates(_monitored_batch_stack(sample_model))
    monitors = list(monitor_calls(world))
    assert len(monitors) == 2, [a for a, _ in monitors]
    _check(world, monitors)
    _check(world, list(transform_calls(world, sync_task_actions)))


def test_explainability_monitors_can_run_their_shadow_endpoint(
    model_monitor_world: World, model_monitor_app: Any
) -> None:
    # Model Monitor's explainability job (the open backend's Clarify job is in test_every_open_monitor_can_run).
    world = model_monitor_world
    actors = list(clarify_shadow_calls(world, model_monitor_app.outdir))
    # The endpoint's and the batch transform's explainability monitors (if wired in the reference app).
    assert actors, "the reference app has an explainability monitor"
    _check(world, actors)


def test_the_scaling_pause_can_deregister_and_register_its_targets(world: World) -> None:
    actors = list(custom_resource_calls(world))
    # A pause and a resume for each autoscaled variant of the reference endpoint (champion, challenger).
    assert len(actors) == 4, [a for a, _ in actors]
    _check(world, actors)


def _async_stack(sample_model: str) -> dict[str, Any]:
    """A case the reference app lacks: an asynchronous endpoint with its created output bucket and key, a failure
    path and success and error topics (issue 10, defect 13: large responses are uploaded in parts)."""
    from aws_cdk import aws_sns as sns

    from sagemaker_constructs import (
        AsyncInference,
        ContainerImage,
        Endpoint,
        Model,
        ModelData,
        ProductionVariant,
    )

    stack = Stack(App(context=cdk_context()), "Async")
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
                  model_data=ModelData.from_asset(sample_model))  # fmt: skip
    Endpoint(
        stack,
        "Endpoint",
        variants=[ProductionVariant("v", model=model, instance_type="ml.c5.xlarge")],
        async_inference=AsyncInference(
            success_topic=sns.Topic(stack, "Succeeded", enforce_ssl=True),
            error_topic=sns.Topic(stack, "Failed", enforce_ssl=True),
        ),
    )
    return {"Async": Template.from_stack(stack).to_json()}


def test_asynchronous_endpoints_can_write_large_responses_and_notify(sample_model: str) -> None:
    world = World.from_templates(_async_stack(sample_model))
    actors = list(async_calls(world))
    assert len(actors) == 1, [a for a, _ in actors]
    assert any(c.request.action == "kms:Decrypt" for c in actors[0][1])
    assert any(c.request.action == "sns:Publish" for c in actors[0][1])
    _check(world, actors)
