"""The drift report: one self-contained HTML page comparing a monitoring run with its baseline, per feature.

``render_drift_report`` reads only what a data-quality run writes and the baseline it ran against, all in Model
Monitor's formats (aws-facts §8.4; the Developer Guide's "Schema for Statistics (statistics.json file)" page,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-statistics.html, and "Schema for
Violations", .../model-monitor-interpreting-violations.html):

- ``statistics.json`` of the baseline and of the window: per feature, numerical statistics with a KLL histogram
  (``distribution.kll.buckets``: ``lower_bound``, ``upper_bound``, ``count``) or string statistics with a
  categorical histogram (``distribution.categorical.buckets``: ``value``, ``count``);
- ``constraint_violations.json``: ``{"violations": [{"feature_name", "constraint_check_type", "description"}]}``;
- the run's ``summary.json`` (design14 §1): verdict, status, record counts, and the ``metricData`` batches whose
  ``feature_baseline_drift_<feature>`` values are the drift distances the run computed.

The page has a header (verdict, window, records read, used and malformed), then one card per feature: the
baseline's and the window's histograms side by side on one axis, the drift distance against the threshold, the
feature's violations and its summary numbers. Features with a ``baseline_drift_check`` violation come first
(largest distance first), then features with other violations, then the rest in the window's order.

The histograms are drawn from the buckets alone. Two histograms rarely share their bucket bounds (each run takes
its own minimum and maximum), so both are re-binned onto one axis: an integral feature with a small range gets
one bin per integer (a bucket's count goes to the integers it holds, lower bound inclusive, upper bound exclusive
except in the last bucket, as Deequ's KLL buckets are), any other feature gets equal-width bins, a bucket's count
spread over them in proportion to overlap. Heights are shares of each side's total, so windows of any size
compare with the baseline.

The page has no JavaScript and no external assets: inline CSS and inline SVG only. Every text that comes from the
inputs (feature names, values, descriptions) is escaped; every SVG element is well-formed XML.

This module runs in the monitoring container too (Python 3.8, standard library only, design14 §1).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

DRIFT_CHECK = "baseline_drift_check"
DRIFT_METRIC_PREFIX = "feature_baseline_drift_"
BASELINE_COLOR = "#7f8c9a"
CURRENT_COLOR = "#e67e22"
DRIFT_COLOR = "#c0392b"
MAX_INTEGER_BINS = 40
"""An integral feature whose range spans at most this many integers gets one bin per integer."""
NUMERIC_BINS = 20
MAX_CATEGORIES = 12
"""Categorical histograms show this many values (the most frequent over both sides), the rest as "other"."""

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 8px}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600;color:#fff}
.v-violations{background:#c0392b}.v-no-violations{background:#27ae60}
.v-insufficient-data,.v-no-data,.v-unknown{background:#7f8c8d}
table.meta{border-collapse:collapse;margin:12px 0 20px}
table.meta td{padding:2px 12px 2px 0}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
.cards{display:flex;flex-wrap:wrap;gap:16px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;width:430px}
.card.drifted{border:2px solid #c0392b;background:#fff6f5}
.card.violated{border:2px solid #e67e22}
.card h2{font-size:16px;margin:0 0 6px;word-break:break-all}
.tag{font-size:11px;padding:1px 6px;border-radius:3px;margin-left:6px;color:#fff;background:#c0392b}
.tag.other{background:#e67e22}
.card table{font-size:12px;border-collapse:collapse;width:100%}
.card td,.card th{padding:1px 4px;text-align:right}
.card td:first-child,.card th:first-child{text-align:left}
.card ul{font-size:12px;margin:6px 0 0;padding-left:18px}
.note{font-size:12px;color:#666}
"""


def render_drift_report(
    baseline_statistics: dict[str, Any],
    statistics: dict[str, Any],
    violations: dict[str, Any],
    summary: dict[str, Any],
    *,
    constraints: dict[str, Any] | None = None,
    window: dict[str, Any] | None = None,
    title: str = "Drift report",
) -> str:
    """Render one run's drift report as a self-contained HTML page.

    Args:
        baseline_statistics: The baseline's ``statistics.json`` (Model Monitor format).
        statistics: The window's ``statistics.json``, as the run wrote it.
        violations: The run's ``constraint_violations.json``.
        summary: The run's ``summary.json`` (design14 §1).
        constraints: The baseline's ``constraints.json``, for the drift threshold and comparison method shown
            beside each distance. Default: - no threshold is shown.
        window: The window's ``{"start", "end"}`` (the run's ``monitor.json`` holds it). Default: - the summary's
            ``window`` if it has one, else none is shown.
        title: The page title. Default: "Drift report".

    Returns:
        The HTML page, as text.
    """
    violation_list = [v for v in (violations or {}).get("violations") or [] if isinstance(v, dict)]
    by_feature: dict[str, list[dict[str, Any]]] = {}
    for violation in violation_list:
        by_feature.setdefault(str(violation.get("feature_name", "")), []).append(violation)
    distances = _drift_distances(summary)
    threshold, method = _drift_threshold(constraints)
    baseline_features = _features_by_name(baseline_statistics)
    current_features = _features_by_name(statistics)

    names = list(current_features) + [n for n in baseline_features if n not in current_features]
    names += [n for n in by_feature if n and n not in current_features and n not in baseline_features]

    def rank(item: tuple[int, str]) -> tuple[int, float, int]:
        position, name = item
        checks = {str(v.get("constraint_check_type")) for v in by_feature.get(name, [])}
        if DRIFT_CHECK in checks:
            return (0, -(distances.get(name) or 0.0), position)
        return (1 if checks else 2, 0.0, position)

    ordered = [name for _, name in sorted(enumerate(names), key=rank)]
    cards = [
        _feature_card(
            name,
            baseline_features.get(name),
            current_features.get(name),
            by_feature.get(name, []),
            distances.get(name),
            threshold,
        )
        for name in ordered
    ]
    dataset_violations = by_feature.get("", [])

    verdict = str(summary.get("verdict", "unknown"))
    window = window if window is not None else summary.get("window")
    records = summary.get("records") or {}
    skipped = records.get("skipped") or {}
    meta_rows = [
        ("Monitoring schedule", summary.get("monitoringScheduleName")),
        ("Monitoring type", summary.get("monitoringType")),
        ("Status", summary.get("status")),
        ("Window", _window_text(window)),
        ("Records read", records.get("read")),
        ("Records used", records.get("used")),
        ("Records malformed", records.get("malformed")),
        ("Records skipped", ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())) or "0"),
        ("Files", records.get("files")),
        ("Minimum sample", summary.get("minSamples")),
        ("Violations", summary.get("violations", len(violation_list))),
    ]
    if threshold is not None:
        meta_rows.append(("Drift threshold", f"{threshold:g}" + (f" ({method})" if method else "")))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"/>',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f'<div class="verdict v-{_esc(_css_token(verdict))}">{_esc(verdict)}</div>',
        '<table class="meta">',
        *(f"<tr><td>{_esc(k)}</td><td>{_esc(_text(v))}</td></tr>" for k, v in meta_rows if v is not None),
        "</table>",
        '<p class="legend">Share of records per bin:'
        f'<span style="background:{BASELINE_COLOR}"></span>baseline'
        f'<span style="background:{CURRENT_COLOR}"></span>this window</p>',
    ]
    if dataset_violations:
        parts.append("<h2>Dataset violations</h2><ul>")
        parts.extend(_violation_item(v) for v in dataset_violations)
        parts.append("</ul>")
    parts.append('<div class="cards">')
    parts.extend(cards)
    parts.append("</div></body></html>")
    return "\n".join(parts) + "\n"


# --- inputs ---------------------------------------------------------------------------------------------


def _features_by_name(statistics: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for feature in (statistics or {}).get("features") or []:
        if isinstance(feature, dict) and "name" in feature:
            found.setdefault(str(feature["name"]), feature)
    return found


def _drift_distances(summary: dict[str, Any]) -> dict[str, float]:
    """The ``feature_baseline_drift_<feature>`` values of the summary's metric batches."""
    distances: dict[str, float] = {}
    for batch in summary.get("metricData") or []:
        for datum in batch if isinstance(batch, list) else []:
            name = str(datum.get("MetricName", "")) if isinstance(datum, dict) else ""
            value = datum.get("Value") if isinstance(datum, dict) else None
            if name.startswith(DRIFT_METRIC_PREFIX) and isinstance(value, (int, float)):
                distances[name[len(DRIFT_METRIC_PREFIX) :]] = float(value)
    return distances


def _drift_threshold(constraints: dict[str, Any] | None) -> tuple[float | None, str]:
    config = ((constraints or {}).get("monitoring_config") or {}).get("distribution_constraints") or {}
    threshold = config.get("comparison_threshold")
    if not isinstance(threshold, (int, float)):
        return None, ""
    return float(threshold), str(config.get("comparison_method", ""))


# --- histograms -----------------------------------------------------------------------------------------


def _kll_buckets(feature: dict[str, Any] | None) -> list[tuple[float, float, float]]:
    numerical = (feature or {}).get("numerical_statistics") or {}
    buckets = ((numerical.get("distribution") or {}).get("kll") or {}).get("buckets") or []
    result = []
    for bucket in buckets:
        try:
            lower, upper = float(bucket["lower_bound"]), float(bucket["upper_bound"])
            count = float(bucket["count"])
        except (KeyError, TypeError, ValueError):
            continue
        if all(math.isfinite(x) for x in (lower, upper, count)) and count >= 0:
            result.append((lower, upper, count))
    return result


def _categorical_buckets(feature: dict[str, Any] | None) -> dict[str, float]:
    strings = (feature or {}).get("string_statistics") or {}
    buckets = ((strings.get("distribution") or {}).get("categorical") or {}).get("buckets") or []
    counts: dict[str, float] = {}
    for bucket in buckets:
        try:
            counts[str(bucket["value"])] = counts.get(str(bucket["value"]), 0.0) + float(bucket["count"])
        except (KeyError, TypeError, ValueError):
            continue
    return counts


def _is_integral(*features: dict[str, Any] | None) -> bool:
    return all((f or {}).get("inferred_type", "Integral") == "Integral" for f in features if f)


def _numeric_bins(
    sides: Sequence[list[tuple[float, float, float]]], integral: bool
) -> tuple[list[str], list[list[float]]]:
    """Common bins for both sides' KLL buckets: their labels and each side's shares."""
    bounds = [b for side in sides for bucket in side for b in bucket[:2]]
    lo, hi = min(bounds), max(bounds)
    if integral and math.ceil(hi) - math.floor(lo) + 1 <= MAX_INTEGER_BINS:
        first = math.floor(lo)
        values = list(range(first, math.ceil(hi) + 1))
        shares = []
        for side in sides:
            counts = [0.0] * len(values)
            for index, (lower, upper, count) in enumerate(side):
                last = index == len(side) - 1
                held = [v for v in values if lower <= v < upper or (last and v == upper)]
                if not held:
                    held = [min(values, key=lambda v: abs(v - (lower + upper) / 2))]
                for v in held:
                    counts[v - first] += count / len(held)
            shares.append(_shares(counts))
        return [str(v) for v in values], shares
    width = (hi - lo) / NUMERIC_BINS if hi > lo else 1.0
    edges = [lo + i * width for i in range(NUMERIC_BINS + 1)]
    shares = []
    for side in sides:
        counts = [0.0] * NUMERIC_BINS
        for lower, upper, count in side:
            if upper <= lower:
                counts[min(NUMERIC_BINS - 1, max(0, int((lower - lo) / width)))] += count
                continue
            for i in range(NUMERIC_BINS):
                overlap = min(upper, edges[i + 1]) - max(lower, edges[i])
                if overlap > 0:
                    counts[i] += count * overlap / (upper - lower)
        shares.append(_shares(counts))
    return [_num(edges[0]), _num(edges[NUMERIC_BINS // 2]), _num(edges[-1])], shares


def _categorical_bins(sides: Sequence[dict[str, float]]) -> tuple[list[str], list[list[float]]]:
    # Each side's counts as shares of its own total (zip(strict=...) is Python 3.10+, so no zip here).
    normed = [{v: c / (sum(side.values()) or 1.0) for v, c in side.items()} for side in sides]
    weight: dict[str, float] = {}
    for side in normed:
        for value, share in side.items():
            weight[value] = weight.get(value, 0.0) + share
    shown = sorted(weight, key=lambda v: (-weight[v], v))[:MAX_CATEGORIES]
    labels = list(shown)
    shares = []
    for side in normed:
        row = [side.get(v, 0.0) for v in shown]
        if len(weight) > len(shown):
            row.append(max(0.0, 1.0 - sum(row)))
        shares.append(row)
    if len(weight) > len(shown):
        labels.append("(other)")
    return labels, shares


def _shares(counts: list[float]) -> list[float]:
    total = sum(counts)
    return [c / total for c in counts] if total > 0 else [0.0 for _ in counts]


def _histogram_svg(labels: list[str], shares: list[list[float]], categorical: bool) -> str:
    """Side-by-side bars per bin: the baseline's, then the window's. ``labels`` is one per bin for discrete
    axes, else the axis's two ends and, if three, its middle."""
    width, height, left, bottom, top = 400, 150, 34, 30, 8
    plot_w, plot_h = width - left - 6, height - bottom - top
    bins = len(shares[0]) if shares and shares[0] else 0
    peak = max([s for side in shares for s in side] + [1e-9])
    scale = _nice_ceiling(peak)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 8}" font-size="10" text-anchor="end">{_esc(_pct(scale))}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    if bins:
        slot = plot_w / bins
        bar = max(slot * 0.4, 0.5)
        for i in range(bins):
            for side, color, offset in ((0, BASELINE_COLOR, 0.1), (1, CURRENT_COLOR, 0.5)):
                share = shares[side][i] if side < len(shares) else 0.0
                bar_h = plot_h * share / scale
                x = left + i * slot + slot * offset
                out.append(
                    f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar:.1f}" '
                    f'height="{bar_h:.1f}" fill="{color}"><title>{_esc(labels[i] if len(labels) == bins else "")}'
                    f" {('baseline', 'window')[side]}: {_esc(_pct(share))}</title></rect>"
                )
        if len(labels) == bins:
            step = max(1, math.ceil(bins / 12))
            for i in range(0, bins, step):
                x = left + (i + 0.5) * slot
                label = labels[i] if len(labels[i]) <= 10 else labels[i][:9] + "\u2026"
                anchor = "end" if categorical else "middle"
                rotate = f' transform="rotate(-30 {x:.1f} {top + plot_h + 12})"' if categorical else ""
                out.append(
                    f'<text x="{x:.1f}" y="{top + plot_h + 12}" font-size="10" text-anchor="{anchor}"'
                    f"{rotate}>{_esc(label)}</text>"
                )
        else:
            out.append(f'<text x="{left}" y="{top + plot_h + 14}" font-size="10">{_esc(labels[0])}</text>')
            out.append(
                f'<text x="{left + plot_w}" y="{top + plot_h + 14}" font-size="10" text-anchor="end">'
                f"{_esc(labels[-1])}</text>"
            )
            if len(labels) == 3:
                out.append(
                    f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 14}" font-size="10" '
                    f'text-anchor="middle">{_esc(labels[1])}</text>'
                )
    out.append("</svg>")
    return "".join(out)


def _distance_svg(distance: float | None, threshold: float | None) -> str:
    """A bar of the drift distance on [0, 1] with the threshold as a tick."""
    width, height = 400, 22
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">',
        f'<rect x="0" y="4" width="{width}" height="12" fill="#eee"/>',
    ]
    if distance is not None:
        over = threshold is not None and distance > threshold
        length = width * min(max(distance, 0.0), 1.0)
        color = DRIFT_COLOR if over else "#27ae60"
        out.append(f'<rect x="0" y="4" width="{length:.1f}" height="12" fill="{color}"/>')
    if threshold is not None:
        x = width * min(max(threshold, 0.0), 1.0)
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" stroke="#222" stroke-width="2"/>')
    out.append("</svg>")
    return "".join(out)


# --- the cards ------------------------------------------------------------------------------------------


def _feature_card(
    name: str,
    baseline: dict[str, Any] | None,
    current: dict[str, Any] | None,
    violations: list[dict[str, Any]],
    distance: float | None,
    threshold: float | None,
) -> str:
    checks = sorted({str(v.get("constraint_check_type", "")) for v in violations})
    drifted = DRIFT_CHECK in checks
    css = "card drifted" if drifted else "card violated" if checks else "card"
    tags = "".join(
        f'<span class="tag{"" if c == DRIFT_CHECK else " other"}">{_esc(c)}</span>' for c in checks
    )
    parts = [f'<div class="{css}"><h2>{_esc(name)}{tags}</h2>']
    numeric = [_kll_buckets(baseline), _kll_buckets(current)]
    categorical = [_categorical_buckets(baseline), _categorical_buckets(current)]
    if any(numeric):
        labels, shares = _numeric_bins(list(numeric), _is_integral(baseline, current))
        parts.append(_histogram_svg(labels, shares, categorical=False))
    elif any(categorical):
        labels, shares = _categorical_bins(categorical)
        parts.append(_histogram_svg(labels, shares, categorical=True))
    else:
        parts.append('<p class="note">No distribution to draw.</p>')
    if baseline is None:
        parts.append('<p class="note">Not in the baseline.</p>')
    if current is None:
        parts.append('<p class="note">Not in this window.</p>')
    distance_text = "not computed" if distance is None else f"{distance:.4f}"
    if threshold is not None:
        distance_text += f" (threshold {threshold:g})"
    parts.append(f'<p class="note">Drift distance: {_esc(distance_text)}</p>')
    parts.append(_distance_svg(distance, threshold))
    parts.append(_numbers_table(baseline, current))
    if violations:
        parts.append("<ul>")
        parts.extend(_violation_item(v) for v in violations)
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def _numbers_table(baseline: dict[str, Any] | None, current: dict[str, Any] | None) -> str:
    rows: list[tuple[str, ...]] = [("", "baseline", "window")]
    for label, path in (
        ("present", ("common", "num_present")),
        ("missing", ("common", "num_missing")),
        ("mean", ("mean",)),
        ("std dev", ("std_dev",)),
        ("min", ("min",)),
        ("max", ("max",)),
        ("distinct", ("distinct_count",)),
    ):
        values = [_stat(f, path) for f in (baseline, current)]
        if any(v is not None for v in values):
            rows.append((label, *(("" if v is None else _num(v)) for v in values)))
    head, *body = rows
    cells = "".join(f"<th>{_esc(c)}</th>" for c in head)
    lines = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in body)
    return f"<table><tr>{cells}</tr>{lines}</table>"


def _stat(feature: dict[str, Any] | None, path: Iterable[str]) -> float | None:
    if not feature:
        return None
    node: Any = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def _violation_item(violation: dict[str, Any]) -> str:
    check = _esc(str(violation.get("constraint_check_type", "")))
    return f"<li><b>{check}</b>: {_esc(str(violation.get('description', '')))}</li>"


# --- text -----------------------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _text(value: Any) -> str:
    return _num(value) if isinstance(value, float) else str(value)


def _num(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return (
        f"{value:.4g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:.2f}".rstrip("0").rstrip(".")
    )


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%" if share >= 0.01 or share == 0 else f"{share * 100:.1f}%"


def _nice_ceiling(peak: float) -> float:
    for step in (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        if peak <= step:
            return step
    return 1.0


def _window_text(window: Any) -> str | None:
    if not isinstance(window, dict):
        return None
    return f"{window.get('start', '?')} to {window.get('end', '?')}"


def _css_token(verdict: str) -> str:
    known = ("violations", "no-violations", "insufficient-data", "no-data")
    return verdict if verdict in known else "unknown"
