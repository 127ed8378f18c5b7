"""The open monitoring backend's violations: the workflow's event is a claim, confirmed by the execution's
``summary.json``; the reconciliation lists the summaries of the lookback window; either path acts once per
execution.

Reports live in moto's S3, where the open backend's workflow writes them (``<prefix>/yyyy/mm/dd/hh/``);
pipelines, the table and the topic are moto's too. No Model Monitor schedule is wired here, so the reconciliation
makes no ListMonitoringExecutions call (the Stubber fails the test if it did).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from trigger_support import MONITORING_SCHEDULE, REGION, execution_summary, job_arn

from lambdas.retraining_trigger.contract import (
    DECISION_FAILED,
    DECISION_IGNORED,
    DECISION_RECONCILED,
    DECISION_SKIPPED_COOLDOWN,
    DECISION_SKIPPED_DUPLICATE,
    DECISION_SKIPPED_UNCONFIRMED,
    DECISION_STARTED,
    ENV_MONITORING_SCHEDULES,
    ENV_OPEN_MONITORS,
    METRIC_SKIPPED,
    TRIGGER_MONITOR_VIOLATION,
)
from lambdas.retraining_trigger.incidents import MalformedEventError

EVENT = "open_monitor_execution_violations"
RECONCILE = "reconcile_monitoring_executions"
SCHEDULE = "open-monitor-under-test"
OTHER = "open-bias-monitor"
BUCKET = "monitor-reports-under-test"
PREFIX = f"model-monitor/data-quality/{SCHEDULE}"
OTHER_PREFIX = f"model-monitor/bias/{OTHER}"
SCHEDULED = "2026-11-22T03:00:00Z"  # the sample event's scheduledTime
INCIDENT = f"monitor#{SCHEDULE}#{SCHEDULED}"


@pytest.fixture
def s3() -> Any:
    """moto's S3 (inside the ``trigger`` fixture's mock)."""
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def open_trigger(trigger: Any, monkeypatch: pytest.MonkeyPatch, s3: Any) -> Any:
    """The trigger with two open monitors wired (and no Model Monitor schedule) and their report bucket."""
    s3.create_bucket(Bucket=BUCKET)
    monitors = [
        {"name": SCHEDULE, "bucket": BUCKET, "prefix": PREFIX},
        {"name": OTHER, "bucket": BUCKET, "prefix": OTHER_PREFIX},
    ]
    monkeypatch.setenv(ENV_OPEN_MONITORS, json.dumps(monitors))
    monkeypatch.setenv(ENV_MONITORING_SCHEDULES, "[]")
    return trigger


def summary(
    status: str = "CompletedWithViolations",
    verdict: str = "violations",
    schedule: str = SCHEDULE,
    violations: int = 2,
) -> dict[str, Any]:
    """A summary.json as the monitoring script writes it (design §1)."""
    return {
        "schemaVersion": "1",
        "monitoringType": "DataQuality",
        "monitoringScheduleName": schedule,
        "status": status,
        "verdict": verdict,
        "violations": violations if status == "CompletedWithViolations" else 0,
        "violatedChecks": ["baseline_drift_check", "completeness_check"]
        if status == "CompletedWithViolations"
        else [],
        "records": {"read": 500, "used": 500, "malformed": 0, "skipped": {}, "files": 3},
        "minSamples": 100,
        "namespace": "SageMakerConstructs/Endpoints/data-metrics",
        "metricData": [],
    }


def put_summary(s3: Any, hour: str, body: dict[str, Any] | str, prefix: str = PREFIX) -> str:
    """Write a summary under ``<prefix>/<hour>/`` (hour ``yyyy/mm/dd/hh``); return its key."""
    key = f"{prefix}/{hour}/summary.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=body if isinstance(body, str) else json.dumps(body))
    return key


def event_for(sample_event: Any, **detail: Any) -> dict[str, Any]:
    event: dict[str, Any] = sample_event(EVENT)
    event["detail"].update(detail)
    return event


# --- The event path --------------------------------------------------------------------------------------------
def test_confirmed_event_starts_exactly_one_run(open_trigger, s3, sample_event):
    put_summary(s3, "2026/11/22/03", summary())

    result = open_trigger.invoke(sample_event(EVENT))

    assert result["decision"] == DECISION_STARTED
    assert result["incident"]["incident_id"] == INCIDENT
    assert len(open_trigger.requests("StartPipelineExecution")) == 1
    [execution] = open_trigger.executions()
    assert execution["parameters"]["TriggerType"] == TRIGGER_MONITOR_VIOLATION
    assert execution["parameters"]["MonitoringSchedule"] == SCHEDULE
    assert (
        "2 violation(s) (baseline_drift_check, completeness_check)"
        in execution["parameters"]["TriggerReason"]
    )
    assert [n.message["decision"] for n in open_trigger.notifications()] == [DECISION_STARTED]


def test_duplicate_event_starts_one_run(open_trigger, s3, sample_event):
    put_summary(s3, "2026/11/22/03", summary())
    assert open_trigger.invoke(sample_event(EVENT))["decision"] == DECISION_STARTED
    open_trigger.advance(30)

    again = open_trigger.invoke(sample_event(EVENT))

    assert again["decision"] == DECISION_SKIPPED_DUPLICATE
    assert len(open_trigger.requests("StartPipelineExecution")) == 1
    assert len(open_trigger.executions()) == 1


@pytest.mark.parametrize("first", ["event", "reconciliation"])
def test_event_and_reconciliation_start_one_run(open_trigger, s3, sample_event, first):
    put_summary(s3, "2026/11/22/03", summary())

    def by_event() -> str:
        return str(open_trigger.invoke(sample_event(EVENT))["decision"])

    def by_reconciliation() -> str:
        result = open_trigger.invoke(sample_event(RECONCILE))
        assert result["decision"] == DECISION_RECONCILED
        [outcome] = result["outcomes"]
        assert outcome["incident_id"] == INCIDENT
        return str(outcome["decision"])

    if first == "event":
        assert by_event() == DECISION_STARTED
        open_trigger.advance(1800)
        assert by_reconciliation() == DECISION_SKIPPED_DUPLICATE
    else:
        assert by_reconciliation() == DECISION_STARTED
        open_trigger.advance(60)
        assert by_event() == DECISION_SKIPPED_DUPLICATE
    assert len(open_trigger.requests("StartPipelineExecution")) == 1
    assert [n.message["decision"] for n in open_trigger.notifications()] == [DECISION_STARTED]


# --- The reconciliation ----------------------------------------------------------------------------------------
def test_reconciliation_alone_finds_a_run_whose_event_was_lost(open_trigger, s3, sample_event):
    # The trigger's clock is 2026-11-22T03:21:40Z and the lookback 1 day: hours from 2026-11-21T04:00 count.
    put_summary(s3, "2026/11/21/03", summary())  # before the lookback window: not acted on
    put_summary(s3, "2026/11/21/22", summary("Completed", "no-violations"))
    put_summary(s3, "2026/11/22/01", summary("Completed", "insufficient-data"))
    put_summary(s3, "2026/11/22/02", summary(schedule=OTHER), prefix=OTHER_PREFIX)
    put_summary(s3, "2026/11/22/03", summary())
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/2026/11/22/03/statistics.json", Body=b"{}")

    result = open_trigger.invoke(sample_event(RECONCILE))

    assert result["schedules"] == [SCHEDULE, OTHER]
    # Oldest first across monitors; the second is within the cooldown of the first.
    assert result["outcomes"] == [
        {"incident_id": f"monitor#{OTHER}#2026-11-22T02:00:00Z", "decision": DECISION_STARTED},
        {"incident_id": INCIDENT, "decision": DECISION_SKIPPED_COOLDOWN},
    ]
    [execution] = open_trigger.executions()
    assert execution["parameters"]["MonitoringSchedule"] == OTHER


def test_reconciliation_pages_through_a_day_folder(open_trigger, s3, sample_event):
    for number in range(1001):  # more than one ListObjectsV2 page (1000 keys)
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/2026/11/22/00/input/part-{number:04d}", Body=b"")
    put_summary(s3, "2026/11/22/03", summary())  # sorts after the 1001 keys of hour 00

    result = open_trigger.invoke(sample_event(RECONCILE))

    assert result["outcomes"] == [{"incident_id": INCIDENT, "decision": DECISION_STARTED}]


def test_reconciliation_with_nothing_to_do_starts_nothing(open_trigger, sample_event):
    result = open_trigger.invoke(sample_event(RECONCILE))

    assert result == {"decision": DECISION_RECONCILED, "schedules": [SCHEDULE, OTHER], "outcomes": []}
    assert open_trigger.executions() == []


def test_reconciliation_passes_over_a_summary_that_is_not_json(open_trigger, s3, sample_event):
    put_summary(s3, "2026/11/22/02", "not json")
    put_summary(s3, "2026/11/22/03", summary())

    result = open_trigger.invoke(sample_event(RECONCILE))

    assert result["outcomes"] == [{"incident_id": INCIDENT, "decision": DECISION_STARTED}]


# --- Events that start nothing ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        ("Completed", "no-violations"),
        ("Completed", "insufficient-data"),
        ("Completed", "no-data"),
        ("Failed", ""),
    ],
)
def test_event_without_violations_is_ignored_with_its_verdict(
    open_trigger, s3, sample_event, status, verdict
):
    detail: dict[str, Any] = {"monitoringExecutionStatus": status, "verdict": verdict, "violations": 0}
    if status == "Failed":
        detail.update(failureReason="ClientError: no baseline", verdict=None)
    event = event_for(sample_event, **detail)
    if status == "Failed":
        del event["detail"]["summaryUri"]
    put_summary(s3, "2026/11/22/03", summary())  # would confirm a violation: it must not even be read

    result = open_trigger.invoke(event)

    assert result["decision"] == DECISION_IGNORED
    assert f"ended {status!r}" in result["reason"]
    if verdict:
        assert f"verdict {verdict!r}" in result["reason"]
    else:
        assert "no baseline" in result["reason"]
    assert open_trigger.executions() == []
    assert open_trigger.notifications() == []
    assert open_trigger.metric_total(METRIC_SKIPPED, reason="ignored") == 1


def test_missing_summary_is_unconfirmed_then_reconciled_once_it_appears(open_trigger, s3, sample_event):
    result = open_trigger.invoke(sample_event(EVENT))

    assert result["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert "does not exist (yet)" in result["reason"]
    assert open_trigger.executions() == []
    [note] = open_trigger.notifications()
    assert note.subject == "Retraining skipped: violations not confirmed"
    assert open_trigger.metric_total(METRIC_SKIPPED, reason="unconfirmed") == 1

    put_summary(s3, "2026/11/22/03", summary())
    open_trigger.advance(3600)
    first = open_trigger.invoke(sample_event(RECONCILE))
    open_trigger.advance(3600)
    second = open_trigger.invoke(sample_event(RECONCILE))

    assert first["outcomes"] == [{"incident_id": INCIDENT, "decision": DECISION_STARTED}]
    assert second["outcomes"] == [{"incident_id": INCIDENT, "decision": DECISION_SKIPPED_DUPLICATE}]
    assert len(open_trigger.executions()) == 1


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (summary("Completed", "no-violations"), "reports 'Completed', verdict 'no-violations'"),
        (summary(schedule="someone-else"), "names schedule 'someone-else'"),
        ("{not json", "is not a JSON object"),
    ],
)
def test_summary_that_does_not_confirm_starts_nothing(open_trigger, s3, sample_event, body, why):
    put_summary(s3, "2026/11/22/03", body)

    result = open_trigger.invoke(sample_event(EVENT))

    assert result["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert why in result["reason"]
    assert open_trigger.executions() == []


def test_summary_uri_elsewhere_is_not_believed(open_trigger, s3, sample_event):
    s3.create_bucket(Bucket="someone-elses-bucket")
    s3.put_object(Bucket="someone-elses-bucket", Key="summary.json", Body=json.dumps(summary()))
    event = event_for(sample_event, summaryUri="s3://someone-elses-bucket/summary.json")

    result = open_trigger.invoke(event)

    assert result["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert f"s3://{BUCKET}/{PREFIX}/2026/11/22/03/summary.json" in result["reason"]
    assert open_trigger.executions() == []


def test_event_of_a_monitor_not_wired_is_unconfirmed(open_trigger, s3, sample_event):
    event = event_for(sample_event, monitoringScheduleName="not-wired")

    result = open_trigger.invoke(event)

    assert result["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert "not-wired is not wired to this trigger" in result["reason"]


def test_scheduled_time_is_normalised_to_the_run_hour(open_trigger, s3, sample_event):
    put_summary(s3, "2026/11/22/03", summary())
    event = event_for(sample_event, scheduledTime="2026-11-22T03:00:00.000+00:00")

    result = open_trigger.invoke(event)

    assert result["decision"] == DECISION_STARTED
    assert result["incident"]["incident_id"] == INCIDENT


# --- Malformed events and faults -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"scheduledTime": None}, "detail.scheduledTime"),
        ({"scheduledTime": "yesterday"}, "detail.scheduledTime"),
        ({"monitoringExecutionStatus": "Exploded"}, "detail.monitoringExecutionStatus"),
        ({"monitoringScheduleName": "bad_name!"}, "detail.monitoringScheduleName"),
        ({"summaryUri": None}, "detail.summaryUri"),
        ({"summaryUri": "https://example.com/summary.json"}, "detail.summaryUri"),
    ],
)
def test_malformed_detail_is_reported_once_and_failed(open_trigger, sample_event, change, problem):
    event = event_for(sample_event)
    for name, value in change.items():
        if value is None:
            del event["detail"][name]
        else:
            event["detail"][name] = value

    with pytest.raises(MalformedEventError, match=problem):
        open_trigger.invoke(event)
    with pytest.raises(MalformedEventError):
        open_trigger.invoke(event)  # a redelivery: failed again, told once

    [note] = open_trigger.notifications()
    assert note.message["decision"] == DECISION_FAILED
    assert note.message["incident"]["trigger_type"] == TRIGGER_MONITOR_VIOLATION
    assert problem in note.message["reason"]
    assert open_trigger.executions() == []


def test_throttled_summary_read_is_retried(open_trigger, s3, sample_event, monkeypatch):
    put_summary(s3, "2026/11/22/03", summary())
    attempts: list[int] = []

    def slow_down(request: Any, **kwargs: Any) -> AWSResponse | None:
        attempts.append(1)
        if len(attempts) > 2:
            return None  # moto answers from now on
        body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        return AWSResponse(request.url, 503, {}, _Raw(body))

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)
    open_trigger.module.s3.meta.events.register_first("before-send.s3.GetObject", slow_down)
    try:
        result = open_trigger.invoke(sample_event(EVENT))
    finally:
        open_trigger.module.s3.meta.events.unregister("before-send.s3.GetObject", slow_down)

    assert len(attempts) == 3
    assert result["decision"] == DECISION_STARTED


def test_access_denied_summary_read_fails_and_is_told(open_trigger, s3, sample_event, monkeypatch):
    put_summary(s3, "2026/11/22/03", summary())

    def denied(request: Any, **kwargs: Any) -> AWSResponse:
        body = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        return AWSResponse(request.url, 403, {}, _Raw(body))

    open_trigger.module.s3.meta.events.register_first("before-send.s3.GetObject", denied)
    try:
        with pytest.raises(Exception, match="AccessDenied"):
            open_trigger.invoke(sample_event(EVENT))
    finally:
        open_trigger.module.s3.meta.events.unregister("before-send.s3.GetObject", denied)

    [note] = open_trigger.notifications()
    assert note.message["decision"] == DECISION_FAILED
    assert note.message["reason"].startswith("AccessDenied")


class _Raw:
    """The raw body of a botocore AWSResponse."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Any:
        yield self._body


# --- Configuration ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"name": "m"}',
        '[{"name": "bad_name", "bucket": "b-1", "prefix": "p"}]',
        '[{"name": "m", "bucket": "Not A Bucket", "prefix": "p"}]',
        '[{"name": "m", "bucket": "reports", "prefix": 3}]',
    ],
)
def test_invalid_open_monitors_variable_is_refused(trigger_env, text):
    from lambdas.retraining_trigger.decisions import Settings

    with pytest.raises(ValueError, match=ENV_OPEN_MONITORS):
        Settings.from_env({**trigger_env, ENV_OPEN_MONITORS: text})


def test_open_monitors_variable_is_read(trigger_env):
    from lambdas.retraining_trigger.decisions import Settings
    from lambdas.retraining_trigger.open_violations import OpenMonitor

    text = json.dumps([{"name": SCHEDULE, "bucket": BUCKET, "prefix": f"/{PREFIX}/"}])
    settings = Settings.from_env({**trigger_env, ENV_OPEN_MONITORS: text})

    assert settings.open_monitors == (OpenMonitor(name=SCHEDULE, bucket=BUCKET, prefix=PREFIX),)
    assert Settings.from_env(trigger_env).open_monitors == ()


def test_reconciliation_orders_model_monitor_and_open_executions_together(
    open_trigger, s3, sample_event, monkeypatch
):
    monkeypatch.setenv(ENV_MONITORING_SCHEDULES, json.dumps([MONITORING_SCHEDULE]))
    put_summary(s3, "2026/11/22/00", summary())
    classic = execution_summary(
        MONITORING_SCHEDULE,
        scheduled="2026-11-22T01:00:00Z",
        status="CompletedWithViolations",
        job_arn=job_arn("model-monitoring-202611220100-0123456789abcdef01234567"),
    )
    open_trigger.monitoring.add_response(
        "list_monitoring_executions",
        {"MonitoringExecutionSummaries": [classic]},
        {
            "MonitoringScheduleName": MONITORING_SCHEDULE,
            "ScheduledTimeAfter": datetime.fromtimestamp(open_trigger.now - 86400, UTC),
            "SortBy": "ScheduledTime",
            "SortOrder": "Ascending",
            "MaxResults": 100,
            "StatusEquals": "CompletedWithViolations",
        },
    )

    result = open_trigger.invoke(sample_event(RECONCILE))

    assert result["schedules"] == [MONITORING_SCHEDULE, SCHEDULE, OTHER]
    assert result["outcomes"] == [
        {"incident_id": f"monitor#{SCHEDULE}#2026-11-22T00:00:00Z", "decision": DECISION_STARTED},
        {
            "incident_id": f"monitor#{MONITORING_SCHEDULE}#2026-11-22T01:00:00Z",
            "decision": DECISION_SKIPPED_COOLDOWN,
        },
    ]


# --- The endpoint of an open-backend incident ------------------------------------------------------------------
def script_summary(endpoint_name: str | None) -> dict[str, Any]:
    """A summary.json with violations written by the monitoring script's own ``report.summary``."""
    from sagemaker_constructs._monitor_script import report

    config = {
        "schemaVersion": "1",
        "monitoringType": "DataQuality",
        "monitoringScheduleName": SCHEDULE,
        "endpointName": endpoint_name,
        "metrics": {"namespace": "SageMakerConstructs/Endpoints/data-metrics", "dimensions": {}},
    }
    violation = {
        "feature_name": "age",
        "constraint_check_type": "baseline_drift_check",
        "description": "drift",
    }
    result = report.Result({}, [violation], [], "violations", 500)
    return report.summary(config, result, {"records": 500, "files": 1})


@pytest.mark.parametrize("path", ["event", "reconciliation"])
def test_incident_names_the_endpoint_of_the_script_summary(open_trigger, s3, sample_event, path):
    put_summary(s3, "2026/11/22/03", script_summary("churn-endpoint"))

    if path == "event":
        incident = open_trigger.invoke(sample_event(EVENT))["incident"]
    else:
        result = open_trigger.invoke(sample_event(RECONCILE))
        assert [o["incident_id"] for o in result["outcomes"]] == [INCIDENT]
        [notification] = open_trigger.notifications()
        incident = notification.message["incident"]

    assert incident["incident_id"] == INCIDENT
    assert incident["endpoint_name"] == "churn-endpoint"


def test_incident_of_a_batch_monitor_has_no_endpoint(open_trigger, s3, sample_event):
    put_summary(s3, "2026/11/22/03", script_summary(None))

    result = open_trigger.invoke(event_for(sample_event, endpointName=""))

    assert result["decision"] == DECISION_STARTED
    assert result["incident"]["endpoint_name"] == ""
