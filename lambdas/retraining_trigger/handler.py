"""Start the retraining pipeline at most once per incident.

EventBridge invokes this function asynchronously with CloudWatch alarm state changes, Model Monitor violations,
the open monitoring backend's execution events, scheduled events and the reconciliation of monitoring executions;
Lambda retries a failed invocation and then hands it to the dead-letter destination, so every fault is raised,
never swallowed. The handler only routes: ``incidents.py`` parses an event into an Incident (or a violation
claim, a reconciliation request, a reason to ignore it, or why it is malformed), ``violations.py`` confirms
Model Monitor violations and lists them with the Model Monitor API, ``open_violations.py`` does the same for the
open backend from its ``summary.json`` objects in S3, ``decisions.py`` decides, starts the pipeline and publishes
the decision.

Configuration comes from the environment (names in ``contract.py``). The state table name and the idempotency
TTL are read at import, because the persistence layer is built once per container; everything else is read per
invocation. Tests therefore set the environment (and start their AWS mock) before importing this module, or
reload it afterwards.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, NoReturn

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError

from .budget import CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, CallBudget
from .contract import (
    DECISION_DEFERRED,
    DECISION_IGNORED,
    DECISION_RECONCILED,
    DECISION_SKIPPED_DUPLICATE,
    DECISION_STARTED,
    ENV_IDEMPOTENCY_TTL_SECONDS,
    ENV_PIPELINE_NAME,
    ENV_TABLE_NAME,
    ENV_TOPIC_ARN,
    METRIC_DEFERRED,
    METRIC_FAILURES,
    METRIC_PIPELINES_STARTED,
    METRIC_SKIPPED,
    METRIC_SKIPPED_REASON_DIMENSION,
    METRIC_TRIGGERS_RECEIVED,
    SKIP_REASONS,
    TABLE_PARTITION_KEY,
    TABLE_TTL_ATTRIBUTE,
    TRIGGER_MONITOR_VIOLATION,
)
from .decisions import (
    DEFAULT_IDEMPOTENCY_TTL_SECONDS,
    NOTIFY,
    Deferred,
    Settings,
    decide,
    event_age_seconds,
    failure,
    message_fields,
    publish,
    stale,
    unconfirmed,
)
from .incidents import (
    Ignored,
    Incident,
    Malformed,
    MalformedEventError,
    OpenMonitorClaim,
    ReconcileRequest,
    ViolationClaim,
    to_incident,
)
from .open_violations import confirm_open, reconcile_open
from .violations import Unconfirmed, confirm, reconcile_timed

REPLAYED = "replayed"
"""Key the idempotency response hook adds to a decision that comes from the table rather than this call."""

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# Throttling is retried here, with client-side rate limiting once SageMaker or DynamoDB push back, but never
# past the invocation's end: `budget` stops the retries in time to release the lease and notify (budget.py).
BOTO_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
)
sagemaker = boto3.client("sagemaker", config=BOTO_CONFIG)
# Model Monitor calls (ListMonitoringExecutions) go through a client of their own, so tests can put botocore's
# Stubber on exactly the calls moto does not implement while the pipeline calls run against moto.
monitoring = boto3.client("sagemaker", config=BOTO_CONFIG)
sns = boto3.client("sns", config=BOTO_CONFIG)
dynamodb = boto3.client("dynamodb", config=BOTO_CONFIG)
# The open monitoring backend's summaries (GetObject, ListObjectsV2 on the wired monitors' report prefixes).
s3 = boto3.client("s3", config=BOTO_CONFIG)
budget = CallBudget()
for _client in (sagemaker, monitoring, sns, dynamodb, s3):
    budget.attach(_client)


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    """Idempotency response hook: Powertools calls it only for a decision read back from the table."""
    return {**(response or {}), REPLAYED: True}


persistence_layer = DynamoDBPersistenceLayer(
    table_name=os.environ[ENV_TABLE_NAME],
    key_attr=TABLE_PARTITION_KEY,
    expiry_attr=TABLE_TTL_ATTRIBUTE,
    boto3_client=dynamodb,
)
idempotency_config = IdempotencyConfig(
    event_key_jmespath="incident_id",
    expires_after_seconds=int(os.environ.get(ENV_IDEMPOTENCY_TTL_SECONDS, DEFAULT_IDEMPOTENCY_TTL_SECONDS)),
    raise_on_no_idempotency_key=True,
    response_hook=_mark_replayed,
)


@idempotent_function(
    data_keyword_argument="incident", persistence_store=persistence_layer, config=idempotency_config
)
def decide_once(
    *, incident: dict[str, str], settings: Settings, request_id: str, now: int, lease_seconds: int
) -> dict[str, Any]:
    """The idempotent unit: the first delivery of an incident decides, later ones get the stored decision.

    A raised error (Deferred included) deletes the idempotency record, so a retry decides afresh.
    """
    decision = decide(
        Incident(**incident),
        settings=settings,
        sagemaker=sagemaker,
        dynamodb=dynamodb,
        now=now,
        lease_seconds=lease_seconds,
    )
    return {**decision, "request_id": request_id}


def _now() -> int:
    return int(time.time())


def _lease_seconds(context: LambdaContext) -> int:
    """The start lease: no longer than this invocation can live, so a killed one holds it no longer."""
    return max(1, math.ceil(context.get_remaining_time_in_millis() / 1000))


@logger.inject_lambda_context(correlation_id_path="id", log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Route one EventBridge event: fail a malformed one, ignore it, confirm a claimed violation, reconcile the
    monitoring executions, or decide its incident once and publish the decision."""
    idempotency_config.register_lambda_context(context)
    budget.start(context.get_remaining_time_in_millis())
    metrics.add_metric(name=METRIC_TRIGGERS_RECEIVED, unit=MetricUnit.Count, value=1)
    found = to_incident(event)
    if isinstance(found, Malformed):
        _reject(found)
    if isinstance(found, Ignored):
        logger.info(
            "Event ignored",
            extra={
                "decision": DECISION_IGNORED,
                "reason": found.why,
                "source": event.get("source"),
                "detail_type": event.get("detail-type"),
            },
        )
        _count_skipped(DECISION_IGNORED)
        return {"decision": DECISION_IGNORED, "reason": found.why}
    if isinstance(found, ReconcileRequest):
        return _reconcile(context.aws_request_id, _lease_seconds(context))
    stale_decision = _stale(event, found)
    if stale_decision is not None:
        return stale_decision
    if isinstance(found, ViolationClaim | OpenMonitorClaim):
        confirmed = _confirm(found)
        if not isinstance(confirmed, Incident):
            return confirmed
        found = confirmed
    tracer.put_annotation(key="incident_id", value=found.incident_id)
    return _handle(found, context.aws_request_id, _lease_seconds(context))


def _stale(
    event: dict[str, Any], found: Incident | ViolationClaim | OpenMonitorClaim
) -> dict[str, Any] | None:
    """The published ``skipped-stale`` decision of an event older than the maximum trigger age, else None."""
    incident = found if isinstance(found, Incident) else found.as_incident()
    try:
        settings = Settings.from_env(os.environ)
    except Exception as error:
        _fail(incident, error)
        raise
    age = event_age_seconds(event.get("time"), _now())
    if age is None or settings.max_trigger_age_seconds is None or age <= settings.max_trigger_age_seconds:
        return None
    decision = stale(settings.pipeline_name, incident, age, settings.max_trigger_age_seconds)
    return _report_skip(settings.topic_arn, decision, "Stale event: nothing started")


def _report_skip(topic_arn: str, decision: dict[str, Any], message: str) -> dict[str, Any]:
    """Log, count and publish a decision that starts nothing. A failed publish raises, so Lambda retries the
    event, which is decided (and reported) again."""
    logger.warning(message, extra=message_fields(decision))
    _count_skipped(decision["decision"])
    try:
        publish(sns, topic_arn, decision)
    except Exception:
        logger.exception("Could not publish the decision", extra=message_fields(decision))
        metrics.add_metric(name=METRIC_FAILURES, unit=MetricUnit.Count, value=1)
        raise
    return decision


def _confirm(claim: ViolationClaim | OpenMonitorClaim) -> Incident | dict[str, Any]:
    """The incident of a claimed violation, or the published ``skipped-unconfirmed`` decision."""
    result: Incident | Unconfirmed
    try:
        settings = Settings.from_env(os.environ)
        if isinstance(claim, OpenMonitorClaim):
            result = confirm_open(s3, claim, settings.open_monitors)
        elif claim.schedule_name not in settings.monitoring_schedules:
            result = Unconfirmed(
                f"monitoring schedule {claim.schedule_name} is not wired to this trigger (add_monitor)"
            )
        else:
            result = confirm(
                monitoring, claim, lookback_seconds=settings.violation_lookback_seconds, now=_now()
            )
    except Exception as error:
        _fail(claim.as_incident(), error)
        raise
    if isinstance(result, Incident):
        return result
    decision = unconfirmed(settings.pipeline_name, claim.as_incident(), result.why)
    return _report_skip(settings.topic_arn, decision, "Violations not confirmed: nothing started")


def _reconcile(request_id: str, lease_seconds: int) -> dict[str, Any]:
    """Decide every violating execution of the wired schedules and open monitors in the lookback window (each
    once, ever), oldest first."""
    try:
        settings = Settings.from_env(os.environ)
        now = _now()
        found = reconcile_timed(
            monitoring,
            settings.monitoring_schedules,
            lookback_seconds=settings.violation_lookback_seconds,
            now=now,
        )
        found += reconcile_open(
            s3, settings.open_monitors, lookback_seconds=settings.violation_lookback_seconds, now=now
        )
        found.sort(key=lambda pair: pair[0])  # stable: a tie keeps Model Monitor's executions first
        incidents = [incident for _, incident in found]
    except Exception as error:
        _fail(_reconciliation_incident(), error)
        raise
    outcomes = [_handle(incident, request_id, lease_seconds) for incident in incidents]
    schedules = [*settings.monitoring_schedules, *(monitor.name for monitor in settings.open_monitors)]
    logger.info(
        "Reconciled monitoring executions",
        extra={"decision": DECISION_RECONCILED, "schedules": schedules, "violations": len(incidents)},
    )
    return {
        "decision": DECISION_RECONCILED,
        "schedules": schedules,
        "outcomes": [
            {"incident_id": outcome["incident"]["incident_id"], "decision": outcome["decision"]}
            for outcome in outcomes
        ],
    }


def _reconciliation_incident() -> Incident:
    """Stands for a failed reconciliation in its failure report."""
    return Incident(
        trigger_type=TRIGGER_MONITOR_VIOLATION,
        incident_id=f"reconcile#{_now()}",
        incident_time="",
        reason="reconciliation of monitoring executions",
    )


def _handle(incident: Incident, request_id: str, lease_seconds: int) -> dict[str, Any]:
    try:
        settings = Settings.from_env(os.environ)
        outcome: dict[str, Any] = decide_once(
            incident=incident.as_dict(),
            settings=settings,
            request_id=request_id,
            now=_now(),
            lease_seconds=lease_seconds,
        )
    except IdempotencyAlreadyInProgressError:
        # Another invocation is deciding this incident now; it has its own retries and dead-letter queue.
        return _duplicate(incident, "another invocation is deciding this incident right now", None)
    except Deferred as deferred:
        # Not skipped: whether the lease holder starts is unknown. Raising makes Lambda retry this invocation
        # (after the lease has ended) and, once its retries are spent, park the event in the dead-letter queue.
        logger.warning(
            "Start lease held by another incident: deferred",
            extra={
                "decision": DECISION_DEFERRED,
                "reason": str(deferred),
                "pipeline": os.environ.get(ENV_PIPELINE_NAME, ""),
                "incident": incident.as_dict(),
            },
        )
        metrics.add_metric(name=METRIC_DEFERRED, unit=MetricUnit.Count, value=1)
        raise
    except Exception as error:
        _fail(incident, error)
        raise

    if outcome.pop(REPLAYED, False):
        if outcome.pop("request_id", None) != request_id:
            return _duplicate(incident, f"already decided: {outcome['decision']}", outcome)
        # Lambda retries a failed invocation under the same request id: the earlier attempt decided (and
        # counted) but failed before its notification went out, so only the notification is repeated.
        logger.info("Retried invocation: publishing the stored decision again", extra=message_fields(outcome))
    else:
        outcome.pop("request_id", None)
        _count(outcome["decision"])
        logger.info(f"Retraining decision: {outcome['decision']}", extra=message_fields(outcome))
    tracer.put_annotation(key="decision", value=outcome["decision"])
    if outcome["decision"] == DECISION_SKIPPED_DUPLICATE:
        return outcome  # a late redelivery: the start was told when it happened
    if outcome.get(NOTIFY) is False:
        # A flap within a cooldown window whose first skip was published: logged and counted above, and
        # counted on the lock item for the next published decision to report (decisions._coalesce).
        return outcome

    try:
        publish(sns, settings.topic_arn, outcome)
    except Exception:
        # Raising makes Lambda retry this invocation, which then only publishes (see above).
        logger.exception("Could not publish the decision", extra=message_fields(outcome))
        metrics.add_metric(name=METRIC_FAILURES, unit=MetricUnit.Count, value=1)
        raise
    return outcome


def _duplicate(incident: Incident, reason: str, previous: dict[str, Any] | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "decision": DECISION_SKIPPED_DUPLICATE,
        "reason": reason,
        "incident": incident.as_dict(),
    }
    if previous is not None:
        result["previous"] = previous
    logger.info("Duplicate delivery: nothing to do", extra=message_fields(result))
    _count(DECISION_SKIPPED_DUPLICATE)
    return result


def _fail(incident: Incident, error: Exception) -> None:
    """Log, count and (best effort) publish a failure; the caller re-raises the error."""
    decision = failure(os.environ.get(ENV_PIPELINE_NAME, ""), incident, error)
    logger.exception("Retraining trigger failed", extra=message_fields(decision))
    metrics.add_metric(name=METRIC_FAILURES, unit=MetricUnit.Count, value=1)
    topic_arn = os.environ.get(ENV_TOPIC_ARN, "")
    if not topic_arn:
        logger.error(f"{ENV_TOPIC_ARN} is not set: the failure is not published")
        return
    try:
        publish(sns, topic_arn, decision)
    except Exception:
        # The original error matters more and is re-raised by the caller; this one is only logged.
        logger.exception("Could not publish the failure")


def _reject(malformed: Malformed) -> NoReturn:
    """Fail a malformed event: told once, counted once, then raised so that it ends in the dead-letter queue.

    Raising makes Lambda retry the invocation (twice, under the same request id) and then send the event, with
    the error, to the function's on-failure destination: the dead-letter queue where the other undecidable
    events are parked (Lambda developer guide, "Error handling and automatic retries in Lambda" and "Capturing
    records of Lambda asynchronous invocations"). The retries, and an EventBridge redelivery of the same event,
    parse it the same way; a record of the event's digest in the state table keeps them from telling (and
    counting) it again. If that record cannot be written, the failure is told anyway: a second message is better
    than none. If the message cannot be published, the record is removed so that the retry tells it; the failure
    metric then counts both attempts, since the first could tell nobody.
    """
    incident = malformed.as_incident()
    error = MalformedEventError(malformed.why)
    decision = failure(os.environ.get(ENV_PIPELINE_NAME, ""), incident, error)
    logger.error("Malformed event: nothing started", extra=message_fields(decision))
    if _first_report(incident.incident_id):
        metrics.add_metric(name=METRIC_FAILURES, unit=MetricUnit.Count, value=1)
        topic_arn = os.environ.get(ENV_TOPIC_ARN, "")
        try:
            publish(sns, topic_arn, decision)
        except Exception:
            # Forget the report, so that Lambda's retry of this invocation tells it; the event still fails.
            logger.exception("Could not publish the failure", extra=message_fields(decision))
            _forget_report(incident.incident_id)
    else:
        logger.info("Malformed event already reported: not told again", extra=message_fields(decision))
    raise error


def _report_key(incident_id: str) -> dict[str, Any]:
    """Item key of a malformed event's report: its incident id, MALFORMED_ID_PREFIX + digest."""
    return {TABLE_PARTITION_KEY: {"S": incident_id}}


def _first_report(incident_id: str) -> bool:
    """Record that this bad event was reported; False if a previous attempt or delivery already did."""
    ttl = int(os.environ.get(ENV_IDEMPOTENCY_TTL_SECONDS, DEFAULT_IDEMPOTENCY_TTL_SECONDS))
    try:
        dynamodb.put_item(
            TableName=os.environ[ENV_TABLE_NAME],
            Item={**_report_key(incident_id), TABLE_TTL_ATTRIBUTE: {"N": str(_now() + ttl)}},
            ConditionExpression="attribute_not_exists(#id)",
            ExpressionAttributeNames={"#id": TABLE_PARTITION_KEY},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        logger.exception("Could not record the malformed event's report: telling it anyway")
    except Exception:
        logger.exception("Could not record the malformed event's report: telling it anyway")
    return True


def _forget_report(incident_id: str) -> None:
    try:
        dynamodb.delete_item(TableName=os.environ[ENV_TABLE_NAME], Key=_report_key(incident_id))
    except Exception:
        logger.exception("Could not forget the malformed event's report: its retry will not tell it")


def _count(decision: str) -> None:
    if decision == DECISION_STARTED:
        metrics.add_metric(name=METRIC_PIPELINES_STARTED, unit=MetricUnit.Count, value=1)
    elif decision in SKIP_REASONS:
        _count_skipped(decision)


def _count_skipped(decision: str) -> None:
    # Its own EMF document: a dimension added to `metrics` would apply to every metric of the invocation.
    with single_metric(name=METRIC_SKIPPED, unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name=METRIC_SKIPPED_REASON_DIMENSION, value=SKIP_REASONS[decision])
