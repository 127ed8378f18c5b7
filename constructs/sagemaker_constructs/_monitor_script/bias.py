"""The ModelBias monitor type: post-training bias metrics of the window's joined records, checked against the
baseline as Clarify's bias drift monitor does.

Metrics (definitions: SageMaker Developer Guide, "Post-training data and model bias metrics",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-post-training-bias.html, one page each):
- DPPL ``q'a - q'd`` (clarify-post-training-bias-metric-dppl.html), DI ``q'd / q'a`` (...-di.html);
- DCA ``na(1)/n'a(1) - nd(1)/n'd(1)`` (...-dca.html), DCR ``nd(0)/n'd(0) - na(0)/n'a(0)`` (...-dcr.html);
- RD ``TPRa - TPRd`` (...-rd.html), SD ``TNRd - TNRa`` (...-sd.html);
- DAR ``TPa/(TPa+FPa) - TPd/(TPd+FPd)`` (...-dar.html), DRR ``TNd/(TNd+FNd) - TNa/(TNa+FNa)`` (...-drr.html);
- AD ``ACCa - ACCd`` (...-ad.html), TE ``FNd/FPd - FNa/FPa`` (...-te.html);
- GE, the generalized entropy index with alpha 2 of the benefits ``y' - y + 1`` (...-ge.html).
FT (a k-nearest-neighbour test over all features) and CDDPL (needs ``group_variable``) are not computed; they are
listed under ``open_backend.not_computed`` when the config asks for them.

Edge cases follow Clarify's implementation (aws/amazon-sagemaker-clarify ``src/smclarify/bias/metrics/``):
``0/0`` is 0 and ``x/0`` is infinite (:func:`._metrics_math.clarify_divide`); a difference of two infinite rates is
0; a facet side with no records gives no value. Infinite values are written ``"Infinity"`` in the statistics (as
Clarify's report does) and published as ±2.348543e108 (aws-facts §4.1).

Groups: facet ``d`` (the sensitive group) is selected by the facet's ``value_or_threshold``; ``a`` is the rest. A
numeric facet threshold selects ``value > threshold``; a list of values selects those values; without values each
value is compared with the rest in turn ("Configure the analysis",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html). Labels are
positive the same way with ``label_values_or_threshold``; a probability becomes the predicted label 1 when it is
greater than the probability threshold (same page). Whether a column is a threshold (continuous) or a set of values
(categorical) Clarify decides from the data (``series_datatype`` in ``common.py``): several values -> categorical;
text -> categorical; a non-integral number -> continuous; integers -> continuous when at least 5% of them are
distinct. The partial keeps, per facet value, the counts under both readings, so that decision is taken in
``finish`` on the whole window, and shards merge exactly. One deliberate deviation: integers with more than
:data:`._metrics_math.CONTINUOUS_DISTINCT` distinct values are continuous whatever the window size (by Clarify's
rule alone, an age facet with ~60 distinct ages would read ``age > 40`` in windows under ~1,200 records and
``age == 40`` in larger ones). A facet with more than :data:`FACET_VALUE_LIMIT` distinct
values and a single numeric threshold is folded to the two sides of the threshold (it is continuous by the rule).

Drift check ("Bias drift violations",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html): a metric
violates when it is "worse" than its value in the baseline's ``analysis.json``, that is farther from its neutral
value (0 for differences and GE; 1 for the ratio DI, our reading of "worse" for a ratio). Violations have
``facet``, ``facet_value``, ``metric_name``, ``constraint_check_type: "bias_drift_check"`` and ``description``.
Metric data: ``bias_metric_<NAME>`` with ``BiasStage=Post-Training``, ``Label``, ``LabelValue``, ``Facet``,
``FacetValue`` and the config's dimensions (aws-facts §4.1).

Inputs: ``analysisConfig`` (Clarify's analysis_config: ``label``, ``label_values_or_threshold``, ``facet``,
``probability_threshold``, ``headers``, ``methods.post_training_bias.methods``), ``features`` (names of the captured
input columns; default: ``headers`` without the label), ``inferenceAttribute`` / ``probabilityAttribute`` /
``probabilityThresholdAttribute`` as for model quality. The label comes from the ground truth.
"""

from __future__ import annotations

import json
import os
from typing import Any

from . import ground_truth as gt
from ._metrics_math import (
    INFINITY,
    ColumnEvidence,
    Result,
    canonical,
    clarify_divide,
    config_dimensions,
    extract,
    merge_counts,
    metric_datum,
    to_float,
    verdict,
)

FACET_VALUE_LIMIT = 10000
METRICS = {
    "AD": "Accuracy Difference (AD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "DI": "Disparate Impact (DI)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "GE": "Generalized Entropy (GE)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "TE": "Treatment Equality (TE)",
}
NOT_COMPUTED = ("CDDPL", "FT")
NEUTRAL = {"DI": 1.0}
ABOVE, BELOW = "\x00above", "\x00below"


def _threshold(values: list[Any]) -> float | None:
    return to_float(values[0]) if len(values) == 1 else None


def _bits(value: Any, keys: set[str | None], threshold: float | None) -> tuple[int, int]:
    number = to_float(value)
    member = int(canonical(value) in keys)
    above = int(threshold is not None and number is not None and number > threshold)
    return member, above


class Partial:
    """Mergeable counts of one shard: per facet and facet value, the records under each reading of the label and
    predicted label (member of the values / above the threshold), plus the columns' type evidence."""

    def __init__(self, config: dict[str, Any], truth: gt.GroundTruth | None = None) -> None:
        analysis = config.get("analysisConfig")
        if not isinstance(analysis, dict):
            raise ValueError(f"'analysisConfig' must be a Clarify analysis config object, got {analysis!r}")
        self.label_name = str(analysis.get("label", "label"))
        self.label_values = list(analysis.get("label_values_or_threshold") or [])
        if not self.label_values:
            raise ValueError("analysisConfig: 'label_values_or_threshold' must be a non-empty list, got none")
        self._label_keys = {canonical(v) for v in self.label_values}
        self._label_threshold = _threshold(self.label_values)
        facets = analysis.get("facet") or []
        if not facets:
            raise ValueError("analysisConfig: 'facet' must list at least one facet, got none")
        headers = [str(h) for h in analysis.get("headers") or []]
        features = [str(f) for f in config.get("features") or [h for h in headers if h != self.label_name]]
        self.facets: list[tuple[str, int | None, list[Any]]] = []
        for facet in facets:
            name_or_index = facet.get("name_or_index")
            if isinstance(name_or_index, int) and not isinstance(name_or_index, bool):
                name = headers[name_or_index] if name_or_index < len(headers) else str(name_or_index)
            else:
                name = str(name_or_index)
            index = features.index(name) if name in features else None
            if index is None and isinstance(name_or_index, int) and not headers:
                index = name_or_index
            self.facets.append((name, index, list(facet.get("value_or_threshold") or [])))
        threshold = config.get("probabilityThresholdAttribute")
        if threshold is None:
            threshold = analysis.get("probability_threshold", 0.5)
        self.probability_threshold = float(threshold)
        self.inference_attribute = config.get("inferenceAttribute")
        self.probability_attribute = config.get("probabilityAttribute")
        methods = (analysis.get("methods") or {}).get("post_training_bias", {}).get("methods", "all")
        self.methods = sorted(METRICS) if methods == "all" else sorted(m for m in methods if m in METRICS)
        self.not_computed = (
            list(NOT_COMPUTED) if methods == "all" else sorted(m for m in methods if m not in METRICS)
        )
        self.config = {
            key: config.get(key)
            for key in ("analysisConfig", "features", "inferenceAttribute", "probabilityAttribute")
        }
        self.config["probabilityThresholdAttribute"] = self.probability_threshold
        self.joiner = gt.Joiner(truth or gt.GroundTruth())
        self.counts: dict[str, int] = {"read": 0, "used": 0}
        self.skipped: dict[str, int] = {}
        self.cells: list[dict[str, list[int]]] = [{} for _ in self.facets]
        self.facet_columns = [ColumnEvidence() for _ in self.facets]
        self.label_column = ColumnEvidence()
        self.prediction_column = ColumnEvidence()

    def add_ground_truth(self, paths: list[str], counts: Any = None) -> None:
        """Load the window's labels (``run.py`` calls this before the first :meth:`add`); ``counts`` (the data
        channel's read counts) is left alone: the label counts are reported under ``open_backend.ground_truth``."""
        del counts
        self.joiner = gt.Joiner(gt.load(paths))

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def _predicted(self, prediction: Any) -> Any:
        if self.inference_attribute is not None:
            return extract(prediction, self.inference_attribute)
        score = to_float(extract(prediction, self.probability_attribute))
        return None if score is None else int(score > self.probability_threshold)

    def add(self, record: Any) -> None:
        """Join one captured record with its label and count it under each facet."""
        self.counts["read"] += 1
        label = self.joiner.label(record)
        if label is None:
            self._skip("no_ground_truth")
            return
        if record.prediction is None:
            self._skip("no_prediction")
            return
        predicted = self._predicted(record.prediction)
        label_key, predicted_key = canonical(label), canonical(predicted)
        if label_key is None or predicted_key is None:
            self._skip("invalid_label" if label_key is None else "invalid_prediction")
            return
        names = getattr(record, "names", None)
        row = dict(zip(names, record.features)) if names else None
        values = []
        for name, index, _ in self.facets:
            if row is not None:
                value = row.get(name)
            elif index is None:
                self._skip("facet_not_in_features")  # name it in monitor.json "features"
                return
            else:
                value = record.features[index] if index < len(record.features) else None
            key = canonical(value)
            if key is None:
                self._skip("no_facet_value")
                return
            values.append((key, to_float(value)))
        label_member, label_above = _bits(label, self._label_keys, self._label_threshold)
        predicted_member, predicted_above = _bits(predicted, self._label_keys, self._label_threshold)
        combo = label_member | label_above << 1 | predicted_member << 2 | predicted_above << 3
        self.label_column.add(label_key, to_float(label))
        self.prediction_column.add(predicted_key, to_float(predicted))
        for position, (key, number) in enumerate(values):
            self.facet_columns[position].add(key, number)
            cells = self.cells[position]
            cells.setdefault(key, [0] * 16)[combo] += 1
            self._fold(position)
        self.counts["used"] += 1

    def _fold(self, position: int) -> None:
        """Fold a facet with too many values to the sides of its numeric threshold."""
        cells = self.cells[position]
        threshold = _threshold(self.facets[position][2])
        if len(cells) <= FACET_VALUE_LIMIT or threshold is None:
            return
        folded: dict[str, list[int]] = {}
        for key, counts in cells.items():
            if key in (ABOVE, BELOW):
                side = key
            else:
                number = to_float(key)
                side = ABOVE if number is not None and number > threshold else BELOW
            target = folded.setdefault(side, [0] * 16)
            for combo, count in enumerate(counts):
                target[combo] += count
        self.cells[position] = folded

    def to_json(self) -> dict[str, Any]:
        """The partial as JSON (see :meth:`from_json`)."""
        return {
            "monitoringType": "ModelBias",
            "config": self.config,
            "counts": dict(self.counts),
            "skipped": dict(self.skipped),
            "join": self.joiner.join.to_json(),
            "cells": self.cells,
            "facetColumns": [c.to_json() for c in self.facet_columns],
            "labelColumn": self.label_column.to_json(),
            "predictionColumn": self.prediction_column.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Partial:
        """A partial from :meth:`to_json` (which carries the config parts it needs)."""
        partial = cls(data["config"])
        partial.counts = {k: int(v) for k, v in data["counts"].items()}
        partial.skipped = {k: int(v) for k, v in data["skipped"].items()}
        partial.joiner.join = gt.JoinCounts.from_json(data["join"])
        partial.cells = [{k: [int(x) for x in v] for k, v in cells.items()} for cells in data["cells"]]
        partial.facet_columns = [ColumnEvidence.from_json(c) for c in data["facetColumns"]]
        partial.label_column = ColumnEvidence.from_json(data["labelColumn"])
        partial.prediction_column = ColumnEvidence.from_json(data["predictionColumn"])
        return partial

    def merge(self, other: Partial) -> None:
        """Add another shard's counts (exact)."""
        merge_counts(self.counts, other.counts)
        merge_counts(self.skipped, other.skipped)
        self.joiner.join.merge(other.joiner.join)
        for position, cells in enumerate(other.cells):
            mine = self.cells[position]
            for key, counts in cells.items():
                target = mine.setdefault(key, [0] * 16)
                for combo, count in enumerate(counts):
                    target[combo] += count
            self._fold(position)
            self.facet_columns[position].merge(other.facet_columns[position])
        self.label_column.merge(other.label_column)
        self.prediction_column.merge(other.prediction_column)


def confusion(counts: list[int], label_bit: int) -> list[int]:
    """``[TP, FP, FN, TN]`` from the 16 reading combinations, under the chosen label reading
    (``label_bit`` 0: member of the values, 1: above the threshold; the prediction is read the same way)."""
    tp = fp = fn = tn = 0
    for combo, count in enumerate(counts):
        actual = combo >> label_bit & 1
        predicted = combo >> (2 + label_bit) & 1
        if actual and predicted:
            tp += count
        elif predicted:
            fp += count
        elif actual:
            fn += count
        else:
            tn += count
    return [tp, fp, fn, tn]


def _difference(left: float, right: float) -> float:
    if left == right and abs(left) == INFINITY:
        return 0.0
    return left - right


def post_training_metrics(a: list[int], d: list[int], everyone: list[int]) -> dict[str, float | None]:
    """The metrics of facet ``d`` against ``a`` from their ``[TP, FP, FN, TN]`` (``everyone``: both, for GE)."""
    tp_a, fp_a, fn_a, tn_a = a
    tp_d, fp_d, fn_d, tn_d = d
    n_a, n_d = sum(a), sum(d)
    values: dict[str, float | None] = dict.fromkeys(METRICS)
    if n_a and n_d:
        q_a, q_d = (tp_a + fp_a) / n_a, (tp_d + fp_d) / n_d
        values["DPPL"] = q_a - q_d
        values["DI"] = clarify_divide(q_d, q_a)
        values["DCA"] = _difference(
            clarify_divide(tp_a + fn_a, tp_a + fp_a), clarify_divide(tp_d + fn_d, tp_d + fp_d)
        )
        values["DCR"] = _difference(
            clarify_divide(fp_d + tn_d, fn_d + tn_d), clarify_divide(fp_a + tn_a, fn_a + tn_a)
        )
        values["RD"] = _difference(clarify_divide(tp_a, tp_a + fn_a), clarify_divide(tp_d, tp_d + fn_d))
        values["SD"] = _difference(clarify_divide(tn_d, tn_d + fp_d), clarify_divide(tn_a, tn_a + fp_a))
        values["DAR"] = _difference(clarify_divide(tp_a, tp_a + fp_a), clarify_divide(tp_d, tp_d + fp_d))
        values["DRR"] = _difference(clarify_divide(tn_d, tn_d + fn_d), clarify_divide(tn_a, tn_a + fn_a))
        values["AD"] = (tp_a + tn_a) / n_a - (tp_d + tn_d) / n_d
        values["TE"] = _difference(clarify_divide(fn_d, fp_d), clarify_divide(fn_a, fp_a))
    tp, fp, fn, tn = everyone
    total = tp + fp + fn + tn
    mean = (tp + tn + 2 * fp) / total if total else 0.0
    if mean:
        values["GE"] = ((tp + tn + 4 * fp) / (mean * mean) - total) / (2 * total)
    return values


def _groups(partial: Partial, position: int) -> list[tuple[str, set[str] | None, float | None]]:
    """The facet's groups as ``(value_or_threshold text, d's values, d's threshold)``."""
    _, _, values = partial.facets[position]
    column = partial.facet_columns[position]
    if column.continuous(values):
        threshold = _threshold(values)
        if threshold is None:
            return []  # Clarify: "Threshold values must be provided for continuous features"
        return [(canonical(values[0]) or "", None, threshold)]
    if values:
        keys = {canonical(v) or "" for v in values}
        return [(",".join(canonical(v) or "" for v in values), keys, None)]
    return [(key, {key}, None) for key in sorted(partial.cells[position])]


def _in_d(key: str, keys: set[str] | None, threshold: float | None) -> bool:
    if keys is not None:
        return key in keys
    if key in (ABOVE, BELOW):
        return key == ABOVE
    number = to_float(key)
    return number is not None and threshold is not None and number > threshold


def _json_value(value: float) -> float | str:
    return ("Infinity" if value > 0 else "-Infinity") if abs(value) == INFINITY else value


def _number(value: Any) -> float | None:
    if isinstance(value, str) and value.strip().lstrip("+-").lower() == "infinity":
        return -INFINITY if value.strip().startswith("-") else INFINITY
    return to_float(value) if not isinstance(value, float) else value


def load_baseline(baseline_dir: str | None) -> dict[tuple[str, str, str], float]:
    """Baseline values by ``(facet, canonical value_or_threshold, metric)`` from the baseline's analysis.json."""
    if not baseline_dir:
        return {}
    path = os.path.join(baseline_dir, "analysis.json")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as stream:
        document = json.load(stream)
    section = document.get("post_training_bias_metrics") or {}
    found: dict[tuple[str, str, str], float] = {}
    for facet, groups in (section.get("facets") or {}).items():
        for group in groups:
            value_key = ",".join(
                canonical(v) or "" for v in str(group.get("value_or_threshold", "")).split(",")
            )
            for metric in group.get("metrics") or []:
                value = _number(metric.get("value"))
                if value is not None:
                    found[(str(facet), value_key, str(metric.get("name")))] = value
    return found


def worse(value: float, baseline: float, metric: str) -> bool:
    """Clarify's bias drift rule: farther from the neutral value than the baseline value."""
    neutral = NEUTRAL.get(metric, 0.0)
    return abs(value - neutral) > abs(baseline - neutral)


def new_partial(
    config: dict[str, Any], baseline_dir: str | None = None, ground_truth_files: Any = ()
) -> Partial:
    """An empty partial with the window's labels loaded from ``ground_truth_files`` (files or folders); ``run.py``
    passes none and calls :meth:`Partial.add_ground_truth` instead."""
    del baseline_dir
    return Partial(config, gt.load(ground_truth_files))


def finish(config: dict[str, Any], partial: Partial, baseline_dir: str | None = None) -> Result:
    """Clarify-style analysis.json statistics, bias drift violations and metric data of the merged window."""
    label_bit = 1 if partial.label_column.continuous(partial.label_values) else 0
    label_text = ",".join(canonical(v) or "" for v in partial.label_values)
    baseline = load_baseline(baseline_dir)
    used = partial.counts["used"]
    facets_out: dict[str, list[dict[str, Any]]] = {}
    checks: list[tuple[str, str, str, float]] = []
    for position, (name, _, _) in enumerate(partial.facets):
        cells = partial.cells[position]
        everyone = [0, 0, 0, 0]
        for counts in cells.values():
            everyone = [x + y for x, y in zip(everyone, confusion(counts, label_bit))]
        for value_text, keys, threshold in _groups(partial, position):
            a, d = [0, 0, 0, 0], [0, 0, 0, 0]
            for key, counts in cells.items():
                side = d if _in_d(key, keys, threshold) else a
                for index, count in enumerate(confusion(counts, label_bit)):
                    side[index] += count
            values = post_training_metrics(a, d, everyone)
            metrics_out = []
            for metric in partial.methods:
                value = values[metric]
                metrics_out.append(
                    {
                        "name": metric,
                        "description": METRICS[metric],
                        "value": None if value is None else _json_value(value),
                    }
                )
                if value is not None:
                    checks.append((name, value_text, metric, value))
            facets_out.setdefault(name, []).append({"value_or_threshold": value_text, "metrics": metrics_out})
    violations = []
    for facet, value_text, metric, value in checks:
        base = baseline.get((facet, value_text, metric))
        if base is not None and worse(value, base, metric):
            violations.append(
                {
                    "facet": facet,
                    "facet_value": value_text,
                    "metric_name": metric,
                    "constraint_check_type": "bias_drift_check",
                    "description": f"Value {value} is farther from neutral than the baseline value {base}",
                }
            )
    outcome = verdict(used, int(config.get("minSamples") or 0), len(violations))
    if outcome != "violations":
        violations = []
    metric_data = []
    if outcome in ("violations", "no-violations"):
        dimensions = config_dimensions(config)
        for facet, value_text, metric, value in checks:
            bias_dimensions = [
                *dimensions,
                {"Name": "BiasStage", "Value": "Post-Training"},
                {"Name": "Label", "Value": partial.label_name},
                {"Name": "LabelValue", "Value": label_text},
                {"Name": "Facet", "Value": facet},
                {"Name": "FacetValue", "Value": value_text},
            ]
            metric_data.append(metric_datum("bias_metric_" + metric, value, bias_dimensions))
    statistics = {
        "version": "1.0",
        "post_training_bias_metrics": {
            "label": partial.label_name,
            "label_value_or_threshold": label_text,
            "facets": facets_out,
        },
        "open_backend": {
            "records": dict(partial.counts),
            "skipped": dict(partial.skipped),
            "ground_truth": partial.joiner.join.summary(),
            "not_computed": partial.not_computed,
            "label_type": "continuous" if label_bit else "categorical",
        },
    }
    return Result(statistics, violations, metric_data, outcome, used, skipped=partial.skipped)
