"""The DataQuality monitor type: per-feature statistics in Model Monitor's format and its constraint checks.

Statistics (``statistics.json``, the layout of Model Monitor's data quality statistics, SageMaker Developer Guide
"Schema for Statistics", https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html):
counts, mean, sum, standard deviation, min and max are exact and merge exactly across instances (see
:mod:`.partials`); the 10 ``kll`` buckets and the ``sketch`` (128 quantiles, one level) are read off a histogram on
a fixed grid, so they are approximate (each value is placed within its grid interval) but identical whichever way
the data was split.

Checks (``constraint_violations.json``, "Schema for Violations",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html, against a
``constraints.json`` as in "Schema for Constraints",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html). Per feature, the
``monitoring_config`` values can be overridden by the same keys in the feature's ``monitoringConfigOverrides``
(the schema leaves that object open; this is our reading of it):

- ``data_type_check``: the share of present values that do not fit the baseline's ``inferred_type`` (Integral takes
  whole numbers, ``25.0`` included, as JSON encoders often write them; Fractional takes any number; String
  anything) is above ``datatype_check_threshold``;
- ``completeness_check``: the share of records with the feature present is below the feature's ``completeness``;
- ``baseline_drift_check``: see below;
- ``missing_column_check``: a baseline feature absent from every record; ``extra_column_check``: a column beyond
  the baseline's (named ``_c<i>`` for a positional row, by key for a JSON object) in at least one record;
- ``categorical_values_check``: the share of a String feature's values outside ``string_constraints.domains`` is
  above ``domain_content_threshold``;
- non-negativity (``num_constraints.is_non_negative``) is reported as a ``data_type_check``, as Model Monitor has no
  check type of its own for it.

Drift (``distribution_constraints``). The distance is Deequ's, the library behind Model Monitor's data quality
container (awslabs/deequ ``analyzers/Distance.scala``): the L-infinity distance between the baseline's and the
window's cumulative distributions, the baseline taken from the KLL sketch in its ``statistics.json`` (items of
level ``i`` weigh ``2**i``). Here the window's distribution is exact, so the distance is the two-sample
Kolmogorov-Smirnov statistic ``D`` of the baseline sketch against the window. ``comparison_method`` ``Simple`` uses
``D``; ``Robust`` uses Deequ's small-sample correction ``max(0, D - 1.8 * sqrt((n + m) / (n m)))`` with ``n`` the
baseline count and ``m`` the window count. String features use the L-infinity distance of the value frequencies
(Deequ's ``categoricalDistance``) with ``categorical_comparison_threshold`` (default ``comparison_threshold``);
only the ``LInfinity`` categorical method is implemented (``ChiSquared`` skips the comparison).

**Small windows are never drift.** A window with fewer than ``minSamples`` records is ``insufficient-data``: its
statistics and its non-null/mean metrics are reported, but no check runs at all (not only drift: completeness and
type shares over a handful of records are noise too), so the run is ``Completed`` with no violations. In a larger
window a feature drifts only if its distance is above the threshold **and** the two-sample Kolmogorov-Smirnov test
rejects "same distribution" at ``significance``: ``D > c(a) * sqrt((n + m) / (n m))`` with ``c(a) = sqrt(-ln(a / 2)
/ 2)`` (the asymptotic critical value; https://en.wikipedia.org/wiki/Kolmogorov%E2%80%93Smirnov_test). The same
test, with the frequencies' distance, gates categorical drift. ``n`` is the baseline feature's ``num_present``
(else the baseline's ``item_count``), ``m`` the window's count of numbers (or of values). Config defaults:
``minSamples`` 100, ``significance`` 0.01. ``benchmarks/false_alarms.py`` measures the rule on undrifted windows.

Features are ``config["features"]`` (in order), else the baseline statistics' features, else named after the first
record (``_c0``, ``_c1``... for a positional row, as Spark names header-less CSV columns; its keys for a JSON
object). Without a baseline, statistics are written and no check runs.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from . import dq_checks, report
from .capture import Record
from .dq_checks import FRACTIONAL, INTEGRAL, STRING, UNKNOWN, sketch_items
from .partials import CategoryCounts, ExactSum, GridHistogram, square_terms

CHUNK = 10000
"""Records buffered before a vectorised update."""
FALLBACK_GRID = sorted({0.0} | {s * 10.0 ** (k / 16.0) for s in (-1.0, 1.0) for k in range(-96, 193)})
"""Grid of a feature without a baseline sketch: 0 and +-10**(k/16) from 1e-6 to 1e12."""


class _Feature:
    def __init__(self, grid: list[float], as_text: bool) -> None:
        self.present = 0
        self.missing = 0
        self.integral = 0
        self.fractional = 0
        self.strings = 0
        self.negatives = 0
        self.low = math.inf
        self.high = -math.inf
        self.sum = ExactSum()
        self.squares = ExactSum()
        self.overflow = False
        self.hist = GridHistogram(grid)
        self.cats = CategoryCounts()
        self.as_text = as_text

    def add(self, column: tuple[Any, ...] | list[Any]) -> None:
        """Add one chunk of the column's cells (any types, ``None`` for missing)."""
        if not self.as_text:
            numbers = _all_numbers(column)
            if numbers is not None:
                self.add_numbers(numbers)
                return
        values = [v for v in column if v is not None]
        self.missing += len(column) - len(values)
        numbers, integral, fractional, strings, unusable = _parse(values)
        self.missing += unusable
        self.present += len(values) - unusable
        self.integral += integral
        self.fractional += fractional
        self.strings += len(strings)
        self._numbers(numbers)
        if self.as_text:
            self.cats.add(v if isinstance(v, str) else repr(v) for v in values)
        elif strings:
            self.cats.add(strings)

    def add_numbers(self, numbers: np.ndarray) -> None:
        """Add one chunk of cells that are all present, finite numbers."""
        whole = int(np.count_nonzero(numbers == np.floor(numbers)))
        self.present += int(numbers.size)
        self.integral += whole
        self.fractional += int(numbers.size) - whole
        self._numbers(numbers)

    def _numbers(self, numbers: np.ndarray) -> None:
        if not numbers.size:
            return
        self.negatives += int(np.count_nonzero(numbers < 0))
        self.low = min(self.low, float(numbers.min()))
        self.high = max(self.high, float(numbers.max()))
        self.sum.add(numbers)
        squares = square_terms(numbers)
        if np.isfinite(squares).all():
            self.squares.add(squares)
        else:
            self.overflow = True
        self.hist.add(numbers)

    def merge(self, other: _Feature) -> None:
        for name in ("present", "missing", "integral", "fractional", "strings", "negatives"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self.sum.merge(other.sum)
        self.squares.merge(other.squares)
        self.overflow = self.overflow or other.overflow
        self.hist.merge(other.hist)
        self.cats.merge(other.cats)

    def to_json(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "missing": self.missing,
            "integral": self.integral,
            "fractional": self.fractional,
            "strings": self.strings,
            "negatives": self.negatives,
            "min": self.low if math.isfinite(self.low) else None,
            "max": self.high if math.isfinite(self.high) else None,
            "sum": self.sum.terms,
            "squares": self.squares.terms,
            "overflow": self.overflow,
            "histogram": self.hist.to_json(),
            "categories": self.cats.to_json(),
            "asText": self.as_text,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Feature:
        feature = cls(data["histogram"]["points"], bool(data["asText"]))
        for name in ("present", "missing", "integral", "fractional", "strings", "negatives"):
            setattr(feature, name, int(data[name]))
        feature.low = math.inf if data["min"] is None else float(data["min"])
        feature.high = -math.inf if data["max"] is None else float(data["max"])
        feature.sum = ExactSum(data["sum"])
        feature.squares = ExactSum(data["squares"])
        feature.overflow = bool(data["overflow"])
        feature.hist = GridHistogram.from_json(data["histogram"])
        feature.cats = CategoryCounts.from_json(data["categories"])
        return feature

    def inferred_type(self) -> str:
        """Deequ types a column String if any value is; here a column stays numeric while most values are numbers,
        so that one stray value does not hide the numbers' statistics (the data type check still counts it)."""
        if self.present == 0:
            return UNKNOWN
        if self.strings * 2 > self.present:
            return STRING
        return FRACTIONAL if self.fractional else INTEGRAL


def _all_numbers(cells: Any) -> np.ndarray | None:
    """The cells as float64 if every one is a finite number (numeric text included), else ``None``: one numpy
    conversion instead of a Python loop, for the common all-numeric chunk."""
    try:
        array = np.array(cells)
    except (ValueError, TypeError):
        return None
    if array.dtype.kind not in "Ufi" or array.size == 0:
        return None
    try:
        numbers = array.astype(np.float64)
    except (ValueError, OverflowError):
        return None
    return numbers if np.isfinite(numbers).all() else None


def _parse(values: list[Any]) -> tuple[np.ndarray, int, int, list[str], int]:
    """``(numbers, integral count, fractional count, non-numeric strings, unusable count)`` of present values.

    A number is Integral when its value is whole (``25``, ``25.0``, ``"25.00"``), else Fractional: JSON encoders
    commonly write whole numbers as ``25.0``, and such values fit an Integral column. NaN or infinite JSON numbers
    count as missing; text that is not a finite number is a string.
    """
    numbers: np.ndarray | None = None
    strings: list[str] = []
    unusable = 0
    if values and all(type(v) is str for v in values):
        try:
            numbers = np.array(values).astype(np.float64)
        except ValueError:
            numbers = None
        if numbers is not None and not np.isfinite(numbers).all():
            numbers = None
    if numbers is None:
        out: list[float] = []
        for v in values:
            kind = type(v)
            if kind is float or kind is int:
                try:
                    number = float(v)
                except OverflowError:
                    strings.append(str(v))
                    continue
                if math.isfinite(number):
                    out.append(number)
                else:
                    unusable += 1
                continue
            try:
                number = float(v)
            except ValueError:
                strings.append(v)
                continue
            if math.isfinite(number):
                out.append(number)
            else:
                strings.append(v)
        numbers = np.asarray(out, dtype=np.float64)
    integral = int(np.count_nonzero(numbers == np.floor(numbers)))
    return numbers, integral, int(numbers.size) - integral, strings, unusable


class Partial:
    """The DataQuality partial: per-feature accumulators plus column-layout counts (see the ``run`` interface)."""

    def __init__(self, names: list[str] | None, grids: dict[str, list[float]], text: list[str]) -> None:
        self.names: list[str] | None = None
        self.records = 0
        self.widths: dict[int, int] = {}  # positional rows by width
        self.seen: dict[str, int] = {}  # named rows: rows holding each key
        self.features: list[_Feature] = []
        self._grids = grids
        self._text = set(text)
        self._buffer: list[list[Any]] = []
        if names is not None:
            self._start(names)

    def _start(self, names: list[str]) -> None:
        self.names = list(names)
        self._index = set(self.names)
        self.features = [_Feature(self._grids.get(n, FALLBACK_GRID), n in self._text) for n in self.names]

    def add(self, record: Record) -> None:
        features = record.features
        if self.names is None:
            self._start(list(record.names) if record.names else [f"_c{i}" for i in range(len(features))])
        names = self.names
        assert names is not None
        if record.names is None:
            width = len(features)
            self.widths[width] = self.widths.get(width, 0) + 1
            values = features if width == len(names) else record.ordered(names)[0]
        else:
            for key in record.names:
                self.seen[key] = self.seen.get(key, 0) + 1
            values = record.ordered(names)[0]
        self.records += 1
        self._buffer.append(values)
        if len(self._buffer) >= CHUNK:
            self._flush()

    def array_width(self) -> int | None:
        """The row width :meth:`add_array` takes in bulk (the features' count), or ``None`` while the features are
        not known yet or one of them is read as text."""
        if not self.names or any(f.as_text for f in self.features):
            return None
        return len(self.names)

    def add_array(self, rows: np.ndarray) -> None:
        """Add the positional rows of a 2-D numeric array (one row per record, columns in feature order), as
        :meth:`add` would add each row as a :class:`.capture.Record` of numbers, without a Python step per row or
        per value: the bulk entry for callers holding arrays (the capture reader's fast path, benchmarks)."""
        matrix = np.asarray(rows)
        if matrix.ndim != 2 or matrix.dtype.kind not in "fiu":
            raise ValueError(
                f"add_array takes a 2-D numeric array, got {matrix.ndim} dimensions of {matrix.dtype}"
            )
        count, width = matrix.shape
        if count == 0:
            return
        if self.names is None:
            self._start([f"_c{i}" for i in range(width)])
        names = self.names
        assert names is not None
        numbers = matrix.astype(np.float64, copy=False)
        if width != len(names) or any(f.as_text for f in self.features) or not np.isfinite(numbers).all():
            for values in matrix.tolist():  # the rare case: the per-record path handles padding, text and NaN
                self.add(Record(values))
            return
        self._flush()
        self.widths[width] = self.widths.get(width, 0) + count
        self.records += count
        for j, feature in enumerate(self.features):
            feature.add_numbers(np.ascontiguousarray(numbers[:, j]))

    def _flush(self) -> None:
        if not self._buffer:
            return
        buffer, self._buffer = self._buffer, []
        matrix = None if any(f.as_text for f in self.features) else _all_numbers(buffer)
        if matrix is not None and matrix.ndim == 2:
            for j, feature in enumerate(self.features):
                feature.add_numbers(matrix[:, j])
            return
        for feature, column in zip(self.features, zip(*buffer)):
            feature.add(column)

    def merge(self, other: Partial) -> None:
        self._flush()
        other._flush()
        if other.names is None:
            return
        if self.names is None:  # this one saw nothing: take the other's layout and grids as they are
            self.names = list(other.names)
            self._index = set(self.names)
            self.features = [_Feature.from_json(f.to_json()) for f in other.features]
            self.records = other.records
            self.widths = dict(other.widths)
            self.seen = dict(other.seen)
            return
        if self.names != other.names:
            raise ValueError(f"cannot merge partials of different features: {self.names} and {other.names}")
        self.records += other.records
        for width, n in other.widths.items():
            self.widths[width] = self.widths.get(width, 0) + n
        for key, n in other.seen.items():
            self.seen[key] = self.seen.get(key, 0) + n
        for mine, their in zip(self.features, other.features):
            mine.merge(their)

    def to_json(self) -> dict[str, Any]:
        self._flush()
        return {
            "names": self.names,
            "records": self.records,
            "widths": {str(k): v for k, v in sorted(self.widths.items())},
            "seen": dict(sorted(self.seen.items())),
            "features": [f.to_json() for f in self.features],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Partial:
        partial = cls(None, {}, [])
        if data.get("names") is not None:
            partial.names = list(data["names"])
            partial._index = set(partial.names)
            partial.features = [_Feature.from_json(f) for f in data["features"]]
        partial.records = int(data.get("records", 0))
        partial.widths = {int(k): int(v) for k, v in dict(data.get("widths", {})).items()}
        partial.seen = {str(k): int(v) for k, v in dict(data.get("seen", {})).items()}
        return partial

    def column_presence(self) -> tuple[dict[str, int], dict[str, int]]:
        """Rows in which each baseline column exists, and each extra column with the rows holding it."""
        names = self.names or []
        present = {name: self.seen.get(name, 0) for name in names}
        extra = {k: n for k, n in self.seen.items() if k not in present}
        for width, n in self.widths.items():
            for i in range(width):
                if i < len(names):
                    present[names[i]] += n
                else:
                    extra[f"_c{i}"] = extra.get(f"_c{i}", 0) + n
        return present, extra


def load_baseline(baseline_dir: str | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(statistics.json, constraints.json)`` of the baseline folder; ``None`` where absent."""
    if not baseline_dir:
        return None, None
    stats = report.load_json(os.path.join(baseline_dir, "statistics.json"))
    constraints = report.load_json(os.path.join(baseline_dir, "constraints.json"))
    return stats, constraints


def new_partial(config: dict[str, Any], baseline_dir: str | None) -> Partial:
    """An empty partial for the window: features from ``config["features"]``, else the baseline statistics, else the
    first record; each numeric feature's grid holds its baseline sketch items (so the drift distance is exact)."""
    stats, constraints = load_baseline(baseline_dir)
    baseline = {str(f["name"]): f for f in (stats or {}).get("features", [])}
    typed = {str(f["name"]): f.get("inferred_type") for f in (constraints or {}).get("features", [])}
    names = config.get("features") or ([str(f["name"]) for f in stats["features"]] if stats else None)
    grids = {}
    for name, feature in baseline.items():
        items, _ = sketch_items(feature)
        if items.size:
            grids[name] = sorted(set(items.tolist()) | set(FALLBACK_GRID))
    text = [n for n, f in baseline.items() if (typed.get(n) or f.get("inferred_type")) == STRING]
    return Partial(list(names) if names else None, grids, text)


def finish(config: dict[str, Any], partial: Partial, baseline_dir: str | None) -> report.Result:
    """Statistics, checks and metrics of the window (see the module docstring)."""
    partial.to_json()  # flushes the buffer
    stats, constraints = load_baseline(baseline_dir)
    present, extra = partial.column_presence()
    return dq_checks.evaluate(
        config, partial.names or [], partial.features, partial.records, present, extra, stats, constraints
    )
