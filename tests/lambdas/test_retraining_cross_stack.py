"""Open monitors whose reports bucket belongs to another stack than the trigger's: wired without a bucket
(``{"name", "prefix"}``), their bucket taken from the event's ``summaryUri`` (only for the exact key under the
wired prefix) and from their stack's reconcile event (only for a wired name with the same prefix).

Reports, pipelines, the table and the topic are moto's; moto does not evaluate IAM, so what is tested here is the
handler's own refusal. Which buckets the function may read is left to IAM (the bucket policies the construct
writes, tested in tests/unit/retraining/test_retraining_trigger_cross_stack.py).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from trigger_support import REGION

from lambdas.retraining_trigger.contract import (
    DECISION_RECONCILED,
    DECISION_SKIPPED_DUPLICATE,
    DECISION_SKIPPED_UNCONFIRMED,
    DECISION_STARTED,
    ENV_MONITORING_SCHEDULES,
    ENV_OPEN_MONITORS,
    RECONCILE_OPEN_MONITORS_KEY,
)
from lambdas.retraining_trigger.incidents import MalformedEventError

EVENT = "open_monitor_execution_violations"
RECONCILE = "reconcile_monitoring_executions"
SCHEDULE = "open-monitor-under-test"  # the sample event's schedule
BUCKET = "monitoring-stack-reports"  # created in the monitoring stack: not in the function's environment
PREFIX = f"model-monitor/data-quality/{SCHEDULE}"
SUMMARY_KEY = f"{PREFIX}/2026/11/22/03/summary.json"  # the sample event's scheduled hour
INCIDENT = f"monitor#{SCHEDULE}#2026-11-22T03:00:00Z"


@pytest.fixture
def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def cross_trigger(trigger: Any, monkeypatch: pytest.MonkeyPatch, s3: Any) -> Any:
    """The trigger with one open monitor of another stack wired (no bucket) and that stack's reports bucket."""
    s3.create_bucket(Bucket=BUCKET)
    monkeypatch.setenv(ENV_OPEN_MONITORS, json.dumps([{"name": SCHEDULE, "prefix": PREFIX}]))
    monkeypatch.setenv(ENV_MONITORING_SCHEDULES, "[]")
    return trigger


def put_violations(s3: Any, key: str = SUMMARY_KEY, bucket: str = BUCKET) -> None:
    summary = {
        "schemaVersion": "1",
        "monitoringType": "DataQuality",
        "monitoringScheduleName": SCHEDULE,
        "status": "CompletedWithViolations",
        "verdict": "violations",
        "violations": 1,
        "violatedChecks": ["baseline_drift_check"],
    }
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(summary))


def claim(sample_event: Any, uri: str = f"s3://{BUCKET}/{SUMMARY_KEY}", **detail: Any) -> dict[str, Any]:
    event: dict[str, Any] = sample_event(EVENT)
    event["detail"].update(summaryUri=uri, reportUri=uri.rsplit("/", 1)[0] + "/", **detail)
    return event


def reconcile(sample_event: Any, *monitors: dict[str, str]) -> dict[str, Any]:
    event: dict[str, Any] = sample_event(RECONCILE)
    event["detail"] = {RECONCILE_OPEN_MONITORS_KEY: [copy.deepcopy(m) for m in monitors]}
    return event


LISTED = {"name": SCHEDULE, "bucket": BUCKET, "prefix": PREFIX}


@pytest.mark.parametrize("first", ["event", "reconciliation"])
def test_event_and_listed_reconciliation_of_the_same_run_start_one(cross_trigger, s3, sample_event, first):
    put_violations(s3)

    def by_event() -> str:
        return str(cross_trigger.invoke(claim(sample_event))["decision"])

    def by_reconciliation() -> str:
        result = cross_trigger.invoke(reconcile(sample_event, LISTED))
        assert result["decision"] == DECISION_RECONCILED
        assert "refused" not in result
        [outcome] = result["outcomes"]
        assert outcome["incident_id"] == INCIDENT
        return str(outcome["decision"])

    if first == "event":
        assert by_event() == DECISION_STARTED
        cross_trigger.advance(1800)
        assert by_reconciliation() == DECISION_SKIPPED_DUPLICATE
    else:
        assert by_reconciliation() == DECISION_STARTED
        cross_trigger.advance(60)
        assert by_event() == DECISION_SKIPPED_DUPLICATE
    assert len(cross_trigger.requests("StartPipelineExecution")) == 1
    [execution] = cross_trigger.executions()
    assert execution["parameters"]["MonitoringSchedule"] == SCHEDULE
    assert [n.message["decision"] for n in cross_trigger.notifications()] == [DECISION_STARTED]


@pytest.mark.parametrize(
    "uri",
    [
        f"s3://{BUCKET}/other-prefix/2026/11/22/03/summary.json",  # outside the wired prefix
        f"s3://{BUCKET}/{PREFIX}-evil/2026/11/22/03/summary.json",  # a sibling prefix
        f"s3://{BUCKET}/{PREFIX}/2026/11/22/02/summary.json",  # another hour than the scheduled time's
        f"s3://{BUCKET}/{PREFIX}/2026/11/22/03/statistics.json",  # not the summary
    ],
)
def test_event_whose_summary_is_not_under_the_wired_prefix_is_refused(cross_trigger, s3, sample_event, uri):
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    put_violations(s3, key=key, bucket=bucket)  # even a violating object there is not believed

    result = cross_trigger.invoke(claim(sample_event, uri))

    assert result["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert "is not where" in result["reason"]
    assert cross_trigger.requests("StartPipelineExecution") == []


def test_event_of_a_monitor_not_wired_is_refused(cross_trigger, s3, sample_event):
    other = "monitor-not-wired"
    key = f"model-monitor/data-quality/{other}/2026/11/22/03/summary.json"
    put_violations(s3, key=key)

    result = cross_trigger.invoke(claim(sample_event, f"s3://{BUCKET}/{key}", monitoringScheduleName=other))

    assert result["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert "not wired" in result["reason"]
    assert cross_trigger.requests("StartPipelineExecution") == []


def test_event_with_a_missing_summary_is_unconfirmed(cross_trigger, sample_event):
    result = cross_trigger.invoke(claim(sample_event))

    assert result["decision"] == DECISION_SKIPPED_UNCONFIRMED
    assert "does not exist" in result["reason"]


@pytest.mark.parametrize(
    ("listed", "why"),
    [
        ({"name": "monitor-not-wired", "bucket": BUCKET, "prefix": PREFIX}, "is not wired"),
        (
            {"name": SCHEDULE, "bucket": BUCKET, "prefix": "model-monitor/elsewhere"},
            "writes its reports under",
        ),
        ({"name": SCHEDULE, "bucket": BUCKET, "prefix": f"{PREFIX}/2026"}, "writes its reports under"),
    ],
)
def test_listed_monitor_not_wired_or_with_another_prefix_is_refused(
    cross_trigger, s3, sample_event, listed, why
):
    put_violations(s3)
    put_violations(s3, key=f"{listed['prefix']}/2026/11/22/03/summary.json")

    result = cross_trigger.invoke(reconcile(sample_event, listed))

    assert result["decision"] == DECISION_RECONCILED
    assert result["outcomes"] == []
    [refused] = result["refused"]
    assert why in refused
    assert cross_trigger.requests("StartPipelineExecution") == []


def test_reconciliation_without_a_list_reads_no_bucket_of_another_stack(cross_trigger, s3, sample_event):
    put_violations(s3)

    result = cross_trigger.invoke(sample_event(RECONCILE))

    assert result == {"decision": DECISION_RECONCILED, "schedules": [SCHEDULE], "outcomes": []}


def test_listed_monitor_cannot_move_a_monitor_wired_with_its_bucket(trigger, monkeypatch, s3, sample_event):
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket="elsewhere-bucket")
    monkeypatch.setenv(
        ENV_OPEN_MONITORS, json.dumps([{"name": SCHEDULE, "bucket": BUCKET, "prefix": PREFIX}])
    )
    monkeypatch.setenv(ENV_MONITORING_SCHEDULES, "[]")
    put_violations(s3, bucket="elsewhere-bucket")

    result = trigger.invoke(reconcile(sample_event, {**LISTED, "bucket": "elsewhere-bucket"}))

    assert result["outcomes"] == []
    [refused] = result["refused"]
    assert "keeps its reports in bucket monitoring-stack-reports" in refused


@pytest.mark.parametrize(
    "detail",
    [
        {RECONCILE_OPEN_MONITORS_KEY: [{"name": SCHEDULE, "bucket": "Not_A_Bucket", "prefix": PREFIX}]},
        {RECONCILE_OPEN_MONITORS_KEY: [{"name": SCHEDULE, "prefix": PREFIX}]},
        {RECONCILE_OPEN_MONITORS_KEY: "not a list"},
    ],
)
def test_malformed_listed_monitors_fail_the_event(cross_trigger, sample_event, detail):
    event = sample_event(RECONCILE)
    event["detail"] = detail

    with pytest.raises(MalformedEventError):
        cross_trigger.invoke(event)
    assert cross_trigger.requests("StartPipelineExecution") == []


@pytest.mark.parametrize(
    "entry",
    [{"name": SCHEDULE}, {"name": SCHEDULE, "prefix": "/"}],
)
def test_a_monitor_without_bucket_needs_a_prefix(trigger_env, entry):
    from lambdas.retraining_trigger.decisions import Settings

    with pytest.raises(ValueError, match=ENV_OPEN_MONITORS):
        Settings.from_env({**trigger_env, ENV_OPEN_MONITORS: json.dumps([entry])})
