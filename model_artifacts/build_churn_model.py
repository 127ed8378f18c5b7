"""Build the deterministic synthetic customer-churn sample model for the reference application.

The script

1. generates a synthetic, seeded customer-churn table (``numpy.random.default_rng``),
2. splits it deterministically into train (70 %), validation (15 %) and test (15 %),
3. writes the splits in the formats the SageMaker built-in XGBoost container expects
   (CSV, no header; label in the first column for training; features only for inference),
4. trains an XGBoost binary classifier with the *same* xgboost version as the container image
   ``3.0-5`` (xgboost==3.0.5), and
5. packs the booster as ``xgboost-model`` into a byte-reproducible ``model.tar.gz``.

Rebuild from the repository root with::

    .venv/bin/python model_artifacts/build_churn_model.py

All outputs land in ``model_artifacts/churn/`` unless ``--output-dir`` is given.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import tarfile
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import xgboost as xgb

# The SageMaker built-in XGBoost image "3.0-5" installs xgboost==3.0.5. A model saved by another
# xgboost version may fail to load or behave differently in the container, so the build is pinned.
CONTAINER_IMAGE_VERSION = "3.0-5"
REQUIRED_XGBOOST_VERSION = "3.0.5"

SEED = 20261122
N_ROWS = 3000
TRAIN_FRACTION = 0.70
VALIDATION_FRACTION = 0.15  # the remaining 15 % is the test split

LABEL = "churned"


@dataclass(frozen=True)
class ColumnSpec:
    """A dataset column: Spark-compliant name, dtype and number of decimals written to CSV."""

    name: str
    dtype: str  # "int64" or "float64"
    decimals: int = 0


FEATURE_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("age", "int64"),
    ColumnSpec("tenure_months", "int64"),
    ColumnSpec("monthly_charges", "float64", 2),
    ColumnSpec("support_calls", "int64"),
    ColumnSpec("contract_monthly", "int64"),
    ColumnSpec("has_fiber", "int64"),
    ColumnSpec("num_products", "int64"),
)
LABEL_SPEC = ColumnSpec(LABEL, "int64")
FEATURES: tuple[str, ...] = tuple(spec.name for spec in FEATURE_SPECS)
COLUMNS: tuple[str, ...] = (LABEL, *FEATURES)  # training CSV column order: label first

TRAIN_FILE = "train.csv"
VALIDATION_FILE = "validation.csv"
TEST_FEATURES_FILE = "test_features.csv"
TEST_LABELS_FILE = "test_labels.csv"
SCHEMA_FILE = "dataset_schema.json"
METRICS_FILE = "metrics.json"
MODEL_FILE = "xgboost-model"  # the name the SageMaker XGBoost container loads from model.tar.gz
MODEL_ARCHIVE = "model.tar.gz"

XGB_PARAMS: dict[str, str | int | float] = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": 3,
    "eta": 0.1,
    "min_child_weight": 5,
    "tree_method": "hist",
    "nthread": 1,
    "seed": SEED,
}
NUM_BOOST_ROUND = 100
CLASSIFICATION_THRESHOLD = 0.5

DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent / "churn"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Dataset:
    """The generated table: one array per column, in ``COLUMNS`` order."""

    columns: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.int64]]

    @property
    def n_rows(self) -> int:
        return len(self.columns[LABEL])


@dataclass(frozen=True)
class Split:
    """Row indices of the three deterministic splits."""

    train: IntArray
    validation: IntArray
    test: IntArray


def check_xgboost_version(installed: str = xgb.__version__) -> None:
    """Refuse to build with an xgboost version other than the one in the target container."""
    if installed != REQUIRED_XGBOOST_VERSION:
        raise RuntimeError(
            f"xgboost=={installed} is installed, but the SageMaker XGBoost container "
            f"{CONTAINER_IMAGE_VERSION} runs xgboost=={REQUIRED_XGBOOST_VERSION}; "
            f"install xgboost=={REQUIRED_XGBOOST_VERSION} so the model loads identically when hosted."
        )


def _sigmoid(z: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-z))


def generate_dataset(seed: int = SEED, n_rows: int = N_ROWS) -> Dataset:
    """Generate the synthetic churn table. The draw order is fixed, so the output depends only on the seed."""
    rng = np.random.default_rng(seed)
    age = np.clip(np.rint(rng.normal(44.0, 14.0, n_rows)), 18, 85).astype(np.int64)
    contract_monthly = (rng.random(n_rows) < 0.55).astype(np.int64)
    tenure_scale = np.where(contract_monthly == 1, 8.0, 18.0)
    tenure_months = np.clip(np.rint(rng.gamma(2.0, tenure_scale)), 0, 72).astype(np.int64)
    has_fiber = (rng.random(n_rows) < 0.45).astype(np.int64)
    num_products = (1 + rng.binomial(4, 0.3, n_rows)).astype(np.int64)
    charges_mean = 22.0 + 28.0 * has_fiber + 9.0 * (num_products - 1)
    charges = np.clip(charges_mean + rng.normal(0.0, 7.0, n_rows), 18.0, 140.0)
    monthly_charges = np.round(charges, 2).astype(np.float64)
    support_calls = rng.poisson(0.9 + 0.5 * has_fiber).astype(np.int64)

    # Churn log-odds: monthly contracts, short tenure, high charges, many support calls and fiber raise
    # churn; more products lower it; younger customers churn more (an age effect for bias monitoring).
    logit = (
        -1.3
        + 1.3 * contract_monthly
        - 0.05 * (tenure_months - 20)
        + 0.02 * (monthly_charges - 55.0)
        + 0.4 * (support_calls - 1.2)
        + 0.35 * has_fiber
        - 0.35 * (num_products - 2)
        - 0.03 * (age - 44)
    )
    churned = (rng.random(n_rows) < _sigmoid(logit)).astype(np.int64)

    return Dataset(
        columns={
            LABEL: churned,
            "age": age,
            "tenure_months": tenure_months,
            "monthly_charges": monthly_charges,
            "support_calls": support_calls,
            "contract_monthly": contract_monthly,
            "has_fiber": has_fiber,
            "num_products": num_products,
        }
    )


def split_indices(n_rows: int, seed: int = SEED) -> Split:
    """Shuffle the rows with a seeded generator and cut them 70/15/15."""
    order = np.random.default_rng(seed + 1).permutation(n_rows).astype(np.int64)
    n_train = round(n_rows * TRAIN_FRACTION)
    n_validation = round(n_rows * VALIDATION_FRACTION)
    return Split(
        train=order[:n_train],
        validation=order[n_train : n_train + n_validation],
        test=order[n_train + n_validation :],
    )


def _format_rows(dataset: Dataset, specs: tuple[ColumnSpec, ...], rows: IntArray) -> str:
    """Render the selected rows/columns as header-less CSV text with a fixed number format."""
    rendered: list[list[str]] = []
    for spec in specs:
        values = dataset.columns[spec.name][rows]
        if spec.dtype == "int64":
            rendered.append([str(int(v)) for v in values])
        else:
            rendered.append([f"{float(v):.{spec.decimals}f}" for v in values])
    return "".join(",".join(fields) + "\n" for fields in zip(*rendered, strict=True))


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def build_schema(dataset: Dataset, split: Split, seed: int) -> dict[str, object]:
    """Describe the header-less CSVs so baselines (Model Monitor, Clarify) can put the headers back."""
    return {
        "label": LABEL,
        "features": list(FEATURES),
        "training_columns": list(COLUMNS),
        "dtypes": {spec.name: spec.dtype for spec in (LABEL_SPEC, *FEATURE_SPECS)},
        "decimals": {spec.name: spec.decimals for spec in FEATURE_SPECS if spec.dtype == "float64"},
        "seed": seed,
        "row_counts": {
            "total": dataset.n_rows,
            "train": len(split.train),
            "validation": len(split.validation),
            "test": len(split.test),
        },
        "files": {
            TRAIN_FILE: {"header": False, "columns": list(COLUMNS)},
            VALIDATION_FILE: {"header": False, "columns": list(COLUMNS)},
            TEST_FEATURES_FILE: {"header": False, "columns": list(FEATURES)},
            TEST_LABELS_FILE: {"header": False, "columns": [LABEL]},
        },
    }


def write_dataset(output_dir: Path, seed: int = SEED, n_rows: int = N_ROWS) -> dict[str, object]:
    """Generate, split and write the CSVs and ``dataset_schema.json`` into ``output_dir``.

    Returns the schema.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    dataset = generate_dataset(seed, n_rows)
    split = split_indices(n_rows, seed)
    training_specs = (LABEL_SPEC, *FEATURE_SPECS)
    _write_text(output_dir / TRAIN_FILE, _format_rows(dataset, training_specs, split.train))
    _write_text(output_dir / VALIDATION_FILE, _format_rows(dataset, training_specs, split.validation))
    _write_text(output_dir / TEST_FEATURES_FILE, _format_rows(dataset, FEATURE_SPECS, split.test))
    _write_text(output_dir / TEST_LABELS_FILE, _format_rows(dataset, (LABEL_SPEC,), split.test))
    schema = build_schema(dataset, split, seed)
    _write_text(output_dir / SCHEMA_FILE, json.dumps(schema, indent=2) + "\n")
    return schema


def load_csv(path: Path) -> FloatArray:
    """Read a header-less numeric CSV (as the container does) into a 2-D float array."""
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


def train_booster(output_dir: Path) -> tuple[xgb.Booster, dict[str, dict[str, list[float]]]]:
    """Train on the written ``train.csv`` (validation for evaluation), exactly the bytes the container gets.

    No feature names are set on the DMatrix: the container predicts on header-less CSV, and a booster
    carrying feature names would reject an unnamed DMatrix.
    """
    check_xgboost_version()
    train = load_csv(output_dir / TRAIN_FILE)
    validation = load_csv(output_dir / VALIDATION_FILE)
    dtrain = xgb.DMatrix(train[:, 1:], label=train[:, 0], nthread=1)
    dvalidation = xgb.DMatrix(validation[:, 1:], label=validation[:, 0], nthread=1)
    evals_result: dict[str, dict[str, list[float]]] = {}
    booster = xgb.train(
        XGB_PARAMS,
        dtrain,
        num_boost_round=NUM_BOOST_ROUND,
        evals=[(dtrain, "train"), (dvalidation, "validation")],
        evals_result=evals_result,
        verbose_eval=False,
    )
    return booster, evals_result


def roc_auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """ROC AUC as the Mann-Whitney U statistic with average ranks for ties (no sklearn needed)."""
    y = np.asarray(labels).astype(np.int64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs both classes")
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based average rank of each distinct score
    ranks = average_rank[inverse]
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def accuracy(labels: npt.ArrayLike, probabilities: npt.ArrayLike) -> float:
    y = np.asarray(labels).astype(np.int64).ravel()
    scores = np.asarray(probabilities, dtype=np.float64).ravel()
    predicted = (scores >= CLASSIFICATION_THRESHOLD).astype(np.int64)
    return float(np.mean(predicted == y))


def predict(booster: xgb.Booster, features: FloatArray) -> npt.NDArray[np.float32]:
    return booster.predict(xgb.DMatrix(features, nthread=1))


def save_booster(booster: xgb.Booster, path: Path) -> None:
    """Save the booster under the container's file name ``xgboost-model``.

    xgboost 3.0.5 chooses the format from the file extension (``.json`` -> JSON, ``.ubj`` -> UBJSON,
    ``.deprecated`` -> legacy binary). A name without extension, such as ``xgboost-model``, is written
    as UBJSON (the default since xgboost 2.1) and xgboost warns about it. The container's
    ``Booster().load_model(path)`` detects UBJSON from the content, so this is what we want.
    """
    if path.name != MODEL_FILE:
        raise ValueError(f"the container loads a file named {MODEL_FILE!r}, got {path.name!r}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Saving model in the UBJSON format as default.*")
        booster.save_model(str(path))


def pack_model(model_path: Path, archive_path: Path) -> None:
    """Pack ``model_path`` as the single root member ``xgboost-model`` of a byte-reproducible tar.gz.

    The tar header carries mtime 0, uid/gid 0 and empty user/group names; the gzip header carries
    mtime 0 and no file name, so identical model bytes always give an identical archive.
    """
    data = model_path.read_bytes()
    info = tarfile.TarInfo(name=MODEL_FILE)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    info.uid = 0
    info.gid = 0
    info.uname = ""
    info.gname = ""
    info.type = tarfile.REGTYPE
    with (
        archive_path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar,
    ):
        tar.addfile(info, io.BytesIO(data))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(output_dir: Path = DEFAULT_OUTPUT_DIR, seed: int = SEED, n_rows: int = N_ROWS) -> dict[str, object]:
    """Write the dataset, train the model, pack ``model.tar.gz`` and write ``metrics.json``.

    Returns the metrics.
    """
    check_xgboost_version()
    schema = write_dataset(output_dir, seed, n_rows)
    booster, evals_result = train_booster(output_dir)

    validation = load_csv(output_dir / VALIDATION_FILE)
    test_features = load_csv(output_dir / TEST_FEATURES_FILE)
    test_labels = load_csv(output_dir / TEST_LABELS_FILE)[:, 0]
    validation_pred = predict(booster, validation[:, 1:])
    test_pred = predict(booster, test_features)

    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / MODEL_FILE
        save_booster(booster, model_path)
        model_sha256 = sha256_file(model_path)
        pack_model(model_path, output_dir / MODEL_ARCHIVE)

    metrics: dict[str, object] = {
        "xgboost_version": xgb.__version__,
        "container_image_version": CONTAINER_IMAGE_VERSION,
        "params": XGB_PARAMS,
        "num_boost_round": NUM_BOOST_ROUND,
        "classification_threshold": CLASSIFICATION_THRESHOLD,
        "validation": {
            "auc": roc_auc(validation[:, 0], validation_pred),
            "accuracy": accuracy(validation[:, 0], validation_pred),
            "rows": len(validation),
            "positive_rate": float(validation[:, 0].mean()),
            "xgboost_eval_auc_last_round": evals_result["validation"]["auc"][-1],
        },
        "test": {
            "auc": roc_auc(test_labels, test_pred),
            "accuracy": accuracy(test_labels, test_pred),
            "rows": len(test_labels),
            "positive_rate": float(test_labels.mean()),
        },
        "row_counts": schema["row_counts"],
        "model_sha256": model_sha256,
        "model_archive_sha256": sha256_file(output_dir / MODEL_ARCHIVE),
    }
    _write_text(output_dir / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    return metrics


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help=f"where to write the artifacts (default: {DEFAULT_OUTPUT_DIR})",
    )
    args = parser.parse_args(argv)
    metrics = build(args.output_dir)
    print(json.dumps({k: metrics[k] for k in ("xgboost_version", "validation", "test")}, indent=2))
    print(f"{MODEL_ARCHIVE} sha256: {metrics['model_archive_sha256']}")


if __name__ == "__main__":
    main()
