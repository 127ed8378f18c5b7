"""Issue 11 item 6: malformed events into the retraining trigger, against the real handler in moto.

Each shape breaks the documented shape of an event the trigger subscribes to. Whether EventBridge would deliver
it is decided by the rule patterns of the synthesized reference app (moto's EventBridge matches them); the handler
must cope either way: one "failed" notification, the failure metric once, nothing started, and the invocation
fails, so that Lambda's retries end in the function's on-failure destination (the dead-letter queue).
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from typing import Any, get_args

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse

from lambdas.retraining_trigger.contract import DECISION_FAILED, METRIC_FAILURES, METRIC_PIPELINES_STARTED

ALARM = "cloudwatch_alarm_state_change_alarm"
JOB = "processing_job_monitoring_violations"
METRIC = "detail.configuration.metrics.0.metricStat.metric"
Shape = Callable[[dict[str, Any], dict[str, Any]], Any]


def _edit(base: str, change: Callable[[dict[str, Any]], None]) -> Shape:
    """A shape: a copy of the alarm or processing-job sample, changed by ``change``."""

    def build(alarm: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
        event = copy.deepcopy(alarm if base == ALARM else job)
        change(event)
        return event

    return build


def _parent(event: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container of the last part of a dotted path (digits index lists) and that part."""
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    node: Any = event
    for part in parents:
        node = node[part]
    return node, last


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(event: dict[str, Any]) -> None:
        node, last = _parent(event, path)
        node[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(event: dict[str, Any]) -> None:
        node, last = _parent(event, path)
        del node[last]

    return change


def _listed(path: str) -> Callable[[dict[str, Any]], None]:
    """The value at ``path`` wrapped in a list."""

    def change(event: dict[str, Any]) -> None:
        node, last = _parent(event, path)
        node[last] = [node[last]]

    return change


def _nest_detail(event: dict[str, Any]) -> None:
    event["detail"] = {"detail": event["detail"]}


# (id, shape, whether the reference app's rules deliver it: True/False, or None where PutEvents cannot carry it
# (the envelope is EventBridge's own: source, detail-type, time, resources and an object detail always exist).
SHAPES: list[tuple[str, Shape, bool | None]] = [
    ("empty-object", lambda alarm, job: {}, None),
    ("not-an-object", lambda alarm, job: [alarm], None),
    ("json-text", lambda alarm, job: json.dumps(alarm), None),
    ("no-detail", _edit(ALARM, _drop("detail")), None),
    ("detail-not-an-object", _edit(ALARM, _set("detail", "ALARM")), None),
    ("detail-null", _edit(ALARM, _set("detail", None)), None),
    ("no-source", _edit(ALARM, _drop("source")), None),
    ("time-unparsable", _edit(ALARM, _set("time", "yesterday")), None),
    ("time-a-number", _edit(ALARM, _set("time", 1795317641)), None),
    ("resources-not-a-list", _edit(ALARM, _set("resources", "arn:aws:cloudwatch:alarm")), None),
    ("detail-empty", _edit(ALARM, _set("detail", {})), False),
    ("extra-nesting", _edit(ALARM, _nest_detail), False),
    ("no-state", _edit(ALARM, _drop("detail.state")), False),
    ("state-null", _edit(ALARM, _set("detail.state", None)), False),
    ("unknown-state", _edit(ALARM, _set("detail.state.value", "BROKEN")), False),
    ("no-alarm-name", _edit(ALARM, _drop("detail.alarmName")), True),
    ("alarm-name-null", _edit(ALARM, _set("detail.alarmName", None)), True),
    ("alarm-name-a-number", _edit(ALARM, _set("detail.alarmName", 42)), True),
    ("state-value-a-list", _edit(ALARM, _set("detail.state.value", ["ALARM"])), True),
    ("state-timestamp-unparsable", _edit(ALARM, _set("detail.state.timestamp", "22/11/26 03:20")), True),
    ("metrics-not-a-list", _edit(ALARM, _set("detail.configuration.metrics", {"m1": {"id": "m1"}})), True),
    ("metric-stat-not-an-object", _edit(ALARM, _set("detail.configuration.metrics.0.metricStat", 7)), True),
    ("dimension-not-text", _edit(ALARM, _set(f"{METRIC}.dimensions", {"EndpointName": 7})), True),
    ("job-status-unknown", _edit(JOB, _set("detail.ProcessingJobStatus", "Done")), False),
    ("job-no-status", _edit(JOB, _drop("detail.ProcessingJobStatus")), False),
    ("job-schedule-arn-a-list", _edit(JOB, _listed("detail.MonitoringScheduleArn")), True),
    ("job-name-a-number", _edit(JOB, _set("detail.ProcessingJobName", 20261122)), True),
]


@pytest.fixture(scope="module")
def patterns(model_monitor_templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The event patterns of the reference app's rules into the trigger (SageMakerMonitoring, on Model Monitor:
    its processing-job events are the shapes here), with the alarm and schedule ARNs of the sample events in place
    of their CloudFormation tokens."""
    rules = [
        r["Properties"]
        for r in model_monitor_templates["SageMakerMonitoring"]["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
        # A target in the trigger's stack: an export or, under weak cross-stack references, a stack output.
        and any(
            ref in json.dumps(r["Properties"]["Targets"]) for ref in ("Fn::ImportValue", "Fn::GetStackOutput")
        )
    ]
    alarm = json.loads(
        json.dumps(next(r for r in rules if r["EventPattern"]["source"] == ["aws.cloudwatch"]))
    )
    monitor = json.loads(
        json.dumps(next(r for r in rules if r["EventPattern"]["source"] == ["aws.sagemaker"]))
    )
    return {"alarm": alarm["EventPattern"], "monitor": monitor["EventPattern"]}


def _events(sample_event: Callable[..., dict[str, Any]], shape: Shape) -> Any:
    return shape(sample_event(ALARM), sample_event(JOB))


SHAPES_BY_ID = [(i, s) for i, s, _ in SHAPES]
PUTABLE = [(i, s, d) for i, s, d in SHAPES if d is not None]


@pytest.mark.parametrize(
    ("shape", "delivered"), [(s, d) for _, s, d in PUTABLE], ids=[i for i, _, _ in PUTABLE]
)
def test_which_malformed_shapes_get_past_the_rules(shape, delivered, patterns, routes, sample_event):
    """What the rules filter out and what reaches the function; the handler must cope with both. An array in
    the event matches a pattern's value when they share an element (EventBridge user guide, "Arrays in Amazon
    EventBridge event patterns"), so ``"value": ["ALARM"]`` passes the alarm rule."""
    event = _events(sample_event, shape)
    pattern = copy.deepcopy(patterns["alarm" if event["source"] == "aws.cloudwatch" else "monitor"])
    if "resources" in pattern:
        pattern["resources"] = list(event["resources"])
    if "MonitoringScheduleArn" in pattern.get("detail", {}):
        pattern["detail"]["MonitoringScheduleArn"] = [sample_event(JOB)["detail"]["MonitoringScheduleArn"]]
    sample = sample_event(ALARM if event["source"] == "aws.cloudwatch" else JOB)
    assert routes(pattern, sample), "the unchanged sample must pass the rule, or the check says nothing"
    assert routes(pattern, event) is delivered


@pytest.fixture(scope="module")
def invoke_config(reference_templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The trigger function's asynchronous invocation settings in the reference app (SageMakerRetraining)."""
    resources = reference_templates["SageMakerRetraining"]["Resources"]
    (config,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"]
    destination = config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"]
    assert resources[destination[0]]["Type"] == "AWS::SQS::Queue", (
        "failed invocations go to the dead-letter queue"
    )
    return config


def invoke_async(trigger: Any, event: Any, config: dict[str, Any]) -> dict[str, Any] | None:
    """What Lambda does with an asynchronous invocation (Lambda developer guide, "Error handling and automatic
    retries in Lambda", and "Capturing records of Lambda asynchronous invocations"): the first attempt, then up to
    ``MaximumRetryAttempts`` retries under the same request id; once all have failed, an invocation record holding
    the event and the last error goes to the on-failure destination. Returns that record, or None when an
    attempt succeeded."""
    request_id = str(uuid.uuid4())
    errors: list[Exception] = []
    for _ in range(1 + config["MaximumRetryAttempts"]):
        try:
            trigger.invoke(event, request_id=request_id)
        except Exception as error:  # Lambda records any error of the function
            errors.append(error)
        else:
            return None
    return {
        "requestContext": {
            "requestId": request_id,
            "condition": "RetriesExhausted",
            "approximateInvokeCount": len(errors),
        },
        "requestPayload": event,
        "responsePayload": {"errorType": type(errors[-1]).__name__, "errorMessage": str(errors[-1])},
    }


@pytest.mark.parametrize("shape", [s for _, s, _ in SHAPES], ids=[i for i, _, _ in SHAPES])
def test_a_malformed_event_is_told_once_counted_once_and_parked(shape, trigger, sample_event, invoke_config):
    event = _events(sample_event, shape)

    parked = invoke_async(trigger, event, invoke_config)

    assert parked is not None, "a malformed event was accepted: it must end in the dead-letter queue"
    assert parked["responsePayload"]["errorType"] == "MalformedEventError", parked["responsePayload"]
    assert parked["requestContext"]["approximateInvokeCount"] == 1 + invoke_config["MaximumRetryAttempts"]
    [told] = trigger.notifications()  # one message for the first attempt and Lambda's retries together
    assert told.subject == "Retraining failed"
    assert told.attributes["decision"] == DECISION_FAILED
    assert told.message["decision"] == DECISION_FAILED
    assert told.message["reason"].startswith("MalformedEventError: ")
    assert told.message["incident"]["incident_id"].startswith("malformed#")
    assert trigger.metric_total(METRIC_FAILURES) == 1
    assert trigger.metric_total(METRIC_PIPELINES_STARTED) == 0
    assert trigger.executions() == []

    # EventBridge delivers at least once: the same event again is a new invocation. It is parked again, and
    # neither told nor counted again.
    again = invoke_async(trigger, copy.deepcopy(event), invoke_config)
    assert again is not None
    assert again["responsePayload"]["errorType"] == "MalformedEventError"
    assert trigger.notifications() == []
    assert trigger.metric_total(METRIC_FAILURES) == 1


def fail_first_call(client: Any, operation: str, code: str) -> None:
    """The first ``operation`` call of ``client`` gets the AWS error ``code`` (HTTP 400, not retried)."""
    calls: list[str] = []

    def hook(**kwargs: Any) -> Any:
        calls.append(operation)
        if len(calls) > 1:
            return None
        error = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse(None, 400, {}, None), error

    service = client.meta.service_model.service_name
    client.meta.events.register_first(f"before-call.{service}.{operation}", hook)


def test_a_failed_notification_of_a_malformed_event_is_sent_by_the_retry(
    trigger, sample_event, invoke_config
):
    """The report is forgotten when its message could not be published, so Lambda's retry tells it: one message,
    and the failure metric counts both attempts (the first could tell nobody)."""
    event = _events(sample_event, dict(SHAPES_BY_ID)["alarm-name-null"])
    fail_first_call(trigger.module.sns, "Publish", "AuthorizationError")

    parked = invoke_async(trigger, event, invoke_config)

    assert parked is not None
    assert parked["responsePayload"]["errorType"] == "MalformedEventError"
    [told] = trigger.notifications()
    assert told.message["decision"] == DECISION_FAILED
    assert trigger.metric_total(METRIC_FAILURES) == 2


def test_a_malformed_event_is_told_even_when_its_report_cannot_be_recorded(
    trigger, sample_event, invoke_config
):
    """Without the report item, the first attempt cannot know whether it was told: it tells (an extra message
    rather than a lost one); the retry records the report and tells again, the last retry does not."""
    event = _events(sample_event, dict(SHAPES_BY_ID)["no-alarm-name"])
    fail_first_call(trigger.module.dynamodb, "PutItem", "AccessDeniedException")

    parked = invoke_async(trigger, event, invoke_config)

    assert parked is not None
    assert parked["responsePayload"]["errorType"] == "MalformedEventError"
    assert [n.message["decision"] for n in trigger.notifications()] == [DECISION_FAILED, DECISION_FAILED]
    assert trigger.metric_total(METRIC_FAILURES) == 2


def test_the_states_the_models_accept_are_the_services_own():
    """An alarm state or processing-job status outside these is malformed: they must be botocore's enums."""
    from lambdas.retraining_trigger.incidents import AlarmStateChange, ProcessingJobStateChange

    session = botocore.session.get_session()
    alarm_states = get_args(
        AlarmStateChange.model_fields["state"].annotation.model_fields["value"].annotation
    )
    job_statuses = get_args(ProcessingJobStateChange.model_fields["processing_job_status"].annotation)
    assert set(alarm_states) == set(session.get_service_model("cloudwatch").shape_for("StateValue").enum)
    assert set(job_statuses) == set(
        session.get_service_model("sagemaker").shape_for("ProcessingJobStatus").enum
    )
