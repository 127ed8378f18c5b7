"""Shared arithmetic of the model quality, bias and attribution monitor types: exact sums, value parsing, attribute
look-up in a model output row, replicate membership for standard deviations, and metric data.

Python 3.8 syntax, standard library only (design14 §1).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from typing import Any

# The per-type modules' result is run.py's own (re-exported for them).
from .report import Result as Result

INFINITY = float("inf")
CLOUDWATCH_INFINITY = 2.348543e108
"""Model Monitor publishes an infinite bias metric as this value (aws-facts §4.1); CloudWatch takes no infinity."""

REPLICATES = 5
"""Model Monitor's standard deviation: "randomly sampling 80% of the data 5 times, computing the metric, and taking
the standard deviation" (Model quality metrics,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html)."""
REPLICATE_FRACTION = 0.8
MIN_SAMPLES_FOR_STD = 200
"""Same page: "Standard deviation for metrics are provided only when at least 200 samples are available"."""


class ExactSum:
    """A float sum that does not depend on the order or grouping of its terms.

    It keeps the exact sum as non-overlapping float partials (Shewchuk's algorithm, the one behind ``math.fsum``);
    :meth:`value` is the correctly rounded exact sum. Merging two sums is exact, so shards merged in any order give
    bit-for-bit the single-pass result.
    """

    __slots__ = ("partials",)

    def __init__(self, partials: Iterable[float] = ()) -> None:
        self.partials: list[float] = []
        for value in partials:
            self.add(float(value))

    def add(self, value: float) -> None:
        """Add a finite float (callers reject NaN and infinities before)."""
        kept = 0
        for other in self.partials:
            if abs(value) < abs(other):
                value, other = other, value
            high = value + other
            low = other - (high - value)
            if low:
                self.partials[kept] = low
                kept += 1
            value = high
        self.partials[kept:] = [value]

    def merge(self, other: ExactSum) -> None:
        """Add ``other``'s exact sum."""
        for value in other.partials:
            self.add(value)

    def value(self) -> float:
        """The correctly rounded sum."""
        return math.fsum(self.partials)

    def to_json(self) -> list[float]:
        """The partials (floats survive JSON exactly: ``json`` writes their shortest round-trip repr)."""
        return list(self.partials)


def clarify_divide(numerator: float, denominator: float) -> float:
    """Division as Clarify's bias metrics do it: 0/0 is 0, x/0 is an infinity of x's sign.

    Source: ``divide`` in aws/amazon-sagemaker-clarify ``src/smclarify/bias/metrics/common.py``.
    """
    if denominator == 0:
        if numerator == 0:
            return 0.0
        return -INFINITY if numerator < 0 else INFINITY
    return numerator / denominator


def safe_ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, 0 when the denominator is 0 (scikit-learn's ``zero_division=0``)."""
    return numerator / denominator if denominator else 0.0


def f_beta(precision: float, recall: float, beta: float) -> float:
    """F-beta from precision and recall; 0 when both are 0."""
    weight = beta * beta
    denominator = weight * precision + recall
    return (1 + weight) * precision * recall / denominator if denominator else 0.0


def to_float(value: Any) -> float | None:
    """A finite float from a cell (number, numeric string, ``true``/``false``), else ``None``."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        lowered = text.lower()
        if lowered == "true":
            return 1.0
        if lowered == "false":
            return 0.0
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def canonical(value: Any) -> str | None:
    """A category key: integral numbers as ``"3"`` (so ``3``, ``3.0`` and ``"3"`` agree), other numbers as their
    shortest repr, text stripped; ``None`` for a missing value."""
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in ("true", "false"):
        number = to_float(value)
        if number is not None:
            return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
    text = str(value).strip()
    return text if text else None


def _path_steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            steps.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            steps.append(int(index))
            rest = rest[1:] if rest.startswith("[") else rest
    return steps


def extract(row: Any, attribute: str | int | None) -> Any:
    """The value ``attribute`` names in a model output row (``None`` if absent).

    ``row`` is the parsed output row: a list of cells (CSV), possibly one JSON object. ``attribute`` is
    - ``None``: the row's only (or first) cell;
    - a column index, as an int or a string of digits (``"0"``): that cell of a CSV row;
    - a simple JSON path into the row's object: dotted keys and list indexes, e.g. ``score``,
      ``predictions[0].score``, ``probabilities[1]``. This is the subset of JMESPath that Model Monitor's
      attributes use in practice; filters, wildcards and functions are not supported.
    """
    if row is None:
        return None
    if attribute is None:
        return row[0] if isinstance(row, list) and row else row
    text = str(attribute).strip()
    if text.isdigit():
        index = int(text)
        if isinstance(row, list):
            if len(row) == 1 and isinstance(row[0], list):
                row = row[0]
            return row[index] if index < len(row) else None
        return None
    node: Any = row[0] if isinstance(row, list) and len(row) == 1 else row
    try:
        steps = _path_steps(text)
    except ValueError:
        return None
    for step in steps:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return None
            node = node[step]
        elif isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return None
    return node


def replicate_mask(key: str) -> int:
    """Which of the :data:`REPLICATES` 80% subsamples a record belongs to, as a bit mask.

    Membership is drawn from a hash of the record's id, so it is the same whichever shard reads the record: the
    replicates (and so the standard deviations) merge exactly.
    """
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=2 * REPLICATES).digest()
    cutoff = REPLICATE_FRACTION * 65536
    mask = 0
    for replicate in range(REPLICATES):
        draw = digest[2 * replicate] * 256 + digest[2 * replicate + 1]
        if draw < cutoff:
            mask |= 1 << replicate
    return mask


def record_key(record: Any) -> str:
    """The id a record is known by: ``inferenceId`` if captured, else ``eventId``, else its feature values."""
    for name in ("inference_id", "event_id"):
        value = getattr(record, name, None)
        if value:
            return str(value)
    return repr(getattr(record, "features", None))


def std_dev(values: list[float]) -> float:
    """Population standard deviation of the replicate metric values."""
    if not values:
        return float("nan")
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def metric_datum(name: str, value: float, dimensions: list[dict[str, str]]) -> dict[str, Any]:
    """A PutMetricData ``MetricDatum``; infinities become Model Monitor's ±2.348543e108."""
    if math.isinf(value):
        value = math.copysign(CLOUDWATCH_INFINITY, value)
    return {"MetricName": name, "Dimensions": [dict(d) for d in dimensions], "Value": value, "Unit": "None"}


def config_dimensions(config: dict[str, Any]) -> list[dict[str, str]]:
    """The ``metrics.dimensions`` of monitor.json as PutMetricData dimensions (in the config's order)."""
    metrics = config.get("metrics") or {}
    dimensions = metrics.get("dimensions") or {}
    return [{"Name": str(k), "Value": str(v)} for k, v in dimensions.items()]


def verdict(used: int, min_samples: int, violations: int) -> str:
    """design14 §1: ``no-data`` without records, ``insufficient-data`` below ``minSamples``, else by violations."""
    if used == 0:
        return "no-data"
    if used < min_samples:
        return "insufficient-data"
    return "violations" if violations else "no-violations"


def merge_counts(into: dict[str, int], other: dict[str, int]) -> None:
    """Add ``other``'s counts to ``into``."""
    for key, count in other.items():
        into[key] = into.get(key, 0) + count


# ------------------------------------------------------------------------------------ model quality: AUC counts

EXACT_SCORE_LIMIT = 20000
SCORE_BINS = 10000


class ScoreCounts:
    """Positives and negatives per score (exact) or per bin, for each replicate mask (see ``model_quality``'s AUC
    note): exact while the window has at most :data:`EXACT_SCORE_LIMIT` distinct scores, then :data:`SCORE_BINS`
    equal bins of [0, 1]."""

    def __init__(self) -> None:
        self.binned = False
        self.cells: dict[int, dict[Any, list[int]]] = {}
        self._distinct: set[float] = set()

    def add(self, mask: int, score: float, positive: bool) -> None:
        key: Any = _bin(score) if self.binned else score
        cell = self.cells.setdefault(mask, {}).setdefault(key, [0, 0])
        cell[1 if positive else 0] += 1
        if not self.binned:
            self._distinct.add(score)
            if len(self._distinct) > EXACT_SCORE_LIMIT:
                self.to_bins()

    def to_bins(self) -> None:
        if self.binned:
            return
        for mask, cells in self.cells.items():
            binned: dict[Any, list[int]] = {}
            for score, (neg, pos) in cells.items():
                cell = binned.setdefault(_bin(score), [0, 0])
                cell[0] += neg
                cell[1] += pos
            self.cells[mask] = binned
        self.binned = True
        self._distinct = set()

    def merge(self, other: ScoreCounts) -> None:
        if other.binned:
            self.to_bins()
        for mask, cells in other.cells.items():
            for key, (neg, pos) in cells.items():
                if self.binned and not other.binned:
                    self.add_count(mask, _bin(key), neg, pos)
                else:
                    self.add_count(mask, key, neg, pos)
        if not self.binned and len(self._distinct) > EXACT_SCORE_LIMIT:
            self.to_bins()

    def add_count(self, mask: int, key: Any, neg: int, pos: int) -> None:
        cell = self.cells.setdefault(mask, {}).setdefault(key, [0, 0])
        cell[0] += neg
        cell[1] += pos
        if not self.binned:
            self._distinct.add(key)

    def to_json(self) -> dict[str, Any]:
        return {
            "binned": self.binned,
            "cells": {str(m): [[k, n, p] for k, (n, p) in sorted(c.items())] for m, c in self.cells.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScoreCounts:
        scores = cls()
        scores.binned = bool(data.get("binned"))
        for mask, cells in (data.get("cells") or {}).items():
            for key, neg, pos in cells:
                scores.add_count(int(mask), int(key) if scores.binned else float(key), int(neg), int(pos))
        return scores

    def auc(self, masks: list[int]) -> tuple[float | None, float]:
        """AUC over the given masks and its error bound (0 when exact); ``None`` without both classes."""
        totals: dict[Any, list[int]] = {}
        for mask in masks:
            for key, (neg, pos) in self.cells.get(mask, {}).items():
                cell = totals.setdefault(key, [0, 0])
                cell[0] += neg
                cell[1] += pos
        negatives = sum(c[0] for c in totals.values())
        positives = sum(c[1] for c in totals.values())
        if not negatives or not positives:
            return None, 0.0
        credit = 0.0
        ties = 0
        below = 0
        for key in sorted(totals):
            neg, pos = totals[key]
            credit += pos * below + 0.5 * pos * neg
            ties += pos * neg
            below += neg
        bound = 0.5 * ties / (positives * negatives) if self.binned else 0.0
        return credit / (positives * negatives), bound


def _bin(score: float) -> int:
    return min(SCORE_BINS - 1, max(0, math.floor(score * SCORE_BINS)))


# ------------------------------------------------------------------------------------ bias: column data types

DISTINCT_LIMIT = 10000
UNIQUENESS_THRESHOLD = 0.05
"""Clarify's ``UNIQUENESS_THRESHOLD`` (``constants.py``): integer data with this share of distinct values is
continuous."""
CONTINUOUS_DISTINCT = 20
"""Integer data with more distinct values than this is continuous in any window (our addition to Clarify's rule,
so that a facet's reading does not change with the window's size)."""


class ColumnEvidence:
    """What decides a column's Clarify data type: non-null count, distinct values (capped), kinds seen."""

    def __init__(self) -> None:
        self.count = 0
        self.text = False
        self.fraction = False
        self.distinct: set[str] = set()
        self.overflow = False

    def add(self, key: str, number: float | None) -> None:
        self.count += 1
        if number is None:
            self.text = True
        elif not number.is_integer():
            self.fraction = True
        if not self.overflow:
            self.distinct.add(key)
            if len(self.distinct) > DISTINCT_LIMIT:
                self.overflow, self.distinct = True, set()

    def continuous(self, values: list[Any]) -> bool:
        """Clarify's rule (``series_datatype``) on the whole window."""
        if len(values) > 1 or self.text:
            return False
        if self.fraction or self.overflow:
            return True
        if len(self.distinct) > CONTINUOUS_DISTINCT:
            return True
        return bool(self.count) and len(self.distinct) / self.count >= UNIQUENESS_THRESHOLD

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "text": self.text,
            "fraction": self.fraction,
            "overflow": self.overflow,
            "distinct": sorted(self.distinct),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColumnEvidence:
        column = cls()
        column.count, column.text, column.fraction = int(data["count"]), data["text"], data["fraction"]
        column.overflow, column.distinct = data["overflow"], set(data["distinct"])
        return column

    def merge(self, other: ColumnEvidence) -> None:
        self.count += other.count
        self.text = self.text or other.text
        self.fraction = self.fraction or other.fraction
        self.overflow = self.overflow or other.overflow
        self.distinct = set() if self.overflow else self.distinct | other.distinct
        if len(self.distinct) > DISTINCT_LIMIT:
            self.overflow, self.distinct = True, set()
