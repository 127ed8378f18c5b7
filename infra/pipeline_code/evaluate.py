"""Evaluate a trained churn model on the validation data (the retraining pipeline's ``Evaluate`` step).

The processing job runs ``python3 /opt/ml/processing/code/evaluate.py`` in the SageMaker XGBoost ``3.0-5``
image (Python 3.10, xgboost 3.0.5, numpy 2.1). It

1. takes ``xgboost-model`` out of ``/opt/ml/processing/model/model.tar.gz`` (the training job's artifact),
2. loads it with ``xgboost.Booster().load_model``, as the hosting container does,
3. scores every ``/opt/ml/processing/validation/*.csv`` (no header, label first, then the features),
4. writes ``/opt/ml/processing/evaluation/evaluation.json`` in the shape of Model Monitor's model-quality
   statistics: ``{"binary_classification_metrics": {"auc": {"value": v, "standard_deviation": "NaN"}, ...}}``
   with ``auc`` (rank based, ties averaged), ``accuracy``, ``precision``, ``recall`` and ``f1`` at the
   threshold 0.5, plus ``confusion_matrix``, ``version`` and ``dataset.item_count``.

Every path is an option, so the script runs locally too::

    python infra/pipeline_code/evaluate.py --model-archive model_artifacts/churn/model.tar.gz \\
        --validation-dir model_artifacts/churn --validation-glob 'validation.csv' --output-dir /tmp/eval

Only numpy and xgboost are needed: the image has no scikit-learn.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

MODEL_MEMBER = "xgboost-model"
"""The file the SageMaker XGBoost container saves and loads from ``model.tar.gz``."""
DEFAULT_MODEL_ARCHIVE = Path("/opt/ml/processing/model/model.tar.gz")
DEFAULT_VALIDATION_DIR = Path("/opt/ml/processing/validation")
DEFAULT_OUTPUT_DIR = Path("/opt/ml/processing/evaluation")
REPORT_FILE = "evaluation.json"
DEFAULT_THRESHOLD = 0.5

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

logger = logging.getLogger("evaluate")


def extract_model(archive: Path, directory: Path) -> Path:
    """Write the archive's ``xgboost-model`` into ``directory`` and return its path.

    The member is read, not extracted, so no path in the archive can write outside ``directory``.
    """
    with tarfile.open(archive, mode="r:*") as tar:
        members = [m for m in tar.getmembers() if m.isfile() and Path(m.name).name == MODEL_MEMBER]
        if not members:
            names = [m.name for m in tar.getmembers()]
            raise ValueError(f"{archive} holds no {MODEL_MEMBER!r} (members: {names})")
        source = tar.extractfile(members[0])
        if source is None:
            raise ValueError(f"cannot read {members[0].name!r} from {archive}")
        target = directory / MODEL_MEMBER
        target.write_bytes(source.read())
    return target


def load_booster(archive: Path) -> xgb.Booster:
    """Load the booster of a SageMaker XGBoost ``model.tar.gz``."""
    with tempfile.TemporaryDirectory() as tmp:
        booster = xgb.Booster()
        booster.load_model(str(extract_model(archive, Path(tmp))))
    return booster


def load_validation(directory: Path, pattern: str = "*.csv") -> tuple[IntArray, FloatArray]:
    """Labels and features of every header-less, label-first CSV under ``directory`` (sorted by name)."""
    files = sorted(p for p in directory.rglob(pattern) if p.is_file())
    if not files:
        raise FileNotFoundError(f"no {pattern!r} files under {directory}")
    tables = [np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2) for path in files]
    tables = [t for t in tables if t.size]
    if not tables:
        raise ValueError(f"the {pattern!r} files under {directory} hold no rows")
    table = np.concatenate(tables, axis=0)
    if table.shape[1] < 2:
        raise ValueError(f"expected a label and at least one feature per row, got {table.shape[1]} column(s)")
    labels = table[:, 0]
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("binary classification labels must be 0 or 1")
    return labels.astype(np.int64), table[:, 1:]


def roc_auc(labels: IntArray, scores: FloatArray) -> float:
    """ROC AUC as the Mann-Whitney U statistic, with average ranks for tied scores."""
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs both classes in the validation data")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based average rank of each distinct score
    ranks = average_rank[inverse]
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else math.nan


def binary_metrics(labels: IntArray, probabilities: FloatArray, threshold: float) -> dict[str, Any]:
    """AUC, accuracy, precision, recall, F1 and the confusion matrix at ``threshold`` (predict 1 if >=)."""
    predicted = (probabilities >= threshold).astype(np.int64)
    tp = int(np.sum((predicted == 1) & (labels == 1)))
    fp = int(np.sum((predicted == 1) & (labels == 0)))
    fn = int(np.sum((predicted == 0) & (labels == 1)))
    tn = int(np.sum((predicted == 0) & (labels == 0)))
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else math.nan
    return {
        "auc": roc_auc(labels, probabilities),
        "accuracy": _ratio(tp + tn, len(labels)),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "confusion_matrix": {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}},
    }


def _metric(value: float) -> dict[str, float | str]:
    # JSON has no NaN: an undefined metric (no positive prediction, say) is written as the string "NaN".
    return {"value": value if math.isfinite(value) else "NaN", "standard_deviation": "NaN"}


def evaluation_report(labels: IntArray, probabilities: FloatArray, threshold: float) -> dict[str, Any]:
    """The report in Model Monitor's model-quality statistics shape (``BinaryClassification``)."""
    metrics = binary_metrics(labels, probabilities, threshold)
    confusion = metrics.pop("confusion_matrix")
    return {
        "version": 0.0,
        "dataset": {"item_count": len(labels)},
        "binary_classification_metrics": {
            "confusion_matrix": confusion,
            **{name: _metric(value) for name, value in metrics.items()},
        },
    }


def evaluate(
    model_archive: Path,
    validation_dir: Path,
    output_dir: Path,
    *,
    validation_glob: str = "*.csv",
    threshold: float = DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    """Score the model on the validation data, write ``evaluation.json`` into ``output_dir``, return the report."""
    booster = load_booster(model_archive)
    labels, features = load_validation(validation_dir, validation_glob)
    probabilities = np.asarray(booster.predict(xgb.DMatrix(features)), dtype=np.float64)
    report = evaluation_report(labels, probabilities, threshold)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: every path defaults to the processing job's layout."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model-archive", type=Path, default=DEFAULT_MODEL_ARCHIVE)
    parser.add_argument("--validation-dir", type=Path, default=DEFAULT_VALIDATION_DIR)
    parser.add_argument(
        "--validation-glob", default="*.csv", help="which files under --validation-dir to read"
    )
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    report = evaluate(
        args.model_archive,
        args.validation_dir,
        args.output_dir,
        validation_glob=args.validation_glob,
        threshold=args.threshold,
    )
    metrics = report["binary_classification_metrics"]
    logger.info(
        "rows=%d auc=%s accuracy=%s",
        report["dataset"]["item_count"],
        metrics["auc"]["value"],
        metrics["accuracy"]["value"],
    )


if __name__ == "__main__":
    main()
