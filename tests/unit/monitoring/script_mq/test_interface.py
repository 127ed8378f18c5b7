"""The three monitor types through ``run.py``'s monitor-type interface, driven as ``run.py`` drives it: ``new_partial
(config, baseline_dir)``, ``add_ground_truth``, ``add``, partial documents through JSON, ``merge``, ``finish`` with
``config["_paths"]``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.monitor_records import (
    BASELINES,
    FEATURES,
    churn_validation,
    records,
    round_trip,
    write_ground_truth,
)

from sagemaker_constructs._monitor_script import attribution, bias, model_quality

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent


def drive(
    module: ModuleType,
    config: dict[str, Any],
    captured: list[Any],
    baseline: Path | None,
    truth: list[str],
    clarify: str | None = None,
    shards: int = 2,
) -> Any:
    config = {
        **config,
        "_paths": {"baseline": str(baseline) if baseline else None, "groundTruth": truth, "clarify": clarify},
    }
    documents = []
    for shard in range(shards):
        partial = module.new_partial(config, str(baseline) if baseline else None)
        if truth and hasattr(partial, "add_ground_truth"):
            partial.add_ground_truth(truth, None)
        for record in captured[shard::shards]:
            partial.add(record)
        documents.append(round_trip(partial.to_json()))
    merged = module.Partial.from_json(documents[0])
    for document in documents[1:]:
        merged.merge(module.Partial.from_json(document))
    return module.finish(config, merged, str(baseline) if baseline else None)


@pytest.fixture(scope="module")
def churn() -> tuple[list[list[str]], list[int], list[float]]:
    return churn_validation()


def test_model_quality_through_the_interface(churn: Any, tmp_path: Path) -> None:
    features, labels, scores = churn
    truth = write_ground_truth(tmp_path / "labels.jsonl", labels)
    config = {
        "monitoringType": "ModelQuality",
        "problemType": "BinaryClassification",
        "probabilityAttribute": "0",
        "probabilityThresholdAttribute": 0.5,
        "minSamples": 100,
    }
    result = drive(
        model_quality, config, records(scores, features), BASELINES / "model_quality", [str(truth)]
    )
    assert result.verdict == "no-violations"
    assert result.used == 450
    assert result.files == {}
    assert result.statistics["open_backend"]["ground_truth"]["unmatched_labels"] == 0


def test_bias_through_the_interface(churn: Any, tmp_path: Path) -> None:
    features, labels, scores = churn
    truth = write_ground_truth(tmp_path / "labels.jsonl", labels[:400])  # 50 captures without a label
    config = {
        "monitoringType": "ModelBias",
        "analysisConfig": json.loads((BASELINES / "bias" / "analysis_config.json").read_text()),
        "features": FEATURES,
        "probabilityAttribute": "0",
        "minSamples": 100,
    }
    result = drive(bias, config, records(scores, features), BASELINES / "bias", [str(truth)])
    assert result.used == 400
    assert result.skipped == {"no_ground_truth": 50}
    assert result.verdict in ("no-violations", "violations")
    assert any(d["MetricName"] == "bias_metric_DPPL" for d in result.metric_data)


def test_explainability_extract_then_compare(churn: Any, tmp_path: Path) -> None:
    features, _, _ = churn
    config = {"monitoringType": "ModelExplainability", "maxRecords": 100, "sampleSeed": 5, "minSamples": 50}
    extract = drive(attribution, config, records([0.0] * len(features), features), None, [])
    assert extract.verdict == "no-violations"
    rows = list(csv.reader(io.StringIO(extract.files[attribution.DATASET_FILE])))
    assert len(rows) == 100
    assert all(len(row) == len(FEATURES) for row in rows)
    assert extract.statistics["dataset"] == {"item_count": 100, "records": 450}
    analysis = BASELINES / "explainability" / "analysis.json"  # a Clarify result equal to the baseline
    compare = drive(
        attribution,
        config,
        records([0.0] * len(rows), rows),
        BASELINES / "explainability",
        [],
        str(analysis),
    )
    assert compare.verdict == "no-violations"
    assert compare.used == 100
    assert compare.statistics["open_backend"]["ndcg"]["churn_probability"] == pytest.approx(1.0)
    assert compare.files == {}
