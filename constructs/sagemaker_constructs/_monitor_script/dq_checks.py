"""DataQuality's ``finish`` work: ``statistics.json``, the constraint checks and the metrics (rules documented in
:mod:`.data_quality`)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from . import report
from .partials import categorical_distance

INTEGRAL, FRACTIONAL, STRING, UNKNOWN = "Integral", "Fractional", "String", "Unknown"
DEEQU_ROBUST_FACTOR = 1.8
"""awslabs/deequ ``Distance.selectMetrics``: the robust L-infinity distance subtracts ``1.8 * sqrt((n+m)/(n*m))``."""
SKETCH_SIZE = 128
BUCKETS = 10
KLL_PARAMETERS = {"c": 0.64, "k": 2048.0}
OTHER = "__other__"
"""Key of the values folded past the category cap when comparing frequencies."""

DEFAULT_CONFIG: dict[str, Any] = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 0.1,
    "domain_content_threshold": 0.1,
}
DEFAULT_DISTRIBUTION: dict[str, Any] = {
    "perform_comparison": "Enabled",
    "comparison_threshold": 0.1,
    "comparison_method": "Robust",
    "categorical_drift_method": "LInfinity",
}


def sketch_items(feature: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted items and weights of a baseline feature's distribution: the KLL sketch's compactors (an item of
    compactor ``i`` weighs ``2**i``, as in awslabs/deequ ``analyzers/QuantileNonSample.scala``), else the bucket
    upper bounds weighted by the bucket counts; empty arrays if there is neither."""
    distribution = dict(dict(feature.get("numerical_statistics") or {}).get("distribution") or {})
    kll = dict(distribution.get("kll") or {})
    levels = dict(kll.get("sketch") or {}).get("data") or []
    items: list[float] = []
    weights: list[float] = []
    for level, compactor in enumerate(levels):
        items.extend(float(v) for v in compactor)
        weights.extend([2.0**level] * len(compactor))
    if not items:
        for bucket in kll.get("buckets") or []:
            if float(bucket.get("count", 0)) > 0:
                items.append(float(bucket["upper_bound"]))
                weights.append(float(bucket["count"]))
    order = np.argsort(np.asarray(items, dtype=np.float64), kind="stable")
    return np.asarray(items, dtype=np.float64)[order], np.asarray(weights, dtype=np.float64)[order]


def ks_critical(n: float, m: float, alpha: float) -> float:
    """The asymptotic two-sample Kolmogorov-Smirnov critical value of ``D`` at level ``alpha``."""
    return math.sqrt(-math.log(alpha / 2.0) / 2.0) * math.sqrt((n + m) / (n * m))


def baseline_cdf(items: np.ndarray, weights: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The baseline's share of weight at or below each point."""
    cumulative = np.cumsum(weights)
    index = np.searchsorted(items, points, side="right")
    below = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0.0)
    return np.asarray(below / cumulative[-1], dtype=np.float64)


def _settings(constraints: dict[str, Any] | None, overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    config = dict(DEFAULT_CONFIG)
    config.update(dict((constraints or {}).get("monitoring_config") or {}))
    distribution = dict(DEFAULT_DISTRIBUTION)
    distribution.update(dict(config.pop("distribution_constraints", None) or {}))
    for key, value in dict(overrides or {}).items():
        (distribution if key in DEFAULT_DISTRIBUTION or key.startswith("comparison") else config)[key] = value
    return config, distribution


def _enabled(value: Any) -> bool:
    return str(value).lower() != "disabled"


def numeric_statistics(feature: Any) -> dict[str, Any]:
    """``numerical_statistics`` of a feature: exact moments (population standard deviation, as Deequ's
    ``StandardDeviation``), buckets and quantile sketch from its grid histogram."""
    n = feature.hist.total()
    common = {"num_present": feature.present, "num_missing": feature.missing}
    if n == 0:
        return {"common": common}
    total = feature.sum.exact()
    mean = total / n
    if feature.overflow:
        std = math.inf
    else:
        variance = max(feature.squares.exact() / n - mean * mean, Fraction(0))
        std = math.sqrt(variance)
    values, counts = feature.hist.positions(feature.low, feature.high)
    edges = np.linspace(feature.low, feature.high, BUCKETS + 1)
    bucket_counts, _ = np.histogram(np.clip(values, feature.low, feature.high), bins=edges, weights=counts)
    cumulative = np.cumsum(counts)
    targets = (np.arange(SKETCH_SIZE) + 0.5) / SKETCH_SIZE * cumulative[-1]
    sketch = values[np.minimum(np.searchsorted(cumulative, targets, side="left"), values.size - 1)]
    return {
        "common": common,
        "mean": float(mean),
        "sum": float(total),
        "std_dev": std if math.isfinite(std) else None,
        "min": feature.low,
        "max": feature.high,
        "distribution": {
            "kll": {
                "buckets": [
                    {"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(c)}
                    for i, c in enumerate(bucket_counts)
                ],
                "sketch": {"parameters": dict(KLL_PARAMETERS), "data": [sketch.tolist()]},
            }
        },
    }


def feature_statistics(name: str, feature: Any) -> dict[str, Any]:
    kind = feature.inferred_type()
    common = {"num_present": feature.present, "num_missing": feature.missing}
    if kind in (INTEGRAL, FRACTIONAL):
        return {"name": name, "inferred_type": kind, "numerical_statistics": numeric_statistics(feature)}
    counts = sorted(feature.cats.counts.items(), key=lambda item: (-item[1], item[0]))
    return {
        "name": name,
        "inferred_type": kind,
        "string_statistics": {
            "common": common,
            "distinct_count": float(len(counts)),
            "distribution": {
                "categorical": {"buckets": [{"value": v, "count": float(n)} for v, n in counts]}
            },
        },
    }


def _drift(
    feature: Any, base: dict[str, Any], item_count: float, distribution: dict[str, Any], alpha: float
) -> tuple[float, float, float] | None:
    """``(distance, D, critical value)`` against the baseline feature, or ``None`` if there is nothing to compare."""
    strings = base.get("string_statistics")
    if strings is not None:
        if str(distribution.get("categorical_drift_method", "LInfinity")).lower() != "linfinity":
            return None
        buckets = dict(dict(strings.get("distribution") or {}).get("categorical") or {}).get("buckets") or []
        expected = {str(b["value"]): float(b["count"]) for b in buckets}
        window = dict(feature.cats.counts)
        if feature.cats.other:
            window[OTHER] = feature.cats.other
        n, m = sum(expected.values()), float(sum(window.values()))
        if n <= 0 or m <= 0:
            return None
        d = categorical_distance(expected, window)
    else:
        items, weights = sketch_items(base)
        m = float(feature.hist.total())
        if items.size == 0 or m == 0:
            return None
        d = feature.hist.ks_distance(baseline_cdf(items, weights, feature.hist.points))
        common = dict(dict(base.get("numerical_statistics") or {}).get("common") or {})
        n = float(common.get("num_present") or item_count or weights.sum())
    spread = math.sqrt((n + m) / (n * m))
    robust = str(distribution.get("comparison_method", "Robust")).lower() == "robust"
    distance = max(0.0, d - DEEQU_ROBUST_FACTOR * spread) if robust else d
    return distance, d, ks_critical(n, m, alpha)


def _violation(name: str, check: str, description: str) -> dict[str, Any]:
    return {"feature_name": name, "constraint_check_type": check, "description": description}


def evaluate(
    config: dict[str, Any],
    names: list[str],
    features: list[Any],
    records: int,
    columns: dict[str, int],
    extra: dict[str, int],
    stats: dict[str, Any] | None,
    constraints: dict[str, Any] | None,
) -> report.Result:
    """The DataQuality :class:`~.report.Result` of a finished partial."""
    statistics = {
        "version": 0,
        "dataset": {"item_count": records},
        "features": [feature_statistics(n, f) for n, f in zip(names, features)],
    }
    if records == 0:
        return report.Result(statistics, [], [], report.NO_DATA, 0)
    insufficient = records < report.min_samples(config)
    alpha = report.significance(config)
    base_stats = {str(f["name"]): f for f in (stats or {}).get("features", [])}
    base_items = float(dict((stats or {}).get("dataset") or {}).get("item_count") or 0)
    base_rules = {str(f["name"]): f for f in (constraints or {}).get("features", [])}
    top, _ = _settings(constraints, None)
    check = constraints is not None and _enabled(top["evaluate_constraints"]) and not insufficient
    dims = report.dimensions(config)
    metrics: list[dict[str, Any] | None] = []
    violations: list[dict[str, Any]] = []
    for name, feature in zip(names, features):
        rule = base_rules.get(name, {})
        settings, distribution = _settings(constraints, rule.get("monitoringConfigOverrides"))
        metrics.append(report.metric_datum("feature_non_null_" + name, feature.present / records, dims))
        if feature.inferred_type() in (INTEGRAL, FRACTIONAL) and feature.hist.total():
            mean = float(feature.sum.exact() / feature.hist.total())
            metrics.append(report.metric_datum("feature_data_" + name, mean, dims))
        drift = None
        if not insufficient and name in base_stats and _enabled(distribution["perform_comparison"]):
            drift = _drift(feature, base_stats[name], base_items, distribution, alpha)
        if drift is not None:
            metrics.append(report.metric_datum("feature_baseline_drift_" + name, drift[0], dims))
        if check:
            violations.extend(
                _checks(name, feature, records, rule, settings, distribution, drift, base_stats)
            )
    if check:
        for name in base_rules:
            if columns.get(name, 0) == 0:
                violations.append(
                    _violation(name, "missing_column_check", "Column is absent from every record.")
                )
        for name, n in sorted(extra.items()):
            violations.append(
                _violation(name, "extra_column_check", f"Column not in the baseline, found in {n} records.")
            )
    if not _enabled(top["emit_metrics"]):
        metrics = []
    verdict = (
        report.INSUFFICIENT_DATA
        if insufficient
        else report.VIOLATIONS
        if violations
        else report.NO_VIOLATIONS
    )
    data = [m for m in metrics if m is not None]
    return report.Result(statistics, violations, data, verdict, records)


def _checks(
    name: str,
    feature: Any,
    records: int,
    rule: dict[str, Any],
    settings: dict[str, Any],
    distribution: dict[str, Any],
    drift: tuple[float, float, float] | None,
    base_stats: dict[str, Any],
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if not rule:
        return found
    completeness = feature.present / records
    required = rule.get("completeness")
    if required is not None and completeness < float(required):
        found.append(
            _violation(
                name,
                "completeness_check",
                f"Completeness {completeness:.4f} is below the baseline's {float(required):.4f}.",
            )
        )
    expected = rule.get("inferred_type") or dict(base_stats.get(name) or {}).get("inferred_type")
    if feature.present:
        if expected == INTEGRAL:
            wrong = feature.fractional + feature.strings
        elif expected == FRACTIONAL:
            wrong = feature.strings
        else:
            wrong = 0
        share = wrong / feature.present
        limit = float(settings["datatype_check_threshold"])
        if share > limit:
            found.append(
                _violation(
                    name,
                    "data_type_check",
                    f"{share:.4f} of the values are not {expected}, more than datatype_check_threshold {limit}.",
                )
            )
    if dict(rule.get("num_constraints") or {}).get("is_non_negative") and feature.negatives:
        found.append(
            _violation(
                name,
                "data_type_check",
                f"{feature.negatives} negative values; the baseline constraint is_non_negative is true.",
            )
        )
    domains = dict(rule.get("string_constraints") or {}).get("domains")
    if domains and feature.present:
        allowed = {str(v) for v in domains}
        unknown = sum(n for v, n in feature.cats.counts.items() if v not in allowed) + feature.cats.other
        share = unknown / feature.present
        limit = float(settings["domain_content_threshold"])
        if share > limit:
            found.append(
                _violation(
                    name,
                    "categorical_values_check",
                    f"{share:.4f} of the values are outside the baseline domain, more than domain_content_threshold {limit}.",
                )
            )
    if drift is not None:
        distance, d, critical = drift
        is_string = "string_statistics" in dict(base_stats.get(name) or {})
        key = "categorical_comparison_threshold" if is_string else "comparison_threshold"
        limit = float(distribution.get(key, distribution["comparison_threshold"]))
        if distance > limit and d > critical:
            found.append(
                _violation(
                    name,
                    "baseline_drift_check",
                    "Baseline drift distance {:.4f} ({}) exceeds threshold {}; Kolmogorov-Smirnov statistic {:.4f} "
                    "exceeds its critical value {:.4f}.".format(
                        distance, distribution["comparison_method"], limit, d, critical
                    ),
                )
            )
    return found
