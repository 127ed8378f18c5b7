"""Tests for the committed churn sample model in ``model_artifacts/churn``.

They check the artifacts against what the SageMaker built-in XGBoost container (image 3.0-5,
xgboost==3.0.5) expects, and that the build script reproduces them byte for byte.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import xgboost as xgb

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "model_artifacts"
CHURN_DIR = ARTIFACTS_DIR / "churn"
SCRIPT_PATH = ARTIFACTS_DIR / "build_churn_model.py"

CONTAINER_XGBOOST_VERSION = "3.0.5"
# A model that has learnt nothing scores ~0.5; the committed model scores ~0.79 (Bayes-optimal ~0.81).
MIN_TEST_AUC = 0.75
SPARK_COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DATA_FILES = ("train.csv", "validation.csv", "test_features.csv", "test_labels.csv", "dataset_schema.json")


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_churn_model", SCRIPT_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


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
def container_booster(tmp_path_factory: pytest.TempPathFactory) -> xgb.Booster:
    """Extract ``model.tar.gz`` and load ``xgboost-model`` the way the hosting container does."""
    target = tmp_path_factory.mktemp("model")
    with tarfile.open(CHURN_DIR / "model.tar.gz", "r:gz") as tar:
        tar.extractall(target, filter="data")
    booster = xgb.Booster()
    booster.load_model(str(target / "xgboost-model"))
    return booster


def _read_csv(name: str) -> npt.NDArray[np.float64]:
    return np.loadtxt(CHURN_DIR / name, delimiter=",", dtype=np.float64, ndmin=2)


def _pairwise_auc(labels: npt.NDArray[np.float64], scores: npt.NDArray[np.float64]) -> float:
    """AUC straight from the Mann-Whitney definition: P(score_pos > score_neg) + 0.5 P(tie)."""
    positives = scores[labels == 1].astype(np.float64)
    negatives = scores[labels == 0].astype(np.float64)
    assert positives.size > 0
    assert negatives.size > 0
    diff = positives[:, None] - negatives[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def _accuracy(labels: npt.NDArray[np.float64], probabilities: npt.NDArray[np.float32]) -> float:
    return float(np.mean((probabilities >= 0.5).astype(np.float64) == labels))


def test_installed_xgboost_matches_container() -> None:
    assert xgb.__version__ == CONTAINER_XGBOOST_VERSION


def test_archive_holds_exactly_xgboost_model_at_root() -> None:
    with tarfile.open(CHURN_DIR / "model.tar.gz", "r:gz") as tar:
        members = tar.getmembers()
    assert [member.name for member in members] == ["xgboost-model"]
    (member,) = members
    assert member.isfile()
    assert member.size > 0
    assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (0, 0, 0, "", "")


def test_archive_gzip_header_is_deterministic() -> None:
    header = (CHURN_DIR / "model.tar.gz").read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08"  # gzip magic + deflate
    assert header[3] & 0x08 == 0  # FNAME flag unset: no embedded file name
    assert header[4:8] == b"\x00\x00\x00\x00"  # mtime 0


def test_model_file_is_ubjson() -> None:
    with tarfile.open(CHURN_DIR / "model.tar.gz", "r:gz") as tar:
        extracted = tar.extractfile("xgboost-model")
        assert extracted is not None
        data = extracted.read()
    # UBJSON object: '{' then a typed key-length marker, i.e. not plain-text JSON and not legacy binary.
    assert data[:1] == b"{"
    assert data[1:2] in (b"L", b"l", b"i", b"U")
    with pytest.raises(UnicodeDecodeError):
        json.loads(data.decode("utf-8"))


def test_booster_shape(
    container_booster: xgb.Booster, schema: dict[str, Any], metrics: dict[str, Any]
) -> None:
    assert container_booster.num_features() == len(schema["features"])
    assert container_booster.num_boosted_rounds() == metrics["num_boost_round"]
    # The container predicts on header-less CSV, which a booster with feature names would reject.
    assert container_booster.feature_names is None


def test_test_predictions_are_probabilities_with_good_auc(
    container_booster: xgb.Booster, metrics: dict[str, Any]
) -> None:
    features = _read_csv("test_features.csv")
    labels = _read_csv("test_labels.csv")[:, 0]
    predictions = container_booster.predict(xgb.DMatrix(features))

    assert predictions.shape == (len(labels),)
    assert np.all(np.isfinite(predictions))
    assert np.all((predictions >= 0.0) & (predictions <= 1.0))
    assert predictions.std() > 0.05  # not a constant predictor

    auc = _pairwise_auc(labels, predictions)
    assert auc > MIN_TEST_AUC
    assert auc == pytest.approx(metrics["test"]["auc"], abs=1e-6)
    assert _accuracy(labels, predictions) == pytest.approx(metrics["test"]["accuracy"], abs=1e-6)
    # The threshold is meaningful: the same scores against shuffled labels look like a random model.
    shuffled = np.random.default_rng(0).permutation(labels)
    assert _pairwise_auc(shuffled, predictions) < MIN_TEST_AUC


def test_validation_metrics_match(container_booster: xgb.Booster, metrics: dict[str, Any]) -> None:
    validation = _read_csv("validation.csv")
    predictions = container_booster.predict(xgb.DMatrix(validation[:, 1:]))
    labels = validation[:, 0]
    assert _pairwise_auc(labels, predictions) == pytest.approx(metrics["validation"]["auc"], abs=1e-6)
    assert _accuracy(labels, predictions) == pytest.approx(metrics["validation"]["accuracy"], abs=1e-6)


def test_metrics_record_xgboost_version(metrics: dict[str, Any]) -> None:
    assert metrics["xgboost_version"] == CONTAINER_XGBOOST_VERSION
    assert metrics["container_image_version"] == "3.0-5"
    assert metrics["params"]["objective"] == "binary:logistic"


def test_schema_column_names_are_spark_compliant(schema: dict[str, Any]) -> None:
    assert schema["training_columns"] == [schema["label"], *schema["features"]]
    assert len(set(schema["training_columns"])) == len(schema["training_columns"])
    for name in schema["training_columns"]:
        assert SPARK_COLUMN_NAME.match(name), name
    assert set(schema["dtypes"]) == set(schema["training_columns"])
    assert "age" in schema["features"]  # facet used by the bias monitor


def test_csv_shapes_match_schema(schema: dict[str, Any]) -> None:
    n_features = len(schema["features"])
    counts = schema["row_counts"]
    train = _read_csv("train.csv")
    validation = _read_csv("validation.csv")
    test_features = _read_csv("test_features.csv")
    test_labels = _read_csv("test_labels.csv")

    assert train.shape == (counts["train"], 1 + n_features)
    assert validation.shape == (counts["validation"], 1 + n_features)
    assert test_features.shape == (counts["test"], n_features)
    assert test_labels.shape == (counts["test"], 1)
    assert counts["train"] + counts["validation"] + counts["test"] == counts["total"]
    assert counts["train"] == round(0.7 * counts["total"])

    for labels in (train[:, 0], validation[:, 0], test_labels[:, 0]):
        assert set(np.unique(labels).tolist()) == {0.0, 1.0}

    feature_blocks = (train[:, 1:], validation[:, 1:], test_features)
    for index, name in enumerate(schema["features"]):
        if schema["dtypes"][name] == "int64":
            for block in feature_blocks:
                assert np.array_equal(block[:, index], np.rint(block[:, index])), name


def test_csvs_have_no_header() -> None:
    for name in ("train.csv", "validation.csv", "test_features.csv", "test_labels.csv"):
        first_line = (CHURN_DIR / name).read_text(encoding="utf-8").splitlines()[0]
        assert re.fullmatch(r"[0-9.,\-]+", first_line), (name, first_line)


def test_age_effect_present_for_bias_monitoring(schema: dict[str, Any]) -> None:
    train = _read_csv("train.csv")
    age = train[:, 1 + schema["features"].index("age")]
    labels = train[:, 0]
    assert labels[age < 40].mean() - labels[age >= 40].mean() > 0.05


def test_dataset_regenerates_byte_identical(script: ModuleType, tmp_path: Path) -> None:
    script.write_dataset(tmp_path)
    for name in DATA_FILES:
        assert (tmp_path / name).read_bytes() == (CHURN_DIR / name).read_bytes(), name


def test_full_build_reproduces_model_archive(script: ModuleType, tmp_path: Path) -> None:
    script.build(tmp_path)  # ~1-2 s: 100 rounds of depth-3 trees on 2,100 rows
    for name in (*DATA_FILES, "model.tar.gz", "metrics.json"):
        assert (tmp_path / name).read_bytes() == (CHURN_DIR / name).read_bytes(), name


def test_build_refuses_other_xgboost_versions(script: ModuleType) -> None:
    script.check_xgboost_version(CONTAINER_XGBOOST_VERSION)
    for other in ("2.1.4", "3.0.4", "3.1.0"):
        with pytest.raises(RuntimeError, match=re.escape("xgboost==3.0.5")):
            script.check_xgboost_version(other)


def test_script_auc_matches_pairwise_definition(script: ModuleType) -> None:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 300).astype(np.float64)
    scores = np.round(rng.random(300) + 0.3 * labels, 1)  # rounding forces many ties
    assert script.roc_auc(labels, scores) == pytest.approx(_pairwise_auc(labels, scores), abs=1e-12)


def test_archive_is_small() -> None:
    total = sum(path.stat().st_size for path in CHURN_DIR.iterdir() if path.is_file())
    assert total < 300_000
    assert gzip.decompress((CHURN_DIR / "model.tar.gz").read_bytes())  # valid gzip stream
