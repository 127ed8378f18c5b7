"""The ModelQuality monitor type: predictions joined with ground truth, Model Monitor's metrics, constraint checks.

Semantics (AWS):
- Metrics per problem type and the ``statistics.json`` layout (``<problem>_metrics`` of ``{value,
  standard_deviation}``, ``confusion_matrix`` as actual label -> predicted label -> count): "Model quality
  metrics", https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html. Binary:
  accuracy, precision, recall, f0_5, f1, f2, true/false positive/negative rates, auc, and the "best constant
  classifier" values (the page's example numbers are those of always predicting the positive class). Multiclass:
  accuracy and support-weighted precision, recall, f0_5, f1, f2. Regression: mae, mse, rmse, r2.
- Standard deviation: only with at least 200 samples, from 5 random 80% subsamples (same page); otherwise the
  string ``"NaN"`` as in AWS's example. Here a record's subsample membership is a hash of its id, so shards merge
  exactly (:func:`._metrics_math.replicate_mask`); the value is the population standard deviation of the 5.
- Constraints: ``constraints.json`` holds ``<problem>_constraints`` of ``{metric: {threshold,
  comparison_operator}}`` (SageMaker Developer Guide, "Create a model quality baseline",
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-baseline.html). A metric violates
  when ``value <operator> threshold`` holds (``LessThanThreshold``: value < threshold, ...).
- Violations: ``{"metric_name", "constraint_check_type": <the comparison operator>, "description"}``, the form of
  Model Monitor-compatible model-quality containers (amzn/MonitoringCustomMetrics, which "follow[s] the formats and
  standards defined by Amazon SageMaker Model Monitor": test/monitoring_custom_metrics/model_quality/
  binary_classification/test_gini.py expects ``{"constraint_check_type": "LessThanThreshold", "description":
  "Metric gini with 0.6111 was LessThanThreshold 0.6611", "metric_name": "gini"}``).
- Metric names are the statistics' keys, published with the config's dimensions (aws-facts §4.1).

Inputs (monitor.json): ``problemType``; ``inferenceAttribute`` (predicted label or value),
``probabilityAttribute`` (score of the positive class), ``probabilityThresholdAttribute`` (default 0.5): each a
CSV column index (``"0"``) or a simple JSON path (see :func:`._metrics_math.extract`). Binary labels and
predicted labels are numbers (1 positive, 0 negative; ``true``/``false`` accepted); without
``inferenceAttribute`` the predicted label is ``score > threshold`` (Clarify's documented rule, "A score greater
than the threshold is converted to 1"; Model Monitor does not document its own).

AUC: the partial keeps the exact count of positives and negatives per distinct score while there are at most
:data:`EXACT_SCORE_LIMIT` distinct scores; AUC is then exact (ties count one half, as scikit-learn's
``roc_auc_score``). Beyond that, scores go into :data:`SCORE_BINS` equal bins of [0, 1] (outside values in the end
bins), ties within a bin count one half, and ``open_backend.auc_error_bound`` states the bound
``sum_b pos_b * neg_b / (2 * P * N)`` on the difference to the exact AUC. Which mode applies depends only on the
whole window's distinct scores, so shards merge to the single-pass result.

Small windows: fewer than ``minSamples`` joined records give ``insufficient-data``, no violations and no metrics
(a metric alarm on a handful of labels would be noise).
"""

from __future__ import annotations

import json
import math
import os
from fractions import Fraction
from typing import Any

from . import ground_truth as gt
from ._metrics_math import (
    MIN_SAMPLES_FOR_STD,
    REPLICATES,
    ExactSum,
    Result,
    ScoreCounts,
    canonical,
    config_dimensions,
    extract,
    f_beta,
    merge_counts,
    metric_datum,
    record_key,
    replicate_mask,
    safe_ratio,
    std_dev,
    to_float,
    verdict,
)

PROBLEMS = {
    "BinaryClassification": "binary_classification",
    "MulticlassClassification": "multiclass_classification",
    "Regression": "regression",
}
OPERATORS = {
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
}
MASKS = 1 << REPLICATES


def problem_of(config: dict[str, Any]) -> str:
    """The monitor's problem type, checked."""
    problem = config.get("problemType")
    if problem not in PROBLEMS:
        raise ValueError(f"'problemType' must be one of {sorted(PROBLEMS)}, got {problem!r}")
    return str(problem)


class Partial:
    """Mergeable sufficient statistics of one shard of a model-quality window."""

    def __init__(self, config: dict[str, Any], truth: gt.GroundTruth | None = None) -> None:
        self.problem = problem_of(config)
        self.inference_attribute = config.get("inferenceAttribute")
        self.probability_attribute = config.get("probabilityAttribute")
        threshold = config.get("probabilityThresholdAttribute")
        self.threshold = 0.5 if threshold is None else float(threshold)
        self.joiner = gt.Joiner(truth or gt.GroundTruth())
        self.counts: dict[str, int] = {"read": 0, "used": 0}
        self.skipped: dict[str, int] = {}
        self.confusion: dict[int, list[int]] = {}  # binary: mask -> [tp, fp, fn, tn]
        self.scores = ScoreCounts()
        # multiclass: mask -> actual label -> predicted label -> count
        self.classes: dict[int, dict[str, dict[str, int]]] = {}
        self.sums: dict[int, list[Any]] = {}  # regression: mask -> [abs err, sq err, y, y^2, n]

    def add_ground_truth(self, paths: list[str], counts: Any = None) -> None:
        """Load the window's labels (``run.py`` calls this before the first :meth:`add`); ``counts`` (the data
        channel's read counts) is left alone: the label counts are reported under ``open_backend.ground_truth``."""
        del counts
        self.joiner = gt.Joiner(gt.load(paths))

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def add(self, record: Any) -> None:
        """Join one captured record with its label and count it."""
        self.counts["read"] += 1
        label = self.joiner.label(record)
        if label is None:
            self._skip("no_ground_truth")
            return
        if record.prediction is None:
            self._skip("no_prediction")
            return
        mask = replicate_mask(record_key(record))
        if self.problem == "BinaryClassification":
            used = self._add_binary(mask, label, record.prediction)
        elif self.problem == "Regression":
            used = self._add_regression(mask, label, record.prediction)
        else:
            used = self._add_multiclass(mask, label, record.prediction)
        if used:
            self.counts["used"] += 1

    def _add_binary(self, mask: int, label: str, prediction: Any) -> bool:
        actual = to_float(label)
        if actual not in (0.0, 1.0):
            self._skip("invalid_label")
            return False
        score = None
        if self.probability_attribute is not None:
            score = to_float(extract(prediction, self.probability_attribute))
        if self.inference_attribute is not None:
            predicted = to_float(extract(prediction, self.inference_attribute))
            if predicted not in (0.0, 1.0):
                self._skip("invalid_prediction")
                return False
            positive_prediction = predicted == 1.0
        else:
            if score is None:
                score = to_float(extract(prediction, None))
            if score is None:
                self._skip("invalid_prediction")
                return False
            positive_prediction = score > self.threshold
        cell = self.confusion.setdefault(mask, [0, 0, 0, 0])
        positive = actual == 1.0
        cell[(0 if positive else 1) if positive_prediction else (2 if positive else 3)] += 1
        if score is not None:
            self.scores.add(mask, score, positive)
        return True

    def _add_regression(self, mask: int, label: str, prediction: Any) -> bool:
        actual = to_float(label)
        predicted = to_float(extract(prediction, self.inference_attribute))
        if actual is None:
            self._skip("invalid_label")
            return False
        if predicted is None:
            self._skip("invalid_prediction")
            return False
        sums = self.sums.setdefault(mask, [ExactSum(), ExactSum(), ExactSum(), ExactSum(), 0])
        error = predicted - actual
        for index, value in enumerate((abs(error), error * error, actual, actual * actual)):
            sums[index].add(value)
        sums[4] += 1
        return True

    def _add_multiclass(self, mask: int, label: str, prediction: Any) -> bool:
        actual = canonical(label)
        predicted = canonical(extract(prediction, self.inference_attribute))
        if actual is None:
            self._skip("invalid_label")
            return False
        if predicted is None:
            self._skip("invalid_prediction")
            return False
        row = self.classes.setdefault(mask, {}).setdefault(actual, {})
        row[predicted] = row.get(predicted, 0) + 1
        return True

    def to_json(self) -> dict[str, Any]:
        """The partial as JSON (see :meth:`from_json`)."""
        return {
            "monitoringType": "ModelQuality",
            "problemType": self.problem,
            "counts": dict(self.counts),
            "skipped": dict(self.skipped),
            "join": self.joiner.join.to_json(),
            "confusion": {str(m): c for m, c in self.confusion.items()},
            "scores": self.scores.to_json(),
            "classes": {str(m): c for m, c in self.classes.items()},
            "sums": {str(m): [s.to_json() for s in v[:4]] + [v[4]] for m, v in self.sums.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Partial:
        """A partial from :meth:`to_json` (the attributes do not matter after analysis)."""
        partial = cls({"problemType": data["problemType"]})
        partial.counts = {k: int(v) for k, v in data["counts"].items()}
        partial.skipped = {k: int(v) for k, v in data["skipped"].items()}
        partial.joiner.join = gt.JoinCounts.from_json(data["join"])
        partial.confusion = {int(m): [int(x) for x in c] for m, c in data["confusion"].items()}
        partial.scores = ScoreCounts.from_json(data["scores"])
        partial.classes = {int(m): c for m, c in data["classes"].items()}
        partial.sums = {int(m): [ExactSum(s) for s in v[:4]] + [int(v[4])] for m, v in data["sums"].items()}
        return partial

    def merge(self, other: Partial) -> None:
        """Add another shard's statistics (exact)."""
        merge_counts(self.counts, other.counts)
        merge_counts(self.skipped, other.skipped)
        self.joiner.join.merge(other.joiner.join)
        for mask, cell in other.confusion.items():
            mine = self.confusion.setdefault(mask, [0, 0, 0, 0])
            for index, count in enumerate(cell):
                mine[index] += count
        self.scores.merge(other.scores)
        for mask, rows in other.classes.items():
            for actual, row in rows.items():
                merge_counts(self.classes.setdefault(mask, {}).setdefault(actual, {}), row)
        for mask, sums in other.sums.items():
            mine_sums = self.sums.setdefault(mask, [ExactSum(), ExactSum(), ExactSum(), ExactSum(), 0])
            for index in range(4):
                mine_sums[index].merge(sums[index])
            mine_sums[4] += sums[4]

    # --------------------------------------------------------------------------------------------- metrics

    def metrics(self, masks: list[int]) -> dict[str, float]:
        """The problem's metric values over the records of the given replicate masks."""
        if self.problem == "BinaryClassification":
            return self._binary_metrics(masks)
        if self.problem == "Regression":
            return self._regression_metrics(masks)
        return self._multiclass_metrics(masks)

    def _binary_metrics(self, masks: list[int]) -> dict[str, float]:
        tp = fp = fn = tn = 0
        for mask in masks:
            a, b, c, d = self.confusion.get(mask, (0, 0, 0, 0))
            tp, fp, fn, tn = tp + a, fp + b, fn + c, tn + d
        total = tp + fp + fn + tn
        if not total:
            return {}
        precision, recall = safe_ratio(tp, tp + fp), safe_ratio(tp, tp + fn)
        prevalence = (tp + fn) / total
        constant_recall = 1.0 if tp + fn else 0.0
        values = {
            "accuracy": (tp + tn) / total,
            "precision": precision,
            "recall": recall,
            "f0_5": f_beta(precision, recall, 0.5),
            "f1": f_beta(precision, recall, 1.0),
            "f2": f_beta(precision, recall, 2.0),
            "true_positive_rate": recall,
            "true_negative_rate": safe_ratio(tn, tn + fp),
            "false_positive_rate": safe_ratio(fp, fp + tn),
            "false_negative_rate": safe_ratio(fn, fn + tp),
            "accuracy_best_constant_classifier": prevalence,
            "precision_best_constant_classifier": prevalence,
            "recall_best_constant_classifier": constant_recall,
            "f0_5_best_constant_classifier": f_beta(prevalence, constant_recall, 0.5),
            "f1_best_constant_classifier": f_beta(prevalence, constant_recall, 1.0),
            "f2_best_constant_classifier": f_beta(prevalence, constant_recall, 2.0),
        }
        auc, _ = self.scores.auc(masks)
        if auc is not None:
            values["auc"] = auc
        return values

    def _regression_metrics(self, masks: list[int]) -> dict[str, float]:
        sums = [ExactSum(), ExactSum(), ExactSum(), ExactSum()]
        count = 0
        for mask in masks:
            if mask in self.sums:
                for index in range(4):
                    sums[index].merge(self.sums[mask][index])
                count += self.sums[mask][4]
        if not count:
            return {}
        mae, mse = sums[0].value() / count, sums[1].value() / count
        # Total sum of squares from the exact sums, in exact rational arithmetic (no cancellation).
        sum_y = sum((Fraction(p) for p in sums[2].partials), Fraction(0))
        sum_y2 = sum((Fraction(p) for p in sums[3].partials), Fraction(0))
        total = float(sum_y2 - sum_y * sum_y / count)
        sse = sums[1].value()
        # scikit-learn's r2_score: 1.0 for a perfect fit of a constant target, 0.0 for an imperfect one.
        r2 = (1.0 if sse == 0 else 0.0) if total <= 0 else 1.0 - sse / total
        return {"mae": mae, "mse": mse, "rmse": math.sqrt(mse), "r2": r2}

    def _multiclass_metrics(self, masks: list[int]) -> dict[str, float]:
        matrix: dict[str, dict[str, int]] = {}
        for mask in masks:
            for actual, row in self.classes.get(mask, {}).items():
                merge_counts(matrix.setdefault(actual, {}), row)
        total = sum(sum(row.values()) for row in matrix.values())
        if not total:
            return {}
        # In a fixed order: the weighted sums below are float sums, whose last bits depend on the order of their
        # terms, and a set of strings iterates in an order that changes from process to process (hash seed).
        labels = sorted(set(matrix) | {p for row in matrix.values() for p in row})
        predicted_totals = dict.fromkeys(labels, 0)
        for row in matrix.values():
            for predicted, count in row.items():
                predicted_totals[predicted] += count
        correct = sum(row.get(actual, 0) for actual, row in matrix.items())
        weighted = {"precision": 0.0, "recall": 0.0, "f0_5": 0.0, "f1": 0.0, "f2": 0.0}
        for label in labels:
            support = sum(matrix.get(label, {}).values())
            if not support:
                continue  # scikit-learn's "weighted" average: weights are the true supports
            hits = matrix.get(label, {}).get(label, 0)
            precision, recall = safe_ratio(hits, predicted_totals[label]), hits / support
            weight = support / total
            weighted["precision"] += weight * precision
            weighted["recall"] += weight * recall
            for name, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
                weighted[name] += weight * f_beta(precision, recall, beta)
        values = {"accuracy": correct / total}
        values.update({"weighted_" + name: value for name, value in weighted.items()})
        return values

    def confusion_matrix(self) -> dict[str, dict[str, int]] | None:
        """Actual label -> predicted label -> count over the whole window (classification only)."""
        if self.problem == "BinaryClassification":
            tp = fp = fn = tn = 0
            for a, b, c, d in self.confusion.values():
                tp, fp, fn, tn = tp + a, fp + b, fn + c, tn + d
            return {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}
        if self.problem == "MulticlassClassification":
            matrix: dict[str, dict[str, int]] = {}
            for rows in self.classes.values():
                for actual, row in rows.items():
                    merge_counts(matrix.setdefault(actual, {}), row)
            return {a: dict(sorted(r.items())) for a, r in sorted(matrix.items())}
        return None


def new_partial(
    config: dict[str, Any], baseline_dir: str | None = None, ground_truth_files: Any = ()
) -> Partial:
    """An empty partial with the window's labels loaded from ``ground_truth_files`` (files or folders); ``run.py``
    passes none and calls :meth:`Partial.add_ground_truth` instead."""
    del baseline_dir  # the baseline is only read by finish
    return Partial(config, gt.load(ground_truth_files))


def load_constraints(baseline_dir: str | None, problem: str) -> dict[str, Any]:
    """``<problem>_constraints`` of the baseline's ``constraints.json`` (empty without one)."""
    if not baseline_dir:
        return {}
    path = os.path.join(baseline_dir, "constraints.json")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as stream:
        document = json.load(stream)
    section = document.get(PROBLEMS[problem] + "_constraints") or {}
    return dict(section)


def check(values: dict[str, float], constraints: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Violations of ``constraints`` by ``values``, and the constrained metrics this backend does not compute."""
    violations: list[dict[str, Any]] = []
    unchecked: list[str] = []
    for metric, constraint in sorted(constraints.items()):
        operator = constraint.get("comparison_operator")
        if operator not in OPERATORS:
            raise ValueError(
                f"constraints.json: 'comparison_operator' of {metric!r} must be one of {sorted(OPERATORS)}, "
                f"got {operator!r}"
            )
        threshold = float(constraint["threshold"])
        if metric not in values:
            unchecked.append(metric)
            continue
        if OPERATORS[operator](values[metric], threshold):
            violations.append(
                {
                    "metric_name": metric,
                    "constraint_check_type": operator,
                    "description": f"Metric {metric} with {values[metric]} was {operator} {threshold}",
                }
            )
    return violations, unchecked


def finish(config: dict[str, Any], partial: Partial, baseline_dir: str | None = None) -> Result:
    """Metrics, statistics.json, violations and metric data of the merged window."""
    values = partial.metrics(list(range(1 << REPLICATES)))
    used = partial.counts["used"]
    deviations: dict[str, Any] = {}
    if used >= MIN_SAMPLES_FOR_STD:
        replicas = [
            partial.metrics([m for m in range(1 << REPLICATES) if m >> r & 1]) for r in range(REPLICATES)
        ]
        for name in values:
            samples = [replica[name] for replica in replicas if name in replica]
            deviations[name] = std_dev(samples) if len(samples) == REPLICATES else "NaN"
    section: dict[str, Any] = {}
    matrix = partial.confusion_matrix()
    if matrix is not None and used:
        section["confusion_matrix"] = matrix
    for name, value in values.items():
        section[name] = {"value": value, "standard_deviation": deviations.get(name, "NaN")}
    auc, bound = partial.scores.auc(list(range(1 << REPLICATES)))
    dataset: dict[str, Any] = {"item_count": used}
    window_end = (config.get("window") or {}).get("end")
    if window_end:
        dataset["evaluation_time"] = window_end
    min_samples = int(config.get("minSamples") or 0)
    constraints = load_constraints(baseline_dir, partial.problem)
    violations, unchecked = check(values, constraints)
    outcome = verdict(used, min_samples, len(violations))
    if outcome != "violations":
        violations = []
    statistics = {
        "version": 0.0,
        "dataset": dataset,
        PROBLEMS[partial.problem] + "_metrics": section,
        "open_backend": {
            "records": dict(partial.counts),
            "skipped": dict(partial.skipped),
            "ground_truth": partial.joiner.join.summary(),
            "auc_method": "binned" if partial.scores.binned else "exact",
            "auc_error_bound": bound if auc is not None else None,
            "unchecked_constraints": unchecked,
        },
    }
    metric_data: list[dict[str, Any]] = []
    if outcome in ("violations", "no-violations"):
        dimensions = config_dimensions(config)
        metric_data = [metric_datum(name, value, dimensions) for name, value in values.items()]
    return Result(statistics, violations, metric_data, outcome, used, skipped=partial.skipped)
