"""The actor rehearsal: every runtime actor of the reference app makes its calls against the synthesized
policies (identity, bucket, key and topic policies), judged by ``support.iam_eval``.

A failure reads "actor / call / why / decision: reason", one line per denied call. The call lists and their
sources are in ``actors.py``; README "What the test suite checks" lists them.
"""

from __future__ import annotations

from typing import Any

import pytest
from actors import monitor_calls, pipeline_calls, transform_calls
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template
from support.aws_calls import Call, denials, report
from support.cfn_resolve import World


@pytest.fixture(scope="module")
def world(reference_templates: dict[str, dict[str, Any]]) -> World:
    return World.from_templates(reference_templates)


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


def test_every_monitor_can_run(world: World) -> None:
    actors = list(monitor_calls(world))
    # Four monitors on the endpoint, data and model quality on the batch transform.
    assert len(actors) == 6, [a for a, _ in actors]
    _check(world, actors)


def test_transform_workflow_and_job_can_run(world: World, sync_task_actions: list[str]) -> None:
    actors = list(transform_calls(world, sync_task_actions))
    assert len(actors) == 2, [a for a, _ in actors]
    _check(world, actors)


def test_retraining_pipeline_steps_can_run(world: World) -> None:
    actors = list(pipeline_calls(world))
    assert {a.rsplit(" ", 1)[-1] for a, _ in actors} == {"Train", "Evaluate", "Register"}
    _check(world, actors)


def test_unknown_managed_policies_are_reported(world: World) -> None:
    # No role of the reference app depends on an AWS managed policy the rehearsal cannot see.
    hidden = {
        role.path: role.unknown_managed_policies
        for role in world.roles.values()
        if role.unknown_managed_policies
    }
    assert not hidden
