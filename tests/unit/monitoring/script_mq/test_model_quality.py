"""Model quality of the open backend's script against scikit-learn's metrics, AWS's documented example, the churn
baseline, and shard merging."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm
from support.monitor_records import BASELINES, churn_validation, records, round_trip, write_ground_truth

from sagemaker_constructs._monitor_script import _metrics_math
from sagemaker_constructs._monitor_script import model_quality as mq

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

BINARY = {
    "problemType": "BinaryClassification",
    "probabilityAttribute": "0",
    "probabilityThresholdAttribute": 0.5,
}


def run(
    config: dict[str, Any], predictions: list[Any], labels: list[Any], tmp_path: Path, shards: int = 1
) -> mq.Result:
    truth = write_ground_truth(tmp_path / "gt" / "labels.jsonl", labels)
    captured = records(predictions)
    partials = []
    for shard in range(shards):
        partial = mq.new_partial(config, None, ground_truth_files=[str(truth.parent)])
        for record in captured[shard::shards]:
            partial.add(record)
        partials.append(mq.Partial.from_json(round_trip(partial.to_json())) if shards > 1 else partial)
    merged = partials[0]
    for other in partials[1:]:
        merged.merge(other)
    return mq.finish(config, merged, None)


def values(result: mq.Result, problem: str) -> dict[str, float]:
    section = result.statistics[mq.PROBLEMS[problem] + "_metrics"]
    return {k: v["value"] for k, v in section.items() if k != "confusion_matrix"}


@pytest.fixture(scope="module")
def binary_data() -> tuple[list[int], list[float]]:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 400)
    scores = np.clip(0.35 * labels + rng.normal(0.35, 0.2, 400), 0, 1)
    return labels.tolist(), scores.tolist()


def test_binary_metrics_equal_scikit_learn(
    binary_data: tuple[list[int], list[float]], tmp_path: Path
) -> None:
    labels, scores = binary_data
    got = values(run(BINARY, scores, labels, tmp_path), "BinaryClassification")
    predicted = [int(s > 0.5) for s in scores]
    tn, fp, fn, tp = skm.confusion_matrix(labels, predicted).ravel()
    expected = {
        "accuracy": skm.accuracy_score(labels, predicted),
        "precision": skm.precision_score(labels, predicted),
        "recall": skm.recall_score(labels, predicted),
        "f0_5": skm.fbeta_score(labels, predicted, beta=0.5),
        "f1": skm.f1_score(labels, predicted),
        "f2": skm.fbeta_score(labels, predicted, beta=2),
        "auc": skm.roc_auc_score(labels, scores),
        "true_positive_rate": tp / (tp + fn),
        "true_negative_rate": tn / (tn + fp),
        "false_positive_rate": fp / (fp + tn),
        "false_negative_rate": fn / (fn + tp),
    }
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-12), name


def test_auc_with_ties_is_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 300).tolist()
    scores = [round(float(s), 1) for s in rng.random(300)]  # 11 distinct scores: many ties
    got = values(run(BINARY, scores, labels, tmp_path), "BinaryClassification")
    assert got["auc"] == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)


def test_binned_auc_is_within_its_stated_bound(
    binary_data: tuple[list[int], list[float]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_metrics_math, "EXACT_SCORE_LIMIT", 50)
    monkeypatch.setattr(_metrics_math, "SCORE_BINS", 20)
    labels, scores = binary_data
    result = run(BINARY, scores, labels, tmp_path)
    extra = result.statistics["open_backend"]
    assert extra["auc_method"] == "binned"
    assert 0 < extra["auc_error_bound"] < 0.1
    exact = skm.roc_auc_score(labels, scores)
    assert abs(values(result, "BinaryClassification")["auc"] - exact) <= extra["auc_error_bound"]


def test_awss_documented_binary_example(tmp_path: Path) -> None:
    # model-monitor-model-quality-metrics: confusion {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}.
    config = {"problemType": "BinaryClassification", "inferenceAttribute": "0"}
    result = run(config, [1, 1, 1, 0], [1, 0, 0, 0], tmp_path)
    section = result.statistics["binary_classification_metrics"]
    assert section["confusion_matrix"] == {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}
    documented = {
        "recall": 1.0,
        "precision": 0.3333333333333333,
        "accuracy": 0.5,
        "recall_best_constant_classifier": 1.0,
        "precision_best_constant_classifier": 0.25,
        "accuracy_best_constant_classifier": 0.25,
        "true_positive_rate": 1.0,
        "true_negative_rate": 0.33333333333333337,
        "false_positive_rate": 0.6666666666666666,
        "false_negative_rate": 0.0,
        "f0_5": 0.3846153846153846,
        "f1": 0.5,
        "f2": 0.7142857142857143,
        "f0_5_best_constant_classifier": 0.29411764705882354,
        "f1_best_constant_classifier": 0.4,
        "f2_best_constant_classifier": 0.625,
    }
    for name, value in documented.items():
        assert section[name]["value"] == pytest.approx(value, abs=1e-12), name
        assert section[name]["standard_deviation"] == "NaN"  # fewer than 200 samples
    assert "auc" not in section  # no score attribute: no ranking to measure


def test_regression_metrics_equal_scikit_learn(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    actual = rng.normal(100, 15, 300)
    predicted = actual + rng.normal(0, 5, 300)
    config = {"problemType": "Regression", "inferenceAttribute": "0"}
    got = values(run(config, predicted.tolist(), actual.tolist(), tmp_path), "Regression")
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(actual, predicted), rel=1e-12)
    assert got["mse"] == pytest.approx(skm.mean_squared_error(actual, predicted), rel=1e-12)
    assert got["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(actual, predicted)), rel=1e-12)
    assert got["r2"] == pytest.approx(skm.r2_score(actual, predicted), rel=1e-9)


def test_multiclass_metrics_equal_scikit_learn(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    actual = rng.choice(["cat", "dog", "bird"], 300, p=[0.5, 0.3, 0.2])
    predicted = np.where(rng.random(300) < 0.7, actual, rng.choice(["cat", "dog", "bird", "fish"], 300))
    config = {"problemType": "MulticlassClassification", "inferenceAttribute": "0"}
    got = values(run(config, predicted.tolist(), actual.tolist(), tmp_path), "MulticlassClassification")
    kwargs: dict[str, Any] = {"average": "weighted", "zero_division": 0}
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(actual, predicted), abs=1e-12)
    assert got["weighted_precision"] == pytest.approx(
        skm.precision_score(actual, predicted, **kwargs), abs=1e-12
    )
    assert got["weighted_recall"] == pytest.approx(skm.recall_score(actual, predicted, **kwargs), abs=1e-12)
    assert got["weighted_f1"] == pytest.approx(skm.f1_score(actual, predicted, **kwargs), abs=1e-12)
    for name, beta in (("weighted_f0_5", 0.5), ("weighted_f2", 2.0)):
        assert got[name] == pytest.approx(skm.fbeta_score(actual, predicted, beta=beta, **kwargs), abs=1e-12)


@pytest.mark.parametrize(
    ("config", "kind"),
    [
        (BINARY, "binary"),
        ({"problemType": "Regression", "inferenceAttribute": "0"}, "regression"),
        ({"problemType": "MulticlassClassification", "inferenceAttribute": "0"}, "multiclass"),
    ],
)
def test_three_shards_merge_to_the_single_pass(config: dict[str, Any], kind: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(17)
    labels: list[Any] = rng.integers(0, 3 if kind == "multiclass" else 2, 450).tolist()
    if kind == "regression":
        labels = (rng.normal(0, 1, 450) * 1e3).tolist()
    predictions = rng.random(450).tolist() if kind != "multiclass" else rng.integers(0, 3, 450).tolist()
    single = run(config, predictions, labels, tmp_path / "one")
    merged = run(config, predictions, labels, tmp_path / "three", shards=3)
    assert json.dumps(merged.statistics, sort_keys=True) == json.dumps(single.statistics, sort_keys=True)
    assert merged.metric_data == single.metric_data
    section = single.statistics[mq.PROBLEMS[config["problemType"]] + "_metrics"]
    deviation = next(v for k, v in section.items() if k != "confusion_matrix")["standard_deviation"]
    assert isinstance(deviation, float)  # 450 samples: 5 replicates
    assert deviation > 0


def test_binned_scores_merge_to_the_single_pass(
    binary_data: tuple[list[int], list[float]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        _metrics_math, "EXACT_SCORE_LIMIT", 150
    )  # each shard stays exact, the window does not
    labels, scores = binary_data
    single = run(BINARY, scores, labels, tmp_path / "one")
    merged = run(BINARY, scores, labels, tmp_path / "three", shards=3)
    assert single.statistics["open_backend"]["auc_method"] == "binned"
    assert json.dumps(merged.statistics, sort_keys=True) == json.dumps(single.statistics, sort_keys=True)


@pytest.mark.parametrize(
    ("operator", "threshold", "violates"),
    [
        ("LessThanThreshold", 0.8, True),
        ("LessThanThreshold", 0.75, False),
        ("LessThanOrEqualToThreshold", 0.75, True),
        ("GreaterThanThreshold", 0.7, True),
        ("GreaterThanThreshold", 0.75, False),
        ("GreaterThanOrEqualToThreshold", 0.75, True),
    ],
)
def test_comparison_operators(operator: str, threshold: float, violates: bool) -> None:
    constraints = {"accuracy": {"threshold": threshold, "comparison_operator": operator}}
    violations, unchecked = mq.check({"accuracy": 0.75}, constraints)
    assert unchecked == []
    if violates:
        assert violations == [
            {
                "metric_name": "accuracy",
                "constraint_check_type": operator,
                "description": f"Metric accuracy with 0.75 was {operator} {threshold}",
            }
        ]
    else:
        assert violations == []


def test_unknown_operator_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"'comparison_operator' of 'auc' must be one of .* got 'Below'"):
        mq.check({"auc": 0.5}, {"auc": {"threshold": 0.7, "comparison_operator": "Below"}})


def churn_window(tmp_path: Path, flip: float = 0.0, min_samples: int = 100) -> mq.Result:
    _, labels, scores = churn_validation()
    rng = np.random.default_rng(1)
    shown = [1 - y if rng.random() < flip else y for y in labels]
    config = {**BINARY, "minSamples": min_samples, "metrics": {"dimensions": {"Endpoint": "churn"}}}
    truth = write_ground_truth(tmp_path / "labels.jsonl", shown)
    partial = mq.new_partial(config, None, ground_truth_files=[str(truth)])
    for record in records(scores):
        partial.add(record)
    return mq.finish(config, partial, str(BASELINES / "model_quality"))


def test_churn_window_reproduces_the_baseline_statistics(tmp_path: Path) -> None:
    result = churn_window(tmp_path)
    baseline = json.loads((BASELINES / "model_quality" / "statistics.json").read_text())
    got = result.statistics["binary_classification_metrics"]
    for name, entry in baseline["binary_classification_metrics"].items():
        assert got[name]["value"] == pytest.approx(entry["value"], abs=1e-6), name
    assert result.statistics["dataset"]["item_count"] == baseline["dataset"]["item_count"]
    assert result.verdict == "no-violations"
    assert result.violations == []
    auc = next(d for d in result.metric_data if d["MetricName"] == "auc")
    assert auc["Dimensions"] == [{"Name": "Endpoint", "Value": "churn"}]
    assert auc["Value"] == got["auc"]["value"]


def test_degraded_labels_violate_the_churn_constraints(tmp_path: Path) -> None:
    result = churn_window(tmp_path, flip=0.4)
    assert result.verdict == "violations"
    assert {v["metric_name"] for v in result.violations} >= {"accuracy", "auc"}
    assert {v["constraint_check_type"] for v in result.violations} == {"LessThanThreshold"}


def test_small_window_is_insufficient_data(tmp_path: Path) -> None:
    result = churn_window(tmp_path, flip=0.4, min_samples=1000)
    assert result.verdict == "insufficient-data"
    assert result.violations == []
    assert result.metric_data == []


def test_no_joined_records_is_no_data(tmp_path: Path) -> None:
    truth = write_ground_truth(tmp_path / "labels.jsonl", [1, 0], prefix="other")
    partial = mq.new_partial(BINARY, None, ground_truth_files=[str(truth)])
    for record in records([0.9, 0.1, 0.4]):
        partial.add(record)
    result = mq.finish(BINARY, partial, None)
    assert result.verdict == "no-data"
    assert result.statistics["open_backend"]["ground_truth"] == {
        "labels": 2,
        "matched": 0,
        "matched_ids": 0,
        "unmatched_captures": 3,
        "unmatched_labels": 2,
    }


def test_bad_problem_type_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"'problemType' must be one of .* got 'Ranking'"):
        mq.new_partial({"problemType": "Ranking"})


_WEIGHTED_METRICS_IN_A_FRESH_PROCESS = """
import json, sys
sys.path.insert(0, sys.argv[1])  # the script's own package, as the container imports it (no aws_cdk)
from _monitor_script import model_quality as mq
partial = mq.Partial({"problemType": "MulticlassClassification", "inferenceAttribute": "0"})
labels = ["cat", "dog", "bird", "fish", "ant", "owl", "elk"]
partial.classes = {
    0: {a: {p: 1 + (7 * i + 3 * j) % 11 for j, p in enumerate(labels)} for i, a in enumerate(labels)}
}
print(json.dumps(partial.metrics([0]), sort_keys=True))
"""


def test_multiclass_metrics_do_not_depend_on_the_processs_hash_seed() -> None:
    # The weighted averages are float sums over the labels: summed in a set's order, their last bits changed with
    # PYTHONHASHSEED, so a merged run and a single pass could differ (test_three_shards_merge_to_the_single_pass
    # failed under PYTHONHASHSEED=5).
    outputs = set()
    for seed in ("0", "1", "2", "3", "4", "5", "6", "7"):
        done = subprocess.run(
            [sys.executable, "-c", _WEIGHTED_METRICS_IN_A_FRESH_PROCESS, str(Path(mq.__file__).parents[1])],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1, outputs
