"""What the RetrainingTrigger construct and its handler agree on: environment variables, table layout,
pipeline parameter sources and decision names. Both import this module; nothing here imports AWS SDKs."""

from __future__ import annotations

# --- Environment variables the construct sets on the function -------------------------------------------
ENV_PIPELINE_NAME = "PIPELINE_NAME"
"""Name of the SageMaker pipeline to start."""
ENV_TABLE_NAME = "STATE_TABLE_NAME"
"""DynamoDB table holding idempotency records and the per-pipeline start lock (partition key "id")."""
ENV_TOPIC_ARN = "NOTIFICATION_TOPIC_ARN"
"""SNS topic told about every decision."""
ENV_COOLDOWN_SECONDS = "COOLDOWN_SECONDS"
"""No second start within this many seconds after the last start."""
ENV_STATIC_PARAMETERS = "STATIC_PIPELINE_PARAMETERS"
"""JSON object of pipeline parameter name -> fixed value."""
ENV_EVENT_PARAMETERS = "EVENT_PIPELINE_PARAMETERS"
"""JSON object of pipeline parameter name -> one of EVENT_FIELDS (value taken from the triggering event)."""
ENV_IDEMPOTENCY_TTL_SECONDS = "IDEMPOTENCY_TTL_SECONDS"
"""How long an incident is remembered (duplicate deliveries within it start nothing)."""
ENV_MONITORING_SCHEDULES = "MONITORING_SCHEDULES"
"""JSON list of the monitoring schedule names whose violations start the pipeline (add_monitor)."""
ENV_VIOLATION_LOOKBACK_SECONDS = "VIOLATION_LOOKBACK_SECONDS"
"""How far back (by scheduled time) the function looks for monitoring executions with violations."""
ENV_MAX_TRIGGER_AGE_SECONDS = "MAX_TRIGGER_AGE_SECONDS"
"""Events older than this (by their EventBridge ``time``) start nothing: skipped-stale. Unset: no limit."""
ENV_OPEN_MONITORS = "OPEN_MONITORS"
"""JSON list of the open-backend monitors whose violations start the pipeline (add_monitor), each
``{"name": <monitoring schedule name>, "bucket": <report bucket>, "prefix": <report prefix>}``: the reports of the
execution scheduled at hour ``yyyy/mm/dd/hh`` are under ``<prefix>/yyyy/mm/dd/hh/`` (OPEN_MONITOR_* keys below)."""
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"

# --- Values taken from the triggering event ----------------------------------------------------------------
EVENT_FIELDS = (
    "trigger_type",
    "alarm_name",
    "endpoint_name",
    "monitoring_schedule",
    "reason",
    "incident_time",
    "incident_id",
)
"""Fields of the normalized incident that pipeline parameters can take (see handler.Incident)."""

# --- The reconciliation event ----------------------------------------------------------------------------
RECONCILE_SOURCE = "sagemaker-constructs.retraining"
RECONCILE_DETAIL_TYPE = "Reconcile Monitoring Executions"
"""source and detail-type of the event the construct's reconciliation rule sends (its target input): the
function then lists the recent executions of every wired monitoring schedule."""

# --- The open monitoring backend's event and reports ----------------------------------------------------
OPEN_MONITOR_SOURCE = "sagemaker-constructs.monitoring"
OPEN_MONITOR_DETAIL_TYPE = "Monitoring Execution Status Change"
"""source and detail-type of the event the open backend's workflow puts once per execution (design: the
workflow's PutEvents step); its detail names the schedule, the scheduled time, the status and ``summaryUri``."""
OPEN_MONITOR_NAME_KEY = "name"
OPEN_MONITOR_BUCKET_KEY = "bucket"
OPEN_MONITOR_PREFIX_KEY = "prefix"
"""Keys of one ENV_OPEN_MONITORS entry."""
OPEN_MONITOR_SUMMARY = "summary.json"
"""The object each execution writes last under ``<prefix>/yyyy/mm/dd/hh/``: its status and verdict."""

# --- Trigger types -----------------------------------------------------------------------------------------
TRIGGER_ALARM = "alarm"
TRIGGER_MONITOR_VIOLATION = "monitor-violation"
TRIGGER_SCHEDULE = "schedule"

# --- Decisions (also the SNS message's "decision" and the metric names' suffixes) --------------------------
DECISION_STARTED = "started"
DECISION_SKIPPED_DUPLICATE = "skipped-duplicate"
DECISION_SKIPPED_RUNNING = "skipped-running"
DECISION_SKIPPED_COOLDOWN = "skipped-cooldown"
DECISION_SKIPPED_STALE = "skipped-stale"
"""The event is older than the maximum trigger age (ENV_MAX_TRIGGER_AGE_SECONDS)."""
DECISION_SKIPPED_UNCONFIRMED = "skipped-unconfirmed"
"""An event claimed violations that ListMonitoringExecutions does not (or not yet) confirm."""
DECISION_RECONCILED = "reconciled"
"""What a reconciliation invocation returns: one decision per violating execution it found."""
DECISION_IGNORED = "ignored"
DECISION_DEFERRED = "deferred"
"""Another incident held the start lease: the invocation fails on purpose and Lambda decides it again later."""
DECISION_FAILED = "failed"

# --- Table layout ------------------------------------------------------------------------------------------
TABLE_PARTITION_KEY = "id"
TABLE_TTL_ATTRIBUTE = "expiration"
LOCK_ID_PREFIX = "start-lock#"
"""Item id of the per-pipeline lock: LOCK_ID_PREFIX + pipeline name. The start lease: lease_holder (incident id)
and lease_until (epoch seconds), held only while starting. The start record, written after a start happened:
last_started_at (epoch seconds), incident_id, execution_arn."""

MALFORMED_ID_PREFIX = "malformed#"
"""Item id of a reported malformed event: MALFORMED_ID_PREFIX + the SHA-256 of its canonical JSON, with the
table's TTL attribute; it keeps Lambda's retries and EventBridge's redeliveries of the event from telling it again."""

# --- Metrics (namespace set by the construct; names emitted by the handler) --------------------------------
METRIC_TRIGGERS_RECEIVED = "TriggersReceived"
METRIC_PIPELINES_STARTED = "PipelinesStarted"
METRIC_SKIPPED = "TriggersSkipped"
"""Dimension "reason": duplicate, running, cooldown, unconfirmed, stale, ignored."""
METRIC_SKIPPED_REASON_DIMENSION = "reason"
"""The dimension of METRIC_SKIPPED (beside Powertools' "service"), with a value of SKIP_REASONS."""
SKIP_REASONS = {
    DECISION_SKIPPED_DUPLICATE: "duplicate",
    DECISION_SKIPPED_RUNNING: "running",
    DECISION_SKIPPED_COOLDOWN: "cooldown",
    DECISION_SKIPPED_UNCONFIRMED: "unconfirmed",
    DECISION_SKIPPED_STALE: "stale",
    DECISION_IGNORED: "ignored",
}
"""Decision -> value of the METRIC_SKIPPED_REASON_DIMENSION dimension."""
METRIC_FAILURES = "TriggerFailures"
METRIC_DEFERRED = "TriggersDeferred"
"""Incidents deferred because another incident held the start lease (each is decided again on retry)."""

# SageMaker's pipeline parameter names allow [A-Za-z0-9_-], 1-256 characters.
PARAMETER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$"
