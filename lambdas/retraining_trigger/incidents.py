"""Turn the EventBridge events the trigger subscribes to into one normalized Incident, a violation claim to
confirm, a reconciliation request, a reason to ignore the event, or why it is malformed.

Events are parsed into Powertools parser models (pydantic v2): the public Powertools layer is built with
``aws-lambda-powertools[all]``, which includes the ``parser`` extra and pydantic v2 (powertools-lambda-python
``layer_v3/layer_constructors/helpers.py``: ``include_extras`` installs ``[all]``; its layer canary
``layer_v3/layer/canary/app.py`` parses an event with ``envelopes.EventBridgeEnvelope``). A well-formed event of a
kind the trigger does not act on is Ignored; an event that breaks the documented shape of its kind is Malformed,
and the handler fails it (one "failed" notification, the failure metric, then Lambda's dead-letter path).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools.utilities.parser import BaseModel, Field, ValidationError, field_validator, parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from .contract import (
    EVENT_FIELDS,
    MALFORMED_ID_PREFIX,
    OPEN_MONITOR_DETAIL_TYPE,
    OPEN_MONITOR_SOURCE,
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
class OpenMonitorClaim:
    """What the open backend's event says: this schedule's execution completed with violations. To be confirmed
    by reading the execution's ``summary.json``."""

    schedule_name: str
    scheduled_time: str
    """The execution's scheduled time, UTC, whole seconds, ``Z``."""
    summary_uri: str
    event_id: str
    event_time: str

    def as_incident(self) -> Incident:
        """The claim as an incident, only to report it (unconfirmed or failed); never decided on."""
        return Incident(
            trigger_type=TRIGGER_MONITOR_VIOLATION,
            incident_id=f"monitor-event#{self.schedule_name}#{self.scheduled_time}",
            incident_time=self.event_time,
            reason=(
                f"event claims the execution of {self.schedule_name} scheduled at {self.scheduled_time} found "
                "violations"
            ),
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


@dataclass(frozen=True)
class Malformed:
    """An event that breaks the documented shape of its kind: why, and what it is as far as it could be read."""

    why: str
    digest: str
    """SHA-256 of the event's canonical JSON: the same bad event, redelivered or retried, has the same digest."""
    trigger_type: str = ""
    event_time: str = ""

    def as_incident(self) -> Incident:
        """The bad event as an incident, only to report it; never decided on."""
        return Incident(
            trigger_type=self.trigger_type,
            incident_id=MALFORMED_ID_PREFIX + self.digest,
            incident_time=self.event_time,
            reason=f"malformed event: {self.why}",
        )


class MalformedEventError(ValueError):
    """Raised for a Malformed event, so that Lambda counts the invocation as failed and, once its retries are
    spent, sends the event to the on-failure destination (the dead-letter queue)."""


# --- Parser models -------------------------------------------------------------------------------------------
# Only the fields the trigger reads are declared; others are ignored (pydantic's default), so AWS adding a field
# breaks nothing. Required here means: the trigger cannot tell the incident without it.


class _TriggerEnvelope(EventBridgeModel):
    """The EventBridge envelope (Powertools' model), with ``time`` only as the ISO 8601 text EventBridge sends.

    Pydantic would also read a number as seconds since the epoch; the incident ids are built from the text.
    """

    @field_validator("time", mode="before")
    @classmethod
    def _time_is_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be an ISO 8601 timestamp string")
        return value


def _iso_8601(value: str | None) -> str | None:
    if value is not None:
        datetime.fromisoformat(value)  # a ValueError names the bad text
    return value


class _Dimension(BaseModel):
    name: str
    value: str


class _MetricIdentity(BaseModel):
    # The event carries a {name: value} map; the API's [{name, value}] list shape is accepted as well.
    dimensions: dict[str, str] | list[_Dimension] | None = None


class _MetricStat(BaseModel):
    metric: _MetricIdentity | None = None


class _AlarmMetric(BaseModel):
    metric_stat: _MetricStat | None = Field(default=None, alias="metricStat")  # math expressions have none


class _AlarmConfiguration(BaseModel):
    metrics: list[_AlarmMetric] | None = None  # composite alarms have none


class _AlarmState(BaseModel):
    # CloudWatch's alarm states (botocore cloudwatch/2010-08-01/service-2.json, shape StateValue).
    value: Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
    reason: str = ""
    timestamp: str | None = None

    _timestamp_parses = field_validator("timestamp")(_iso_8601)


class AlarmStateChange(BaseModel):
    """``detail`` of "CloudWatch Alarm State Change" (CloudWatch user guide, "Alarm events and EventBridge":
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html)."""

    alarm_name: str = Field(alias="alarmName", min_length=1)
    state: _AlarmState
    configuration: _AlarmConfiguration | None = None


class AlarmStateChangeEvent(_TriggerEnvelope):
    detail: AlarmStateChange


class ProcessingJobStateChange(BaseModel):
    """``detail`` of "SageMaker Processing Job State Change" (SageMaker developer guide, "Events that Amazon
    SageMaker AI sends to Amazon EventBridge": https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
    The fields are DescribeProcessingJob's; the status values are botocore's ``ProcessingJobStatus``."""

    processing_job_status: Literal["InProgress", "Completed", "Failed", "Stopping", "Stopped"] = Field(
        alias="ProcessingJobStatus"
    )
    processing_job_name: str | None = Field(default=None, alias="ProcessingJobName")
    processing_job_arn: str | None = Field(default=None, alias="ProcessingJobArn")
    monitoring_schedule_arn: str | None = Field(default=None, alias="MonitoringScheduleArn")


class ProcessingJobStateChangeEvent(_TriggerEnvelope):
    detail: ProcessingJobStateChange


# MonitoringScheduleName in botocore's sagemaker model; the open backend's schedules are named alike.
_SCHEDULE_NAME = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"


class OpenMonitorExecution(BaseModel):
    """``detail`` of the open backend's "Monitoring Execution Status Change" event (the library's own event, put
    by the monitor's workflow once per execution; the fields the trigger reads)."""

    monitoring_schedule_name: str = Field(alias="monitoringScheduleName", pattern=_SCHEDULE_NAME)
    monitoring_execution_status: Literal["Completed", "CompletedWithViolations", "Failed"] = Field(
        alias="monitoringExecutionStatus"
    )
    scheduled_time: str = Field(alias="scheduledTime", min_length=1)
    verdict: str | None = None
    summary_uri: str | None = Field(default=None, alias="summaryUri", pattern=r"^s3://[^/]+/.+$")
    failure_reason: str | None = Field(default=None, alias="failureReason")

    _scheduled_time_parses = field_validator("scheduled_time")(_iso_8601)


class OpenMonitorExecutionEvent(_TriggerEnvelope):
    detail: OpenMonitorExecution


def to_incident(
    event: Any,
) -> Incident | ViolationClaim | OpenMonitorClaim | ReconcileRequest | Ignored | Malformed:
    """The incident an event reports, the violation it claims, a reconciliation request, why it is none, or why
    it is malformed."""
    if not isinstance(event, dict):
        # Powertools' parse would read a string as JSON; EventBridge always invokes with a JSON object.
        return _malformed(event, f"the event must be a JSON object, got {type(event).__name__}")
    try:
        envelope = parse(event=event, model=_TriggerEnvelope)
    except ValidationError as error:
        return _malformed(event, f"not an EventBridge event: {_problems(error)}")
    kind = (envelope.source, envelope.detail_type)
    if kind == (ALARM_SOURCE, ALARM_DETAIL_TYPE):
        try:
            alarm = parse(event=event, model=AlarmStateChangeEvent)
        except ValidationError as error:
            return _malformed(event, f"{ALARM_DETAIL_TYPE}: {_problems(error)}", TRIGGER_ALARM)
        return _from_alarm(alarm, event_time=event["time"])
    if kind == (PROCESSING_JOB_SOURCE, PROCESSING_JOB_DETAIL_TYPE):
        try:
            job = parse(event=event, model=ProcessingJobStateChangeEvent)
        except ValidationError as error:
            return _malformed(
                event, f"{PROCESSING_JOB_DETAIL_TYPE}: {_problems(error)}", TRIGGER_MONITOR_VIOLATION
            )
        return _from_processing_job(job, event_time=event["time"])
    if kind == (OPEN_MONITOR_SOURCE, OPEN_MONITOR_DETAIL_TYPE):
        try:
            execution = parse(event=event, model=OpenMonitorExecutionEvent)
        except ValidationError as error:
            return _malformed(
                event, f"{OPEN_MONITOR_DETAIL_TYPE}: {_problems(error)}", TRIGGER_MONITOR_VIOLATION
            )
        return _from_open_monitor(execution, raw=event)
    if kind == (RECONCILE_SOURCE, RECONCILE_DETAIL_TYPE):
        return ReconcileRequest(event_time=event["time"])
    if kind == (SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE):
        return Incident(
            trigger_type=TRIGGER_SCHEDULE,
            incident_id=f"schedule#{event['time']}",
            incident_time=event["time"],
            reason="scheduled retraining",
        )
    return Ignored(f"unsupported event: source {kind[0]!r}, detail-type {kind[1]!r}")


def event_digest(event: Any) -> str:
    """SHA-256 of the event's canonical JSON (sorted keys; what JSON cannot hold, as its text)."""
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _malformed(event: Any, why: str, trigger_type: str = "") -> Malformed:
    time = event.get("time") if isinstance(event, dict) else None
    return Malformed(
        why=why,
        digest=event_digest(event),
        trigger_type=trigger_type,
        event_time=time if isinstance(time, str) else "",
    )


def _problems(error: ValidationError, limit: int = 5) -> str:
    """``location: message; ...`` of a pydantic ValidationError, at most ``limit`` problems."""
    problems = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'event'}: {problem['msg']}"
        for problem in error.errors(include_url=False)[:limit]
    ]
    if error.error_count() > limit:
        problems.append(f"and {error.error_count() - limit} more")
    return "; ".join(problems)


def _from_alarm(event: AlarmStateChangeEvent, *, event_time: str) -> Incident | Ignored:
    detail = event.detail
    if detail.state.value != "ALARM":
        return Ignored(f"alarm {detail.alarm_name!r} went to {detail.state.value!r}, not ALARM")
    timestamp = detail.state.timestamp or event_time
    dimensions = _metric_dimensions(detail.configuration)
    return Incident(
        trigger_type=TRIGGER_ALARM,
        incident_id=f"alarm#{detail.alarm_name}#{timestamp}",
        incident_time=timestamp,
        reason=detail.state.reason,
        alarm_name=detail.alarm_name,
        endpoint_name=next((dimensions[name] for name in ENDPOINT_DIMENSIONS if name in dimensions), ""),
        monitoring_schedule=dimensions.get(SCHEDULE_DIMENSION, ""),
    )


def _metric_dimensions(configuration: _AlarmConfiguration | None) -> dict[str, str]:
    """Dimensions of the alarm's metrics, the first metric's value winning (math expressions have none)."""
    found: dict[str, str] = {}
    for metric in (configuration.metrics if configuration else None) or []:
        identity = metric.metric_stat.metric if metric.metric_stat else None
        raw = identity.dimensions if identity else None
        pairs = raw.items() if isinstance(raw, dict) else ((d.name, d.value) for d in raw or [])
        for name, value in pairs:
            if name:
                found.setdefault(name, value)
    return found


def _from_processing_job(
    event: ProcessingJobStateChangeEvent, *, event_time: str
) -> ViolationClaim | Ignored:
    """A completed monitoring job is only a claim: violations are confirmed with ListMonitoringExecutions.

    The rule matches ``ExitMessage`` and ``MonitoringScheduleArn``, which no AWS sample of this event shows. The
    function reads only the schedule ARN (which schedule's executions to list) and the job's name (which
    execution); the exit message decides nothing. A job without a schedule ARN is left to the reconciliation.
    """
    detail = event.detail
    job_name = detail.processing_job_name or ""
    if not job_name:
        job_name = (detail.processing_job_arn or (event.resources or [""])[0]).rsplit("/", 1)[-1]
    status = detail.processing_job_status
    schedule_arn = detail.monitoring_schedule_arn or ""
    if status != "Completed":
        return Ignored(f"processing job {job_name!r} ended {status!r}, not 'Completed'")
    if not schedule_arn or not job_name:
        return Ignored(
            f"processing job {job_name!r} names no monitoring schedule: the reconciliation checks the schedules"
        )
    return ViolationClaim(
        schedule_name=schedule_arn.rsplit("/", 1)[-1],
        processing_job_name=job_name,
        event_id=event.id,
        event_time=event_time,
    )


def _from_open_monitor(
    event: OpenMonitorExecutionEvent, *, raw: dict[str, Any]
) -> OpenMonitorClaim | Ignored | Malformed:
    """An open-backend execution that reports violations is a claim, confirmed by its ``summary.json``; any
    other status (Completed, with or without enough data, or Failed) starts nothing."""
    detail = event.detail
    scheduled = utc_text(detail.scheduled_time)
    status = detail.monitoring_execution_status
    if status != "CompletedWithViolations":
        verdict = f", verdict {detail.verdict!r}" if detail.verdict else ""
        failure = f": {detail.failure_reason}" if detail.failure_reason else ""
        return Ignored(
            f"open monitor {detail.monitoring_schedule_name} execution scheduled at {scheduled} ended "
            f"{status!r}{verdict}{failure}, not 'CompletedWithViolations'"
        )
    if detail.summary_uri is None:
        return _malformed(
            raw,
            f"{OPEN_MONITOR_DETAIL_TYPE}: detail.summaryUri: required when monitoringExecutionStatus is "
            "'CompletedWithViolations'",
            TRIGGER_MONITOR_VIOLATION,
        )
    return OpenMonitorClaim(
        schedule_name=detail.monitoring_schedule_name,
        scheduled_time=scheduled,
        summary_uri=detail.summary_uri,
        event_id=event.id,
        event_time=raw["time"],
    )


def utc_text(value: str | datetime) -> str:
    """UTC, whole seconds, ``Z``: the same text for the same instant (a naive time is taken as UTC)."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
