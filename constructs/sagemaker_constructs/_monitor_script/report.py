"""What a monitor type returns (:class:`Result`), and the output files built from it (design14 §1)."""

from __future__ import annotations

import json
import math
import os
from typing import Any

METRICS_PER_BATCH = 20
"""PutMetricData takes at most 20 MetricDatum per call in the batches the workflow sends, one call per batch."""
MAX_VIOLATED_CHECKS = 20
SUMMARY_LIMIT = 60000
"""summary.json must stay under 64 KB (the workflow reads it with GetObject into its state): metric data past this
size is left out, and ``metricDataDropped`` says how many."""

NO_VIOLATIONS = "no-violations"
VIOLATIONS = "violations"
INSUFFICIENT_DATA = "insufficient-data"
NO_DATA = "no-data"


class Result:
    """The outcome of one monitor type's ``finish``.

    ``statistics``: the ``statistics.json`` document; ``violations``: Model Monitor violation dicts (``feature_name``
    or ``metric_name``, ``constraint_check_type``, ``description``); ``metric_data``: flat PutMetricData
    ``MetricDatum`` dicts (``run`` batches them); ``verdict``: one of ``no-violations``, ``violations``,
    ``insufficient-data``, ``no-data``; ``used``: records the analysis used; ``files``: extra output files by name
    (``str`` written as text, anything else as JSON), e.g. ``drift_report.html``; ``skipped``: records left out, by
    reason.
    """

    def __init__(
        self,
        statistics: dict[str, Any],
        violations: list[dict[str, Any]],
        metric_data: list[dict[str, Any]],
        verdict: str,
        used: int,
        files: dict[str, Any] | None = None,
        skipped: dict[str, int] | None = None,
    ) -> None:
        self.statistics = statistics
        self.violations = violations
        self.metric_data = metric_data
        self.verdict = verdict
        self.used = used
        self.files = dict(files or {})
        self.skipped = dict(skipped or {})


def dimensions(config: dict[str, Any], extra: dict[str, str] | None = None) -> list[dict[str, str]]:
    """``config["metrics"]["dimensions"]`` (then ``extra``) as PutMetricData ``Dimensions``."""
    merged = dict(dict(config.get("metrics") or {}).get("dimensions") or {})
    merged.update(extra or {})
    return [{"Name": str(name), "Value": str(value)} for name, value in merged.items()]


def metric_datum(
    name: str, value: float, dims: list[dict[str, str]], unit: str = "None"
) -> dict[str, Any] | None:
    """A ``MetricDatum``, or ``None`` for a value CloudWatch cannot take (NaN, infinite)."""
    if value is None or not math.isfinite(float(value)):
        return None
    return {"MetricName": name, "Dimensions": dims, "Value": float(value), "Unit": unit}


def batches(items: list[dict[str, Any]], size: int = METRICS_PER_BATCH) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def summary(config: dict[str, Any], result: Result, counts: dict[str, Any]) -> dict[str, Any]:
    """The ``summary.json`` document (design14 §1).

    ``records``: ``read`` is every record the readers produced plus every malformed unit (line, payload, file) they
    skipped; ``used`` is what the monitor type used; ``malformed`` counts the malformed units, and ``skipped`` holds
    them by reason together with the records the monitor type left out (``Result.skipped``). ``endpointName`` is
    the config's (``null`` for a batch transform monitor), so that ``RetrainingTrigger`` names the endpoint of an
    incident read from the summary alone, whether the event or the reconciliation found it.
    """
    checks = sorted({str(v.get("constraint_check_type", "")) for v in result.violations})[
        :MAX_VIOLATED_CHECKS
    ]
    skipped = dict(counts.get("reasons", {}))
    for reason, n in result.skipped.items():
        skipped[reason] = skipped.get(reason, 0) + n
    doc: dict[str, Any] = {
        "schemaVersion": "1",
        "monitoringType": config.get("monitoringType"),
        "monitoringScheduleName": config.get("monitoringScheduleName"),
        "endpointName": config.get("endpointName") or None,
        "status": "CompletedWithViolations" if result.violations else "Completed",
        "verdict": result.verdict,
        "violations": len(result.violations),
        "violatedChecks": checks,
        "records": {
            "read": int(counts.get("records", 0)) + int(counts.get("malformed", 0)),
            "used": result.used,
            "malformed": int(counts.get("malformed", 0)),
            "skipped": dict(sorted(skipped.items())),
            "files": int(counts.get("files", 0)),
        },
        "minSamples": min_samples(config),
        "namespace": dict(config.get("metrics") or {}).get("namespace"),
        "metricData": [],
    }
    kept: list[dict[str, Any]] = []
    size = len(json.dumps(doc))
    for datum in result.metric_data:
        size += len(json.dumps(datum)) + 2
        if size > SUMMARY_LIMIT:
            break
        kept.append(datum)
    doc["metricData"] = batches(kept)
    if len(kept) < len(result.metric_data):
        doc["metricDataDropped"] = len(result.metric_data) - len(kept)
    return doc


DEFAULT_MIN_SAMPLES = 100
DEFAULT_SIGNIFICANCE = 0.01


def min_samples(config: dict[str, Any]) -> int:
    """``config["minSamples"]`` (default 100): windows with fewer usable records are ``insufficient-data``."""
    value = config.get("minSamples")
    if value is None:
        return DEFAULT_MIN_SAMPLES
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"'minSamples' must be a whole number of records, 0 or more, got {value!r}")
    return value


def significance(config: dict[str, Any]) -> float:
    """``config["significance"]`` (default 0.01): the level of the drift rule's two-sample test."""
    value = config.get("significance")
    if value is None:
        return DEFAULT_SIGNIFICANCE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"'significance' must be a number between 0 and 1 (exclusive), got {value!r}")
    return float(value)


def load_json(path: str) -> Any | None:
    """The parsed file, or ``None`` if there is no such file."""
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def write_json(path: str, document: Any, *, compact: bool = False) -> None:
    """Write ``document`` as JSON (indented, or ``compact`` for machine-only files such as partials)."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        if compact:
            json.dump(document, stream, separators=(",", ":"))
        else:
            json.dump(document, stream, indent=2)
        stream.write("\n")
