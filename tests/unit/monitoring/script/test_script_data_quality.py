"""DataQuality: statistics in Model Monitor's format, each constraint check flagged and not flagged, drift on the
churn data (and the small-window rule), metrics."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.monitor_capture import DQ_BASELINE, FEATURES, churn_rows, config

from sagemaker_constructs._monitor_script import data_quality, dq_checks
from sagemaker_constructs._monitor_script.capture import Record
from sagemaker_constructs._monitor_script.partials import GridHistogram

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

BASELINE = json.loads((DQ_BASELINE / "statistics.json").read_text())


def analyze(
    rows: list[list[Any]], baseline: Path | None = DQ_BASELINE, **extra: Any
) -> data_quality.report.Result:
    folder = str(baseline) if baseline else None
    partial = data_quality.new_partial(config(**extra), folder)
    for row in rows:
        partial.add(row if isinstance(row, Record) else Record(list(row)))
    return data_quality.finish(config(**extra), partial, folder)


def checks(result: data_quality.report.Result) -> set[tuple[str, str]]:
    return {(v["feature_name"], v["constraint_check_type"]) for v in result.violations}


def shifted(rows: list[list[str]], column: int, factor: float) -> list[list[str]]:
    return [[f"{float(v) * factor:.2f}" if i == column else v for i, v in enumerate(row)] for row in rows]


def keys(node: Any) -> Any:
    """The shape of a JSON document: its keys, recursively (lists by their first element)."""
    if isinstance(node, dict):
        return {k: keys(v) for k, v in node.items() if k != "sketch"}
    if isinstance(node, list):
        return [keys(node[0])] if node else []
    return None


def test_statistics_have_the_baselines_layout_and_exact_moments() -> None:
    rows = churn_rows()
    result = analyze(rows)
    assert result.verdict == "no-violations"
    assert result.violations == []
    stats = result.statistics
    assert stats["version"] == BASELINE["version"]
    assert stats["dataset"] == {"item_count": len(rows)}
    assert [f["name"] for f in stats["features"]] == FEATURES
    values = np.array(rows, dtype=np.float64)
    for i, (ours, theirs) in enumerate(zip(stats["features"], BASELINE["features"], strict=True)):
        assert keys(ours) == keys(theirs)
        assert ours["inferred_type"] == theirs["inferred_type"]
        numeric = ours["numerical_statistics"]
        column = values[:, i]
        assert numeric["common"] == {"num_present": len(rows), "num_missing": 0}
        assert numeric["sum"] == math.fsum(column)
        assert numeric["mean"] == pytest.approx(column.mean(), rel=1e-12)
        assert numeric["std_dev"] == pytest.approx(column.std(), rel=1e-12)  # population, as Deequ
        assert (numeric["min"], numeric["max"]) == (column.min(), column.max())
        buckets = numeric["distribution"]["kll"]["buckets"]
        assert len(buckets) == 10
        assert sum(b["count"] for b in buckets) == len(rows)
        assert (buckets[0]["lower_bound"], buckets[-1]["upper_bound"]) == (column.min(), column.max())
        sketch = numeric["distribution"]["kll"]["sketch"]
        assert sketch["parameters"] == {"c": 0.64, "k": 2048.0}
        assert len(sketch["data"][0]) == 128
        assert sketch["data"][0] == sorted(sketch["data"][0])


def test_buckets_follow_the_data_within_a_grid_interval() -> None:
    rows = churn_rows()
    charges = np.array([float(r[2]) for r in rows])
    buckets = analyze(rows).statistics["features"][2]["numerical_statistics"]["distribution"]["kll"][
        "buckets"
    ]
    edges = [b["lower_bound"] for b in buckets] + [buckets[-1]["upper_bound"]]
    exact, _ = np.histogram(charges, bins=edges)
    assert np.abs(exact - [b["count"] for b in buckets]).max() <= 3


def test_without_a_baseline_features_are_named_like_spark_and_no_check_runs() -> None:
    result = analyze([["1", "a"], ["2", "b"]] * 60, baseline=None)
    assert [(f["name"], f["inferred_type"]) for f in result.statistics["features"]] == [
        ("_c0", "Integral"),
        ("_c1", "String"),
    ]
    strings = result.statistics["features"][1]["string_statistics"]
    assert strings["distinct_count"] == 2.0
    assert strings["distribution"]["categorical"]["buckets"] == [
        {"value": "a", "count": 60.0},
        {"value": "b", "count": 60.0},
    ]
    assert result.violations == []
    assert result.verdict == "no-violations"


def test_completeness_check() -> None:
    rows = churn_rows()
    assert ("age", "completeness_check") not in checks(analyze(rows))
    holes = [["" if i % 10 == 0 and j == 0 else v for j, v in enumerate(row)] for i, row in enumerate(rows)]
    result = analyze([[v or None for v in row] for row in holes])
    assert checks(result) == {("age", "completeness_check")}
    assert result.statistics["features"][0]["numerical_statistics"]["common"]["num_missing"] == 45


def test_data_type_check_uses_datatype_check_threshold() -> None:
    rows = churn_rows()
    few = [["n/a" if i < 20 and j == 1 else v for j, v in enumerate(row)] for i, row in enumerate(rows)]
    many = [["n/a" if i < 100 and j == 1 else v for j, v in enumerate(row)] for i, row in enumerate(rows)]
    fractional = [
        ["3.5" if i < 100 and j == 3 else v for j, v in enumerate(row)] for i, row in enumerate(rows)
    ]
    assert checks(analyze(few)) == set()  # 20/450 = 4.4% <= 10%
    assert checks(analyze(many)) == {("tenure_months", "data_type_check")}
    assert ("support_calls", "data_type_check") in checks(analyze(fractional))
    assert analyze(fractional).statistics["features"][3]["inferred_type"] == "Fractional"


def test_whole_json_floats_fit_an_integral_column() -> None:
    rows = [[float(v) for v in row] for row in churn_rows()]
    result = analyze(rows)
    assert checks(result) == set()
    assert result.statistics["features"][0]["inferred_type"] == "Integral"


def test_non_negativity() -> None:
    rows = churn_rows()
    rows[5][0] = "-3"
    result = analyze(rows)
    assert checks(result) == {("age", "data_type_check")}
    assert "negative" in result.violations[0]["description"]


def test_missing_and_extra_columns() -> None:
    rows = churn_rows()
    narrow = [row[:6] for row in rows]
    assert checks(analyze(narrow)) == {
        ("num_products", "missing_column_check"),
        ("num_products", "completeness_check"),
    }
    wide = [[*row, "7"] if i == 3 else row for i, row in enumerate(rows)]
    assert checks(analyze(wide)) == {("_c7", "extra_column_check")}
    named = [Record(list(row), tuple(FEATURES)) for row in rows]
    named.append(Record([*rows[0], "gold"], (*FEATURES, "plan")))
    assert checks(analyze(named)) == {("plan", "extra_column_check")}


def string_baseline(tmp_path: Path, method: str = "LInfinity") -> Path:
    """A one-feature String baseline: plan in {gold, silver} (60/40), domains listed."""
    stats = {
        "version": 0,
        "dataset": {"item_count": 1000},
        "features": [
            {
                "name": "plan",
                "inferred_type": "String",
                "string_statistics": {
                    "common": {"num_present": 1000, "num_missing": 0},
                    "distinct_count": 2.0,
                    "distribution": {
                        "categorical": {
                            "buckets": [{"value": "gold", "count": 600}, {"value": "silver", "count": 400}]
                        }
                    },
                },
            }
        ],
    }
    constraints = {
        "version": 0,
        "features": [
            {
                "name": "plan",
                "inferred_type": "String",
                "completeness": 1.0,
                "string_constraints": {"domains": ["gold", "silver"]},
            }
        ],
        "monitoring_config": {
            "datatype_check_threshold": 0.1,
            "domain_content_threshold": 0.1,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": 0.1,
                "comparison_method": "Simple",
                "categorical_drift_method": method,
            },
        },
    }
    (tmp_path / "statistics.json").write_text(json.dumps(stats))
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    return tmp_path


def test_categorical_values_and_categorical_drift(tmp_path: Path) -> None:
    folder = string_baseline(tmp_path)
    same = [["gold"]] * 300 + [["silver"]] * 200
    assert checks(analyze(same, folder)) == set()
    some_bronze = [["gold"]] * 290 + [["silver"]] * 190 + [["bronze"]] * 20
    assert checks(analyze(some_bronze, folder)) == set()  # 4% unknown, 0.04 distance
    much_bronze = [["gold"]] * 200 + [["silver"]] * 200 + [["bronze"]] * 100
    assert checks(analyze(much_bronze, folder)) == {
        ("plan", "categorical_values_check"),
        ("plan", "baseline_drift_check"),
    }
    flipped = [["gold"]] * 200 + [["silver"]] * 300
    assert checks(analyze(flipped, folder)) == {("plan", "baseline_drift_check")}
    assert (
        checks(analyze(flipped, string_baseline(tmp_path, "ChiSquared"))) == set()
    )  # not implemented: skipped


def test_drift_on_the_churn_data() -> None:
    rows = churn_rows()
    undrifted = analyze(rows)
    drifted = analyze(shifted(rows, 2, 1.5))
    assert checks(undrifted) == set()
    assert checks(drifted) == {("monthly_charges", "baseline_drift_check")}
    distances = {m["MetricName"]: m["Value"] for m in drifted.metric_data if "drift" in m["MetricName"]}
    assert distances["feature_baseline_drift_monthly_charges"] > 0.2
    assert max(v for k, v in distances.items() if not k.endswith("monthly_charges")) < 0.05


def test_small_windows_are_never_drift() -> None:
    rows = shifted(churn_rows(), 2, 1.5)
    small = analyze(rows[:99])
    assert small.verdict == "insufficient-data"
    assert small.violations == []
    assert not any("drift" in m["MetricName"] for m in small.metric_data)
    assert any(m["MetricName"] == "feature_non_null_age" for m in small.metric_data)
    assert analyze(rows[:100]).verdict == "violations"


def test_the_ks_gate_holds_back_a_distance_over_the_threshold() -> None:
    # 40 undrifted records with Simple: L-infinity distances over 0.1 are within sampling noise for n=40.
    rows = churn_rows()[:40]
    overrides = {"monitoringConfigOverrides": {"comparison_method": "Simple"}}
    stats, constraints = data_quality.load_baseline(str(DQ_BASELINE))
    assert stats is not None
    assert constraints is not None
    _, distribution = dq_checks._settings(constraints, overrides["monitoringConfigOverrides"])
    partial = data_quality.new_partial(config(), str(DQ_BASELINE))
    for row in rows:
        partial.add(Record(list(row)))
    partial.to_json()
    found = [
        dq_checks._drift(f, b, 2100, distribution, 0.01)
        for f, b in zip(partial.features, stats["features"], strict=True)
    ]
    assert any(d is not None and d[0] > 0.1 for d in found)  # the raw threshold would alarm ...
    assert all(d is not None and d[1] <= d[2] for d in found)  # ... the test does not reject
    assert dq_checks.ks_critical(2100, 40, 0.01) == pytest.approx(1.6276 * math.sqrt(2140 / 84000), rel=1e-4)


def test_robust_subtracts_deequs_small_sample_term() -> None:
    stats = BASELINE["features"][2]
    partial = data_quality.new_partial(config(), str(DQ_BASELINE))
    for row in shifted(churn_rows(), 2, 1.2):
        partial.add(Record(list(row)))
    partial.to_json()
    feature = partial.features[2]
    robust = dq_checks._drift(feature, stats, 2100, {"comparison_method": "Robust"}, 0.01)
    simple = dq_checks._drift(feature, stats, 2100, {"comparison_method": "Simple"}, 0.01)
    assert robust is not None
    assert simple is not None
    assert robust[0] == pytest.approx(simple[0] - 1.8 * math.sqrt((2100 + 450) / (2100 * 450)))


def test_the_distance_is_the_exact_two_sample_ks_statistic() -> None:
    rng = np.random.default_rng(3)
    base = np.sort(rng.normal(size=257).round(2))
    window = rng.normal(0.2, 1.1, size=800).round(2)
    hist = GridHistogram(base)
    hist.add(window)
    weights = np.ones_like(base)
    d = hist.ks_distance(dq_checks.baseline_cdf(base, weights, hist.points))
    xs = np.concatenate([base, window, base - 1e-9, window - 1e-9])
    brute = np.abs(
        np.searchsorted(base, xs, side="right") / base.size
        - np.searchsorted(np.sort(window), xs, side="right") / window.size
    ).max()
    assert d == pytest.approx(brute, abs=1e-12)


def test_settings_and_metric_switches(tmp_path: Path) -> None:
    constraints = json.loads((DQ_BASELINE / "constraints.json").read_text())
    constraints["features"][2]["monitoringConfigOverrides"] = {"comparison_threshold": 0.9}
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    (tmp_path / "statistics.json").write_text((DQ_BASELINE / "statistics.json").read_text())
    drifted = shifted(churn_rows(), 2, 1.5)
    assert checks(analyze(drifted, tmp_path)) == set()  # the feature's own threshold
    constraints["features"][2]["monitoringConfigOverrides"] = {}
    constraints["monitoring_config"]["evaluate_constraints"] = "Disabled"
    constraints["monitoring_config"]["emit_metrics"] = "Disabled"
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    result = analyze(drifted, tmp_path)
    assert (result.violations, result.metric_data, result.verdict) == ([], [], "no-violations")


def test_metrics_use_model_monitors_names_and_the_configs_dimensions() -> None:
    result = analyze(churn_rows())
    names = {m["MetricName"] for m in result.metric_data}
    assert names == {
        f"feature_{kind}_{f}" for kind in ("baseline_drift", "non_null", "data") for f in FEATURES
    }
    dims = [
        {"Name": "Endpoint", "Value": "churn"},
        {"Name": "MonitoringSchedule", "Value": "churn-data-quality"},
    ]
    assert all(m["Dimensions"] == dims and m["Unit"] == "None" for m in result.metric_data)
    data = {m["MetricName"]: m["Value"] for m in result.metric_data}
    assert data["feature_non_null_age"] == 1.0
    assert data["feature_data_age"] == pytest.approx(np.mean([float(r[0]) for r in churn_rows()]))


def test_no_records_is_no_data() -> None:
    result = analyze([])
    assert (result.verdict, result.used, result.violations, result.metric_data) == ("no-data", 0, [], [])


def test_sketch_levels_weigh_powers_of_two_and_buckets_stand_in_for_a_missing_sketch() -> None:
    kll = {
        "buckets": [
            {"lower_bound": 0, "upper_bound": 5, "count": 3},
            {"lower_bound": 5, "upper_bound": 9, "count": 1},
        ]
    }
    feature = {
        "numerical_statistics": {
            "distribution": {"kll": {**kll, "sketch": {"data": [[4, 1, 3, 2], [20, 10]]}}}
        }
    }
    items, weights = dq_checks.sketch_items(feature)
    assert items.tolist() == [1, 2, 3, 4, 10, 20]
    assert weights.tolist() == [1, 1, 1, 1, 2, 2]
    cdf = dq_checks.baseline_cdf(items, weights, np.array([0.5, 4, 10, 25]))
    assert cdf.tolist() == [0.0, 0.5, 0.75, 1.0]
    items, weights = dq_checks.sketch_items({"numerical_statistics": {"distribution": {"kll": kll}}})
    assert (items.tolist(), weights.tolist()) == ([5, 9], [3, 1])
