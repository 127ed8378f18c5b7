"""What the reference app's monitors compute at run time, checked on the sample model's real output.

The job definitions say where each monitor reads a prediction; these tests feed that location real records,
built as SageMaker documents them, and check that the monitor would read what it is meant to.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import xgboost as xgb
from support.cfn_resolve import ACCOUNT, REGION, World

REPO = Path(__file__).resolve().parents[2]
CHURN = REPO / "model_artifacts" / "churn"


def _resources(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def _pairwise_auc(labels: npt.NDArray[np.float64], scores: npt.NDArray[np.float64]) -> float:
    """ROC AUC from its Mann-Whitney definition: P(score of a positive > score of a negative), ties half."""
    positives, negatives = scores[labels == 1], scores[labels == 0]
    diff = positives[:, None] - negatives[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


@pytest.fixture(scope="module")
def joined_output() -> list[list[str]]:
    """The records a transform with ``JoinSource: Input`` writes for ``test_features.csv``.

    The sample model scores the features as the SageMaker XGBoost container does (``xgboost-model`` from
    ``model.tar.gz``, one probability per CSV line); the joined CSV record is the input record followed by the
    output ("Associate prediction results with input records",
    https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html).
    """
    with tarfile.open(CHURN / "model.tar.gz", "r:gz") as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        raw = member.read()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    lines = (CHURN / "test_features.csv").read_text(encoding="utf-8").splitlines()
    features = np.array([[float(v) for v in line.split(",")] for line in lines])
    scores = booster.predict(xgb.DMatrix(features, nthread=1))
    return [[*line.split(","), repr(float(score))] for line, score in zip(lines, scores, strict=True)]


def _open_monitors(templates: dict[str, dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(the monitor's static config, the workflow's states) of each open-backend workflow, resolved."""
    world = World.from_templates(templates)
    found = []
    for _stack, _logical, machine in world.resources("AWS::StepFunctions::StateMachine"):
        states = json.loads(machine["DefinitionString"])["States"]
        if "Plan" in states:
            found.append((states["Plan"]["Arguments"]["Payload"]["monitor"], states))
    return found


def _batch_probability(templates: dict[str, dict[str, Any]]) -> tuple[int, float]:
    """(column, threshold) where the batch model-quality monitor reads the probability, on either backend."""
    jobs = [
        r["Properties"]["ModelQualityJobInput"]["BatchTransformInput"]
        for r in _resources(templates["SageMakerMonitoring"], "AWS::SageMaker::ModelQualityJobDefinition")
        if "BatchTransformInput" in r["Properties"]["ModelQualityJobInput"]
    ]
    if jobs:
        (job,) = jobs
        return int(job["ProbabilityAttribute"]), float(job["ProbabilityThresholdAttribute"])
    (monitor,) = [
        m
        for m, _states in _open_monitors(templates)
        if m["monitoringType"] == "ModelQuality" and m["source"] == "batch_transform"
    ]
    return int(monitor["probabilityAttribute"]), float(monitor["probabilityThresholdAttribute"])


@pytest.fixture(params=["open backend", "Model Monitor"])
def templates(
    request: pytest.FixtureRequest,
    reference_templates: dict[str, dict[str, Any]],
    model_monitor_templates: dict[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """The reference stacks on the open backend (the default) and on Model Monitor (the context)."""
    return reference_templates if request.param == "open backend" else model_monitor_templates


def test_batch_model_quality_reads_the_probability_of_the_joined_output(
    templates: dict[str, dict[str, Any]], joined_output: list[list[str]]
) -> None:
    # The batch transform really joins its input with the predictions...
    batch = json.dumps(templates["SageMakerBatch"])
    assert re.search(r'JoinSource\\?"\s*:\s*\\?"Input', batch), (
        "the reference transform no longer joins its input"
    )
    # ... and the batch model-quality monitor reads its probability where the joined record holds it.
    column, threshold = _batch_probability(templates)
    scores = np.array([float(record[column]) for record in joined_output])
    labels = np.loadtxt(CHURN / "test_labels.csv", delimiter=",", ndmin=1)
    metrics = json.loads((CHURN / "metrics.json").read_text(encoding="utf-8"))

    # A probability, and the model's own test AUC: column 0 (age) gives an AUC of 0.37, and ages.
    assert np.all((scores > 0) & (scores < 1)), f"column {column} is not a probability"
    assert _pairwise_auc(labels, scores) == pytest.approx(metrics["test"]["auc"], abs=1e-6)
    accuracy = float(np.mean((scores >= threshold) == (labels == 1)))
    assert accuracy == pytest.approx(metrics["test"]["accuracy"], abs=1e-6)


def _asset_of(app: Any, committed_file: str) -> str:
    """The hash of the monitoring stack's file asset whose content is the committed baseline file."""
    manifest = json.loads((app.outdir / "SageMakerMonitoring.assets.json").read_text())
    committed = (CHURN / "baselines" / committed_file).read_bytes()
    (asset_hash,) = [
        asset_hash
        for asset_hash, asset in manifest["files"].items()
        if (app.outdir / asset["source"]["path"]).is_file()
        and (app.outdir / asset["source"]["path"]).read_bytes() == committed
    ]
    return str(asset_hash)


@pytest.mark.parametrize(
    ("resource_type", "baseline_config", "constraints"),
    [
        ("AWS::SageMaker::ModelBiasJobDefinition", "ModelBiasBaselineConfig", "bias/analysis.json"),
        (
            "AWS::SageMaker::ModelExplainabilityJobDefinition",
            "ModelExplainabilityBaselineConfig",
            "explainability/analysis.json",
        ),
    ],
)
def test_clarify_monitors_carry_baseline_constraints(
    model_monitor_app: Any, resource_type: str, baseline_config: str, constraints: str
) -> None:
    # Bias and feature-attribution drift are reported only against baseline constraints
    # (clarify-model-monitor-bias-drift-violations, clarify-model-monitor-feature-attribute-drift-violations):
    # without them the monitors, which the retraining rule listens to, never report a violation.
    (job,) = _resources(model_monitor_app.templates["SageMakerMonitoring"], resource_type)
    uri = job["Properties"][baseline_config]["ConstraintsResource"]["S3Uri"]
    # The URI names the asset whose content is the committed file.
    assert f"{_asset_of(model_monitor_app, constraints)}.json" in json.dumps(uri)


@pytest.mark.parametrize(
    ("monitoring_type", "constraints"),
    [("ModelBias", "bias/analysis.json"), ("ModelExplainability", "explainability/analysis.json")],
)
def test_open_clarify_monitors_stage_their_baseline_constraints(
    reference_app: Any, monitoring_type: str, constraints: str
) -> None:
    # The open backend's workflow copies the baseline constraints under the run prefix, where the script reads
    # them: the object it copies is the asset of the committed file.
    (states,) = [
        s for m, s in _open_monitors(reference_app.templates) if m["monitoringType"] == monitoring_type
    ]
    copied = [s["Arguments"]["CopySource"] for s in states.values() if "CopySource" in s.get("Arguments", {})]
    assert copied == [f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}/{_asset_of(reference_app, constraints)}.json"]
