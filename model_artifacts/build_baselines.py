"""Build Model Monitor and Clarify baselines for the churn sample model.

The script reads the committed sample data in ``model_artifacts/churn/`` (header-less CSVs, with the column
names taken from ``dataset_schema.json``), loads ``model.tar.gz`` with xgboost 3.0.5 (the version of the
SageMaker XGBoost container ``3.0-5``) and writes one baseline per Model Monitor type into
``model_artifacts/churn/baselines/``:

- ``data_quality/statistics.json`` and ``data_quality/constraints.json``: the features the endpoint receives
  (the ``test_features.csv`` columns, in order), computed from the training features;
- ``model_quality/baseline.csv``, ``statistics.json`` and ``constraints.json``: binary-classification
  metrics of the model on the validation set;
- ``bias/analysis_config.json``: a Clarify config for the model bias monitor, with ``age`` as the facet;
- ``bias/analysis.json``: its baseline constraints, post-training bias metrics of the model on the validation
  set in the layout of a Clarify baselining job's ``analysis.json``;
- ``explainability/analysis_config.json``: a Clarify SHAP config for the feature attribution monitor;
- ``explainability/analysis.json``: its baseline constraints, global SHAP values of the validation set in the
  layout of a Clarify baselining job's ``analysis.json`` (exact Shapley values against the config's one
  baseline row, which Kernel SHAP estimates);
- ``ground_truth/sample.jsonl``: example ground-truth records in the documented upload format.

The formats follow the Model Monitor and Clarify documentation. The numbers are not those of a SageMaker
baselining job: in particular the KLL "sketch" in ``statistics.json`` is a simple deterministic sample of
the sorted training values, not the sketch Deequ computes. A production baseline comes from the SageMaker
Python SDK (``DefaultModelMonitor.suggest_baseline``, ``ModelQualityMonitor.suggest_baseline``, Clarify
baselining) or from a SageMaker Pipelines ``QualityCheck`` / ``ClarifyCheck`` step.

The output is byte-reproducible. Rebuild, or check the committed files, from the repository root with::

    .venv/bin/python model_artifacts/build_baselines.py
    .venv/bin/python model_artifacts/build_baselines.py --check
"""

from __future__ import annotations

import argparse
import copy
import difflib
import importlib.util
import json
import math
import re
import sys
import tarfile
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

ARTIFACTS_DIR = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = ARTIFACTS_DIR / "churn"
DEFAULT_OUTPUT_DIR = DEFAULT_DATA_DIR / "baselines"
BUILD_CHURN_MODEL_SCRIPT = ARTIFACTS_DIR / "build_churn_model.py"

DATA_QUALITY_STATISTICS = "data_quality/statistics.json"
DATA_QUALITY_CONSTRAINTS = "data_quality/constraints.json"
MODEL_QUALITY_BASELINE = "model_quality/baseline.csv"
MODEL_QUALITY_STATISTICS = "model_quality/statistics.json"
MODEL_QUALITY_CONSTRAINTS = "model_quality/constraints.json"
BIAS_ANALYSIS_CONFIG = "bias/analysis_config.json"
BIAS_CONSTRAINTS = "bias/analysis.json"
EXPLAINABILITY_ANALYSIS_CONFIG = "explainability/analysis_config.json"
EXPLAINABILITY_CONSTRAINTS = "explainability/analysis.json"
GROUND_TRUTH_SAMPLE = "ground_truth/sample.jsonl"
OUTPUT_FILES: tuple[str, ...] = (
    DATA_QUALITY_STATISTICS,
    DATA_QUALITY_CONSTRAINTS,
    MODEL_QUALITY_BASELINE,
    MODEL_QUALITY_STATISTICS,
    MODEL_QUALITY_CONSTRAINTS,
    BIAS_ANALYSIS_CONFIG,
    BIAS_CONSTRAINTS,
    EXPLAINABILITY_ANALYSIS_CONFIG,
    EXPLAINABILITY_CONSTRAINTS,
    GROUND_TRUTH_SAMPLE,
)

# Model Monitor needs Spark-compliant column names: lowercase letters, digits and "_" only.
SPARK_COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# Every float in the JSON files is rounded, so the files are stable text across platforms.
DIGITS = 6
THRESHOLD_DIGITS = 4
SHAP_BASELINE_DIGITS = 4
PROBABILITY_FORMAT = ".10f"  # keeps every distinct float32 score of the validation set distinct

# Data quality. Model Monitor statistics always carry 10 KLL buckets per numeric feature.
KLL_BUCKETS = 10
KLL_PARAMETERS: dict[str, float] = {"c": 0.64, "k": 2048.0}
SKETCH_SAMPLE_SIZE = 128
INFERRED_TYPES: dict[str, str] = {"int64": "Integral", "float64": "Fractional"}
MONITORING_CONFIG: dict[str, Any] = {
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

# Model quality. A metric below (validation value - margin) is a violation.
MODEL_QUALITY_METRICS: tuple[str, ...] = ("accuracy", "precision", "recall", "f1", "auc")
THRESHOLD_MARGIN = 0.05
BOOTSTRAP_RESAMPLES = 50
BOOTSTRAP_SEED = 20261122
# Model Monitor stamps the baselining time here; a fixed value keeps the file reproducible.
EVALUATION_TIME = "1970-01-01T00:00:00.000Z"
MODEL_QUALITY_COLUMNS: tuple[str, str, str] = ("prediction", "probability", "label")

# Bias. Clarify treats a numeric facet threshold as the lower bound of the sensitive group (age > 40).
FACET = "age"
FACET_THRESHOLD = 40
POSITIVE_LABEL = 1
# The facet is only used if the training data shows a real churn-rate gap across the threshold.
MIN_FACET_RATE_GAP = 0.05
MIN_FACET_Z_SCORE = 3.0
# Post-training bias constraints. Clarify records a violation when a metric is farther from its neutral value (0
# for these differences) than the baseline value (clarify-model-monitor-bias-drift-violations): each measured
# value is widened away from 0 by this margin, so sampling noise alone does not trip the monitor.
BIAS_METRIC_MARGIN = 0.1
BIAS_METRICS: dict[str, str] = {
    "AD": "Accuracy Difference (AD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "RD": "Recall Difference (RD)",
}

# Explainability (Clarify SHAP).
SHAP_NUM_SAMPLES = 100
SHAP_SEED = 1
PREDICTOR_LABEL_HEADER = "churn_probability"

# Ground truth.
GROUND_TRUTH_RECORDS = 5

FloatArray = npt.NDArray[np.float64]
JsonObject = dict[str, Any]


def _load_build_churn_model() -> ModuleType:
    """Import ``build_churn_model.py`` by path: ``model_artifacts`` is a folder of scripts, not a package."""
    loaded = sys.modules.get("build_churn_model")
    if loaded is not None and Path(getattr(loaded, "__file__", "")).resolve() == BUILD_CHURN_MODEL_SCRIPT:
        return loaded
    spec = importlib.util.spec_from_file_location("build_churn_model", BUILD_CHURN_MODEL_SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {BUILD_CHURN_MODEL_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


churn = _load_build_churn_model()


@dataclass(frozen=True)
class SampleData:
    """The committed sample data, with the column names and dtypes from ``dataset_schema.json``."""

    label: str
    features: tuple[str, ...]  # the endpoint's input columns, in order (test_features.csv)
    training_columns: tuple[str, ...]  # train.csv / validation.csv columns, in order
    dtypes: dict[str, str]
    train_features: FloatArray
    train_labels: FloatArray
    validation_features: FloatArray
    validation_labels: FloatArray
    test_labels: FloatArray


@dataclass(frozen=True)
class FacetSummary:
    """Observed churn rates on either side of the facet threshold in the training data."""

    threshold: float
    rate_at_or_below: float
    rate_above: float
    count_at_or_below: int
    count_above: int
    z_score: float

    @property
    def gap(self) -> float:
        return self.rate_at_or_below - self.rate_above


def load_sample_data(data_dir: Path) -> SampleData:
    """Read the CSVs and check them against ``dataset_schema.json``.

    The baselines rely on the training and inference schemas matching exactly: the features of
    ``train.csv`` (all columns but the label) must be the ``test_features.csv`` columns in the same order.
    """
    schema: JsonObject = json.loads((data_dir / churn.SCHEMA_FILE).read_text(encoding="utf-8"))
    label: str = schema["label"]
    training_columns = tuple(schema["files"][churn.TRAIN_FILE]["columns"])
    features = tuple(schema["files"][churn.TEST_FEATURES_FILE]["columns"])
    dtypes: dict[str, str] = dict(schema["dtypes"])

    for name in training_columns:
        if not SPARK_COLUMN_NAME.match(name):
            raise ValueError(f"column {name!r} is not Spark-compliant ({SPARK_COLUMN_NAME.pattern})")
        if dtypes.get(name) not in INFERRED_TYPES:
            raise ValueError(
                f"column {name!r} has dtype {dtypes.get(name)!r}, expected one of {list(INFERRED_TYPES)}"
            )
    if tuple(schema["files"][churn.VALIDATION_FILE]["columns"]) != training_columns:
        raise ValueError("validation.csv and train.csv columns differ")
    if tuple(c for c in training_columns if c != label) != features:
        raise ValueError(
            f"training features {training_columns} do not match the inference columns {features}"
        )

    label_index = training_columns.index(label)
    feature_indices = [training_columns.index(name) for name in features]
    train = churn.load_csv(data_dir / churn.TRAIN_FILE)
    validation = churn.load_csv(data_dir / churn.VALIDATION_FILE)
    test_labels = churn.load_csv(data_dir / churn.TEST_LABELS_FILE)[:, 0]
    for name, block in (("train.csv", train), ("validation.csv", validation)):
        if block.shape[1] != len(training_columns):
            raise ValueError(f"{name} has {block.shape[1]} columns, the schema lists {len(training_columns)}")
    return SampleData(
        label=label,
        features=features,
        training_columns=training_columns,
        dtypes=dtypes,
        train_features=train[:, feature_indices],
        train_labels=train[:, label_index],
        validation_features=validation[:, feature_indices],
        validation_labels=validation[:, label_index],
        test_labels=test_labels,
    )


def load_booster(archive: Path) -> xgb.Booster:
    """Load ``xgboost-model`` from ``model.tar.gz`` with the container's xgboost version."""
    churn.check_xgboost_version()
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile(churn.MODEL_FILE)
        if member is None:
            raise ValueError(f"{archive} has no regular file {churn.MODEL_FILE!r}")
        raw = member.read()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return booster


def _round(value: float, digits: int = DIGITS) -> float:
    """Round for stable text; ``+ 0.0`` turns a negative zero into ``0.0``."""
    return round(float(value), digits) + 0.0


def _dump_json(document: object) -> str:
    """JSON in the documented key order (insertion order), 2-space indent, trailing newline."""
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


# --- data quality ------------------------------------------------------------------------------------------


def sketch_sample(sorted_values: FloatArray, size: int = SKETCH_SAMPLE_SIZE) -> FloatArray:
    """Evenly spaced order statistics of ``sorted_values``: the middle element of each of ``size`` slices.

    This stands in for the KLL sketch of a SageMaker baselining job. It is a plain deterministic sample,
    not Deequ's KLL sketch, and carries no compactor levels or weights.
    """
    n = sorted_values.size
    if n <= size:
        return sorted_values
    positions = (2 * np.arange(size, dtype=np.int64) + 1) * n // (2 * size)
    return sorted_values[positions]


def kll_buckets(values: FloatArray) -> list[JsonObject]:
    """Ten equal-width buckets from min to max, as in a baselining job's ``statistics.json``.

    The values are counted against the rounded bounds written to the file, so the file is self-consistent:
    each bucket holds ``lower_bound <= v < upper_bound``, and the last one also holds the maximum.
    """
    low, high = float(values.min()), float(values.max())
    edges = [_round(edge) for edge in np.linspace(low, high, KLL_BUCKETS + 1)]
    # Index of the bucket each value falls in: how many interior bounds are <= the value.
    indices = np.searchsorted(np.array(edges[1:-1]), values, side="right")
    counts = np.bincount(indices, minlength=KLL_BUCKETS)
    return [
        {"lower_bound": edges[i], "upper_bound": edges[i + 1], "count": float(counts[i])}
        for i in range(KLL_BUCKETS)
    ]


def feature_statistics(name: str, inferred_type: str, column: FloatArray) -> JsonObject:
    """One ``features[]`` entry of a data-quality ``statistics.json``."""
    present = np.sort(column[~np.isnan(column)])
    if present.size == 0:
        raise ValueError(f"feature {name!r} has no values")
    return {
        "name": name,
        "inferred_type": inferred_type,
        "numerical_statistics": {
            "common": {"num_present": int(present.size), "num_missing": int(column.size - present.size)},
            "mean": _round(present.mean()),
            "sum": _round(present.sum()),
            "std_dev": _round(present.std()),  # population standard deviation
            "min": _round(present[0]),
            "max": _round(present[-1]),
            "distribution": {
                "kll": {
                    "buckets": kll_buckets(present),
                    "sketch": {
                        "parameters": dict(KLL_PARAMETERS),
                        "data": [[_round(value) for value in sketch_sample(present)]],
                    },
                }
            },
        },
    }


def data_quality_statistics(data: SampleData) -> JsonObject:
    """Data-quality ``statistics.json`` of the training features, in endpoint input order."""
    features = []
    for index, name in enumerate(data.features):
        column = data.train_features[:, index]
        inferred_type = INFERRED_TYPES[data.dtypes[name]]
        if inferred_type == "Integral" and not np.array_equal(column, np.rint(column)):
            raise ValueError(f"feature {name!r} is declared int64 but holds fractional values")
        features.append(feature_statistics(name, inferred_type, column))
    return {"version": 0, "dataset": {"item_count": len(data.train_features)}, "features": features}


def data_quality_constraints(statistics: JsonObject) -> JsonObject:
    """Data-quality ``constraints.json`` derived from the statistics, as a baselining job suggests them."""
    item_count = statistics["dataset"]["item_count"]
    features = []
    for feature in statistics["features"]:
        numbers = feature["numerical_statistics"]
        features.append(
            {
                "name": feature["name"],
                "inferred_type": feature["inferred_type"],
                "completeness": _round(numbers["common"]["num_present"] / item_count),
                "num_constraints": {"is_non_negative": numbers["min"] >= 0},
            }
        )
    return {"version": 0, "features": features, "monitoring_config": copy.deepcopy(MONITORING_CONFIG)}


# --- model quality -----------------------------------------------------------------------------------------


def format_probability(probability: float) -> str:
    """Fixed-point text of a model score, as written to ``model_quality/baseline.csv``."""
    return f"{probability:{PROBABILITY_FORMAT}}"


def binary_classification_metrics(labels: FloatArray, probabilities: FloatArray) -> dict[str, float]:
    """Accuracy, precision, recall, F1 (at ``CLASSIFICATION_THRESHOLD``) and ROC AUC."""
    actual = labels == POSITIVE_LABEL
    predicted = probabilities >= churn.CLASSIFICATION_THRESHOLD
    true_positives = int(np.sum(actual & predicted))
    precision = true_positives / int(predicted.sum()) if predicted.any() else 0.0
    recall = true_positives / int(actual.sum()) if actual.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "accuracy": float(np.mean(actual == predicted)),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "auc": float(churn.roc_auc(labels, probabilities)),
    }


def bootstrap_standard_deviations(labels: FloatArray, probabilities: FloatArray) -> dict[str, float]:
    """Sample standard deviation of each metric over a seeded bootstrap of the rows."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws: dict[str, list[float]] = {metric: [] for metric in MODEL_QUALITY_METRICS}
    n = labels.size
    for _ in range(BOOTSTRAP_RESAMPLES):
        rows = rng.integers(0, n, n)
        for metric, value in binary_classification_metrics(labels[rows], probabilities[rows]).items():
            draws[metric].append(value)
    return {metric: float(np.std(values, ddof=1)) for metric, values in draws.items()}


def model_quality_baseline_csv(labels: FloatArray, probabilities: FloatArray) -> str:
    """``prediction,probability,label`` rows, one per validation row, with a header."""
    lines = [",".join(MODEL_QUALITY_COLUMNS)]
    for label, probability in zip(labels, probabilities, strict=True):
        prediction = int(probability >= churn.CLASSIFICATION_THRESHOLD)
        lines.append(f"{prediction},{format_probability(float(probability))},{int(label)}")
    return "\n".join(lines) + "\n"


def model_quality_statistics(
    item_count: int, values: dict[str, float], std_devs: dict[str, float]
) -> JsonObject:
    """Model-quality ``statistics.json`` for ``BinaryClassification``."""
    return {
        "version": 0.0,
        "dataset": {"item_count": item_count, "evaluation_time": EVALUATION_TIME},
        "binary_classification_metrics": {
            metric: {"value": _round(values[metric]), "standard_deviation": _round(std_devs[metric])}
            for metric in MODEL_QUALITY_METRICS
        },
    }


def model_quality_constraints(values: dict[str, float]) -> JsonObject:
    """Model-quality ``constraints.json``: a violation when a metric falls below value - margin."""
    return {
        "version": 0.0,
        "binary_classification_constraints": {
            metric: {
                "threshold": _round(values[metric] - THRESHOLD_MARGIN, THRESHOLD_DIGITS),
                "comparison_operator": "LessThanThreshold",
            }
            for metric in sorted(MODEL_QUALITY_METRICS)
        },
    }


# --- bias --------------------------------------------------------------------------------------------------


def facet_summary(data: SampleData, facet: str = FACET, threshold: float = FACET_THRESHOLD) -> FacetSummary:
    """Churn rates for ``facet <= threshold`` and ``facet > threshold`` and a two-proportion z score."""
    values = data.train_features[:, data.features.index(facet)]
    churned = data.train_labels == POSITIVE_LABEL
    above = values > threshold
    n_above, n_below = int(above.sum()), int((~above).sum())
    if n_above == 0 or n_below == 0:
        raise ValueError(f"facet {facet!r} threshold {threshold} leaves one group empty")
    rate_above = float(churned[above].mean())
    rate_below = float(churned[~above].mean())
    pooled = float(churned.mean())
    standard_error = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_above + 1.0 / n_below))
    return FacetSummary(
        threshold=threshold,
        rate_at_or_below=rate_below,
        rate_above=rate_above,
        count_at_or_below=n_below,
        count_above=n_above,
        z_score=(rate_below - rate_above) / standard_error,
    )


def bias_analysis_config(data: SampleData, summary: FacetSummary) -> JsonObject:
    """Clarify ``analysis_config.json`` for the model bias monitor (post-training bias on ``age``).

    ``headers`` follow the ``train.csv`` layout (label first); ``label`` names the label column, so the
    config does not depend on its position.
    """
    if abs(summary.gap) < MIN_FACET_RATE_GAP or abs(summary.z_score) < MIN_FACET_Z_SCORE:
        raise ValueError(
            f"facet {FACET!r} at {summary.threshold} shows no real churn-rate difference "
            f"({summary.rate_at_or_below:.3f} vs {summary.rate_above:.3f}, z={summary.z_score:.2f}); "
            "choose another facet or threshold"
        )
    return {
        "version": "1.0",
        "dataset_type": "text/csv",
        "headers": list(data.training_columns),
        "label": data.label,
        "label_values_or_threshold": [POSITIVE_LABEL],
        "facet": [{"name_or_index": FACET, "value_or_threshold": [FACET_THRESHOLD]}],
        "methods": {"post_training_bias": {"methods": "all"}},
        "probability_threshold": churn.CLASSIFICATION_THRESHOLD,
    }


def bias_constraints(
    data: SampleData, probabilities: FloatArray, facet: str = FACET, threshold: float = FACET_THRESHOLD
) -> JsonObject:
    """Baseline constraints of the bias monitor: post-training bias metrics on the validation set.

    The layout is that of the ``analysis.json`` a Clarify bias baselining job writes (the SDK's
    ``ClarifyBaseliningJob.suggested_constraints`` reads that file; analysis results:
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-analysis-results.html). The
    sensitive group ``d`` is ``facet > threshold`` (a numeric facet threshold is the exclusive lower bound of
    the group), ``a`` the others; the metrics follow the post-training bias metric definitions
    (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-post-training-bias.html).
    """
    values = data.validation_features[:, data.features.index(facet)]
    actual = data.validation_labels == POSITIVE_LABEL
    predicted = probabilities >= churn.CLASSIFICATION_THRESHOLD
    sensitive = values > threshold

    def rates(group: npt.NDArray[np.bool_]) -> dict[str, float]:
        true_positives = float(np.sum(actual[group] & predicted[group]))
        return {
            "accuracy": float(np.mean(actual[group] == predicted[group])),
            "acceptance": true_positives / float(np.sum(predicted[group])),
            "positive_proportion": float(np.mean(predicted[group])),
            "recall": true_positives / float(np.sum(actual[group])),
        }

    a, d = rates(~sensitive), rates(sensitive)
    measured = {
        "AD": a["accuracy"] - d["accuracy"],
        "DAR": a["acceptance"] - d["acceptance"],
        "DPPL": a["positive_proportion"] - d["positive_proportion"],
        "RD": a["recall"] - d["recall"],
    }
    metrics = [
        {
            "name": name,
            "description": BIAS_METRICS[name],
            "value": _round(value + math.copysign(BIAS_METRIC_MARGIN, value)),
        }
        for name, value in sorted(measured.items())
    ]
    return {
        "version": "1.0",
        "post_training_bias_metrics": {
            "label": data.label,
            "label_value_or_threshold": str(POSITIVE_LABEL),
            "facets": {facet: [{"value_or_threshold": str(threshold), "metrics": metrics}]},
        },
    }


# --- explainability ----------------------------------------------------------------------------------------


def explainability_analysis_config(data: SampleData) -> JsonObject:
    """Clarify SHAP ``analysis_config.json``; the SHAP baseline is the mean training row.

    ``predictor`` has no ``model_name`` / ``endpoint_name``: those depend on the deployment and are filled
    in when the monitor is deployed.
    """
    baseline_row = [_round(value, SHAP_BASELINE_DIGITS) for value in data.train_features.mean(axis=0)]
    return {
        "version": "1.0",
        "dataset_type": "text/csv",
        "headers": list(data.features),
        "methods": {
            "shap": {
                "baseline": [baseline_row],
                "num_samples": SHAP_NUM_SAMPLES,
                "agg_method": "mean_abs",
                "use_logit": False,
                "save_local_shap_values": True,
                "seed": SHAP_SEED,
            }
        },
        "predictor": {
            "content_type": "text/csv",
            "accept_type": "text/csv",
            "probability": 0,
            "label_headers": [PREDICTOR_LABEL_HEADER],
        },
    }


def exact_shapley_values(
    booster: xgb.Booster, features: FloatArray, baseline_row: FloatArray
) -> tuple[FloatArray, float]:
    """Shapley values of the model's probability for each row against one baseline row, and f(baseline).

    The value of a coalition S is the model's score for the row with the features outside S taken from the
    baseline row: the quantity Kernel SHAP estimates from ``num_samples`` coalitions, computed here over all
    2^n of them (n = 7).
    """
    rows, n = features.shape
    masks = np.array([[(m >> j) & 1 for j in range(n)] for m in range(1 << n)], dtype=bool)
    sizes = masks.sum(axis=1)
    # Every row under every coalition, scored in one batch.
    composed = np.where(masks[None, :, :], features[:, None, :], baseline_row[None, None, :])
    scores = churn.predict(booster, composed.reshape(-1, n)).astype(np.float64).reshape(rows, 1 << n)
    weights = np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)])
    shap = np.zeros((rows, n))
    for j in range(n):
        without = np.flatnonzero(~masks[:, j])
        with_j = without | (1 << j)
        shap[:, j] = ((scores[:, with_j] - scores[:, without]) * weights[sizes[without]]).sum(axis=1)
    expected = float(churn.predict(booster, baseline_row[None, :])[0])
    return shap, expected


def explainability_constraints(data: SampleData, booster: xgb.Booster, config: JsonObject) -> JsonObject:
    """Baseline constraints of the feature attribution monitor: global SHAP values of the validation set.

    Laid out as the ``analysis.json`` of a Clarify explainability baselining job (``explanations.kernel_shap``,
    one entry per label header, ``global_shap_values`` aggregated with the config's ``agg_method``:
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-analysis-results.html).
    """
    shap_config = config["methods"]["shap"]
    if shap_config["agg_method"] != "mean_abs":
        raise ValueError(f"only mean_abs aggregation is implemented, got {shap_config['agg_method']!r}")
    (baseline_row,) = shap_config["baseline"]
    shap, expected = exact_shapley_values(
        booster, data.validation_features, np.array(baseline_row, dtype=float)
    )
    global_values = np.abs(shap).mean(axis=0)
    (label,) = config["predictor"]["label_headers"]
    return {
        "version": "1.0",
        "explanations": {
            "kernel_shap": {
                label: {
                    "global_shap_values": {
                        name: _round(value) for name, value in zip(data.features, global_values, strict=True)
                    },
                    "expected_value": _round(expected),
                }
            }
        },
    }


# --- ground truth ------------------------------------------------------------------------------------------


def event_id(row: int) -> str:
    """A deterministic UUID for the ``row``-th test record (real ids come from the captured requests)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:sagemaker-constructs:churn:test_labels.csv:{row}"))


def ground_truth_sample(labels: FloatArray, records: int = GROUND_TRUTH_RECORDS) -> str:
    """JSON Lines ground-truth records for the first test rows, in the documented upload format."""
    lines = []
    for row, label in enumerate(labels[:records]):
        record = {
            "groundTruthData": {"data": str(int(label)), "encoding": "CSV"},
            "eventMetadata": {"eventId": event_id(row)},
            "eventVersion": "0",
        }
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


# --- build and check ---------------------------------------------------------------------------------------


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def build(output_dir: Path = DEFAULT_OUTPUT_DIR, data_dir: Path = DEFAULT_DATA_DIR) -> JsonObject:
    """Write every baseline file into ``output_dir``. Returns a summary of the key numbers."""
    data = load_sample_data(data_dir)
    booster = load_booster(data_dir / churn.MODEL_ARCHIVE)
    recorded: JsonObject = json.loads((data_dir / churn.METRICS_FILE).read_text(encoding="utf-8"))

    statistics = data_quality_statistics(data)
    _write_text(output_dir / DATA_QUALITY_STATISTICS, _dump_json(statistics))
    _write_text(output_dir / DATA_QUALITY_CONSTRAINTS, _dump_json(data_quality_constraints(statistics)))

    scores = churn.predict(booster, data.validation_features).astype(np.float64)
    # Metrics come from the scores exactly as written to baseline.csv, so the CSV and the statistics agree.
    written_scores = np.array([float(format_probability(score)) for score in scores])
    values = binary_classification_metrics(data.validation_labels, written_scores)
    for metric in ("auc", "accuracy"):
        if abs(values[metric] - recorded["validation"][metric]) > 1e-9:
            raise RuntimeError(
                f"validation {metric} {values[metric]} differs from metrics.json "
                f"{recorded['validation'][metric]}: rebuild the model first"
            )
    std_devs = bootstrap_standard_deviations(data.validation_labels, written_scores)
    _write_text(
        output_dir / MODEL_QUALITY_BASELINE,
        model_quality_baseline_csv(data.validation_labels, written_scores),
    )
    _write_text(
        output_dir / MODEL_QUALITY_STATISTICS,
        _dump_json(model_quality_statistics(len(written_scores), values, std_devs)),
    )
    constraints = model_quality_constraints(values)
    _write_text(output_dir / MODEL_QUALITY_CONSTRAINTS, _dump_json(constraints))

    summary = facet_summary(data)
    _write_text(output_dir / BIAS_ANALYSIS_CONFIG, _dump_json(bias_analysis_config(data, summary)))
    _write_text(output_dir / BIAS_CONSTRAINTS, _dump_json(bias_constraints(data, written_scores)))
    shap_config = explainability_analysis_config(data)
    _write_text(output_dir / EXPLAINABILITY_ANALYSIS_CONFIG, _dump_json(shap_config))
    _write_text(
        output_dir / EXPLAINABILITY_CONSTRAINTS,
        _dump_json(explainability_constraints(data, booster, shap_config)),
    )
    _write_text(output_dir / GROUND_TRUTH_SAMPLE, ground_truth_sample(data.test_labels))

    return {
        "data_quality_item_count": statistics["dataset"]["item_count"],
        "model_quality": {
            metric: {
                "value": _round(values[metric]),
                "standard_deviation": _round(std_devs[metric]),
                "threshold": constraints["binary_classification_constraints"][metric]["threshold"],
            }
            for metric in MODEL_QUALITY_METRICS
        },
        "facet": {
            "name": FACET,
            "threshold": summary.threshold,
            f"churn_rate_{FACET}_le_{FACET_THRESHOLD}": _round(summary.rate_at_or_below, 4),
            f"churn_rate_{FACET}_gt_{FACET_THRESHOLD}": _round(summary.rate_above, 4),
            f"rows_{FACET}_le_{FACET_THRESHOLD}": summary.count_at_or_below,
            f"rows_{FACET}_gt_{FACET_THRESHOLD}": summary.count_above,
            "z_score": _round(summary.z_score, 2),
        },
    }


def _relative_files(root: Path) -> set[str]:
    if not root.is_dir():
        return set()
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def check(output_dir: Path = DEFAULT_OUTPUT_DIR, data_dir: Path = DEFAULT_DATA_DIR) -> list[str]:
    """Rebuild into a temporary directory and compare with ``output_dir`` byte for byte.

    Returns one problem per missing, extra or differing file (with the start of a unified diff).
    """
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh_dir = Path(tmp)
        build(fresh_dir, data_dir)
        expected, actual = _relative_files(fresh_dir), _relative_files(output_dir)
        problems.extend(f"missing: {name}" for name in sorted(expected - actual))
        problems.extend(f"unexpected: {name}" for name in sorted(actual - expected))
        for name in sorted(expected & actual):
            fresh = (fresh_dir / name).read_bytes()
            committed = (output_dir / name).read_bytes()
            if fresh == committed:
                continue
            diff = difflib.unified_diff(
                committed.decode("utf-8", errors="replace").splitlines(),
                fresh.decode("utf-8", errors="replace").splitlines(),
                fromfile=f"committed/{name}",
                tofile=f"rebuilt/{name}",
                lineterm="",
                n=1,
            )
            excerpt = "\n".join(f"    {line}" for line in list(diff)[:12])
            problems.append(f"differs: {name}\n{excerpt}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Build the baselines, or with ``--check`` verify that the committed ones are up to date."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"the sample model and data (default: {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help=f"where the baselines are written or checked (default: {DEFAULT_OUTPUT_DIR})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="rebuild into a temporary directory and exit 1 if the files in --output-dir differ",
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.output_dir, args.data_dir)
        if problems:
            print(f"{len(problems)} baseline file(s) out of date in {args.output_dir}:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            print("rebuild with: .venv/bin/python model_artifacts/build_baselines.py", file=sys.stderr)
            return 1
        print(f"{len(OUTPUT_FILES)} baseline files in {args.output_dir} are up to date")
        return 0
    summary = build(args.output_dir, args.data_dir)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
