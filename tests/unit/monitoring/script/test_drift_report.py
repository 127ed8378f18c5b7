"""The drift report (``_monitor_script/drift_report.py``): the churn baseline against a drifted window.

The window's statistics are the baseline's with a known drift applied by hand (``monthly_charges`` x 1.4, most
contracts monthly), so these tests depend on nothing but the report module and the committed baseline.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from sagemaker_constructs._monitor_script.drift_report import (
    _categorical_bins,
    _numeric_bins,
    render_drift_report,
)

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

BASELINE_DIR = (
    Path(__file__).resolve().parents[4] / "model_artifacts" / "churn" / "baselines" / "data_quality"
)
HOSTILE = '<script>alert("x")</script>&amp;\'q'


def _load(name: str) -> dict[str, Any]:
    return json.loads((BASELINE_DIR / name).read_text())


def _feature(statistics: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in statistics["features"] if f["name"] == name)


def _drifted_window(baseline: dict[str, Any], *, hostile: bool = False) -> dict[str, Any]:
    """The baseline's statistics with ``monthly_charges`` scaled by 1.4 and 90 % of contracts monthly."""
    window = copy.deepcopy(baseline)
    window["dataset"]["item_count"] = 450
    charges = _feature(window, "monthly_charges")["numerical_statistics"]
    for key in ("mean", "sum", "std_dev", "min", "max"):
        charges[key] *= 1.4
    for bucket in charges["distribution"]["kll"]["buckets"]:
        bucket["lower_bound"] *= 1.4
        bucket["upper_bound"] *= 1.4
    contract = _feature(window, "contract_monthly")["numerical_statistics"]
    buckets = contract["distribution"]["kll"]["buckets"]
    buckets[0]["count"], buckets[-1]["count"] = 45.0, 405.0
    contract["mean"] = 0.9
    if hostile:
        extra = copy.deepcopy(_feature(window, "age"))
        extra["name"] = HOSTILE
        window["features"].append(extra)
    return window


def _summary(distances: dict[str, float], violations: int) -> dict[str, Any]:
    return {
        "schemaVersion": "1",
        "monitoringType": "DataQuality",
        "monitoringScheduleName": "churn-data-quality",
        "status": "CompletedWithViolations" if violations else "Completed",
        "verdict": "violations" if violations else "no-violations",
        "violations": violations,
        "violatedChecks": ["baseline_drift_check"] if violations else [],
        "records": {"read": 452, "used": 450, "malformed": 2, "skipped": {"no-input": 2}, "files": 3},
        "minSamples": 100,
        "namespace": "SageMakerConstructs/Endpoints/data-metrics",
        "metricData": [
            [
                {
                    "MetricName": f"feature_baseline_drift_{name}",
                    "Dimensions": [],
                    "Value": value,
                    "Unit": "None",
                }
                for name, value in distances.items()
            ]
        ],
        "window": {"start": "2026-11-22T02:00:00Z", "end": "2026-11-22T03:00:00Z"},
    }


def _drift(name: str, distance: float) -> dict[str, str]:
    return {
        "feature_name": name,
        "constraint_check_type": "baseline_drift_check",
        "description": f"Baseline drift distance: {distance} exceeds threshold: 0.1",
    }


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return _load("statistics.json")


@pytest.fixture(scope="module")
def page(baseline: dict[str, Any]) -> str:
    distances = {"age": 0.01, "monthly_charges": 0.31, "contract_monthly": 0.36, HOSTILE: 0.02}
    violations = {"violations": [_drift("monthly_charges", 0.31), _drift("contract_monthly", 0.36)]}
    violations["violations"].append(
        {"feature_name": HOSTILE, "constraint_check_type": "data_type_check", "description": f"bad {HOSTILE}"}
    )
    return render_drift_report(
        baseline,
        _drifted_window(baseline, hostile=True),
        violations,
        _summary(distances, 3),
        constraints=_load("constraints.json"),
    )


def _card_titles(page: str) -> list[str]:
    root = ET.fromstring(page.split("\n", 1)[1])  # the page is well-formed XML after its doctype
    return ["".join(h2.itertext()) for h2 in root.iter("h2") if h2.text is not None]


def test_the_churn_baseline_against_a_drifted_window(page: str, baseline: dict[str, Any]) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert 'class="verdict v-violations">violations<' in page
    assert "2026-11-22T02:00:00Z to 2026-11-22T03:00:00Z" in page
    for label, value in (("Records read", 452), ("Records used", 450), ("Records malformed", 2)):
        assert f"<td>{label}</td><td>{value}</td>" in page
    assert "Drift threshold</td><td>0.1 (Robust)" in page
    # One card per feature, each with its histogram and its distance bar.
    names = [f["name"] for f in baseline["features"]]
    assert len(re.findall(r'<div class="card[ "]', page)) == len(names) + 1
    assert page.count("<svg") == 2 * (len(names) + 1)
    assert "Drift distance: 0.3100 (threshold 0.1)" in page
    assert "Baseline drift distance: 0.36 exceeds threshold: 0.1" in page


def test_drifted_features_come_first_largest_distance_first(page: str) -> None:
    titles = _card_titles(page)
    assert titles[0].startswith("contract_monthly")
    assert titles[1].startswith("monthly_charges")
    # Then the feature with another violation, then the rest in the window's order.
    assert titles[2].startswith(HOSTILE)
    assert [t.split("baseline_drift_check")[0] for t in titles[3:]] == [
        "age", "tenure_months", "support_calls", "has_fiber", "num_products"
    ]  # fmt: skip
    assert page.count('class="card drifted"') == 2


def test_a_hostile_feature_name_is_escaped(page: str) -> None:
    assert HOSTILE not in page
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;&#x27;q" in page


def test_the_svg_parts_are_valid_xml_and_the_page_has_no_script_or_external_asset(page: str) -> None:
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) == 16
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    ET.fromstring(page.split("\n", 1)[1])
    for external in ("<script", " src=", " href=", "url(", "@import", "javascript:"):
        assert external not in page


def test_integral_buckets_are_drawn_one_bin_per_integer(baseline: dict[str, Any]) -> None:
    window = _drifted_window(baseline)
    sides = [
        [(b["lower_bound"], b["upper_bound"], b["count"]) for b in
         _feature(s, "contract_monthly")["numerical_statistics"]["distribution"]["kll"]["buckets"]]
        for s in (baseline, window)
    ]  # fmt: skip
    labels, shares = _numeric_bins(sides, integral=True)
    assert labels == ["0", "1"]
    assert shares[0] == pytest.approx([963 / 2100, 1137 / 2100])
    assert shares[1] == pytest.approx([0.1, 0.9])


def test_fractional_buckets_share_one_axis(baseline: dict[str, Any]) -> None:
    window = _drifted_window(baseline)
    sides = [
        [(b["lower_bound"], b["upper_bound"], b["count"]) for b in
         _feature(s, "monthly_charges")["numerical_statistics"]["distribution"]["kll"]["buckets"]]
        for s in (baseline, window)
    ]  # fmt: skip
    labels, shares = _numeric_bins(sides, integral=False)
    assert labels == ["18", "76.08", "134.16"]
    assert all(sum(side) == pytest.approx(1.0) for side in shares)
    # The baseline ends where the drifted window's upper part begins: its last bins are empty.
    assert shares[0][-5:] == pytest.approx([0.0] * 5)
    assert sum(shares[1][-5:]) > 0.05


def test_an_undrifted_window_has_no_drifted_card(baseline: dict[str, Any]) -> None:
    page = render_drift_report(baseline, baseline, {"violations": []}, _summary({"age": 0.0}, 0))
    assert 'class="verdict v-no-violations"' in page
    assert "card drifted" not in page
    assert "Drift distance: not computed" in page


def test_a_string_feature_is_drawn_from_its_categorical_buckets() -> None:
    def feature(counts: dict[str, float]) -> dict[str, Any]:
        buckets = [{"value": value, "count": count} for value, count in counts.items()]
        return {
            "name": "plan",
            "inferred_type": "String",
            "string_statistics": {
                "common": {"num_present": sum(counts.values()), "num_missing": 0},
                "distinct_count": len(counts),
                "distribution": {"categorical": {"buckets": buckets}},
            },
        }

    labels, shares = _categorical_bins(
        [{"basic": 30.0, "plus": 10.0}, {"basic": 5.0, "plus": 5.0, "premium": 10.0}]
    )
    assert labels == ["basic", "plus", "premium"]
    assert shares == [pytest.approx([0.75, 0.25, 0.0]), pytest.approx([0.25, 0.25, 0.5])]
    many = {f"v{i:02d}": 1.0 for i in range(20)}
    labels, shares = _categorical_bins([many, many])
    assert len(labels) == 13
    assert labels[-1] == "(other)"
    assert shares[0][-1] == pytest.approx(8 / 20)

    page = render_drift_report(
        {"features": [feature({"basic": 30.0, "plus": 10.0})]},
        {"features": [feature({"basic": 5.0, "premium": 10.0})]},
        {"violations": []},
        {"verdict": "no-violations"},
    )
    ET.fromstring(page.split("\n", 1)[1])
    assert ">premium</text>" in page
    assert "<td>distinct</td><td>2</td><td>2</td>" in page
