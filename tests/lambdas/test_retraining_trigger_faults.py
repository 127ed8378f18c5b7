"""The retraining trigger under the faults of issue 11: kills, races and throttling, against moto."""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto.core.exceptions import JsonRESTError
from moto.sagemaker.models import SageMakerModelBackend

from lambdas.retraining_trigger.contract import (
    DECISION_DEFERRED,
    DECISION_FAILED,
    DECISION_SKIPPED_COOLDOWN,
    DECISION_SKIPPED_DUPLICATE,
    DECISION_SKIPPED_STALE,
    DECISION_STARTED,
    ENV_COOLDOWN_SECONDS,
    ENV_MAX_TRIGGER_AGE_SECONDS,
    ENV_PIPELINE_NAME,
    METRIC_DEFERRED,
    METRIC_FAILURES,
    METRIC_PIPELINES_STARTED,
    METRIC_SKIPPED,
)

ALARM = "cloudwatch_alarm_state_change_alarm"


class Killed(BaseException):
    """Raised where Lambda would kill the invocation: no ``except Exception`` cleans up after it."""


def deferred(trigger) -> type[Exception]:
    """The handler's Deferred (imported through it: importing decisions first would bind its logger early)."""
    return trigger.module.Deferred


def incident_of(event: dict[str, Any]) -> str:
    return f"alarm#{event['detail']['alarmName']}#{event['detail']['state']['timestamp']}"


def other_alarm(event: dict[str, Any], name: str) -> dict[str, Any]:
    """A different alarm's transition into ALARM: a different incident."""
    other = copy.deepcopy(event)
    other["id"] = str(uuid.uuid4())
    other["detail"]["alarmName"] = name
    return other


def on_start(trigger, action) -> None:
    """Run ``action(body)`` before each StartPipelineExecution goes out; what it returns answers the call."""

    def hook(params: dict[str, Any], **kwargs: Any) -> Any:
        return action(params)

    trigger.module.sagemaker.meta.events.register_first("before-call.sagemaker.StartPipelineExecution", hook)


def access_denied() -> tuple[AWSResponse, dict[str, Any]]:
    error = {
        "Error": {"Code": "AccessDeniedException", "Message": "no"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    return AWSResponse(None, 400, {}, None), error


# --- Item 2: killed between lease and start ------------------------------------------------------------------
def test_a_kill_between_lease_and_start_holds_others_back_only_until_the_lease_ends(trigger, sample_event):
    """Lambda kills A after it took the lease, before it started: B is deferred (not "skipped: A was started")
    while the lease lasts, and starts once it has ended; nothing was started for A, so no cooldown applies."""
    first = sample_event(ALARM)
    kills = [Killed()]

    def kill_once(params: dict[str, Any]) -> None:
        if kills:
            raise kills.pop()

    on_start(trigger, kill_once)
    with pytest.raises(Killed):
        trigger.invoke(first)
    assert trigger.executions() == []
    assert trigger.lock()["lease_holder"] == incident_of(first)
    lease_until = int(trigger.lock()["lease_until"])
    assert lease_until <= trigger.now + 60  # the fake context's remaining time

    second = other_alarm(first, "other-alarm")
    request_id = str(uuid.uuid4())
    with pytest.raises(deferred(trigger), match=re.escape(incident_of(first))):
        trigger.invoke(second, request_id=request_id)
    assert trigger.metric_total(METRIC_DEFERRED) == 1
    assert any(line.get("decision") == DECISION_DEFERRED for line in trigger.logs())
    assert trigger.notifications() == []

    trigger.advance(lease_until - trigger.now)  # Lambda retries an asynchronous invocation after a minute
    result = trigger.invoke(second, request_id=request_id)

    assert result["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 1
    lock = trigger.lock()
    assert lock["incident_id"] == incident_of(second)
    assert lock["execution_arn"] == result["execution_arn"]
    assert "lease_holder" not in lock


def test_cooldown_rests_on_the_recorded_start(trigger, sample_event):
    """A lease without a start sets no cooldown; the recorded start does, with its execution in the reason."""
    first = sample_event(ALARM)
    trigger.put_lock(lease_holder="alarm#gone#2026-11-22T03:00:00.000+0000", lease_until=trigger.now)
    started = trigger.invoke(first)
    assert started["decision"] == DECISION_STARTED

    trigger.advance(60)
    skipped = trigger.invoke(other_alarm(first, "other-alarm"))

    assert skipped["decision"] == DECISION_SKIPPED_COOLDOWN
    assert started["execution_arn"] in skipped["reason"]
    assert incident_of(first) in skipped["reason"]


# --- Item 3: single-flight whatever the cooldown -------------------------------------------------------------
def test_two_incidents_racing_with_cooldown_zero_start_one_run(trigger, sample_event, monkeypatch):
    """B arrives while A holds the lease and is about to start: with cooldown 0, B must not start too."""
    monkeypatch.setenv(ENV_COOLDOWN_SECONDS, "0")
    first, second = sample_event(ALARM), other_alarm(sample_event(ALARM), "other-alarm")
    raced: list[BaseException | dict[str, Any]] = []

    def race(params: dict[str, Any]) -> None:
        if not raced:
            raced.append(object())  # type: ignore[arg-type]
            try:
                raced.append(trigger.invoke(second))
            except deferred(trigger) as error:
                raced.append(error)

    on_start(trigger, race)
    result = trigger.invoke(first)

    assert result["decision"] == DECISION_STARTED
    assert isinstance(raced[1], deferred(trigger))
    assert len(trigger.executions()) == 1


# --- Item 4: no false "skipped" reason -----------------------------------------------------------------------
def test_an_incident_checked_against_a_start_that_then_fails_is_decided_again(trigger, sample_event):
    """B meets A's lease; A's start then fails. B was deferred, not "skipped: A was started", and its retry
    starts."""
    first, second = sample_event(ALARM), other_alarm(sample_event(ALARM), "other-alarm")
    request_id = str(uuid.uuid4())
    raced: list[Any] = []

    def race(params: dict[str, Any]) -> Any:
        if raced:
            return None
        try:
            raced.append(trigger.invoke(second, request_id=request_id))
        except deferred(trigger) as error:
            raced.append(error)
        return access_denied()

    on_start(trigger, race)
    with pytest.raises(Exception, match="AccessDeniedException"):
        trigger.invoke(first)

    assert isinstance(raced[0], deferred(trigger))
    assert not any(note.message["decision"] == DECISION_SKIPPED_COOLDOWN for note in trigger.notifications())
    trigger.advance(60)
    retried = trigger.invoke(second, request_id=request_id)  # Lambda's retry of B's invocation

    assert retried["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 1
    assert trigger.lock()["incident_id"] == incident_of(second)


# --- Item 1: retries bounded by the invocation's remaining time -------------------------------------------------
class InvocationClock:
    """Seconds since the invocation began: each throttled attempt and each backoff sleep moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def read(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_start_throttled_past_the_invocation_fails_in_time_and_notifies(
    trigger, sample_event, lambda_context, monkeypatch
):
    """SageMaker throttles every StartPipelineExecution, each answer taking 7 s: botocore's 10 retries would
    run past the 60 s the invocation has. The retries must stop in time to release the lease and notify."""
    clock = InvocationClock()
    attempts: list[float] = []

    def throttled(self, *args, **kwargs):
        attempts.append(clock.now)
        clock.now += 7
        raise JsonRESTError("ThrottlingException", "Rate exceeded")

    monkeypatch.setattr(SageMakerModelBackend, "start_pipeline_execution", throttled)
    monkeypatch.setattr(botocore.endpoint.time, "sleep", clock.sleep)  # botocore's backoff sleep
    if hasattr(trigger.module, "budget"):
        monkeypatch.setattr(trigger.module.budget, "_clock", clock.read)
    event = sample_event(ALARM)

    with pytest.raises(ClientError, match="ThrottlingException"):
        trigger.invoke(event, context=lambda_context)

    remaining = lambda_context.get_remaining_time_in_millis() / 1000
    assert len(attempts) >= 2  # throttling is still retried while there is time
    assert clock.now <= remaining - 10, f"{len(attempts)} attempts ran until {clock.now:.0f} s"
    [note] = trigger.notifications()
    assert note.message["decision"] == DECISION_FAILED
    assert note.message["reason"].startswith("ThrottlingException: Rate exceeded")
    assert trigger.metric_total(METRIC_FAILURES) == 1
    assert "lease_holder" not in (trigger.lock() or {})
    assert trigger.executions() == []


# --- Item 7: the token names the pipeline too ----------------------------------------------------------------
def test_two_pipelines_started_by_one_incident_get_different_tokens(trigger, trigger_env, sample_event):
    """Two RetrainingTriggers on one alarm: SageMaker must not take the second start for a retry of the first."""
    from lambdas.retraining_trigger.decisions import Settings, start_request
    from lambdas.retraining_trigger.incidents import Incident

    incident = Incident(
        trigger_type="alarm",
        incident_id=incident_of(sample_event(ALARM)),
        incident_time="2026-11-22T03:20:40.989+0000",
        reason="ALARM",
    )
    settings = Settings.from_env(trigger_env)
    other = Settings.from_env({**trigger_env, ENV_PIPELINE_NAME: "fraud-retraining"})

    first, second = start_request(settings, incident), start_request(other, incident)

    assert first["ClientRequestToken"] != second["ClientRequestToken"]
    assert start_request(settings, incident) == first  # still deterministic


# --- Item 5: a late redelivery finds its run on any page -------------------------------------------------------
def summary(arn_suffix: str, started: datetime, display_name: str) -> dict[str, Any]:
    """A PipelineExecutionSummary (botocore's model; the Stubber checks it)."""
    return {
        "PipelineExecutionArn": f"arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retraining/execution/{arn_suffix}",
        "StartTime": started,
        "PipelineExecutionStatus": "Succeeded",
        "PipelineExecutionDisplayName": display_name,
    }


def test_a_late_redelivery_behind_25_newer_runs_starts_nothing_and_tells_nothing(
    trigger, trigger_env, sample_event
):
    """Redelivered two days later (its idempotency record expired), behind 25 newer executions: the second page
    holds the incident's own run. moto ignores page size and order, so botocore's Stubber serves the pages."""
    from lambdas.retraining_trigger.decisions import Settings, start_request
    from lambdas.retraining_trigger.incidents import Incident

    event = sample_event(ALARM)
    incident = Incident(
        trigger_type="alarm",
        incident_id=incident_of(event),
        incident_time=event["detail"]["state"]["timestamp"],
        reason="",
    )
    own_name = start_request(Settings.from_env(trigger_env), incident)["PipelineExecutionDisplayName"]
    incident_at = datetime.fromisoformat(incident.incident_time)
    trigger.advance(2 * 86400)
    newer = [
        summary(f"newer{n:02d}", incident_at + timedelta(hours=40 - n), f"manual-{n}") for n in range(25)
    ]
    own = summary("own", incident_at + timedelta(seconds=2), own_name)
    request = {
        "PipelineName": trigger_env["PIPELINE_NAME"],
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "MaxResults": 20,
    }
    with Stubber(trigger.module.sagemaker) as sagemaker:
        sagemaker.add_response(
            "list_pipeline_executions",
            {"PipelineExecutionSummaries": newer[:20], "NextToken": "page-2"},
            request,
        )
        sagemaker.add_response(
            "list_pipeline_executions",
            {"PipelineExecutionSummaries": [*newer[20:], own]},
            {**request, "NextToken": "page-2"},
        )
        result = trigger.invoke(event)
        sagemaker.assert_no_pending_responses()

    assert result["decision"] == DECISION_SKIPPED_DUPLICATE
    assert result["execution_arn"] == own["PipelineExecutionArn"]
    assert trigger.requests("StartPipelineExecution") == []
    assert trigger.notifications() == []
    assert trigger.metric_total(METRIC_PIPELINES_STARTED) == 0


def test_paging_stops_at_runs_older_than_the_incident(trigger, trigger_env, sample_event):
    event = sample_event(ALARM)
    incident_at = datetime.fromisoformat(event["detail"]["state"]["timestamp"])
    older = [
        summary(f"old{n:02d}", incident_at - timedelta(days=1, hours=n), f"manual-{n}") for n in range(20)
    ]
    with Stubber(trigger.module.sagemaker) as sagemaker:
        sagemaker.add_response(
            "list_pipeline_executions", {"PipelineExecutionSummaries": older, "NextToken": "page-2"}
        )
        sagemaker.add_response(
            "start_pipeline_execution",
            {
                "PipelineExecutionArn": "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retraining/execution/new"
            },
        )
        result = trigger.invoke(event)
        sagemaker.assert_no_pending_responses()  # one page read: the older runs cannot be this incident's

    assert result["decision"] == DECISION_STARTED


# --- Item 9: stale events ----------------------------------------------------------------------------------------
def test_a_three_day_old_event_starts_nothing_and_is_reported(trigger, sample_event, monkeypatch):
    monkeypatch.setenv(ENV_MAX_TRIGGER_AGE_SECONDS, "86400")
    event = sample_event(ALARM)
    trigger.advance(
        3 * 86400
    )  # the event's time is 2026-11-22T03:20:41Z; the handler's clock is 3 days later

    result = trigger.invoke(event)

    assert result["decision"] == DECISION_SKIPPED_STALE
    assert "older than the maximum trigger age of 86400 s" in result["reason"]
    assert trigger.requests("StartPipelineExecution") == []
    [note] = trigger.notifications()
    assert note.subject == "Retraining skipped: stale event"
    assert note.message["incident"]["incident_id"] == incident_of(event)
    assert trigger.metric_total(METRIC_SKIPPED, reason="stale") == 1


def test_an_event_within_the_maximum_age_starts(trigger, sample_event, monkeypatch):
    monkeypatch.setenv(ENV_MAX_TRIGGER_AGE_SECONDS, "86400")
    trigger.advance(86400 - 120)

    assert trigger.invoke(sample_event(ALARM))["decision"] == DECISION_STARTED


# --- Issue 11 item 8: flapping ---------------------------------------------------------------------------------
def later_flap(event: dict[str, Any], seconds: int) -> dict[str, Any]:
    """The same alarm back in ALARM ``seconds`` after ``event``'s transition: a new incident."""
    later = copy.deepcopy(event)
    later["id"] = str(uuid.uuid4())
    later["detail"]["state"]["timestamp"] = f"2026-11-22T03:2{seconds // 60}:00.000+0000"
    return later


def on_lock_write(trigger, expression_start: str, action) -> None:
    """Run ``action()`` before each UpdateItem whose UpdateExpression starts with ``expression_start``; what it
    returns answers the call."""

    def hook(params: dict[str, Any], **kwargs: Any) -> Any:
        if json.loads(params["body"]).get("UpdateExpression", "").startswith(expression_start):
            return action()
        return None

    trigger.module.dynamodb.meta.events.register_first("before-call.dynamodb.UpdateItem", hook)


def test_two_flaps_racing_for_a_cooldown_window_publish_once(trigger, sample_event):
    """A second flap claims the window between this flap's failed ADD and its claim: this one is coalesced."""
    first = sample_event(ALARM)
    assert trigger.invoke(first)["decision"] == DECISION_STARTED
    trigger.notifications()
    raced: list[dict[str, Any]] = []

    def race() -> None:
        if not raced:
            raced.append({})
            raced.append(trigger.invoke(later_flap(first, 120)))

    on_lock_write(trigger, "SET cooldown_window", race)
    trigger.advance(180)
    result = trigger.invoke(later_flap(first, 180))

    assert raced[1]["decision"] == result["decision"] == DECISION_SKIPPED_COOLDOWN
    assert "notify" not in raced[1]
    assert result["notify"] is False
    assert len(trigger.notifications()) == 1
    assert trigger.lock()["cooldown_coalesced"] == "1"


def test_a_failed_coalescing_write_publishes_the_skip(trigger, sample_event):
    """Nothing lost: when the count cannot be written, the flap is published rather than dropped."""
    first = sample_event(ALARM)
    assert trigger.invoke(first)["decision"] == DECISION_STARTED
    trigger.advance(60)
    assert trigger.invoke(later_flap(first, 60))["decision"] == DECISION_SKIPPED_COOLDOWN
    trigger.notifications()

    on_lock_write(trigger, "ADD cooldown_coalesced", access_denied)
    trigger.advance(60)
    result = trigger.invoke(later_flap(first, 120))

    assert result["decision"] == DECISION_SKIPPED_COOLDOWN
    assert "notify" not in result
    [note] = trigger.notifications()
    assert note.message["decision"] == DECISION_SKIPPED_COOLDOWN
