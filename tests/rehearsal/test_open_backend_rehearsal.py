"""The open monitoring backend's actors rehearsed against the synthesized policies (``support.iam_eval``): the
Scheduler's role starts the workflow, the workflow's role makes every call of its definition (the list derived
from the definition's Resource ARNs), each processing job's role reads every input it is passed and writes its
output, and the shared planner lists and reads the capture and ground truth and writes the run's files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from actors import delivery_calls
from aws_cdk import App, Stack
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template
from open_actors import open_monitor_calls
from support.aws_calls import Call, denials, report
from support.cfn_resolve import World

from infra.app import cdk_context
from sagemaker_constructs import (
    BatchDataCapture,
    BatchTransform,
    MonitoringJob,
    NotificationTopic,
    SecureBucket,
    TransformInput,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "monitoring" / "open_backend"))
from open_backend_builders import model, monitor


@pytest.fixture(scope="module")
def world() -> World:
    app = App(context=cdk_context())
    stack = Stack(app, "OpenMonitors")
    topic = NotificationTopic(stack, "Alerts", description="monitoring").topic
    volume_key = kms.Key(stack, "VolumeKey", enable_key_rotation=True)
    monitor(stack, "DataQuality", "processing", notification_topic=topic)
    monitor(
        stack, "ModelQuality", "processing", job=MonitoringJob(instance_count=2, volume_kms_key=volume_key)
    )
    monitor(stack, "ModelBias", "processing")
    monitor(stack, "ModelExplainability", "processing", notification_topic=topic)
    # The batch transform's input in a bucket of the app, so its encryption is known.
    BatchTransform(
        stack,
        "Batch",
        model=model(stack),
        input=TransformInput(bucket=SecureBucket(stack, "Input", description="scoring input").bucket),
        data_capture=BatchDataCapture(),
    )
    monitor(stack, "DataQuality", "processing", source_kind="batch", construct_id="BatchQuality")
    return World.from_templates({stack.stack_name: Template.from_stack(stack).to_json()})


def _check(world: World, actors: list[tuple[str, list[Call]]]) -> None:
    assert actors, "the rehearsal found no actor of this kind in the templates"
    for actor, calls in actors:
        assert calls, f"{actor} makes no call: the actor table is broken"
    denied = [d for _actor, calls in actors for d in denials(world, calls)]
    assert not denied, report(denied)


def test_every_open_monitoring_actor_can_run(world: World) -> None:
    actors = list(open_monitor_calls(world))
    names = [a for a, _ in actors]
    # Five workflows and planners; jobs: analyze (4: DQ, bias, batch DQ; quality sharded: analyze + merge),
    # explainability's extract, Clarify and compare.
    assert sum(a.startswith("workflow ") for a in names) == 5, names
    assert sum(a.startswith("planner of ") for a in names) == 5, names
    assert sum(" job of " in a for a in names) == 8, names
    _check(world, actors)


def test_the_schedules_can_start_their_workflows(world: World) -> None:
    actors = [(a, c) for a, c in delivery_calls(world) if a.startswith("EventBridge Scheduler")]
    assert len(actors) == 5
    _check(world, actors)


def test_the_rehearsal_can_fail(world: World) -> None:
    """A call outside the grants is denied: a job of another schedule, a write outside the monitor's prefix."""
    [(_actor, calls)] = [(a, c) for a, c in open_monitor_calls(world) if a.startswith("workflow ")][:1]
    create = next(c for c in calls if c.request.action == "sagemaker:CreateProcessingJob")
    foreign = Call(
        create.actor,
        create.request.__class__(
            create.request.principal,
            create.request.action,
            create.request.resource.replace("processing-job/", "processing-job/someone-else-"),
            create.request.context,
        ),
        "a job of another schedule",
        "test",
    )
    assert denials(world, [foreign]), "the workflow may create processing jobs of other schedules"
