"""Decide whether an incident starts the retraining pipeline, start it, and tell the topic.

Plain functions with their clients passed in; handler.py wires them to the Lambda runtime.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from .contract import (
    DECISION_FAILED,
    DECISION_SKIPPED_COOLDOWN,
    DECISION_SKIPPED_DUPLICATE,
    DECISION_SKIPPED_RUNNING,
    DECISION_SKIPPED_STALE,
    DECISION_SKIPPED_UNCONFIRMED,
    DECISION_STARTED,
    ENV_COOLDOWN_SECONDS,
    ENV_EVENT_PARAMETERS,
    ENV_IDEMPOTENCY_TTL_SECONDS,
    ENV_MAX_TRIGGER_AGE_SECONDS,
    ENV_MONITORING_SCHEDULES,
    ENV_OPEN_MONITORS,
    ENV_PIPELINE_NAME,
    ENV_STATIC_PARAMETERS,
    ENV_TABLE_NAME,
    ENV_TOPIC_ARN,
    ENV_VIOLATION_LOOKBACK_SECONDS,
    EVENT_FIELDS,
    LOCK_ID_PREFIX,
    PARAMETER_NAME_PATTERN,
    TABLE_PARTITION_KEY,
)
from .incidents import Incident
from .open_violations import OpenMonitor, parse_open_monitors

logger = Logger(child=True)

_Seconds = TypeVar("_Seconds", int, None)

# ListPipelineExecutions statuses that mean a run is still using the pipeline.
ACTIVE_STATUSES = frozenset({"Executing", "Stopping"})
RECENT_EXECUTIONS = 20
"""Page size of ListPipelineExecutions (the API allows 1-100)."""
MAX_EXECUTION_PAGES = 50
"""At most this many pages are read looking for an incident's own execution (1000 executions)."""
CLOCK_SKEW_SECONDS = 3600
"""An incident's execution is looked for among executions started at most this long before the incident's time."""
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86400
DEFAULT_LEASE_SECONDS = 60
"""Start lease when the caller does not say (the construct's function timeout is 1 minute)."""
# API limits of StartPipelineExecution.
MAX_PARAMETERS = 200
MAX_PARAMETER_VALUE = 1024
MAX_DESCRIPTION = 3072
MAX_DISPLAY_NAME = 82
DISPLAY_NAME_PREFIX = "retrain-"
"""Every execution this function starts has a display name that begins so."""
DEFAULT_VIOLATION_LOOKBACK_SECONDS = 86400
SCHEDULE_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
"""MonitoringScheduleName in botocore's sagemaker model (1-63 characters)."""

SUBJECTS = {
    DECISION_STARTED: "Retraining started",
    DECISION_SKIPPED_RUNNING: "Retraining skipped: running",
    DECISION_SKIPPED_COOLDOWN: "Retraining skipped: cooldown",
    DECISION_SKIPPED_UNCONFIRMED: "Retraining skipped: violations not confirmed",
    DECISION_SKIPPED_STALE: "Retraining skipped: stale event",
    DECISION_FAILED: "Retraining failed",
}
"""SNS subjects by decision (SNS allows 100 printable ASCII characters)."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The function's configuration, as the RetrainingTrigger construct sets it in the environment."""

    pipeline_name: str
    table_name: str
    topic_arn: str
    cooldown_seconds: int
    static_parameters: dict[str, str] = field(default_factory=dict)
    event_parameters: dict[str, str] = field(default_factory=dict)
    monitoring_schedules: tuple[str, ...] = ()
    open_monitors: tuple[OpenMonitor, ...] = ()
    violation_lookback_seconds: int = DEFAULT_VIOLATION_LOOKBACK_SECONDS
    idempotency_ttl_seconds: int = DEFAULT_IDEMPOTENCY_TTL_SECONDS
    max_trigger_age_seconds: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read and check the environment; one ValueError names every problem."""
        problems: list[str] = []

        def required(name: str) -> str:
            value = environ.get(name, "").strip()
            if not value:
                problems.append(f"{name} must be set")
            return value

        pipeline_name = required(ENV_PIPELINE_NAME)
        table_name = required(ENV_TABLE_NAME)
        topic_arn = required(ENV_TOPIC_ARN)
        cooldown = _whole_seconds(required(ENV_COOLDOWN_SECONDS), ENV_COOLDOWN_SECONDS, 0, 0, problems)

        static = _json_object(environ, ENV_STATIC_PARAMETERS, problems)
        for name, value in static.items():
            if not isinstance(value, str | int | float | bool):
                problems.append(
                    f"{ENV_STATIC_PARAMETERS}[{name!r}] must be a string or number, got {value!r}"
                )
        static_parameters = {name: _parameter_value(value) for name, value in static.items()}
        event_parameters = _json_object(environ, ENV_EVENT_PARAMETERS, problems)
        for name, source in event_parameters.items():
            if source not in EVENT_FIELDS:
                problems.append(
                    f"{ENV_EVENT_PARAMETERS}[{name!r}] must be one of {EVENT_FIELDS}, got {source!r}"
                )
        names = {*static, *event_parameters}
        for name in sorted(names):
            if not re.fullmatch(PARAMETER_NAME_PATTERN, name):
                problems.append(f"pipeline parameter name {name!r} must match {PARAMETER_NAME_PATTERN}")
        if len(names) > MAX_PARAMETERS:
            problems.append(f"at most {MAX_PARAMETERS} pipeline parameters are allowed, got {len(names)}")
        schedules = _schedule_names(environ, problems)
        open_monitors = parse_open_monitors(environ.get(ENV_OPEN_MONITORS, ""), problems)
        lookback = _whole_seconds(
            environ.get(ENV_VIOLATION_LOOKBACK_SECONDS, "").strip(),
            ENV_VIOLATION_LOOKBACK_SECONDS,
            DEFAULT_VIOLATION_LOOKBACK_SECONDS,
            1,
            problems,
        )
        ttl = _whole_seconds(
            environ.get(ENV_IDEMPOTENCY_TTL_SECONDS, "").strip(),
            ENV_IDEMPOTENCY_TTL_SECONDS,
            DEFAULT_IDEMPOTENCY_TTL_SECONDS,
            None,
            problems,
        )
        max_age = _whole_seconds(
            environ.get(ENV_MAX_TRIGGER_AGE_SECONDS, "").strip(),
            ENV_MAX_TRIGGER_AGE_SECONDS,
            None,
            1,
            problems,
        )
        if problems:
            raise ValueError("invalid retraining trigger configuration: " + "; ".join(problems))
        return cls(
            pipeline_name=pipeline_name,
            table_name=table_name,
            topic_arn=topic_arn,
            cooldown_seconds=cooldown,
            static_parameters=static_parameters,
            event_parameters={name: str(source) for name, source in event_parameters.items()},
            monitoring_schedules=schedules,
            open_monitors=open_monitors,
            violation_lookback_seconds=lookback,
            idempotency_ttl_seconds=ttl,
            max_trigger_age_seconds=max_age,
        )


def _whole_seconds(
    text: str, name: str, default: _Seconds, minimum: int | None, problems: list[str]
) -> int | _Seconds:
    """A whole number of seconds from an environment variable's text; ``default`` when it is empty or invalid."""
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        problems.append(f"{name} must be a whole number of seconds, got {text!r}")
        return default
    if minimum is not None and value < minimum:
        problems.append(f"{name} must be {minimum} or more, got {value}")
    return value


def _schedule_names(environ: Mapping[str, str], problems: list[str]) -> tuple[str, ...]:
    text = environ.get(ENV_MONITORING_SCHEDULES, "").strip() or "[]"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(f"{ENV_MONITORING_SCHEDULES} must be a JSON list: {error}")
        return ()
    if not isinstance(value, list) or not all(
        isinstance(name, str) and re.fullmatch(SCHEDULE_NAME_PATTERN, name) for name in value
    ):
        problems.append(
            f"{ENV_MONITORING_SCHEDULES} must be a JSON list of schedule names matching {SCHEDULE_NAME_PATTERN}, "
            f"got {text!r}"
        )
        return ()
    return tuple(value)


def _json_object(environ: Mapping[str, str], name: str, problems: list[str]) -> dict[str, Any]:
    text = environ.get(name, "").strip() or "{}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(f"{name} must be a JSON object: {error}")
        return {}
    if not isinstance(value, dict):
        problems.append(f"{name} must be a JSON object, got {text!r}")
        return {}
    return value


def _parameter_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- What the start request is made of ----------------------------------------------------------------------
def client_request_token(pipeline: str, incident: Incident) -> str:
    """Deterministic StartPipelineExecution token (64 hex characters, within the IdempotencyToken shape's 32-128
    in botocore's sagemaker model): SageMaker runs one execution per token, so a retry after a lost response
    cannot start a second one. The pipeline is part of it: two pipelines triggered by one incident (two
    RetrainingTriggers on one alarm) must not share a token."""
    return hashlib.sha256(f"{pipeline}\n{incident.incident_id}".encode()).hexdigest()


def execution_display_name(pipeline: str, incident: Incident) -> str:
    """``retrain-<trigger type>-<12 hex of the token>``, within the API's ``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}``.

    The same incident always gets the same name, which lets a retried invocation recognise the execution that an
    earlier attempt started.
    """
    raw = f"{DISPLAY_NAME_PREFIX}{incident.trigger_type}-{client_request_token(pipeline, incident)[:12]}"
    name = re.sub(r"[^a-zA-Z0-9-]+", "-", raw).strip("-")
    return name[:MAX_DISPLAY_NAME].rstrip("-") or "retrain"


def pipeline_parameters(settings: Settings, incident: Incident) -> list[dict[str, str]]:
    """Static parameters, then event parameters (which win on a shared name), values cut to the API's 1024.

    An event parameter whose field the incident leaves empty (a schedule names no alarm) is left out, so the
    pipeline's default applies.
    """
    fields = incident.as_dict()
    values = dict(settings.static_parameters)
    values.update(
        {name: fields[source] for name, source in settings.event_parameters.items() if fields[source]}
    )
    return [{"Name": name, "Value": value[:MAX_PARAMETER_VALUE]} for name, value in values.items()]


def start_request(settings: Settings, incident: Incident) -> dict[str, Any]:
    """The StartPipelineExecution request for an incident."""
    request: dict[str, Any] = {
        "PipelineName": settings.pipeline_name,
        "PipelineExecutionDisplayName": execution_display_name(settings.pipeline_name, incident),
        "PipelineExecutionDescription": (incident.reason or incident.incident_id)[:MAX_DESCRIPTION],
        "ClientRequestToken": client_request_token(settings.pipeline_name, incident),
    }
    parameters = pipeline_parameters(settings, incident)
    if parameters:
        request["PipelineParameters"] = parameters
    return request


# --- The decision ---------------------------------------------------------------------------------------------
class Deferred(Exception):  # noqa: N818 - a decision, not an error
    """Another incident holds the start lease: whether it starts is not known yet, so this incident is decided
    again later (the handler raises it, and Lambda retries the invocation after the lease has ended)."""

    def __init__(self, holder: str, lease_until: int) -> None:
        super().__init__(
            f"incident {holder} holds the start lease until {_iso(lease_until)}: decided again on retry"
        )
        self.holder = holder
        self.lease_until = lease_until


def decide(
    incident: Incident,
    *,
    settings: Settings,
    sagemaker: Any,
    dynamodb: Any,
    now: int,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
) -> dict[str, Any]:
    """Skip if a run is active or a start happened within the cooldown, else start it.

    Single-flight whatever the cooldown: an incident starts only while it holds the pipeline's start lease, a
    conditional write that expires after ``lease_seconds`` (the invocation's remaining time, so a killed
    invocation holds it no longer than it could have lived). The cooldown rests on the start record, written
    only after StartPipelineExecution returned an execution ARN. While another incident holds the lease this
    raises Deferred.

    Returns the decision as a JSON-ready dict (decision, reason, pipeline, incident and, when started,
    execution_arn). Raises the service's error when listing, locking or starting fails; a failed start releases
    the lease first, so a retry can start.
    """
    pipeline = settings.pipeline_name
    display_name = execution_display_name(pipeline, incident)

    own, executions = _find_execution(sagemaker, pipeline, display_name, incident)
    if own is not None:
        arn, started = own["PipelineExecutionArn"], own.get("StartTime")
        if isinstance(started, datetime) and started.timestamp() < now - settings.idempotency_ttl_seconds:
            # A redelivery after the incident was forgotten: the invocation that started it finished long ago
            # (and told the topic), so this is a duplicate, neither counted nor published again.
            return _decision(
                DECISION_SKIPPED_DUPLICATE,
                f"execution {arn} was started for this incident at {_iso(int(started.timestamp()))}, more than "
                f"{settings.idempotency_ttl_seconds} s ago: a late redelivery",
                settings,
                incident,
                execution_arn=arn,
            )
        # An earlier attempt of this incident started it and then timed out or crashed before recording.
        return _decision(
            DECISION_STARTED,
            f"execution {arn} was already started for this incident",
            settings,
            incident,
            execution_arn=arn,
        )
    active = [e for e in executions if e.get("PipelineExecutionStatus") in ACTIVE_STATUSES]
    if active:
        arn, status = active[0]["PipelineExecutionArn"], active[0]["PipelineExecutionStatus"]
        return _decision(
            DECISION_SKIPPED_RUNNING, f"execution {arn} of {pipeline} is {status}", settings, incident
        )

    holder = _acquire_lease(dynamodb, settings, incident, now, lease_seconds)
    if holder is not None:
        lease_until = int(holder.get("lease_until", {}).get("N", "0"))
        leaseholder = holder.get("lease_holder", {}).get("S")
        if leaseholder and leaseholder != incident.incident_id and lease_until > now:
            raise Deferred(leaseholder, lease_until)
        last = int(holder.get("last_started_at", {}).get("N", "0"))
        started_for = holder.get("incident_id", {}).get("S", "unknown")
        execution = holder.get("execution_arn", {}).get("S", "an execution")
        return _coalesce(
            dynamodb,
            settings,
            last,
            _decision(
                DECISION_SKIPPED_COOLDOWN,
                f"{execution} of {pipeline} was started at {_iso(last)} for incident {started_for}; the "
                f"cooldown of {settings.cooldown_seconds} s allows the next start after "
                f"{_iso(last + settings.cooldown_seconds)}",
                settings,
                incident,
            ),
        )

    # The record names the starts it saw; a start this trigger made (display name "retrain-...") within the
    # cooldown but never recorded (its invocation was killed after starting) holds the next start back too.
    recent = [
        e
        for e in executions
        if str(e.get("PipelineExecutionDisplayName", "")).startswith(DISPLAY_NAME_PREFIX)
        and isinstance(e.get("StartTime"), datetime)
        and e["StartTime"].timestamp() > now - settings.cooldown_seconds
    ]
    if recent:
        _release_lease(dynamodb, settings, incident)
        last_start = max(recent, key=lambda e: e["StartTime"])
        last = int(last_start["StartTime"].timestamp())
        return _coalesce(
            dynamodb,
            settings,
            last,
            _decision(
                DECISION_SKIPPED_COOLDOWN,
                f"execution {last_start['PipelineExecutionArn']} of {pipeline} was started at {_iso(last)}; "
                f"the cooldown of {settings.cooldown_seconds} s allows the next start after "
                f"{_iso(last + settings.cooldown_seconds)}",
                settings,
                incident,
            ),
        )

    try:
        execution_arn = sagemaker.start_pipeline_execution(**start_request(settings, incident))[
            "PipelineExecutionArn"
        ]
    except Exception:
        _release_lease(dynamodb, settings, incident)
        raise
    coalesced = _record_start(dynamodb, settings, incident, execution_arn, now)
    started = _decision(
        DECISION_STARTED,
        f"started {pipeline} for {incident.trigger_type} incident {incident.incident_id}",
        settings,
        incident,
        execution_arn=execution_arn,
    )
    if coalesced:
        started[COALESCED] = coalesced
    return started


def _find_execution(
    sagemaker: Any, pipeline: str, display_name: str, incident: Incident
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(the incident's own execution or None, the newest page of executions).

    Pages through ListPipelineExecutions, newest first, until the execution named ``display_name`` turns up, the
    pages reach executions started before the incident (less CLOCK_SKEW_SECONDS), or MAX_EXECUTION_PAGES.
    """
    not_before = _parse_time(incident.incident_time)
    if not_before is not None:
        not_before -= timedelta(seconds=CLOCK_SKEW_SECONDS)
    request: dict[str, Any] = {
        "PipelineName": pipeline,
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "MaxResults": RECENT_EXECUTIONS,
    }
    newest: list[dict[str, Any]] | None = None
    for _ in range(MAX_EXECUTION_PAGES):
        page = sagemaker.list_pipeline_executions(**request)
        summaries: list[dict[str, Any]] = page.get("PipelineExecutionSummaries", [])
        if newest is None:
            newest = summaries
        for summary in summaries:
            if summary.get("PipelineExecutionDisplayName") == display_name:
                return summary, newest
        oldest = summaries[-1].get("StartTime") if summaries else None
        if not page.get("NextToken") or (
            not_before is not None and isinstance(oldest, datetime) and oldest < not_before
        ):
            break
        request["NextToken"] = page["NextToken"]
    return None, newest or []


def _parse_time(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _decision(
    decision: str, reason: str, settings: Settings, incident: Incident, *, execution_arn: str | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "decision": decision,
        "reason": reason,
        "pipeline": settings.pipeline_name,
        "incident": incident.as_dict(),
    }
    if execution_arn:
        result["execution_arn"] = execution_arn
    return result


def unconfirmed(pipeline: str, incident: Incident, why: str) -> dict[str, Any]:
    """The DECISION_SKIPPED_UNCONFIRMED decision for a violation claim the API does not confirm."""
    return {
        "decision": DECISION_SKIPPED_UNCONFIRMED,
        "reason": why,
        "pipeline": pipeline,
        "incident": incident.as_dict(),
    }


def event_age_seconds(event_time: str | None, now: int) -> int | None:
    """Seconds since an EventBridge event's ``time`` (ISO 8601), or None when it has none that parses."""
    parsed = _parse_time(event_time or "")
    return None if parsed is None else now - int(parsed.timestamp())


def stale(pipeline: str, incident: Incident, age: int, max_age: int) -> dict[str, Any]:
    """The DECISION_SKIPPED_STALE decision for an event older than the maximum trigger age."""
    return {
        "decision": DECISION_SKIPPED_STALE,
        "reason": f"the event is {age} s old, older than the maximum trigger age of {max_age} s",
        "pipeline": pipeline,
        "incident": incident.as_dict(),
    }


def failure(pipeline: str, incident: Incident, error: BaseException) -> dict[str, Any]:
    """The DECISION_FAILED decision for an error."""
    return {
        "decision": DECISION_FAILED,
        "reason": describe_error(error),
        "pipeline": pipeline,
        "incident": incident.as_dict(),
    }


def describe_error(error: BaseException) -> str:
    """``Code: message`` of an AWS error, ``Type: message`` of anything else."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Unknown')}: {details.get('Message', str(error))}"
    return f"{type(error).__name__}: {error}"


def _iso(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- The per-pipeline start lease and start record --------------------------------------------------------------------------
def lock_key(settings: Settings) -> dict[str, Any]:
    """Key of the pipeline's lock item."""
    return {TABLE_PARTITION_KEY: {"S": LOCK_ID_PREFIX + settings.pipeline_name}}


def _acquire_lease(
    dynamodb: Any, settings: Settings, incident: Incident, now: int, lease_seconds: int
) -> dict[str, Any] | None:
    """Take the pipeline's start lease, unless another incident holds it or a recorded start is within the
    cooldown.

    One conditional write decides between concurrent incidents (DynamoDB evaluates a condition and applies its
    update atomically). The incident that holds the lease may take it again: that is a retry whose earlier
    attempt died between leasing and starting. Returns None when taken, else the item as it was.
    """
    try:
        dynamodb.update_item(
            TableName=settings.table_name,
            Key=lock_key(settings),
            UpdateExpression="SET lease_holder = :incident, lease_until = :until",
            ConditionExpression=(
                "(attribute_not_exists(lease_until) OR lease_until <= :now OR lease_holder = :incident) "
                "AND (attribute_not_exists(last_started_at) OR last_started_at <= :cutoff)"
            ),
            ExpressionAttributeValues={
                ":now": {"N": str(now)},
                ":until": {"N": str(now + max(1, lease_seconds))},
                ":cutoff": {"N": str(now - settings.cooldown_seconds)},
                ":incident": {"S": incident.incident_id},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        holder: dict[str, Any] = dict(error.response.get("Item") or {})  # type: ignore[call-overload]
        return holder
    return None


def _release_lease(dynamodb: Any, settings: Settings, incident: Incident) -> None:
    """Give the lease back after a failed start, if this incident still holds it.

    Best effort: the start's error is the one to raise. A lease left behind ends by itself at lease_until.
    """
    try:
        dynamodb.update_item(
            TableName=settings.table_name,
            Key=lock_key(settings),
            UpdateExpression="REMOVE lease_holder, lease_until",
            ConditionExpression="lease_holder = :incident",
            ExpressionAttributeValues={":incident": {"S": incident.incident_id}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            logger.warning("Could not release the start lease after a failed start", exc_info=True)


def _record_start(dynamodb: Any, settings: Settings, incident: Incident, execution_arn: str, now: int) -> int:
    """Record the start that happened (the cooldown rests on it) and end the lease, in one write.

    The same write closes the cooldown window of the previous start: it removes the window's count of coalesced
    skips and returns it (0 when there is none), for the start's message to carry.

    A failure here is logged, not raised: raising would report a started pipeline as failed. The lease then
    ends at lease_until, and until the run ends its listing (skipped-running) holds other incidents back; the
    count is then reported by the next window's first published skip.
    """
    try:
        response = dynamodb.update_item(
            TableName=settings.table_name,
            Key=lock_key(settings),
            UpdateExpression=(
                "SET last_started_at = :now, incident_id = :incident, execution_arn = :arn "
                f"REMOVE lease_holder, lease_until, {COOLDOWN_WINDOW}, {COOLDOWN_COALESCED}"
            ),
            ConditionExpression="lease_holder = :incident",
            ExpressionAttributeValues={
                ":now": {"N": str(now)},
                ":arn": {"S": execution_arn},
                ":incident": {"S": incident.incident_id},
            },
            # UPDATED_OLD: the attributes the write changed (removed ones included) as they were before it.
            # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValues
            ReturnValues="UPDATED_OLD",
        )
    except ClientError:
        logger.warning("Could not record the start on the start lock", exc_info=True)
        return 0
    return _coalesced_count(response.get("Attributes"))


# --- Coalescing the skips of one cooldown window ----------------------------------------------------------------------
COOLDOWN_WINDOW = "cooldown_window"
"""Lock item attribute: the start time (epoch seconds) of the cooldown window whose first skip was published."""
COOLDOWN_COALESCED = "cooldown_coalesced"
"""Lock item attribute: how many later skips of that window were coalesced (logged and counted, not published)."""
COALESCED = "coalesced"
"""Decision key: how many skipped-cooldown decisions since the last published one were not published."""
NOTIFY = "notify"
"""Decision key, False on a coalesced decision: the handler logs and counts it but does not publish it."""


def _coalesced_count(attributes: Mapping[str, Any] | None) -> int:
    return int(((attributes or {}).get(COOLDOWN_COALESCED) or {}).get("N", "0"))


def _coalesce(dynamodb: Any, settings: Settings, window: int, decision: dict[str, Any]) -> dict[str, Any]:
    """Publish one skipped-cooldown decision per cooldown window (the window of the start at ``window``).

    A flapping alarm sends an ALARM event per flap. The first skip of a window claims the window on the lock
    item and is published, carrying the count coalesced in the previous window if that was never reported;
    every later skip of the same window only adds 1 to the window's count (DynamoDB ``ADD``) and is marked not
    to be published. The next start removes the count and reports it (``_record_start``). Both writes are
    conditional on the window, so concurrent skips agree on which one is published. A failed write publishes:
    an extra message is better than a lost one.
    """
    key = lock_key(settings)
    window_value = {":window": {"N": str(window)}}
    try:
        for _ in range(2):
            try:
                dynamodb.update_item(
                    TableName=settings.table_name,
                    Key=key,
                    UpdateExpression=f"ADD {COOLDOWN_COALESCED} :one",
                    ConditionExpression=f"{COOLDOWN_WINDOW} = :window",
                    ExpressionAttributeValues={**window_value, ":one": {"N": "1"}},
                )
                return {
                    **decision,
                    NOTIFY: False,
                    "reason": f"{decision['reason']} (coalesced: this cooldown window's first skip was published)",
                }
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
            try:
                response = dynamodb.update_item(
                    TableName=settings.table_name,
                    Key=key,
                    UpdateExpression=f"SET {COOLDOWN_WINDOW} = :window, {COOLDOWN_COALESCED} = :zero",
                    ConditionExpression=f"attribute_not_exists({COOLDOWN_WINDOW}) OR {COOLDOWN_WINDOW} <> :window",
                    ExpressionAttributeValues={**window_value, ":zero": {"N": "0"}},
                    ReturnValues="UPDATED_OLD",
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                continue  # a concurrent skip claimed the window first: this one is coalesced
            coalesced = _coalesced_count(response.get("Attributes"))
            return {**decision, COALESCED: coalesced} if coalesced else decision
    except ClientError:
        logger.warning("Could not coalesce the cooldown skip: it is published", exc_info=True)
    return decision


# --- Notification ------------------------------------------------------------------------------------------
MESSAGE_KEYS = ("decision", "reason", "pipeline", "incident", "execution_arn", "coalesced")
"""What a published (and logged) decision holds."""


def message_fields(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The MESSAGE_KEYS a decision has."""
    return {key: decision[key] for key in MESSAGE_KEYS if key in decision}


def publish(sns: Any, topic_arn: str, decision: Mapping[str, Any]) -> str:
    """Publish a decision as JSON with a ``decision`` message attribute; returns the SNS message id."""
    message = message_fields(decision)
    attributes = {"decision": {"DataType": "String", "StringValue": decision["decision"]}}
    trigger_type = (decision.get("incident") or {}).get("trigger_type")
    if trigger_type:
        attributes["trigger_type"] = {"DataType": "String", "StringValue": trigger_type}
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=SUBJECTS.get(decision["decision"], "Retraining decision"),
        Message=json.dumps(message, indent=2),
        MessageAttributes=attributes,
    )
    return str(response["MessageId"])
