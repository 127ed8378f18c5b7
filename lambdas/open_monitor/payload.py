"""The planner's input, as the monitor's state machine builds it: checked whole, every problem named at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .contract import (
    BATCH_MANIFESTS,
    DEFAULT_END_OFFSET,
    DEFAULT_START_OFFSET,
    PAYLOAD_EXECUTION_NAME,
    PAYLOAD_MONITOR,
    PAYLOAD_SCHEDULED_TIME,
    SOURCE_BATCH_TRANSFORM,
    SOURCE_ENDPOINT,
)
from .window import MAX_DATA_WINDOW, MAX_GROUND_TRUTH_WINDOW, Window, parse_instant


class PayloadError(ValueError):
    """The payload breaks the planner's contract: every problem, by its path in the payload."""


@dataclass(frozen=True)
class Location:
    """An S3 bucket and a key prefix (without leading or trailing ``/``; may be empty)."""

    bucket: str
    prefix: str

    def key(self, *parts: str) -> str:
        """The prefix joined with ``parts`` by ``/``."""
        return "/".join(part for part in (self.prefix, *parts) if part)


@dataclass(frozen=True)
class Plan:
    """What the payload asks for."""

    scheduled: datetime
    execution_name: str
    monitor: dict[str, Any]
    source: str
    endpoint_name: str | None
    capture: Location | None
    variants: tuple[str, ...] | None
    batch_capture: Location | None
    batch_manifests: str
    ground_truth: Location | None
    window: Window
    ground_truth_window: Window
    output: Location
    kms_key_arn: str | None
    instance_count: int


def read_payload(payload: Any) -> Plan:
    """The plan of a payload. :raises PayloadError: listing every problem."""
    problems: list[str] = []
    if not isinstance(payload, Mapping):
        raise PayloadError(f"the payload must be a JSON object, got {type(payload).__name__}")
    scheduled = _instant(payload.get(PAYLOAD_SCHEDULED_TIME), PAYLOAD_SCHEDULED_TIME, problems)
    execution_name = payload.get(PAYLOAD_EXECUTION_NAME, "")
    if not isinstance(execution_name, str):
        problems.append(f"{PAYLOAD_EXECUTION_NAME} must be a string, got {execution_name!r}")
        execution_name = ""
    monitor = payload.get(PAYLOAD_MONITOR)
    if not isinstance(monitor, Mapping):
        raise PayloadError(
            "; ".join([*problems, f"{PAYLOAD_MONITOR} must be a JSON object, got {monitor!r}"])
        )
    name = monitor.get("monitoringScheduleName")
    if not isinstance(name, str) or not name:
        problems.append(f"monitor.monitoringScheduleName must be a non-empty string, got {name!r}")
    source = monitor.get("source")
    endpoint_name = monitor.get("endpointName")
    capture = variants = batch_capture = None
    batch_manifests = BATCH_MANIFESTS[0]
    if source == SOURCE_ENDPOINT:
        if not isinstance(endpoint_name, str) or not endpoint_name:
            problems.append(f"monitor.endpointName must name the endpoint, got {endpoint_name!r}")
        capture = _location(monitor.get("capture"), "monitor.capture", problems)
        raw_variants = monitor.get("variants")
        if raw_variants is not None:
            if (
                not isinstance(raw_variants, list)
                or not raw_variants
                or not all(isinstance(v, str) and v and "/" not in v for v in raw_variants)
            ):
                problems.append(
                    f"monitor.variants must be null (every variant) or a non-empty list of variant names, "
                    f"got {raw_variants!r}"
                )
            else:
                variants = tuple(raw_variants)
    elif source == SOURCE_BATCH_TRANSFORM:
        raw = monitor.get("batchCapture")
        batch_capture = _location(raw, "monitor.batchCapture", problems)
        if isinstance(raw, Mapping) and "manifests" in raw:
            if raw["manifests"] not in BATCH_MANIFESTS:
                problems.append(
                    f"monitor.batchCapture.manifests must be one of {list(BATCH_MANIFESTS)}, got {raw['manifests']!r}"
                )
            else:
                batch_manifests = raw["manifests"]
    else:
        problems.append(
            f"monitor.source must be {SOURCE_ENDPOINT!r} or {SOURCE_BATCH_TRANSFORM!r}, got {source!r}"
        )
    ground_truth = None
    if monitor.get("groundTruth") is not None:
        ground_truth = _location(monitor.get("groundTruth"), "monitor.groundTruth", problems)
    output = _location(monitor.get("output"), "monitor.output", problems)
    raw_output = monitor.get("output")
    kms_key_arn = raw_output.get("kmsKeyArn") if isinstance(raw_output, Mapping) else None
    if kms_key_arn is not None and (not isinstance(kms_key_arn, str) or not kms_key_arn):
        problems.append(f"monitor.output.kmsKeyArn must be a key ARN or null, got {kms_key_arn!r}")
        kms_key_arn = None
    instance_count = monitor.get("instanceCount", 1)
    if (
        isinstance(instance_count, bool)
        or not isinstance(instance_count, int)
        or not 1 <= instance_count <= 100
    ):
        problems.append(f"monitor.instanceCount must be a whole number from 1 to 100, got {instance_count!r}")
        instance_count = 1

    window = ground_truth_window = None
    if scheduled is not None:
        start = monitor.get("windowStartOffset", DEFAULT_START_OFFSET)
        end = monitor.get("windowEndOffset", DEFAULT_END_OFFSET)
        window = _window(
            scheduled, start, end, "monitor.windowStartOffset/windowEndOffset", MAX_DATA_WINDOW, problems
        )
        ground_truth_window = _window(
            scheduled,
            monitor.get("groundTruthStartOffset", start),
            monitor.get("groundTruthEndOffset", end),
            "monitor.groundTruthStartOffset/groundTruthEndOffset",
            MAX_GROUND_TRUTH_WINDOW,
            problems,
        )
    if problems or scheduled is None or output is None or window is None or ground_truth_window is None:
        raise PayloadError("; ".join(problems))
    return Plan(
        scheduled=scheduled,
        execution_name=execution_name,
        monitor=dict(monitor),
        source=str(source),
        endpoint_name=endpoint_name if source == SOURCE_ENDPOINT else None,
        capture=capture,
        variants=variants,
        batch_capture=batch_capture,
        batch_manifests=batch_manifests,
        ground_truth=ground_truth,
        window=window,
        ground_truth_window=ground_truth_window,
        output=output,
        kms_key_arn=kms_key_arn,
        instance_count=instance_count,
    )


def _instant(value: Any, path: str, problems: list[str]) -> datetime | None:
    try:
        return parse_instant(value)
    except ValueError as error:
        problems.append(f"{path} {error}")
        return None


def _location(value: Any, path: str, problems: list[str]) -> Location | None:
    if not isinstance(value, Mapping):
        problems.append(f'{path} must be {{"bucket": <name>, "prefix": <key prefix>}}, got {value!r}')
        return None
    bucket, prefix = value.get("bucket"), value.get("prefix", "")
    if not isinstance(bucket, str) or not bucket or "/" in bucket:
        problems.append(f"{path}.bucket must be a bucket name, got {bucket!r}")
        return None
    if not isinstance(prefix, str):
        problems.append(f"{path}.prefix must be a key prefix string, got {prefix!r}")
        return None
    return Location(bucket, prefix.strip("/"))


def _window(
    scheduled: datetime, start: Any, end: Any, path: str, limit: Any, problems: list[str]
) -> Window | None:
    try:
        return Window.of(scheduled, start, end, limit=limit)
    except ValueError as error:
        problems.append(f"{path}: {error}")
        return None
