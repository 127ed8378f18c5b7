"""Turn the EventBridge events the trigger subscribes to into one normalized Incident, a violation claim to
confirm, a reconciliation request, or a reason to ignore the event."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

from .contract import (
    EVENT_FIELDS,
    RECONCILE_DETAIL_TYPE,
    RECONCILE_SOURCE,
    TRIGGER_ALARM,
    TRIGGER_MONITOR_VIOLATION,
    TRIGGER_SCHEDULE,
)

ALARM_SOURCE = "aws.cloudwatch"
ALARM_DETAIL_TYPE = "CloudWatch Alarm State Change"
PROCESSING_JOB_SOURCE = "aws.sagemaker"
PROCESSING_JOB_DETAIL_TYPE = "SageMaker Processing Job State Change"
SCHEDULE_SOURCE = "aws.events"
SCHEDULE_DETAIL_TYPE = "Scheduled Event"

# SageMaker's own metrics name the endpoint "EndpointName" (AWS/SageMaker) or "Endpoint" (Model Monitor's
# aws/sagemaker/Endpoints/data-metrics); the latter also carries "MonitoringSchedule".
ENDPOINT_DIMENSIONS = ("EndpointName", "Endpoint")
SCHEDULE_DIMENSION = "MonitoringSchedule"


@dataclass(frozen=True, kw_only=True)
class Incident:
    """What happened, reduced to the fields pipeline parameters can take (contract.EVENT_FIELDS)."""

    trigger_type: str
    incident_id: str
    incident_time: str
    reason: str
    alarm_name: str = ""
    endpoint_name: str = ""
    monitoring_schedule: str = ""

    def as_dict(self) -> dict[str, str]:
        """The incident as a JSON-ready dict, fields in EVENT_FIELDS order."""
        values = dataclasses.asdict(self)
        return {name: values[name] for name in EVENT_FIELDS}


@dataclass(frozen=True, kw_only=True)
class ViolationClaim:
    """What a processing-job event says: this schedule's job ended with violations. To be confirmed."""

    schedule_name: str
    processing_job_name: str
    event_id: str
    event_time: str

    def as_incident(self) -> Incident:
        """The claim as an incident, only to report it (unconfirmed or failed); never decided on."""
        return Incident(
            trigger_type=TRIGGER_MONITOR_VIOLATION,
            incident_id=f"monitor-event#{self.processing_job_name}",
            incident_time=self.event_time,
            reason=f"event claims processing job {self.processing_job_name} found violations",
            monitoring_schedule=self.schedule_name,
        )


@dataclass(frozen=True, kw_only=True)
class ReconcileRequest:
    """The reconciliation rule's event: list the recent executions of every wired schedule."""

    event_time: str


@dataclass(frozen=True)
class Ignored:
    """An event that is no incident: why, for the log."""

    why: str


def to_incident(event: EventBridgeEvent) -> Incident | ViolationClaim | ReconcileRequest | Ignored:
    """The incident an event reports, the violation it claims, a reconciliation request, or why it is none."""
    kind = (event.get("source"), event.get("detail-type"))
    if kind == (ALARM_SOURCE, ALARM_DETAIL_TYPE):
        return _from_alarm(event)
    if kind == (PROCESSING_JOB_SOURCE, PROCESSING_JOB_DETAIL_TYPE):
        return _from_processing_job(event)
    if kind == (RECONCILE_SOURCE, RECONCILE_DETAIL_TYPE):
        return ReconcileRequest(event_time=event.time)
    if kind == (SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE):
        return Incident(
            trigger_type=TRIGGER_SCHEDULE,
            incident_id=f"schedule#{event.time}",
            incident_time=event.time,
            reason="scheduled retraining",
        )
    return Ignored(f"unsupported event: source {kind[0]!r}, detail-type {kind[1]!r}")


def _from_alarm(event: EventBridgeEvent) -> Incident | Ignored:
    detail = event.detail
    state = detail.get("state") or {}
    if state.get("value") != "ALARM":
        return Ignored(f"alarm {detail.get('alarmName')!r} went to {state.get('value')!r}, not ALARM")
    alarm_name = str(detail.get("alarmName", ""))
    timestamp = str(state.get("timestamp") or event.time)
    dimensions = _metric_dimensions(detail)
    return Incident(
        trigger_type=TRIGGER_ALARM,
        incident_id=f"alarm#{alarm_name}#{timestamp}",
        incident_time=timestamp,
        reason=str(state.get("reason", "")),
        alarm_name=alarm_name,
        endpoint_name=next((dimensions[name] for name in ENDPOINT_DIMENSIONS if name in dimensions), ""),
        monitoring_schedule=dimensions.get(SCHEDULE_DIMENSION, ""),
    )


def _metric_dimensions(detail: dict[str, Any]) -> dict[str, str]:
    """Dimensions of the alarm's metrics, the first metric's value winning (math expressions have none)."""
    found: dict[str, str] = {}
    for metric in (detail.get("configuration") or {}).get("metrics") or []:
        raw = ((metric.get("metricStat") or {}).get("metric") or {}).get("dimensions") or {}
        # The event carries a {name: value} map; accept the API's [{name, value}] list shape as well.
        pairs = raw.items() if isinstance(raw, dict) else ((d.get("name"), d.get("value")) for d in raw)
        for name, value in pairs:
            if name and value is not None:
                found.setdefault(str(name), str(value))
    return found


def _from_processing_job(event: EventBridgeEvent) -> ViolationClaim | Ignored:
    """A completed monitoring job is only a claim: violations are confirmed with ListMonitoringExecutions.

    The rule matches ``ExitMessage`` and ``MonitoringScheduleArn``, which no AWS sample of this event shows. The
    function reads only the schedule ARN (which schedule's executions to list) and the job's name (which
    execution); the exit message decides nothing. A job without a schedule ARN is left to the reconciliation.
    """
    detail = event.detail
    job_name = str(detail.get("ProcessingJobName") or "")
    if not job_name:
        job_name = str(detail.get("ProcessingJobArn") or (event.resources or [""])[0]).rsplit("/", 1)[-1]
    status = detail.get("ProcessingJobStatus")
    schedule_arn = str(detail.get("MonitoringScheduleArn") or "")
    if status != "Completed":
        return Ignored(f"processing job {job_name!r} ended {status!r}, not 'Completed'")
    if not schedule_arn or not job_name:
        return Ignored(
            f"processing job {job_name!r} names no monitoring schedule: the reconciliation checks the schedules"
        )
    return ViolationClaim(
        schedule_name=schedule_arn.rsplit("/", 1)[-1],
        processing_job_name=job_name,
        event_id=str(event.get("id") or ""),
        event_time=event.time,
    )
