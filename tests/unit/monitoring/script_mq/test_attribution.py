"""Feature attribution drift (nDCG against the baseline's global SHAP values) and the explainability dataset
extract of the open backend's script."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import ndcg_score
from support.monitor_records import BASELINES, Record

from sagemaker_constructs._monitor_script import attribution

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

BASELINE = json.loads((BASELINES / "explainability" / "analysis.json").read_text())
SHAP = BASELINE["explanations"]["kernel_shap"]["churn_probability"]["global_shap_values"]


def test_ndcg_of_awss_college_admission_example() -> None:
    # clarify-model-monitor-feature-attribution-drift: the ranking reverses, "the NDCG value is 0.69".
    training = {"SAT score": 0.70, "GPA": 0.50, "Class rank": 0.05}
    live = {"SAT score": 0.10, "GPA": 0.20, "Class rank": 0.70}
    ideal = 0.70 / math.log2(2) + 0.50 / math.log2(3) + 0.05 / math.log2(4)
    dcg = 0.05 / math.log2(2) + 0.50 / math.log2(3) + 0.70 / math.log2(4)
    assert attribution.ndcg(training, live) == pytest.approx(dcg / ideal)
    assert round(attribution.ndcg(training, live), 2) == 0.69


@pytest.mark.parametrize("seed", range(5))
def test_ndcg_equals_scikit_learns_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(9)]
    baseline = rng.random(9)
    current = np.round(rng.random(9), 1)  # ties in the current ranking
    expected = ndcg_score([baseline], [current])
    got = attribution.ndcg(dict(zip(names, baseline, strict=True)), dict(zip(names, current, strict=True)))
    assert got == pytest.approx(expected, abs=1e-12)


def write_analysis(path: Path, shap: dict[str, float], expected: float = 0.15) -> Path:
    document = {
        "version": "1.0",
        "explanations": {
            "kernel_shap": {"churn_probability": {"global_shap_values": shap, "expected_value": expected}}
        },
    }
    path.write_text(json.dumps(document))
    return path


CONFIG: dict[str, Any] = {"minSamples": 50, "metrics": {"dimensions": {"Endpoint": "churn"}}}


def test_same_ranking_has_no_violation_and_publishes_each_feature(tmp_path: Path) -> None:
    scaled = {k: v * 1.3 for k, v in SHAP.items()}  # larger values, same order
    result = attribution.compare(
        CONFIG,
        str(write_analysis(tmp_path / "analysis.json", scaled)),
        str(BASELINES / "explainability"),
        400,
    )
    assert result.verdict == "no-violations"
    assert result.statistics["open_backend"]["ndcg"] == {"churn_probability": pytest.approx(1.0)}
    names = {d["MetricName"] for d in result.metric_data}
    assert names == {f"feature_{f}" for f in SHAP} | {"ExpectedValue"}
    support = next(d for d in result.metric_data if d["MetricName"] == "feature_support_calls")
    assert support["Value"] == scaled["support_calls"]
    assert support["Dimensions"] == [
        {"Name": "Endpoint", "Value": "churn"},
        {"Name": "ExplainabilityMethod", "Value": "KernelShap"},
        {"Name": "Label", "Value": "churn_probability"},
        {"Name": "ValueType", "Value": "GlobalShapValues"},
    ]


def test_reversed_ranking_violates(tmp_path: Path) -> None:
    most_important_first = sorted(SHAP, key=SHAP.__getitem__, reverse=True)
    reversed_ranking = {name: float(i) for i, name in enumerate(most_important_first)}
    path = write_analysis(tmp_path / "analysis.json", reversed_ranking)
    result = attribution.compare(CONFIG, str(path), str(BASELINES / "explainability"), 400)
    assert result.verdict == "violations"
    (violation,) = result.violations
    assert violation["label"] == "churn_probability"
    assert violation["metric_name"] == "shap"
    assert violation["constraint_check_type"] == "feature_attribution_drift_check"
    score = result.statistics["open_backend"]["ndcg"]["churn_probability"]
    assert score < 0.9
    assert str(score) in violation["description"]


def test_threshold_override_and_small_windows(tmp_path: Path) -> None:
    path = write_analysis(tmp_path / "analysis.json", {n: float(i) for i, n in enumerate(sorted(SHAP))})
    score = attribution.ndcg(SHAP, {n: float(i) for i, n in enumerate(sorted(SHAP))})
    baseline = str(BASELINES / "explainability")
    relaxed = attribution.compare(
        {**CONFIG, "attributionDriftThreshold": score - 0.01}, str(path), baseline, 400
    )
    assert relaxed.verdict == "no-violations"
    strict = attribution.compare(
        {**CONFIG, "attributionDriftThreshold": score + 0.01}, str(path), baseline, 400
    )
    assert strict.verdict == "violations"
    small = attribution.compare(
        {**CONFIG, "attributionDriftThreshold": score + 0.01}, str(path), baseline, 10
    )
    assert small.verdict == "insufficient-data"
    assert small.violations == []
    assert small.metric_data == []


def captured(n: int, offset: int = 0) -> list[Record]:
    return [
        Record(features=[str(18 + i % 60), f"{i * 0.5}", None], event_id=f"event-{offset + i}")
        for i in range(n)
    ]


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_extract_is_bounded_deterministic_and_headerless(tmp_path: Path) -> None:
    window = captured(5000)
    written = attribution.extract_dataset(window, str(tmp_path / "a" / "dataset.csv"), 1000, seed=7)
    again = attribution.extract_dataset(window[::-1], str(tmp_path / "b" / "dataset.csv"), 1000, seed=7)
    other = attribution.extract_dataset(window, str(tmp_path / "c" / "dataset.csv"), 1000, seed=8)
    assert written == again == other == 1000
    rows = read_rows(tmp_path / "a" / "dataset.csv")
    assert len(rows) == 1000
    assert rows == read_rows(tmp_path / "b" / "dataset.csv")  # same seed: same sample, whatever the order
    assert rows != read_rows(tmp_path / "c" / "dataset.csv")
    everything = {tuple(r.features[:2]) for r in window}
    assert all(
        tuple(row[:2]) in everything and row[2] == "" for row in rows
    )  # no header, missing cells empty
    ages = [int(row[0]) for row in rows]
    assert 30 < np.mean(ages) < 65  # a spread sample, not the first rows


def test_extract_keeps_every_record_of_a_small_window(tmp_path: Path) -> None:
    assert attribution.extract_dataset(captured(40), str(tmp_path / "dataset.csv"), 1000, seed=1) == 40


def test_shard_samples_merge_to_the_single_pass_sample() -> None:
    window = captured(3000)
    single = attribution.Sample(500, seed=3)
    for record in window:
        single.add(record)
    shards = []
    for shard in range(3):
        sample = attribution.Sample(500, seed=3)
        for record in window[shard::3]:
            sample.add(record)
        shards.append(attribution.Sample.from_json(json.loads(json.dumps(sample.to_json()))))
    merged = shards[0]
    for other in shards[1:]:
        merged.merge(other)
    assert merged.rows() == single.rows()
    assert merged.seen == single.seen == 3000


def test_max_records_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"'maxRecords' must be at least 1, got 0"):
        attribution.Sample(0)
