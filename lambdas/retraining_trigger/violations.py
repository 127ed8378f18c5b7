"""Monitoring violations, decided on the documented API rather than on the event's shape.

A violating Model Monitor execution ends as a processing job with ``ProcessingJobStatus: Completed``; only the
monitoring execution says ``CompletedWithViolations``. ``ListMonitoringExecutions`` documents that status and
the summary's fields (botocore ``sagemaker/2017-07-24/service-2.json``, ``MonitoringExecutionSummary``;
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListMonitoringExecutions.html), whereas no AWS
sample of the "SageMaker Processing Job State Change" event shows ``ExitMessage`` or ``MonitoringScheduleArn``.
So an event is only a claim that this module confirms, and a scheduled reconciliation lists the executions of
every wired schedule so that none is missed.

Both paths turn one execution into the same Incident, whose id is ``monitor#<schedule name>#<scheduled time>``
(both required fields of the summary), so the idempotency record makes either path act once per execution.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .contract import TRIGGER_MONITOR_VIOLATION
from .incidents import Incident, ViolationClaim

VIOLATIONS_STATUS = "CompletedWithViolations"
PAGE_SIZE = 100
"""ListMonitoringExecutions' MaxResults limit (botocore: 1-100)."""


@dataclass(frozen=True)
class Unconfirmed:
    """A claim the API does not confirm: why."""

    why: str


def execution_incident(summary: dict[str, Any]) -> Incident:
    """The incident of one monitoring execution (a MonitoringExecutionSummary) with violations."""
    schedule = str(summary["MonitoringScheduleName"])
    scheduled = _iso(summary["ScheduledTime"])
    job = str(summary.get("ProcessingJobArn") or "").rsplit("/", 1)[-1]
    reason = (
        f"{summary['MonitoringExecutionStatus']}: monitoring execution of {schedule} scheduled at {scheduled}"
    )
    if job:
        reason += f" (processing job {job})"
    return Incident(
        trigger_type=TRIGGER_MONITOR_VIOLATION,
        incident_id=f"monitor#{schedule}#{scheduled}",
        incident_time=_iso(summary["LastModifiedTime"]),
        reason=reason,
        monitoring_schedule=schedule,
        endpoint_name=str(summary.get("EndpointName") or ""),
    )


def list_executions(
    sagemaker: Any,
    schedule_name: str,
    *,
    scheduled_after: datetime,
    status: str | None = None,
    newest_first: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every execution of ``schedule_name`` scheduled after ``scheduled_after`` (all pages)."""
    request: dict[str, Any] = {
        "MonitoringScheduleName": schedule_name,
        "ScheduledTimeAfter": scheduled_after,
        "SortBy": "ScheduledTime",
        "SortOrder": "Descending" if newest_first else "Ascending",
        "MaxResults": PAGE_SIZE,
    }
    if status is not None:
        request["StatusEquals"] = status
    while True:
        page = sagemaker.list_monitoring_executions(**request)
        yield from page.get("MonitoringExecutionSummaries", [])
        token = page.get("NextToken")
        if not token:
            return
        request["NextToken"] = token


def confirm(
    sagemaker: Any, claim: ViolationClaim, *, lookback_seconds: int, now: int
) -> Incident | Unconfirmed:
    """The incident of the claimed execution if the API reports it ``CompletedWithViolations``.

    The execution is found by its processing job among the schedule's executions of the lookback window,
    newest first. Processing job names are compared without case, as SageMaker may lower-case names in ARNs.
    """
    wanted = claim.processing_job_name.lower()
    after = datetime.fromtimestamp(now - lookback_seconds, UTC)
    for summary in list_executions(sagemaker, claim.schedule_name, scheduled_after=after, newest_first=True):
        job = str(summary.get("ProcessingJobArn") or "").rsplit("/", 1)[-1].lower()
        if job != wanted:
            continue
        status = summary.get("MonitoringExecutionStatus")
        if status == VIOLATIONS_STATUS:
            return execution_incident(summary)
        return Unconfirmed(
            f"ListMonitoringExecutions reports the execution of {claim.schedule_name} that ran "
            f"{claim.processing_job_name} as {status!r}, not {VIOLATIONS_STATUS}; the reconciliation acts on it "
            "if that changes"
        )
    return Unconfirmed(
        f"ListMonitoringExecutions shows no execution of {claim.schedule_name} scheduled since {_iso(after)} "
        f"that ran {claim.processing_job_name}; the reconciliation acts on it if one appears"
    )


def reconcile(sagemaker: Any, schedules: Sequence[str], *, lookback_seconds: int, now: int) -> list[Incident]:
    """The incidents of every execution with violations of ``schedules`` in the lookback window, oldest first."""
    return [
        incident
        for _, incident in reconcile_timed(sagemaker, schedules, lookback_seconds=lookback_seconds, now=now)
    ]


def reconcile_timed(
    sagemaker: Any, schedules: Sequence[str], *, lookback_seconds: int, now: int
) -> list[tuple[datetime, Incident]]:
    """(scheduled time, incident) of every execution with violations of ``schedules`` in the lookback window,
    oldest first."""
    after = datetime.fromtimestamp(now - lookback_seconds, UTC)
    found: list[tuple[datetime, Incident]] = []
    for schedule in schedules:
        for summary in list_executions(sagemaker, schedule, scheduled_after=after, status=VIOLATIONS_STATUS):
            # StatusEquals filters on the server already; the check keeps a lenient server from starting runs.
            if summary.get("MonitoringExecutionStatus") == VIOLATIONS_STATUS:
                found.append((_when(summary["ScheduledTime"]), execution_incident(summary)))
    found.sort(key=lambda pair: pair[0])
    return found


def _when(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value)


def _iso(value: datetime | str) -> str:
    """UTC, whole seconds, ``Z``: the same text for the same instant whichever path read it."""
    return _when(value).astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
