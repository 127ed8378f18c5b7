"""Violations of the open monitoring backend, decided on the execution's ``summary.json``.

The open backend's workflow writes each execution's reports under ``<prefix>/yyyy/mm/dd/hh/`` (the hour of the
scheduled time, UTC), ``summary.json`` last, and then puts a "Monitoring Execution Status Change" event. The event
is only a claim: the summary object, read from the place the wired monitor writes to (never from wherever the
event points), decides, with ``status == "CompletedWithViolations"``. A lost event is made good by the
reconciliation, which lists the summaries of every hour of the lookback window.

Both paths turn one execution into the same Incident: its id is ``monitor#<schedule name>#<scheduled hour>``
(UTC, whole seconds, ``Z``; the Model Monitor path's form, violations.py) and every other field comes from the
summary object, so the idempotency record makes either path act once per execution and the pipeline gets the
same parameters whichever path came first. The hour stands for the scheduled time: the open backend runs on the
Model Monitor cron expressions, which fire on the hour, and one run prefix holds one execution.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from .contract import (
    ENV_OPEN_MONITORS,
    OPEN_MONITOR_BUCKET_KEY,
    OPEN_MONITOR_NAME_KEY,
    OPEN_MONITOR_PREFIX_KEY,
    OPEN_MONITOR_SUMMARY,
    TRIGGER_MONITOR_VIOLATION,
)
from .incidents import Incident, OpenMonitorClaim, utc_text
from .violations import VIOLATIONS_STATUS, Unconfirmed

logger = Logger(child=True)

MAX_SUMMARY_BYTES = 1024 * 1024
"""A summary is small (the design keeps it under 64 KB); a larger object is read no further than this."""
_SCHEDULE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# S3 bucket naming rules: 3-63 characters, lower-case letters, digits, dots and hyphens.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


@dataclass(frozen=True)
class OpenMonitor:
    """One wired open-backend monitor: its schedule name and where its reports are."""

    name: str
    bucket: str
    prefix: str
    """The report prefix, without leading or trailing ``/``."""

    def run_prefix(self, hour: datetime) -> str:
        """``<prefix>/yyyy/mm/dd/hh`` of the execution scheduled in ``hour`` (UTC)."""
        folder = hour.astimezone(UTC).strftime("%Y/%m/%d/%H")
        return f"{self.prefix}/{folder}" if self.prefix else folder

    def summary_key(self, hour: datetime) -> str:
        """Key of the summary of the execution scheduled in ``hour``."""
        return f"{self.run_prefix(hour)}/{OPEN_MONITOR_SUMMARY}"


def parse_open_monitors(text: str, problems: list[str]) -> tuple[OpenMonitor, ...]:
    """The wired open monitors from ENV_OPEN_MONITORS' text (empty: none); each problem is added to ``problems``."""
    try:
        value = json.loads(text.strip() or "[]")
    except json.JSONDecodeError as error:
        problems.append(f"{ENV_OPEN_MONITORS} must be a JSON list: {error}")
        return ()
    expected = (
        f'{ENV_OPEN_MONITORS} must be a JSON list of {{"{OPEN_MONITOR_NAME_KEY}": <schedule name>, '
        f'"{OPEN_MONITOR_BUCKET_KEY}": <bucket name>, "{OPEN_MONITOR_PREFIX_KEY}": <report prefix>}}'
    )
    if not isinstance(value, list):
        problems.append(f"{expected}, got {text!r}")
        return ()
    monitors: list[OpenMonitor] = []
    for number, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            problems.append(f"{expected}, got {entry!r} at index {number}")
            continue
        name, bucket, prefix = (
            entry.get(OPEN_MONITOR_NAME_KEY),
            entry.get(OPEN_MONITOR_BUCKET_KEY),
            entry.get(OPEN_MONITOR_PREFIX_KEY, ""),
        )
        if (
            not isinstance(name, str)
            or not _SCHEDULE_NAME.fullmatch(name)
            or not isinstance(bucket, str)
            or not _BUCKET_NAME.fullmatch(bucket)
            or not isinstance(prefix, str)
        ):
            problems.append(f"{expected}, got {entry!r} at index {number}")
            continue
        monitors.append(OpenMonitor(name=name, bucket=bucket, prefix=prefix.strip("/")))
    return tuple(monitors)


def scheduled_hour(scheduled_time: str) -> datetime:
    """The UTC hour of a scheduled time: the run prefix's hour."""
    when = datetime.fromisoformat(utc_text(scheduled_time))
    return when.replace(minute=0, second=0, microsecond=0)


def confirm_open(s3: Any, claim: OpenMonitorClaim, monitors: Sequence[OpenMonitor]) -> Incident | Unconfirmed:
    """The incident of the claimed execution if its summary says ``CompletedWithViolations``.

    The summary is read where the wired monitor writes it; an event whose ``summaryUri`` points elsewhere is not
    believed. A summary not (yet) there is unconfirmed, and the reconciliation acts on it once it appears.
    """
    monitor = next((m for m in monitors if m.name == claim.schedule_name), None)
    if monitor is None:
        return Unconfirmed(f"open monitor {claim.schedule_name} is not wired to this trigger (add_monitor)")
    hour = scheduled_hour(claim.scheduled_time)
    key = monitor.summary_key(hour)
    expected_uri = f"s3://{monitor.bucket}/{key}"
    if claim.summary_uri != expected_uri:
        return Unconfirmed(
            f"the event's summaryUri {claim.summary_uri} is not where {monitor.name} writes the summary of the "
            f"execution scheduled at {claim.scheduled_time} ({expected_uri})"
        )
    found = read_summary(s3, monitor.bucket, key) if _exists(s3, monitor.bucket, key) else None
    if found is None:
        return Unconfirmed(
            f"{expected_uri} does not exist (yet); the reconciliation acts on it if it appears"
        )
    summary, last_modified = found
    if not isinstance(summary, dict):
        return Unconfirmed(f"{expected_uri} is not a JSON object")
    status = summary.get("status")
    if status != VIOLATIONS_STATUS:
        verdict = f", verdict {summary.get('verdict')!r}" if summary.get("verdict") else ""
        return Unconfirmed(
            f"{expected_uri} reports {status!r}{verdict}, not {VIOLATIONS_STATUS}; the reconciliation acts on it "
            "if that changes"
        )
    if summary.get("monitoringScheduleName", monitor.name) != monitor.name:
        return Unconfirmed(
            f"{expected_uri} names schedule {summary.get('monitoringScheduleName')!r}, not {monitor.name}"
        )
    return summary_incident(monitor, hour, summary, last_modified)


def reconcile_open(
    s3: Any, monitors: Sequence[OpenMonitor], *, lookback_seconds: int, now: int
) -> list[tuple[datetime, Incident]]:
    """(scheduled hour, incident) of every execution with violations of ``monitors`` whose hour starts within the
    lookback window, oldest first.

    The day folders the window touches are listed (all pages) and the ``summary.json`` of each hour in the window
    read: one listing per day rather than one per hour, the same objects. A summary that is not a JSON object is
    logged and passed over, so that one bad object does not hold up the others.
    """
    start = datetime.fromtimestamp(now - lookback_seconds, UTC)
    end = datetime.fromtimestamp(now, UTC)
    found: list[tuple[datetime, Incident]] = []
    for monitor in monitors:
        for key, hour in _summary_keys(s3, monitor, start, end):
            read = read_summary(s3, monitor.bucket, key)
            if read is None:
                continue  # deleted between the listing and the read
            summary, last_modified = read
            if not isinstance(summary, dict):
                logger.warning(
                    "Summary is not a JSON object: passed over",
                    extra={"summary_uri": f"s3://{monitor.bucket}/{key}"},
                )
                continue
            if (
                summary.get("status") == VIOLATIONS_STATUS
                and summary.get("monitoringScheduleName", monitor.name) == monitor.name
            ):
                found.append((hour, summary_incident(monitor, hour, summary, last_modified)))
    found.sort(key=lambda pair: pair[0])
    return found


def _summary_keys(
    s3: Any, monitor: OpenMonitor, start: datetime, end: datetime
) -> Iterator[tuple[str, datetime]]:
    """(key, hour) of the summaries of the hours in [start, end], in key order."""
    base = f"{monitor.prefix}/" if monitor.prefix else ""
    pattern = re.compile(
        re.escape(base) + r"(\d{4})/(\d{2})/(\d{2})/(\d{2})/" + re.escape(OPEN_MONITOR_SUMMARY)
    )
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    paginator = s3.get_paginator("list_objects_v2")
    while day <= end:
        for page in paginator.paginate(Bucket=monitor.bucket, Prefix=base + day.strftime("%Y/%m/%d/")):
            for entry in page.get("Contents", []):
                match = pattern.fullmatch(entry["Key"])
                if match is None:
                    continue
                year, month, date, hour = (int(part) for part in match.groups())
                when = datetime(year, month, date, hour, tzinfo=UTC)
                if start <= when <= end:
                    yield entry["Key"], when
        day += timedelta(days=1)


def _exists(s3: Any, bucket: str, key: str) -> bool:
    """Whether ``key`` exists, by listing it: S3 answers GetObject of a missing key with 403 AccessDenied rather
    than 404 unless the caller may list the bucket (Amazon S3 API Reference, GetObject, "Permissions":
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), and the function may list only under
    the report prefix, which a listing request's ``s3:prefix`` shows."""
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
    return bool(listed) and listed[0]["Key"] == key


def read_summary(s3: Any, bucket: str, key: str) -> tuple[Any, datetime] | None:
    """(the parsed summary or None if it is no JSON, its LastModified), or None if the object does not exist.

    Any other error (access denied, throttling once botocore's retries are spent) is raised.
    """
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _MISSING:
            return None
        raise
    body = response["Body"].read(MAX_SUMMARY_BYTES)
    try:
        summary = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        summary = None
    return summary, response["LastModified"]


def summary_incident(
    monitor: OpenMonitor, hour: datetime, summary: Mapping[str, Any], last_modified: datetime
) -> Incident:
    """The incident of one execution with violations, from its summary object alone (either path alike)."""
    scheduled = utc_text(hour)
    violations = summary.get("violations")
    checks = summary.get("violatedChecks")
    reason = f"{VIOLATIONS_STATUS}: monitoring execution of {monitor.name} scheduled at {scheduled}"
    if isinstance(violations, int):
        reason += f", {violations} violation(s)"
    if isinstance(checks, list) and checks:
        reason += f" ({', '.join(str(check) for check in checks[:20])})"
    endpoint = summary.get("endpointName")
    return Incident(
        trigger_type=TRIGGER_MONITOR_VIOLATION,
        incident_id=f"monitor#{monitor.name}#{scheduled}",
        incident_time=utc_text(last_modified),
        reason=reason,
        monitoring_schedule=monitor.name,
        endpoint_name=endpoint if isinstance(endpoint, str) else "",
    )
