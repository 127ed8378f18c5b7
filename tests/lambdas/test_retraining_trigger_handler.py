"""The retraining trigger's handler: one pipeline start per incident, against moto; faults with Stubber."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto.core.exceptions import JsonRESTError
from moto.sagemaker.models import SageMakerModelBackend
from trigger_support import MONITORING_SCHEDULE, execution_summary

from lambdas.retraining_trigger.contract import (
    DECISION_FAILED,
    DECISION_IGNORED,
    DECISION_SKIPPED_COOLDOWN,
    DECISION_SKIPPED_DUPLICATE,
    DECISION_SKIPPED_RUNNING,
    DECISION_SKIPPED_UNCONFIRMED,
    DECISION_STARTED,
    ENV_COOLDOWN_SECONDS,
    ENV_EVENT_PARAMETERS,
    ENV_PIPELINE_NAME,
    ENV_STATIC_PARAMETERS,
    LOCK_ID_PREFIX,
    METRIC_FAILURES,
    METRIC_PIPELINES_STARTED,
    METRIC_SKIPPED,
    METRIC_TRIGGERS_RECEIVED,
    POWERTOOLS_METRICS_NAMESPACE,
    POWERTOOLS_SERVICE_NAME,
    TABLE_PARTITION_KEY,
    TRIGGER_ALARM,
    TRIGGER_MONITOR_VIOLATION,
    TRIGGER_SCHEDULE,
)

ALARM = "cloudwatch_alarm_state_change_alarm"
ALARM_OK = "cloudwatch_alarm_state_change_ok"
SCHEDULE = "scheduled_event"
VIOLATIONS = "processing_job_monitoring_violations"
MONITOR_FAILED = "processing_job_monitoring_failed"
ENDPOINT_CHANGE = "sagemaker_endpoint_state_change"
DISPLAY_NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}"
PIPELINE_NAME = "churn-retraining"


def token_of(incident_id: str, pipeline: str = PIPELINE_NAME) -> str:
    return hashlib.sha256(f"{pipeline}\n{incident_id}".encode()).hexdigest()


def alarm_incident_id(event: dict[str, Any]) -> str:
    return f"alarm#{event['detail']['alarmName']}#{event['detail']['state']['timestamp']}"


def alarm_at(event: dict[str, Any], timestamp: str) -> dict[str, Any]:
    """Another transition of the same alarm into ALARM, delivered as a new event."""
    later = copy.deepcopy(event)
    later["id"] = str(uuid.uuid4())
    later["detail"]["state"]["timestamp"] = timestamp
    return later


def event_parameter(env: dict[str, str], field: str) -> str:
    """The pipeline parameter that the environment maps to incident ``field``."""
    [name] = [name for name, source in json.loads(env[ENV_EVENT_PARAMETERS]).items() if source == field]
    return name


def expected_parameters(env: dict[str, str], **fields: str) -> dict[str, str]:
    """The static parameters of the environment, plus the event parameters of these incident fields."""
    static = {name: str(value) for name, value in json.loads(env[ENV_STATIC_PARAMETERS]).items()}
    return {**static, **{event_parameter(env, field): value for field, value in fields.items()}}


# --- Starting -------------------------------------------------------------------------------------------------
def test_alarm_starts_one_execution_with_the_incident(trigger, trigger_env, sample_event):
    event = sample_event(ALARM)
    detail = event["detail"]
    incident_id = alarm_incident_id(event)

    result = trigger.invoke(event)

    [execution] = trigger.executions()
    assert result["decision"] == DECISION_STARTED
    assert result["execution_arn"] == execution["arn"]
    # The alarm's metric has no MonitoringSchedule dimension: that parameter keeps the pipeline's default.
    assert execution["parameters"] == expected_parameters(
        trigger_env,
        trigger_type=TRIGGER_ALARM,
        alarm_name=detail["alarmName"],
        endpoint_name="churn-endpoint",
        reason=detail["state"]["reason"],
        incident_time=detail["state"]["timestamp"],
        incident_id=incident_id,
    )
    assert execution["description"] == detail["state"]["reason"]
    assert execution["display_name"] == f"retrain-alarm-{token_of(incident_id)[:12]}"

    [request] = trigger.requests("StartPipelineExecution")
    assert request["ClientRequestToken"] == token_of(incident_id)
    assert request["PipelineName"] == trigger_env[ENV_PIPELINE_NAME]
    assert request["PipelineExecutionDisplayName"] == execution["display_name"]

    lock = trigger.lock()
    assert lock is not None
    assert lock["incident_id"] == incident_id
    assert lock["execution_arn"] == execution["arn"]
    assert int(lock["last_started_at"]) == trigger.now


def test_started_decision_is_published(trigger, trigger_env, sample_event):
    event = sample_event(ALARM)

    result = trigger.invoke(event)

    [note] = trigger.notifications()
    assert note.subject == "Retraining started"
    assert note.attributes["decision"] == DECISION_STARTED
    assert note.message["decision"] == DECISION_STARTED
    assert note.message["pipeline"] == trigger_env[ENV_PIPELINE_NAME]
    assert note.message["execution_arn"] == result["execution_arn"]
    assert note.message["incident"]["incident_id"] == alarm_incident_id(event)
    assert note.message["incident"]["alarm_name"] == event["detail"]["alarmName"]
    assert note.message["incident"]["endpoint_name"] == "churn-endpoint"


def test_started_decision_emits_metrics_and_a_structured_log(
    trigger, trigger_env, sample_event, lambda_context
):
    event = sample_event(ALARM)

    trigger.invoke(event, context=lambda_context)

    service = trigger_env[POWERTOOLS_SERVICE_NAME]
    assert trigger.metric_total(METRIC_TRIGGERS_RECEIVED, service=service) == 1
    assert trigger.metric_total(METRIC_PIPELINES_STARTED, service=service) == 1
    assert trigger.metric_total(METRIC_SKIPPED) == 0
    assert trigger.metric_total(METRIC_FAILURES) == 0
    assert trigger.metric_total("ColdStart", function_name="retraining-trigger") == 1
    assert {d["_aws"]["CloudWatchMetrics"][0]["Namespace"] for d in trigger.metrics()} == {
        trigger_env[POWERTOOLS_METRICS_NAMESPACE]
    }
    assert trigger.dimension_sets(METRIC_PIPELINES_STARTED) == [["service"]]

    [decision_log] = [line for line in trigger.logs() if line.get("decision") == DECISION_STARTED]
    assert decision_log["level"] == "INFO"
    assert decision_log["correlation_id"] == event["id"]
    assert decision_log["function_request_id"] == lambda_context.aws_request_id
    assert decision_log["incident"]["incident_id"] == alarm_incident_id(event)
    assert decision_log["execution_arn"].startswith("arn:aws:sagemaker:")


def test_requests_validate_against_the_service_model(trigger, sample_event, service_model):
    trigger.invoke(sample_event(ALARM))

    [listing] = trigger.requests("ListPipelineExecutions")
    [start] = trigger.requests("StartPipelineExecution")
    assert listing["SortBy"] == "CreationTime"
    assert listing["SortOrder"] == "Descending"
    assert service_model("sagemaker", "ListPipelineExecutions", listing) == []
    assert service_model("sagemaker", "StartPipelineExecution", start) == []


def test_long_reason_is_cut_to_the_api_limits(trigger, trigger_env, sample_event, service_model):
    event = sample_event(ALARM)
    event["detail"]["state"]["reason"] = "x" * 5000

    trigger.invoke(event)

    [start] = trigger.requests("StartPipelineExecution")
    assert service_model("sagemaker", "StartPipelineExecution", start) == []
    assert start["PipelineExecutionDescription"] == "x" * 3072
    reason_parameter = event_parameter(trigger_env, "reason")
    assert {p["Name"]: p["Value"] for p in start["PipelineParameters"]}[reason_parameter] == "x" * 1024


def test_monitoring_violation_starts_with_its_fields(trigger, trigger_env, sample_event, service_model):
    event = sample_event(VIOLATIONS)
    detail = event["detail"]
    summary = execution_summary(
        MONITORING_SCHEDULE,
        scheduled="2026-11-22T03:00:00Z",
        status="CompletedWithViolations",
        job_arn=detail["ProcessingJobArn"],
        last_modified="2026-11-22T03:24:01Z",
        EndpointName="churn-endpoint",
    )
    trigger.monitoring.add_response("list_monitoring_executions", {"MonitoringExecutionSummaries": [summary]})
    incident_id = f"monitor#{MONITORING_SCHEDULE}#2026-11-22T03:00:00Z"

    result = trigger.invoke(event)

    assert result["decision"] == DECISION_STARTED
    [execution] = trigger.executions()
    assert execution["parameters"] == expected_parameters(
        trigger_env,
        trigger_type=TRIGGER_MONITOR_VIOLATION,
        monitoring_schedule=MONITORING_SCHEDULE,
        endpoint_name="churn-endpoint",
        reason=(
            f"CompletedWithViolations: monitoring execution of {MONITORING_SCHEDULE} scheduled at "
            f"2026-11-22T03:00:00Z (processing job {detail['ProcessingJobName']})"
        ),
        incident_time="2026-11-22T03:24:01Z",
        incident_id=incident_id,
    )
    assert execution["display_name"] == f"retrain-monitor-violation-{token_of(incident_id)[:12]}"
    [start] = trigger.requests("StartPipelineExecution")
    assert start["ClientRequestToken"] == token_of(incident_id)
    assert service_model("sagemaker", "StartPipelineExecution", start) == []
    [note] = trigger.notifications()
    assert note.attributes == {"decision": DECISION_STARTED, "trigger_type": TRIGGER_MONITOR_VIOLATION}


def test_scheduled_event_starts_with_its_fields(trigger, trigger_env, sample_event, service_model):
    event = sample_event(SCHEDULE)

    result = trigger.invoke(event)

    assert result["decision"] == DECISION_STARTED
    [execution] = trigger.executions()
    assert execution["parameters"] == expected_parameters(
        trigger_env,
        trigger_type=TRIGGER_SCHEDULE,
        reason="scheduled retraining",
        incident_time=event["time"],
        incident_id=f"schedule#{event['time']}",
    )
    assert execution["description"] == "scheduled retraining"
    [start] = trigger.requests("StartPipelineExecution")
    assert service_model("sagemaker", "StartPipelineExecution", start) == []
    assert re.fullmatch(DISPLAY_NAME_PATTERN, start["PipelineExecutionDisplayName"])


# --- Exactly once -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("new_event_id", [False, True], ids=["same-event-id", "new-event-id"])
def test_redelivered_alarm_starts_nothing_more(trigger, trigger_env, sample_event, new_event_id):
    event = sample_event(ALARM)
    trigger.invoke(event)
    trigger.notifications()
    again = {**event, "id": str(uuid.uuid4())} if new_event_id else event

    result = trigger.invoke(again)

    assert result["decision"] == DECISION_SKIPPED_DUPLICATE
    assert result["previous"]["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 1
    assert len(trigger.requests("StartPipelineExecution")) == 1
    assert trigger.notifications() == []
    service = trigger_env[POWERTOOLS_SERVICE_NAME]
    assert trigger.metric_total(METRIC_SKIPPED, reason="duplicate", service=service) == 1
    assert trigger.dimension_sets(METRIC_SKIPPED) == [["reason", "service"]]
    assert trigger.metric_total(METRIC_PIPELINES_STARTED) == 1
    assert trigger.metric_total(METRIC_TRIGGERS_RECEIVED) == 2


def test_duplicate_delivered_while_the_first_is_deciding_is_skipped(trigger, sample_event):
    """EventBridge delivers the same alarm twice at once: the second finds the incident in progress."""
    event = sample_event(ALARM)
    concurrent = []

    def deliver_again(**kwargs):
        if not concurrent:
            concurrent.append(trigger.invoke({**event, "id": str(uuid.uuid4())}))

    trigger.module.sagemaker.meta.events.register(
        "before-call.sagemaker.ListPipelineExecutions", deliver_again
    )

    first = trigger.invoke(event)

    [second] = concurrent
    assert second["decision"] == DECISION_SKIPPED_DUPLICATE
    assert "right now" in second["reason"]
    assert first["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 1
    assert [note.message["decision"] for note in trigger.notifications()] == [DECISION_STARTED]


def test_skipped_decision_is_remembered_too(trigger, sample_event):
    first = sample_event(ALARM)
    trigger.invoke(first)
    second = alarm_at(first, "2026-11-22T03:40:40.989+0000")
    assert trigger.invoke(second)["decision"] == DECISION_SKIPPED_COOLDOWN
    trigger.notifications()

    result = trigger.invoke({**second, "id": str(uuid.uuid4())})

    assert result["decision"] == DECISION_SKIPPED_DUPLICATE
    assert result["previous"]["decision"] == DECISION_SKIPPED_COOLDOWN
    assert trigger.notifications() == []


def test_retry_after_the_start_was_lost_does_not_start_again(trigger, sample_event):
    """The start succeeded but the invocation died before it recorded the decision: its retry must find the
    execution it started (even while running) instead of starting a second one or reporting it as a blocker."""
    event = sample_event(ALARM)
    first = trigger.invoke(event)
    trigger.set_execution_status(first["execution_arn"], "Executing")
    trigger.forget_idempotency_records()
    trigger.notifications()

    result = trigger.invoke(event)

    assert result["decision"] == DECISION_STARTED
    assert result["execution_arn"] == first["execution_arn"]
    assert len(trigger.requests("StartPipelineExecution")) == 1
    assert len(trigger.executions()) == 1
    [note] = trigger.notifications()
    assert note.message["execution_arn"] == first["execution_arn"]


def test_retry_after_a_crash_between_lock_and_start_starts(trigger, sample_event):
    """This incident holds the lease but nothing was started: the incident may take its own lease again."""
    event = sample_event(ALARM)
    trigger.put_lock(lease_holder=alarm_incident_id(event), lease_until=trigger.now + 30)

    result = trigger.invoke(event)

    assert result["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 1


def test_retried_invocation_that_could_not_notify_notifies_without_starting_again(trigger, sample_event):
    event = sample_event(ALARM)
    request_id = str(uuid.uuid4())
    with Stubber(trigger.module.sns) as sns:
        sns.add_client_error("publish", service_error_code="InternalError", http_status_code=500)
        with pytest.raises(ClientError, match="InternalError"):
            trigger.invoke(event, request_id=request_id)
    assert len(trigger.executions()) == 1
    assert trigger.notifications() == []
    assert trigger.metric_total(METRIC_FAILURES) == 1

    result = trigger.invoke(event, request_id=request_id)  # Lambda's retry of the same invocation

    assert result["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 1
    [note] = trigger.notifications()
    assert note.message["decision"] == DECISION_STARTED
    assert trigger.metric_total(METRIC_PIPELINES_STARTED) == 1


# --- Skipping -------------------------------------------------------------------------------------------------
def test_alarm_within_the_cooldown_is_skipped_and_one_after_it_starts(trigger, trigger_env, sample_event):
    cooldown = int(trigger_env[ENV_COOLDOWN_SECONDS])
    first = sample_event(ALARM)
    trigger.invoke(first)
    trigger.notifications()

    trigger.advance(cooldown - 1)
    second = alarm_at(first, "2026-11-22T04:20:39.000+0000")
    skipped = trigger.invoke(second)

    assert skipped["decision"] == DECISION_SKIPPED_COOLDOWN
    assert len(trigger.executions()) == 1
    [note] = trigger.notifications()
    assert note.subject == "Retraining skipped: cooldown"
    assert note.attributes["decision"] == DECISION_SKIPPED_COOLDOWN
    assert note.message["incident"]["incident_id"] == alarm_incident_id(second)
    assert alarm_incident_id(first) in note.message["reason"]
    assert f"cooldown of {cooldown} s" in note.message["reason"]
    assert "execution_arn" not in note.message
    assert trigger.metric_total(METRIC_SKIPPED, reason="cooldown") == 1

    trigger.advance(1)
    third = alarm_at(first, "2026-11-22T04:20:40.000+0000")
    started = trigger.invoke(third)

    assert started["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 2
    assert trigger.lock()["incident_id"] == alarm_incident_id(third)


def flap(trigger, first: dict[str, Any]) -> dict[str, Any]:
    """The alarm back in ALARM at the handler's current time: one flap, a new incident."""
    stamp = datetime.fromtimestamp(trigger.now, UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return trigger.invoke(alarm_at(first, stamp))


def test_a_flapping_alarm_sends_one_message_per_cooldown_window(trigger, trigger_env, sample_event):
    """Issue 11 item 8: ten flaps within the cooldown are ten decisions (each logged and counted), one message."""
    cooldown = int(trigger_env[ENV_COOLDOWN_SECONDS])
    first = sample_event(ALARM)
    assert trigger.invoke(first)["decision"] == DECISION_STARTED
    trigger.notifications()

    outcomes = []
    for _ in range(10):
        trigger.advance(60)
        outcomes.append(flap(trigger, first))

    assert [o["decision"] for o in outcomes] == [DECISION_SKIPPED_COOLDOWN] * 10
    [note] = trigger.notifications()
    assert note.subject == "Retraining skipped: cooldown"
    assert note.message["incident"]["incident_id"] == outcomes[0]["incident"]["incident_id"]
    assert "coalesced" not in note.message
    assert trigger.metric_total(METRIC_SKIPPED, reason="cooldown") == 10
    logged = [line for line in trigger.logs() if line.get("decision") == DECISION_SKIPPED_COOLDOWN]
    assert len(logged) == 10
    assert sum("coalesced" in line["reason"] for line in logged) == 9

    # The next start ends the window and reports what it held back.
    trigger.advance(cooldown)
    started = flap(trigger, first)
    assert started["decision"] == DECISION_STARTED
    [note] = trigger.notifications()
    assert note.message["decision"] == DECISION_STARTED
    assert note.message["coalesced"] == 9

    # A new window: its first flap is published again, with nothing left to report.
    trigger.advance(60)
    assert flap(trigger, first)["decision"] == DECISION_SKIPPED_COOLDOWN
    trigger.advance(60)
    assert flap(trigger, first)["decision"] == DECISION_SKIPPED_COOLDOWN
    [note] = trigger.notifications()
    assert note.message["decision"] == DECISION_SKIPPED_COOLDOWN
    assert "coalesced" not in note.message
    assert trigger.metric_total(METRIC_SKIPPED, reason="cooldown") == 12


def test_coalesced_skips_of_an_unreported_window_ride_on_its_next_published_skip(trigger, sample_event):
    """When the start could not reset the count (its record failed), the next window's first skip reports it."""
    trigger.put_lock(
        last_started_at=trigger.now - 60,
        incident_id="alarm#other#2026-11-22T03:20:40.000+0000",
        execution_arn="arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retraining/execution/other",
        cooldown_window=trigger.now - 7200,
        cooldown_coalesced=4,
    )
    first = sample_event(ALARM)

    assert trigger.invoke(first)["decision"] == DECISION_SKIPPED_COOLDOWN
    [note] = trigger.notifications()
    assert note.message["coalesced"] == 4
    assert trigger.lock()["cooldown_window"] == str(trigger.now - 60)


def test_start_recorded_by_a_concurrent_incident_skips(trigger, sample_event):
    """Between this invocation's listing and its lease, another incident started the pipeline."""
    trigger.put_lock(
        last_started_at=trigger.now,
        incident_id="alarm#other#2026-11-22T03:20:00.000+0000",
        execution_arn="arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retraining/execution/other",
    )

    result = trigger.invoke(sample_event(ALARM))

    assert result["decision"] == DECISION_SKIPPED_COOLDOWN
    assert "alarm#other#" in result["reason"]
    assert "execution/other" in result["reason"]
    assert trigger.requests("StartPipelineExecution") == []
    assert trigger.lock()["incident_id"] == "alarm#other#2026-11-22T03:20:00.000+0000"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Executing", DECISION_SKIPPED_RUNNING),
        ("Stopping", DECISION_SKIPPED_RUNNING),
        ("Stopped", DECISION_STARTED),
        ("Failed", DECISION_STARTED),
    ],
)
def test_an_active_execution_skips(trigger, trigger_env, sample_event, status, expected):
    # moto reports every execution as Succeeded at once: put the scheduled run back into `status`.
    scheduled = trigger.invoke(sample_event(SCHEDULE))
    trigger.set_execution_status(scheduled["execution_arn"], status)
    # Past the cooldown, so that only the active execution can hold the start back.
    trigger.advance(int(trigger_env[ENV_COOLDOWN_SECONDS]) + 1)
    trigger.notifications()

    result = trigger.invoke(sample_event(ALARM))

    assert result["decision"] == expected
    [note] = trigger.notifications()
    assert note.attributes["decision"] == expected
    if expected == DECISION_SKIPPED_RUNNING:
        assert note.subject == "Retraining skipped: running"
        assert scheduled["execution_arn"] in note.message["reason"]
        assert status in note.message["reason"]
        assert len(trigger.executions()) == 1
        assert trigger.metric_total(METRIC_SKIPPED, reason="running") == 1
    else:
        assert len(trigger.executions()) == 2


# --- Ignoring -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [ALARM_OK, MONITOR_FAILED, ENDPOINT_CHANGE])
def test_other_events_are_ignored(trigger, sample_event, name):
    result = trigger.invoke(sample_event(name))

    assert result["decision"] == DECISION_IGNORED
    assert trigger.captured == []  # not even a ListPipelineExecutions
    assert trigger.executions() == []
    assert trigger.notifications() == []
    assert trigger.lock() is None
    assert trigger.metric_total(METRIC_TRIGGERS_RECEIVED) == 1
    assert trigger.metric_total(METRIC_SKIPPED, reason="ignored") == 1
    assert [line["decision"] for line in trigger.logs() if "decision" in line] == [DECISION_IGNORED]


def test_completed_monitoring_job_the_api_reports_without_violations_starts_nothing(trigger, sample_event):
    event = sample_event(VIOLATIONS)
    summary = execution_summary(
        MONITORING_SCHEDULE,
        scheduled="2026-11-22T03:00:00Z",
        status="Completed",
        job_arn=event["detail"]["ProcessingJobArn"],
        last_modified="2026-11-22T03:24:01Z",
    )
    trigger.monitoring.add_response("list_monitoring_executions", {"MonitoringExecutionSummaries": [summary]})

    assert trigger.invoke(event)["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert trigger.executions() == []


# --- Faults ---------------------------------------------------------------------------------------------------
def test_clients_retry_throttling_adaptively(trigger):
    # botocore reads retries={"max_attempts": 10} as 10 retries after the first attempt.
    for client in (trigger.module.sagemaker, trigger.module.sns, trigger.module.dynamodb):
        assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 11}
    assert trigger.module.persistence_layer.client is trigger.module.dynamodb


def test_throttled_start_is_retried_and_starts_once(trigger, sample_event, monkeypatch):
    """SageMaker (moto) throttles the first StartPipelineExecution; the client's retry policy sends it again.

    The fault is raised inside moto's backend, so it crosses the wire as a real 400 ThrottlingException and
    goes through botocore's retry handler (Stubber would answer before retries apply).
    """
    attempts = []
    original = SageMakerModelBackend.start_pipeline_execution

    def throttle_first(self, *args, **kwargs):
        attempts.append(args[-1])  # moto passes the ClientRequestToken last
        if len(attempts) == 1:
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SageMakerModelBackend, "start_pipeline_execution", throttle_first)

    result = trigger.invoke(sample_event(ALARM))

    assert result["decision"] == DECISION_STARTED
    assert len(attempts) == 2
    assert attempts[0] == attempts[1]  # the retry carries the same token, so SageMaker would run it once
    assert len(trigger.executions()) == 1
    assert len(trigger.requests("StartPipelineExecution")) == 1  # one API call, two attempts on the wire
    assert trigger.metric_total(METRIC_FAILURES) == 0


@pytest.mark.parametrize(
    ("code", "status"),
    [("AccessDeniedException", 400), ("ResourceNotFound", 400), ("ThrottlingException", 400)],
)
def test_failed_start_raises_releases_the_lock_and_is_published(
    trigger, trigger_env, sample_event, code, status
):
    """Stubber answers before retries apply, so even throttling here stands for one that outlasted them."""
    event = sample_event(ALARM)
    request_id = str(uuid.uuid4())
    with Stubber(trigger.module.sagemaker) as sagemaker:
        sagemaker.add_response(
            "list_pipeline_executions",
            {"PipelineExecutionSummaries": []},
            expected_params={
                "PipelineName": trigger_env[ENV_PIPELINE_NAME],
                "SortBy": "CreationTime",
                "SortOrder": "Descending",
                "MaxResults": 20,
            },
        )
        sagemaker.add_client_error(
            "start_pipeline_execution", service_error_code=code, service_message="no", http_status_code=status
        )
        with pytest.raises(ClientError, match=code):
            trigger.invoke(event, request_id=request_id)
        sagemaker.assert_no_pending_responses()

    assert "lease_holder" not in trigger.lock()
    assert "last_started_at" not in trigger.lock()
    [note] = trigger.notifications()
    assert note.subject == "Retraining failed"
    assert note.attributes["decision"] == DECISION_FAILED
    assert note.message["reason"] == f"{code}: no"
    assert note.message["incident"]["incident_id"] == alarm_incident_id(event)
    assert trigger.metric_total(METRIC_FAILURES) == 1
    assert trigger.metric_total(METRIC_PIPELINES_STARTED) == 0
    [error_log] = [line for line in trigger.logs() if line.get("decision") == DECISION_FAILED]
    assert error_log["level"] == "ERROR"
    assert code in error_log["exception"]

    # Lambda retries the failed invocation: nothing remembered, nothing locked, so it starts.
    result = trigger.invoke(event, request_id=request_id)

    assert result["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 1


def fail_dynamodb_call(trigger, operation: str, matches, code: str = "InternalServerError") -> None:
    """Make the handler's DynamoDB ``operation`` fail (without retries) when its request body ``matches``."""

    def fail(params, **kwargs):
        if matches(json.loads(params["body"])):
            error = {
                "Error": {"Code": code, "Message": "try again"},
                "ResponseMetadata": {"HTTPStatusCode": 500},
            }
            return AWSResponse(None, 500, {}, None), error
        return None

    trigger.module.dynamodb.meta.events.register_first(f"before-call.dynamodb.{operation}", fail)


def test_failure_to_record_the_execution_on_the_lock_still_reports_started(trigger, sample_event):
    """The execution ARN on the lock is for operators: losing it must not turn a start into a failure."""
    fail_dynamodb_call(
        trigger, "UpdateItem", lambda body: body["UpdateExpression"].startswith("SET last_started_at")
    )

    result = trigger.invoke(sample_event(ALARM))

    assert result["decision"] == DECISION_STARTED
    assert "execution_arn" not in trigger.lock()
    [warning] = [line for line in trigger.logs() if line["level"] == "WARNING"]
    assert warning["message"] == "Could not record the start on the start lock"
    assert "InternalServerError" in warning["exception"]
    [note] = trigger.notifications()
    assert note.message["execution_arn"] == result["execution_arn"]


def test_failure_to_release_the_lock_does_not_hide_the_start_error(trigger, sample_event):
    event = sample_event(ALARM)
    fail_dynamodb_call(
        trigger,
        "UpdateItem",
        lambda body: (
            body["Key"][TABLE_PARTITION_KEY]["S"].startswith(LOCK_ID_PREFIX)
            and body["UpdateExpression"].startswith("REMOVE lease_holder")
        ),
    )
    with Stubber(trigger.module.sagemaker) as sagemaker:
        sagemaker.add_response("list_pipeline_executions", {"PipelineExecutionSummaries": []})
        sagemaker.add_client_error("start_pipeline_execution", service_error_code="AccessDeniedException")
        with pytest.raises(ClientError, match="AccessDeniedException"):
            trigger.invoke(event)

    assert trigger.lock()["lease_holder"] == alarm_incident_id(event)  # left behind, and logged
    assert any(
        line["message"] == "Could not release the start lease after a failed start" for line in trigger.logs()
    )
    [note] = trigger.notifications()
    assert note.message["reason"].startswith("AccessDeniedException")
    # The lock names this incident, so Lambda's retry of it may still start.
    assert trigger.invoke(event)["decision"] == DECISION_STARTED


def test_missing_pipeline_fails_loudly(trigger, sample_event, monkeypatch):
    monkeypatch.setenv(ENV_PIPELINE_NAME, "no-such-pipeline")

    with pytest.raises(ClientError, match="no-such-pipeline"):
        trigger.invoke(sample_event(ALARM))

    [note] = trigger.notifications()
    assert note.message["decision"] == DECISION_FAILED
    assert note.message["pipeline"] == "no-such-pipeline"
    assert trigger.requests("StartPipelineExecution") == []
    assert trigger.metric_total(METRIC_FAILURES) == 1


def test_failure_to_publish_a_failure_does_not_hide_the_error(trigger, sample_event):
    with Stubber(trigger.module.sagemaker) as sagemaker, Stubber(trigger.module.sns) as sns:
        sagemaker.add_response("list_pipeline_executions", {"PipelineExecutionSummaries": []})
        sagemaker.add_client_error("start_pipeline_execution", service_error_code="AccessDeniedException")
        sns.add_client_error("publish", service_error_code="AuthorizationError", http_status_code=403)
        with pytest.raises(ClientError, match="AccessDeniedException"):
            trigger.invoke(sample_event(ALARM))
        sns.assert_no_pending_responses()

    assert "lease_holder" not in trigger.lock()
    assert any(line["message"] == "Could not publish the failure" for line in trigger.logs())


def test_invalid_configuration_fails_loudly(trigger, sample_event, monkeypatch):
    monkeypatch.setenv(ENV_EVENT_PARAMETERS, json.dumps({"Reason": "no_such_field", "bad name!": "reason"}))

    with pytest.raises(ValueError, match="no_such_field") as raised:
        trigger.invoke(sample_event(ALARM))

    assert "'bad name!'" in str(raised.value)
    assert trigger.captured == []
    [note] = trigger.notifications()
    assert note.message["decision"] == DECISION_FAILED
    assert note.message["reason"].startswith("ValueError: invalid retraining trigger configuration")
