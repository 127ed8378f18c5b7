"""Tests for the Model Monitor / Clarify baselines in ``model_artifacts/churn/baselines``.

They check every file against the documented formats and against the sample data, recomputing the numbers
independently, and that ``build_baselines.py`` reproduces the committed files byte for byte.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "model_artifacts"
CHURN_DIR = ARTIFACTS_DIR / "churn"
BASELINES_DIR = CHURN_DIR / "baselines"
SCRIPT_PATH = ARTIFACTS_DIR / "build_baselines.py"

SPARK_COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
EXPECTED_FILES = {
    "data_quality/statistics.json",
    "data_quality/constraints.json",
    "model_quality/baseline.csv",
    "model_quality/statistics.json",
    "model_quality/constraints.json",
    "bias/analysis_config.json",
    "bias/analysis.json",
    "explainability/analysis_config.json",
    "explainability/analysis.json",
    "ground_truth/sample.jsonl",
}
MODEL_QUALITY_METRICS = {"accuracy", "precision", "recall", "f1", "auc"}
# Keys of a Clarify analysis config for the bias monitor (SDK BiasAnalysisConfig + documented top-level keys).
BIAS_CONFIG_KEYS = {
    "version",
    "dataset_type",
    "headers",
    "label",
    "label_values_or_threshold",
    "facet",
    "group_variable",
    "methods",
    "probability_threshold",
}
MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 0.1,
    "domain_content_threshold": 0.1,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
    },
}
THRESHOLD_MARGIN = 0.05

FloatArray = npt.NDArray[np.float64]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_baselines", SCRIPT_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _read_json(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((BASELINES_DIR / name).read_text(encoding="utf-8"))
    return loaded


def _read_csv(name: str) -> FloatArray:
    return np.loadtxt(CHURN_DIR / name, delimiter=",", dtype=np.float64, ndmin=2)


def _pairwise_auc(labels: FloatArray, scores: FloatArray) -> float:
    """AUC straight from the Mann-Whitney definition: P(score_pos > score_neg) + 0.5 P(tie)."""
    positives = scores[labels == 1]
    negatives = scores[labels == 0]
    assert positives.size > 0
    assert negatives.size > 0
    diff = positives[:, None] - negatives[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return _load_script()


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CHURN_DIR / "dataset_schema.json").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def metrics() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CHURN_DIR / "metrics.json").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def train_features(schema: dict[str, Any]) -> FloatArray:
    """Training features in the endpoint's column order, located by name, not by position."""
    train = _read_csv("train.csv")
    columns = schema["files"]["train.csv"]["columns"]
    return train[:, [columns.index(name) for name in schema["files"]["test_features.csv"]["columns"]]]


@pytest.fixture(scope="module")
def train_labels(schema: dict[str, Any]) -> FloatArray:
    train = _read_csv("train.csv")
    return train[:, schema["files"]["train.csv"]["columns"].index(schema["label"])]


@pytest.fixture(scope="module")
def dq_statistics() -> dict[str, Any]:
    return _read_json("data_quality/statistics.json")


@pytest.fixture(scope="module")
def mq_statistics() -> dict[str, Any]:
    return _read_json("model_quality/statistics.json")


@pytest.fixture(scope="module")
def mq_baseline() -> dict[str, FloatArray]:
    path = BASELINES_DIR / "model_quality" / "baseline.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "prediction,probability,label"
    table = np.loadtxt(path, delimiter=",", dtype=np.float64, skiprows=1, ndmin=2)
    return {"prediction": table[:, 0], "probability": table[:, 1], "label": table[:, 2]}


# --- reproducibility -----------------------------------------------------------------------------------------


def test_committed_file_set() -> None:
    committed = {
        path.relative_to(BASELINES_DIR).as_posix() for path in BASELINES_DIR.rglob("*") if path.is_file()
    }
    assert committed == EXPECTED_FILES


def test_rebuild_is_byte_identical(script: ModuleType, tmp_path: Path) -> None:
    script.build(tmp_path)
    rebuilt = {path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file()}
    assert rebuilt == EXPECTED_FILES
    for name in sorted(EXPECTED_FILES):
        assert (tmp_path / name).read_bytes() == (BASELINES_DIR / name).read_bytes(), name


def test_check_mode_accepts_committed_files(script: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert script.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_mode_reports_stale_missing_and_extra_files(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "baselines"
    shutil.copytree(BASELINES_DIR, copy)
    constraints = copy / "model_quality" / "constraints.json"
    constraints.write_text(
        constraints.read_text(encoding="utf-8").replace("0.7572", "0.7573"), encoding="utf-8"
    )
    (copy / "ground_truth" / "sample.jsonl").unlink()
    (copy / "notes.txt").write_text("stray\n", encoding="utf-8")

    assert script.main(["--check", "--output-dir", str(copy)]) == 1
    report = capsys.readouterr().err
    assert "differs: model_quality/constraints.json" in report
    assert '-      "threshold": 0.7573,' in report
    assert '+      "threshold": 0.7572,' in report
    assert "missing: ground_truth/sample.jsonl" in report
    assert "unexpected: notes.txt" in report


def test_json_files_are_stable_text() -> None:
    for name in sorted(EXPECTED_FILES):
        text = (BASELINES_DIR / name).read_text(encoding="utf-8")
        assert text.endswith("\n"), name
        assert "\r" not in text, name
        if name.endswith(".json"):
            assert text == json.dumps(json.loads(text), indent=2) + "\n", name
            assert "NaN" not in text
            assert "Infinity" not in text


# --- data quality ----------------------------------------------------------------------------------------


def test_data_quality_statistics_layout(dq_statistics: dict[str, Any], schema: dict[str, Any]) -> None:
    assert list(dq_statistics) == ["version", "dataset", "features"]
    assert dq_statistics["version"] == 0
    assert dq_statistics["dataset"] == {"item_count": schema["row_counts"]["train"]}
    names = [feature["name"] for feature in dq_statistics["features"]]
    assert names == schema["files"]["test_features.csv"]["columns"]
    assert _read_csv("test_features.csv").shape[1] == len(names)
    for name in names:
        assert SPARK_COLUMN_NAME.match(name), name


def test_data_quality_feature_statistics(
    dq_statistics: dict[str, Any], schema: dict[str, Any], train_features: FloatArray
) -> None:
    item_count = dq_statistics["dataset"]["item_count"]
    for index, feature in enumerate(dq_statistics["features"]):
        name = feature["name"]
        assert set(feature) == {"name", "inferred_type", "numerical_statistics"}, name
        expected_type = {"int64": "Integral", "float64": "Fractional"}[schema["dtypes"][name]]
        assert feature["inferred_type"] == expected_type, name
        numbers = feature["numerical_statistics"]
        assert set(numbers) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}, name
        assert numbers["common"] == {"num_present": item_count, "num_missing": 0}, name
        for key in ("mean", "sum", "std_dev", "min", "max"):
            assert isinstance(numbers[key], float), (name, key)

        column = train_features[:, index]
        assert numbers["mean"] == pytest.approx(column.mean(), abs=1e-6), name
        assert numbers["sum"] == pytest.approx(column.sum(), abs=1e-6), name
        assert numbers["std_dev"] == pytest.approx(column.std(), abs=1e-6), name
        assert numbers["min"] == column.min(), name
        assert numbers["max"] == column.max(), name


def test_data_quality_kll_buckets(dq_statistics: dict[str, Any], train_features: FloatArray) -> None:
    item_count = dq_statistics["dataset"]["item_count"]
    for index, feature in enumerate(dq_statistics["features"]):
        name = feature["name"]
        numbers = feature["numerical_statistics"]
        kll = numbers["distribution"]["kll"]
        assert set(kll) == {"buckets", "sketch"}, name
        buckets = kll["buckets"]
        assert len(buckets) == 10, name
        for bucket in buckets:
            assert set(bucket) == {"lower_bound", "upper_bound", "count"}, name
            assert bucket["lower_bound"] < bucket["upper_bound"], name
            assert bucket["count"] >= 0, name
        assert sum(bucket["count"] for bucket in buckets) == item_count, name
        for previous, following in itertools.pairwise(buckets):
            assert previous["upper_bound"] == following["lower_bound"], name
        assert buckets[0]["lower_bound"] == numbers["min"], name
        assert buckets[-1]["upper_bound"] == numbers["max"], name

        # Bucket counts agree with the training data (left-closed buckets, the last one closed).
        column = train_features[:, index]
        edges = [bucket["lower_bound"] for bucket in buckets] + [buckets[-1]["upper_bound"]]
        counts, _ = np.histogram(column, bins=edges)
        assert [bucket["count"] for bucket in buckets] == counts.tolist(), name

        sketch = kll["sketch"]
        assert sketch["parameters"] == {"c": 0.64, "k": 2048.0}, name
        assert len(sketch["data"]) == 1, name
        sample = sketch["data"][0]
        assert 0 < len(sample) <= item_count, name
        assert sample == sorted(sample), name
        assert numbers["min"] <= sample[0], name
        assert sample[-1] <= numbers["max"], name
        assert set(sample) <= set(np.round(column, 6).tolist()), name


def test_data_quality_constraints(dq_statistics: dict[str, Any]) -> None:
    constraints = _read_json("data_quality/constraints.json")
    assert list(constraints) == ["version", "features", "monitoring_config"]
    assert constraints["version"] == 0
    assert constraints["monitoring_config"] == MONITORING_CONFIG

    statistics = {feature["name"]: feature for feature in dq_statistics["features"]}
    assert [feature["name"] for feature in constraints["features"]] == list(statistics)
    for feature in constraints["features"]:
        name = feature["name"]
        assert set(feature) == {"name", "inferred_type", "completeness", "num_constraints"}, name
        assert feature["inferred_type"] == statistics[name]["inferred_type"], name
        assert feature["completeness"] == 1.0, name
        is_non_negative = feature["num_constraints"]["is_non_negative"]
        assert isinstance(is_non_negative, bool), name
        assert is_non_negative == (statistics[name]["numerical_statistics"]["min"] >= 0), name


# --- model quality ---------------------------------------------------------------------------------------


def test_model_quality_baseline_matches_validation_set(
    mq_baseline: dict[str, FloatArray], schema: dict[str, Any], metrics: dict[str, Any]
) -> None:
    validation = _read_csv("validation.csv")
    label_index = schema["files"]["validation.csv"]["columns"].index(schema["label"])
    assert len(mq_baseline["label"]) == len(validation) == metrics["validation"]["rows"]
    assert np.array_equal(mq_baseline["label"], validation[:, label_index])
    assert set(np.unique(mq_baseline["prediction"]).tolist()) == {0.0, 1.0}
    assert np.array_equal(mq_baseline["prediction"], (mq_baseline["probability"] >= 0.5).astype(np.float64))
    assert np.all((mq_baseline["probability"] > 0.0) & (mq_baseline["probability"] < 1.0))

    auc = _pairwise_auc(mq_baseline["label"], mq_baseline["probability"])
    assert auc == pytest.approx(metrics["validation"]["auc"], abs=1e-6)
    accuracy = float(np.mean(mq_baseline["prediction"] == mq_baseline["label"]))
    assert accuracy == pytest.approx(metrics["validation"]["accuracy"], abs=1e-6)


def test_model_quality_statistics(mq_statistics: dict[str, Any], mq_baseline: dict[str, FloatArray]) -> None:
    assert list(mq_statistics) == ["version", "dataset", "binary_classification_metrics"]
    assert mq_statistics["version"] == 0.0
    assert isinstance(mq_statistics["version"], float)
    assert mq_statistics["dataset"]["item_count"] == len(mq_baseline["label"])
    assert isinstance(mq_statistics["dataset"]["evaluation_time"], str)

    reported = mq_statistics["binary_classification_metrics"]
    assert set(reported) == MODEL_QUALITY_METRICS
    for metric, entry in reported.items():
        assert set(entry) == {"value", "standard_deviation"}, metric
        assert 0.0 < entry["value"] <= 1.0, metric
        assert 0.0 < entry["standard_deviation"] < 0.1, metric

    labels, predictions = mq_baseline["label"], mq_baseline["prediction"]
    true_positives = float(np.sum((labels == 1) & (predictions == 1)))
    precision = true_positives / float(np.sum(predictions == 1))
    recall = true_positives / float(np.sum(labels == 1))
    expected = {
        "accuracy": float(np.mean(labels == predictions)),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
        "auc": _pairwise_auc(labels, mq_baseline["probability"]),
    }
    for metric, value in expected.items():
        assert reported[metric]["value"] == pytest.approx(value, abs=1e-6), metric


def test_model_quality_constraints_sit_below_validation_metrics(
    mq_statistics: dict[str, Any], metrics: dict[str, Any]
) -> None:
    constraints = _read_json("model_quality/constraints.json")
    assert list(constraints) == ["version", "binary_classification_constraints"]
    assert constraints["version"] == 0.0
    thresholds = constraints["binary_classification_constraints"]
    assert set(thresholds) == MODEL_QUALITY_METRICS
    values = {
        metric: entry["value"] for metric, entry in mq_statistics["binary_classification_metrics"].items()
    }
    for metric, constraint in thresholds.items():
        assert constraint["comparison_operator"] == "LessThanThreshold", metric
        assert constraint["threshold"] < values[metric], metric
        assert constraint["threshold"] == pytest.approx(values[metric] - THRESHOLD_MARGIN, abs=1e-4), metric
    for metric in ("auc", "accuracy"):
        assert thresholds[metric]["threshold"] < metrics["validation"][metric], metric


# --- bias ------------------------------------------------------------------------------------------------


def test_bias_analysis_config(
    schema: dict[str, Any], train_features: FloatArray, train_labels: FloatArray
) -> None:
    config = _read_json("bias/analysis_config.json")
    assert set(config) <= BIAS_CONFIG_KEYS
    assert config["version"] == "1.0"
    assert config["dataset_type"] == "text/csv"
    assert config["headers"] == schema["files"]["train.csv"]["columns"]
    assert config["label"] == schema["label"]
    assert config["label"] in config["headers"]
    assert config["label_values_or_threshold"] == [1]
    assert config["methods"] == {"post_training_bias": {"methods": "all"}}
    assert 0.0 < config["probability_threshold"] < 1.0

    (facet,) = config["facet"]
    assert set(facet) == {"name_or_index", "value_or_threshold"}
    assert facet["name_or_index"] in config["headers"]
    assert facet["name_or_index"] in schema["features"]
    (threshold,) = facet["value_or_threshold"]
    # The facet splits the training data into groups with a real difference in churn rate.
    values = train_features[:, schema["files"]["test_features.csv"]["columns"].index(facet["name_or_index"])]
    above = values > threshold
    assert 0.2 < above.mean() < 0.8
    assert train_labels[~above].mean() - train_labels[above].mean() > 0.05


# --- explainability --------------------------------------------------------------------------------------


def test_explainability_analysis_config(schema: dict[str, Any], dq_statistics: dict[str, Any]) -> None:
    config = _read_json("explainability/analysis_config.json")
    assert list(config) == ["version", "dataset_type", "headers", "methods", "predictor"]
    assert config["version"] == "1.0"
    assert config["dataset_type"] == "text/csv"
    assert config["headers"] == schema["files"]["test_features.csv"]["columns"]
    assert schema["label"] not in config["headers"]

    shap = config["methods"]["shap"]
    assert set(shap) == {
        "baseline",
        "num_samples",
        "agg_method",
        "use_logit",
        "save_local_shap_values",
        "seed",
    }
    (baseline_row,) = shap["baseline"]
    assert len(baseline_row) == len(config["headers"])
    for value, feature in zip(baseline_row, dq_statistics["features"], strict=True):
        numbers = feature["numerical_statistics"]
        assert numbers["min"] <= value <= numbers["max"], feature["name"]
        assert value == pytest.approx(numbers["mean"], abs=1e-4), feature["name"]
    assert shap["num_samples"] == 100
    assert shap["agg_method"] in {"mean_abs", "median", "mean_sq"}
    assert shap["use_logit"] is False
    assert shap["save_local_shap_values"] is True
    assert isinstance(shap["seed"], int)

    predictor = config["predictor"]
    assert predictor == {
        "content_type": "text/csv",
        "accept_type": "text/csv",
        "probability": 0,
        "label_headers": ["churn_probability"],
    }
    # The deployment fills in the model or endpoint; a committed name would point at nothing.
    assert "model_name" not in predictor
    assert "endpoint_name" not in predictor


def test_bias_constraints_hold_the_post_training_metrics_of_the_validation_set(
    mq_baseline: dict[str, FloatArray], schema: dict[str, Any]
) -> None:
    # Layout of a Clarify bias baselining job's analysis.json, which the bias monitor takes as constraints
    # (clarify-processing-job-analysis-results, clarify-model-monitor-bias-drift-violations).
    constraints = _read_json("bias/analysis.json")
    config = _read_json("bias/analysis_config.json")
    assert list(constraints) == ["version", "post_training_bias_metrics"]
    assert constraints["version"] == "1.0"
    post = constraints["post_training_bias_metrics"]
    assert post["label"] == config["label"]
    assert post["label_value_or_threshold"] == str(config["label_values_or_threshold"][0])
    (facet,) = config["facet"]
    (group,) = post["facets"][facet["name_or_index"]]
    assert group["value_or_threshold"] == str(facet["value_or_threshold"][0])

    # Recompute each metric from baseline.csv (the model's validation predictions) and the facet column.
    validation = _read_csv("validation.csv")
    columns = schema["files"]["validation.csv"]["columns"]
    sensitive = validation[:, columns.index(facet["name_or_index"])] > facet["value_or_threshold"][0]
    label, predicted = mq_baseline["label"] == 1, mq_baseline["prediction"] == 1

    def group_rates(rows: npt.NDArray[np.bool_]) -> tuple[float, float, float, float]:
        tp = float(np.sum(label[rows] & predicted[rows]))
        return (
            float(np.mean(label[rows] == predicted[rows])),
            tp / float(np.sum(predicted[rows])),
            float(np.mean(predicted[rows])),
            tp / float(np.sum(label[rows])),
        )

    a, d = group_rates(~sensitive), group_rates(sensitive)
    expected = {"AD": a[0] - d[0], "DAR": a[1] - d[1], "DPPL": a[2] - d[2], "RD": a[3] - d[3]}
    reported = {m["name"]: m["value"] for m in group["metrics"]}
    assert set(reported) == set(expected)
    for name, value in expected.items():
        # The constraint is the measured value moved 0.1 away from 0 (the neutral value of a difference).
        assert abs(reported[name]) == pytest.approx(abs(value) + 0.1, abs=1e-6), name
        assert np.sign(reported[name]) == np.sign(value), name
    for metric in group["metrics"]:
        assert set(metric) == {"name", "description", "value"}
        assert metric["name"] in metric["description"]


def test_explainability_constraints_hold_the_global_shap_values_of_the_validation_set(
    schema: dict[str, Any],
) -> None:
    import tarfile

    import xgboost as xgb

    constraints = _read_json("explainability/analysis.json")
    config = _read_json("explainability/analysis_config.json")
    assert list(constraints) == ["version", "explanations"]
    assert constraints["version"] == "1.0"
    (label,) = config["predictor"]["label_headers"]
    entry = constraints["explanations"]["kernel_shap"][label]
    assert list(entry) == ["global_shap_values", "expected_value"]
    assert list(entry["global_shap_values"]) == config["headers"]

    # Independent recomputation: Shapley values by their subset formula, with the features outside each subset
    # taken from the config's one SHAP baseline row, then the mean absolute value per feature.
    with tarfile.open(CHURN_DIR / "model.tar.gz", "r:gz") as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        booster = xgb.Booster()
        booster.load_model(bytearray(member.read()))
    columns = schema["files"]["validation.csv"]["columns"]
    validation = _read_csv("validation.csv")
    x = validation[:, [columns.index(name) for name in config["headers"]]]
    (baseline,) = np.array(config["methods"]["shap"]["baseline"], dtype=float)[None, :]
    n = len(config["headers"])

    def value(subset: tuple[int, ...]) -> FloatArray:
        rows = np.tile(baseline, (len(x), 1))
        rows[:, list(subset)] = x[:, list(subset)]
        return booster.predict(xgb.DMatrix(rows, nthread=1)).astype(np.float64)

    values = {s: value(s) for k in range(n + 1) for s in itertools.combinations(range(n), k)}
    total = np.zeros(len(x))
    for j, name in enumerate(config["headers"]):
        others = [i for i in range(n) if i != j]
        phi = np.zeros(len(x))
        for k in range(n):
            weight = 1.0 / (n * math.comb(n - 1, k))
            for s in itertools.combinations(others, k):
                phi += weight * (values[tuple(sorted((*s, j)))] - values[s])
        assert entry["global_shap_values"][name] == pytest.approx(float(np.abs(phi).mean()), abs=1e-6), name
        total += phi
    assert entry["expected_value"] == pytest.approx(float(values[()][0]), abs=1e-6)
    # Efficiency: the attributions of a row add up to its score minus the baseline's score.
    np.testing.assert_allclose(total, values[tuple(range(n))] - values[()], atol=1e-5)


# --- ground truth ----------------------------------------------------------------------------------------


def test_ground_truth_sample() -> None:
    lines = (BASELINES_DIR / "ground_truth" / "sample.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    test_labels = _read_csv("test_labels.csv")[:, 0]
    event_ids = []
    for row, line in enumerate(lines):
        record = json.loads(line)
        assert list(record) == ["groundTruthData", "eventMetadata", "eventVersion"]
        assert record["groundTruthData"] == {"data": str(int(test_labels[row])), "encoding": "CSV"}
        assert list(record["eventMetadata"]) == ["eventId"]
        assert UUID.match(record["eventMetadata"]["eventId"])
        assert record["eventVersion"] == "0"
        event_ids.append(record["eventMetadata"]["eventId"])
    assert len(set(event_ids)) == len(event_ids)
