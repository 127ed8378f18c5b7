"""Monitoring violations: decided on ListMonitoringExecutions, found by the event or by the reconciliation, and
acted on once per execution whichever path sees it first.

moto implements no monitoring schedules, so ListMonitoringExecutions is answered by botocore's Stubber on the
handler's Model Monitor client: it checks every request (and every queued answer) against botocore's sagemaker
model, and ``expected_params`` pins the query. Pipelines, the table and the topic are moto's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from trigger_support import (
    MONITORING_SCHEDULE,
    OTHER_SCHEDULE,
    execution_summary,
    job_arn,
)

from lambdas.retraining_trigger.contract import (
    DECISION_FAILED,
    DECISION_IGNORED,
    DECISION_RECONCILED,
    DECISION_SKIPPED_COOLDOWN,
    DECISION_SKIPPED_DUPLICATE,
    DECISION_SKIPPED_UNCONFIRMED,
    DECISION_STARTED,
    METRIC_SKIPPED,
    TRIGGER_MONITOR_VIOLATION,
)

VIOLATIONS = "processing_job_monitoring_violations"
MONITOR_FAILED = "processing_job_monitoring_failed"
RECONCILE = "reconcile_monitoring_executions"
LOOKBACK_SECONDS = 86400  # VIOLATION_LOOKBACK_SECONDS of the trigger_env fixture
SCHEDULED = "2026-11-22T03:00:00Z"


def lookback_start(trigger: Any) -> datetime:
    return datetime.fromtimestamp(trigger.now - LOOKBACK_SECONDS, UTC)


def expect_reconciliation(trigger: Any, pages: dict[str, list[list[dict[str, Any]]]]) -> None:
    """Queue the answers to one reconciliation: per wired schedule (in the environment's order), its pages."""
    for schedule in (MONITORING_SCHEDULE, OTHER_SCHEDULE):
        schedule_pages = pages.get(schedule) or [[]]
        for number, page in enumerate(schedule_pages):
            request: dict[str, Any] = {
                "MonitoringScheduleName": schedule,
                "ScheduledTimeAfter": lookback_start(trigger),
                "SortBy": "ScheduledTime",
                "SortOrder": "Ascending",
                "MaxResults": 100,
                "StatusEquals": "CompletedWithViolations",
            }
            if number:
                request["NextToken"] = f"{schedule}-page-{number}"
            response: dict[str, Any] = {"MonitoringExecutionSummaries": page}
            if number + 1 < len(schedule_pages):
                response["NextToken"] = f"{schedule}-page-{number + 1}"
            trigger.monitoring.add_response("list_monitoring_executions", response, request)


def expect_confirmation(
    trigger: Any, pages: list[list[dict[str, Any]]], schedule: str = MONITORING_SCHEDULE
) -> None:
    """Queue the answers to the event path's lookup of its execution, newest first."""
    for number, page in enumerate(pages):
        request: dict[str, Any] = {
            "MonitoringScheduleName": schedule,
            "ScheduledTimeAfter": lookback_start(trigger),
            "SortBy": "ScheduledTime",
            "SortOrder": "Descending",
            "MaxResults": 100,
        }
        if number:
            request["NextToken"] = f"confirm-page-{number}"
        response: dict[str, Any] = {"MonitoringExecutionSummaries": page}
        if number + 1 < len(pages):
            response["NextToken"] = f"confirm-page-{number + 1}"
        trigger.monitoring.add_response("list_monitoring_executions", response, request)


def violation(
    event: dict[str, Any], *, status: str = "CompletedWithViolations", **extra: Any
) -> dict[str, Any]:
    """The summary of the execution that ran the sample event's processing job."""
    return execution_summary(
        MONITORING_SCHEDULE,
        scheduled=SCHEDULED,
        status=status,
        job_arn=event["detail"]["ProcessingJobArn"],
        last_modified="2026-11-22T03:24:01Z",
        **extra,
    )


def incident_id(schedule: str, scheduled: str) -> str:
    return f"monitor#{schedule}#{scheduled}"


# --- One run per violating execution --------------------------------------------------------------------------
def test_violation_seen_only_by_the_reconciliation_starts_exactly_one_run(trigger, sample_event):
    summary = violation(sample_event(VIOLATIONS), EndpointName="churn-endpoint")
    expect_reconciliation(trigger, {MONITORING_SCHEDULE: [[summary]]})

    result = trigger.invoke(sample_event(RECONCILE))

    assert result["decision"] == DECISION_RECONCILED
    assert result["outcomes"] == [
        {"incident_id": incident_id(MONITORING_SCHEDULE, SCHEDULED), "decision": DECISION_STARTED}
    ]
    [execution] = trigger.executions()
    assert execution["parameters"]["TriggerType"] == TRIGGER_MONITOR_VIOLATION
    assert execution["parameters"]["MonitoringSchedule"] == MONITORING_SCHEDULE
    assert execution["parameters"]["EndpointName"] == "churn-endpoint"
    [note] = trigger.notifications()
    assert note.message["decision"] == DECISION_STARTED

    # The next sweep (an hour later) lists the same execution again: it is a duplicate, nothing starts.
    trigger.advance(3600)
    expect_reconciliation(trigger, {MONITORING_SCHEDULE: [[summary]]})
    again = trigger.invoke(sample_event(RECONCILE))

    assert again["outcomes"] == [
        {"incident_id": incident_id(MONITORING_SCHEDULE, SCHEDULED), "decision": DECISION_SKIPPED_DUPLICATE}
    ]
    assert len(trigger.executions()) == 1
    assert trigger.notifications() == []


@pytest.mark.parametrize("first", ["event", "reconciliation"])
def test_violation_seen_by_both_paths_starts_exactly_one_run(trigger, sample_event, first):
    event = sample_event(VIOLATIONS)
    summary = violation(event)

    def by_event() -> dict[str, Any]:
        expect_confirmation(trigger, [[summary]])
        return trigger.invoke(event)

    def by_reconciliation() -> str:
        expect_reconciliation(trigger, {MONITORING_SCHEDULE: [[summary]]})
        [outcome] = trigger.invoke(sample_event(RECONCILE))["outcomes"]
        assert outcome["incident_id"] == incident_id(MONITORING_SCHEDULE, SCHEDULED)
        return str(outcome["decision"])

    if first == "event":
        assert by_event()["decision"] == DECISION_STARTED
        trigger.advance(1800)
        assert by_reconciliation() == DECISION_SKIPPED_DUPLICATE
    else:
        assert by_reconciliation() == DECISION_STARTED
        trigger.advance(60)
        assert by_event()["decision"] == DECISION_SKIPPED_DUPLICATE

    [execution] = trigger.executions()
    assert [n.message["decision"] for n in trigger.notifications()] == [DECISION_STARTED]
    [start] = trigger.requests("StartPipelineExecution")
    assert start["PipelineExecutionDisplayName"] == execution["display_name"]


# --- Claims the API does not confirm --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("listed", "why"),
    [
        ("Completed", "as 'Completed', not CompletedWithViolations"),
        ("InProgress", "as 'InProgress', not CompletedWithViolations"),
        (None, "shows no execution of monitor-under-test"),
    ],
)
def test_event_claiming_violations_the_api_does_not_confirm_starts_nothing_and_is_reported(
    trigger, sample_event, listed, why
):
    event = sample_event(VIOLATIONS)  # ExitMessage "CompletedWithViolations: ...", as the rule requires
    others = [execution_summary(MONITORING_SCHEDULE, scheduled="2026-11-22T02:00:00Z", status="CompletedWithViolations",
                                job_arn=job_arn("model-monitoring-202611220200-0123456789abcdef01234567"))]  # fmt: skip
    expect_confirmation(trigger, [([violation(event, status=listed)] if listed else []) + others])

    result = trigger.invoke(event)

    assert result["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert why in result["reason"]
    assert trigger.executions() == []
    assert trigger.lock() is None
    [note] = trigger.notifications()
    assert note.subject == "Retraining skipped: violations not confirmed"
    assert note.attributes == {
        "decision": DECISION_SKIPPED_UNCONFIRMED,
        "trigger_type": TRIGGER_MONITOR_VIOLATION,
    }
    assert note.message["incident"]["monitoring_schedule"] == MONITORING_SCHEDULE
    assert event["detail"]["ProcessingJobName"] in note.message["incident"]["incident_id"]
    assert trigger.metric_total(METRIC_SKIPPED, reason="unconfirmed") == 1


def test_unconfirmed_claim_leaves_the_execution_to_the_reconciliation(trigger, sample_event):
    """The event arrives while the API still shows the execution running; the next sweep sees its violations."""
    event = sample_event(VIOLATIONS)
    expect_confirmation(trigger, [[violation(event, status="InProgress")]])
    assert trigger.invoke(event)["decision"] == DECISION_SKIPPED_UNCONFIRMED

    trigger.advance(600)
    expect_reconciliation(trigger, {MONITORING_SCHEDULE: [[violation(event)]]})
    [outcome] = trigger.invoke(sample_event(RECONCILE))["outcomes"]

    assert outcome["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 1


def test_claim_of_a_schedule_not_wired_to_the_trigger_is_not_looked_up(trigger, sample_event):
    event = sample_event(VIOLATIONS)
    event["detail"]["MonitoringScheduleArn"] = (
        "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/other"
    )

    result = trigger.invoke(event)  # the Stubber has no answer queued: any API call would fail the test

    assert result["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert "monitoring schedule other is not wired" in result["reason"]
    assert trigger.executions() == []


@pytest.mark.parametrize("missing", ["MonitoringScheduleArn", "ExitMessage"])
def test_event_shape_without_the_unverified_fields(trigger, sample_event, missing):
    """AWS's only sample of the event has neither field. Without the schedule ARN the event is left to the
    reconciliation; the exit message decides nothing, so without it the API is still asked."""
    event = sample_event(VIOLATIONS)
    del event["detail"][missing]
    if missing == "ExitMessage":
        expect_confirmation(trigger, [[violation(event)]])

    result = trigger.invoke(event)

    expected = DECISION_IGNORED if missing == "MonitoringScheduleArn" else DECISION_STARTED
    assert result["decision"] == expected


def test_failed_monitoring_job_is_ignored_without_an_api_call(trigger, sample_event):
    assert trigger.invoke(sample_event(MONITOR_FAILED))["decision"] == DECISION_IGNORED


# --- Pagination -----------------------------------------------------------------------------------------------
def test_reconciliation_reads_every_page_of_every_schedule_and_decides_oldest_first(trigger, sample_event):
    def found(schedule: str, scheduled: str) -> dict[str, Any]:
        stamp = scheduled.replace("-", "").replace(":", "").replace("T", "")[:12]
        return execution_summary(schedule, scheduled=scheduled, status="CompletedWithViolations",
                                 job_arn=job_arn(f"model-monitoring-{stamp}-0123456789abcdef01234567"))  # fmt: skip

    expect_reconciliation(
        trigger,
        {
            MONITORING_SCHEDULE: [[found(MONITORING_SCHEDULE, "2026-11-22T01:00:00Z")],
                                  [found(MONITORING_SCHEDULE, "2026-11-22T02:00:00Z")]],
            OTHER_SCHEDULE: [[], [found(OTHER_SCHEDULE, "2026-11-21T07:00:00Z")]],
        },
    )  # fmt: skip

    result = trigger.invoke(sample_event(RECONCILE))

    assert result["outcomes"] == [
        {"incident_id": incident_id(OTHER_SCHEDULE, "2026-11-21T07:00:00Z"), "decision": DECISION_STARTED},
        {"incident_id": incident_id(MONITORING_SCHEDULE, "2026-11-22T01:00:00Z"), "decision": DECISION_SKIPPED_COOLDOWN},
        {"incident_id": incident_id(MONITORING_SCHEDULE, "2026-11-22T02:00:00Z"), "decision": DECISION_SKIPPED_COOLDOWN},
    ]  # fmt: skip
    assert len(trigger.executions()) == 1


def test_event_lookup_reads_further_pages_until_it_finds_the_job(trigger, sample_event):
    event = sample_event(VIOLATIONS)
    newer = [execution_summary(MONITORING_SCHEDULE, scheduled=f"2026-11-22T0{h}:00:00Z", status="Pending")
             for h in (5, 4)]  # fmt: skip
    expect_confirmation(trigger, [newer, [], [violation(event)]])

    assert trigger.invoke(event)["decision"] == DECISION_STARTED
    assert len(trigger.executions()) == 1


# --- Faults ---------------------------------------------------------------------------------------------------
def test_reconciliation_that_cannot_list_is_reported_and_retried(trigger, sample_event):
    trigger.monitoring.add_client_error(
        "list_monitoring_executions",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: sagemaker:ListMonitoringExecutions",
        http_status_code=400,
    )

    with pytest.raises(ClientError, match="AccessDeniedException"):
        trigger.invoke(sample_event(RECONCILE))

    [note] = trigger.notifications()
    assert note.message["decision"] == DECISION_FAILED
    assert note.message["reason"].startswith("AccessDeniedException: not authorized")
    assert trigger.executions() == []
