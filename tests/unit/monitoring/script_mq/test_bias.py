"""Post-training bias of the open backend's script: AWS's worked examples, the churn facet against the baseline,
drift violations, metric data, and shard merging."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.monitor_records import (
    BASELINES,
    FEATURES,
    churn_validation,
    records,
    round_trip,
    write_ground_truth,
)

from sagemaker_constructs._monitor_script import _metrics_math, bias

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent


def metrics(a: list[int], d: list[int]) -> dict[str, float | None]:
    """The metrics from ``[TP, FP, FN, TN]`` of facet a and facet d."""
    return bias.post_training_metrics(a, d, [x + y for x, y in zip(a, d, strict=True)])


def test_rd_and_sd_examples() -> None:
    # clarify-post-training-bias-metric-rd / -sd: facet a predicts 0 for 20+5 and 1 for 10+65 (actual 0 + actual 1).
    values = metrics([65, 10, 5, 20], [20, 5, 7, 18])
    assert values["RD"] == pytest.approx(65 / 70 - 20 / 27)
    assert values["SD"] == pytest.approx(18 / 23 - 20 / 30)  # 0.1159


def test_dca_and_dcr_examples() -> None:
    # clarify-post-training-bias-metric-dca example 1: a has 60 predicted and 70 observed acceptances of 100; d 30
    # predicted and 20 observed of 50. DCA = 70/60 - 20/30 = 1/2; DPPL = 0.6 - 0.6 = 0.
    a, d = [50, 10, 20, 20], [15, 15, 5, 15]
    values = metrics(a, d)
    assert values["DCA"] == pytest.approx(0.5)
    assert values["DPPL"] == pytest.approx(0.0)
    assert values["DI"] == pytest.approx(1.0)
    # DCR = nd(0)/n'd(0) - na(0)/n'a(0): observed rejections over predicted rejections.
    assert values["DCR"] == pytest.approx((15 + 15) / (5 + 15) - (10 + 20) / (20 + 20))


def test_dar_drr_ad_di_te_examples() -> None:
    # -dar: a accepts 70 of which 35 are positive, d accepts 100 of which 40: DAR = 0.5 - 0.4 = 0.1.
    assert metrics([35, 35, 0, 0], [40, 60, 0, 0])["DAR"] == pytest.approx(0.1)
    # -drr: a rejects 100 of which 80 are negative, d 50 of which 40: DRR = 0.8 - 0.8 = 0.
    assert metrics([0, 0, 20, 80], [0, 0, 10, 40])["DRR"] == pytest.approx(0.0)
    # -ad: ACCa = (60 + 10)/100 = 0.7, ACCd = (40 + 10)/100 = 0.5.
    assert metrics([60, 10, 20, 10], [40, 10, 40, 10])["AD"] == pytest.approx(0.2)
    # -di: 60% of a and 50% of d predicted positive: DI = 0.5/0.6.
    assert metrics([60, 0, 0, 40], [50, 0, 0, 50])["DI"] == pytest.approx(0.5 / 0.6)
    # -te: FNa/FPa = 8/6, FNd/FPd = 5/2; both facets 86% accurate.
    values = metrics([43, 6, 8, 43], [21, 2, 5, 22])
    assert values["TE"] == pytest.approx(2.5 - 8 / 6)
    assert values["AD"] == pytest.approx(0.0)


def test_ge_is_the_generalized_entropy_of_the_benefits() -> None:
    a, d = [30, 12, 9, 49], [10, 7, 3, 30]
    tp, fp, fn, tn = (x + y for x, y in zip(a, d, strict=True))
    benefits = np.array([1] * (tp + tn) + [2] * fp + [0] * fn, dtype=float)
    ratio = benefits / benefits.mean()
    expected = float(np.sum(ratio**2 - 1) / (len(benefits) * 2))  # alpha = 2 (clarify-...-ge.html)
    assert metrics(a, d)["GE"] == pytest.approx(expected)


def test_clarify_edge_cases() -> None:
    values = metrics([5, 0, 3, 2], [4, 1, 2, 3])  # FPa = 0: FNa/FPa is infinite
    assert values["TE"] == -math.inf
    assert metrics([5, 0, 3, 2], [4, 0, 2, 3])["TE"] == 0.0  # both infinite: 0 (smclarify)
    assert metrics([0, 0, 0, 0], [4, 0, 2, 3])["DPPL"] is None  # an empty facet side has no value


def churn_config(min_samples: int = 100) -> dict[str, Any]:
    analysis = json.loads((BASELINES / "bias" / "analysis_config.json").read_text())
    return {
        "analysisConfig": analysis,
        "features": FEATURES,
        "probabilityAttribute": "0",
        "minSamples": min_samples,
        "metrics": {"dimensions": {"Endpoint": "churn", "MonitoringSchedule": "bias"}},
    }


def churn_window(
    tmp_path: Path, scores: list[float] | None = None, shards: int = 1, min_samples: int = 100
) -> bias.Result:
    features, labels, baseline_scores = churn_validation()
    config = churn_config(min_samples)
    truth = write_ground_truth(tmp_path / "gt" / "labels.jsonl", labels)
    captured = records(scores or baseline_scores, features)
    partials = []
    for shard in range(shards):
        partial = bias.new_partial(config, None, ground_truth_files=[str(truth)])
        for record in captured[shard::shards]:
            partial.add(record)
        partials.append(bias.Partial.from_json(round_trip(partial.to_json())) if shards > 1 else partial)
    merged = partials[0]
    for other in partials[1:]:
        merged.merge(other)
    return bias.finish(config, merged, str(BASELINES / "bias"))


def by_name(result: bias.Result) -> dict[str, Any]:
    (group,) = result.statistics["post_training_bias_metrics"]["facets"]["age"]
    assert group["value_or_threshold"] == "40"
    return {m["name"]: m["value"] for m in group["metrics"]}


def test_churn_facet_reproduces_the_baseline_direction(tmp_path: Path) -> None:
    features, labels, scores = churn_validation()
    got = by_name(churn_window(tmp_path))
    # Oracle: the definitions applied directly with numpy; d = age > 40 (a numeric facet threshold selects the
    # values above it), predicted label = probability > 0.5.
    age = np.array([float(row[FEATURES.index("age")]) for row in features])
    actual, predicted, d = np.array(labels) == 1, np.array(scores) > 0.5, age > 40
    dppl = predicted[~d].mean() - predicted[d].mean()
    rd = (actual & predicted)[~d].sum() / actual[~d].sum() - (actual & predicted)[d].sum() / actual[d].sum()
    ad = (actual == predicted)[~d].mean() - (actual == predicted)[d].mean()
    assert got["DPPL"] == pytest.approx(dppl, abs=1e-12)
    assert got["RD"] == pytest.approx(rd, abs=1e-12)
    assert got["AD"] == pytest.approx(ad, abs=1e-12)
    # The baseline (analysis.json) holds each measured value widened by 0.1 away from 0: same sign, same size.
    baseline = json.loads((BASELINES / "bias" / "analysis.json").read_text())
    (group,) = baseline["post_training_bias_metrics"]["facets"]["age"]
    for metric in group["metrics"]:
        assert got[metric["name"]] == pytest.approx(
            metric["value"] - math.copysign(0.1, metric["value"]), abs=1e-6
        )


def test_churn_window_within_the_baseline_has_no_violation(tmp_path: Path) -> None:
    result = churn_window(tmp_path)
    assert result.verdict == "no-violations"
    assert result.violations == []
    dppl = next(m for m in result.metric_data if m["MetricName"] == "bias_metric_DPPL")
    assert dppl["Dimensions"] == [
        {"Name": "Endpoint", "Value": "churn"},
        {"Name": "MonitoringSchedule", "Value": "bias"},
        {"Name": "BiasStage", "Value": "Post-Training"},
        {"Name": "Label", "Value": "churned"},
        {"Name": "LabelValue", "Value": "1"},
        {"Name": "Facet", "Value": "age"},
        {"Name": "FacetValue", "Value": "40"},
    ]
    assert dppl["Value"] == by_name(result)["DPPL"]


def test_a_model_turning_against_older_customers_violates(tmp_path: Path) -> None:
    features, _, scores = churn_validation()
    older = [float(row[0]) > 40 for row in features]
    shifted = [min(1.0, s + 0.5) if old else max(0.0, s - 0.3) for s, old in zip(scores, older, strict=True)]
    result = churn_window(tmp_path, shifted)
    assert result.verdict == "violations"
    dppl = next(v for v in result.violations if v["metric_name"] == "DPPL")
    assert dppl["facet"] == "age"
    assert dppl["facet_value"] == "40"
    assert dppl["constraint_check_type"] == "bias_drift_check"
    assert by_name(result)["DPPL"] < -0.303614  # the model now favours d: farther from 0 than the baseline


def test_three_shards_merge_to_the_single_pass(tmp_path: Path) -> None:
    single = churn_window(tmp_path / "one")
    merged = churn_window(tmp_path / "three", shards=3)
    assert json.dumps(merged.statistics, sort_keys=True) == json.dumps(single.statistics, sort_keys=True)
    assert merged.metric_data == single.metric_data


def test_small_window_is_insufficient_data(tmp_path: Path) -> None:
    result = churn_window(tmp_path, min_samples=1000)
    assert result.verdict == "insufficient-data"
    assert result.metric_data == []


def test_categorical_facet_without_values_compares_each_value_with_the_rest(tmp_path: Path) -> None:
    features, labels, scores = churn_validation()
    config = churn_config()
    config["analysisConfig"] = {**config["analysisConfig"], "facet": [{"name_or_index": "has_fiber"}]}
    truth = write_ground_truth(tmp_path / "labels.jsonl", labels)
    partial = bias.new_partial(config, None, ground_truth_files=[str(truth)])
    for record in records(scores, features):
        partial.add(record)
    groups = bias.finish(config, partial, None).statistics["post_training_bias_metrics"]["facets"][
        "has_fiber"
    ]
    assert [g["value_or_threshold"] for g in groups] == ["0", "1"]
    dppl = [next(m["value"] for m in g["metrics"] if m["name"] == "DPPL") for g in groups]
    assert dppl[0] == pytest.approx(-dppl[1])


def test_folding_a_wide_facet_keeps_the_threshold_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = by_name(churn_window(tmp_path / "full"))
    monkeypatch.setattr(bias, "FACET_VALUE_LIMIT", 5)
    folded = by_name(churn_window(tmp_path / "folded", shards=2))
    assert folded == full


def test_infinity_is_written_as_clarify_does_and_published_capped() -> None:
    assert bias._json_value(math.inf) == "Infinity"
    assert bias.metric_datum("bias_metric_TE", -math.inf, [])["Value"] == -2.348543e108


def test_analysis_config_is_required() -> None:
    with pytest.raises(
        ValueError, match=r"'analysisConfig' must be a Clarify analysis config object, got None"
    ):
        bias.new_partial({})


def column(values: list[Any]) -> _metrics_math.ColumnEvidence:
    evidence = _metrics_math.ColumnEvidence()
    for value in values:
        evidence.add(_metrics_math.canonical(value) or "", _metrics_math.to_float(value))
    return evidence


@pytest.mark.parametrize(
    ("values", "config_values", "continuous"),
    [
        ([0, 1] * 250, [1], False),  # binary labels: 0.4% distinct
        ([0, 1] * 15, [1], True),  # Clarify's rule: 2 of 30 is over 5% distinct
        ([1, 2, 3, 4] * 125, [2], False),  # few integers
        (list(range(18, 78)) * 40, [40], True),  # 60 distinct ages in 2,400 records: continuous in any window
        ([0.5, 1.25, 3.0] * 100, [1.0], True),  # non-integral numbers
        (["red", "green"] * 100, ["red"], False),  # text
        (list(range(100)), [1, 2], False),  # several values: always a set
    ],
)
def test_clarify_column_type_rule(values: list[Any], config_values: list[Any], continuous: bool) -> None:
    assert column(values).continuous(config_values) is continuous


def test_records_without_a_locatable_facet_are_skipped_with_the_reason(tmp_path: Path) -> None:
    config = churn_config()
    config["features"] = [f for f in FEATURES if f != "age"]
    config["analysisConfig"] = {**config["analysisConfig"], "headers": []}
    truth = write_ground_truth(tmp_path / "labels.jsonl", [1, 0])
    partial = bias.new_partial(config, None, ground_truth_files=[str(truth)])
    for record in records([0.9, 0.2], [["50"] * 6, ["30"] * 6]):
        partial.add(record)
    result = bias.finish(config, partial, None)
    assert result.skipped == {"facet_not_in_features": 2}
    assert result.verdict == "no-data"
