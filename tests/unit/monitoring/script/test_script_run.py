"""run.analyze / analyze_partial / merge: the merge of shard partials equals the single pass, the summary's
schema, metric batching, and the monitor-type registry."""

from __future__ import annotations

import json
import zlib
from fractions import Fraction
from pathlib import Path

import pytest
from support.monitor_capture import (
    DQ_BASELINE,
    capture_line,
    churn_rows,
    config,
    csv_capture_lines,
    write_lines,
)

from sagemaker_constructs._monitor_script import report, run
from sagemaker_constructs._monitor_script.partials import CategoryCounts, ExactSum

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent


def drifted_window(tmp_path: Path) -> list[Path]:
    """The churn test rows with a shifted monthly_charges, as CSV and JSON requests and a few bad lines, in 3 files."""
    rows = churn_rows()
    rows = [[*r[:2], f"{float(r[2]) * 1.5:.2f}", *r[3:]] for r in rows]
    lines = csv_capture_lines(rows[:300])
    lines += [
        capture_line(
            json.dumps({"instances": [[float(v) for v in r] for r in rows[i : i + 3]]}),
            content_type="application/json",
            encoding="JSON",
            output=None,
        )
        for i in range(300, len(rows), 3)
    ]
    lines += ["garbage", capture_line("", output=None)]
    lines.sort(key=lambda line: zlib.crc32(line.encode()) % 7)  # mixed payloads in every file
    third = len(lines) // 3
    return [
        write_lines(
            tmp_path / "data" / f"h{i}" / "capture.jsonl",
            lines[i * third : (i + 1) * third if i < 2 else None],
        )
        for i in range(3)
    ]


def test_shard_merge_equals_the_single_pass(tmp_path: Path) -> None:
    files = drifted_window(tmp_path)
    single = run.analyze(
        config(), [str(tmp_path / "data")], baseline_dir=str(DQ_BASELINE), out_dir=str(tmp_path / "one")
    )
    partials = [
        run.analyze_partial(
            config(),
            [str(f)],
            baseline_dir=str(DQ_BASELINE),
            out_dir=str(tmp_path / "shards"),
            host=f"algo-{i}",
        )
        for i, f in enumerate(files)
    ]
    written = sorted(p.name for p in (tmp_path / "shards" / "partials").iterdir())
    assert written == ["partial-algo-0.json", "partial-algo-1.json", "partial-algo-2.json"]
    documents = [json.loads(json.dumps(p)) for p in reversed(partials)]  # through JSON, in another order
    merged = run.merge(config(), documents, baseline_dir=str(DQ_BASELINE), out_dir=str(tmp_path / "merged"))
    assert merged == single
    for name in ("statistics.json", "constraint_violations.json", "summary.json"):
        assert (tmp_path / "merged" / name).read_text() == (tmp_path / "one" / name).read_text()
    assert single["violatedChecks"] == ["baseline_drift_check"]
    assert single["records"] == {
        "read": 452,
        "used": 450,
        "malformed": 2,
        "skipped": {"empty_payload": 1, "invalid_json": 1},
        "files": 3,
    }


def test_the_summary_schema(tmp_path: Path) -> None:
    files = drifted_window(tmp_path)
    summary = run.analyze(config(), [str(f) for f in files], baseline_dir=str(DQ_BASELINE))
    assert set(summary) == {
        "schemaVersion", "monitoringType", "monitoringScheduleName", "endpointName", "status", "verdict",
        "violations", "violatedChecks", "records", "minSamples", "namespace", "metricData",
    }  # fmt: skip
    assert summary["endpointName"] == config().get("endpointName")
    assert (summary["status"], summary["verdict"], summary["violations"]) == (
        "CompletedWithViolations",
        "violations",
        1,
    )
    assert summary["namespace"] == "SageMakerConstructs/Endpoints/data-metrics"
    assert summary["minSamples"] == 100
    assert [len(batch) for batch in summary["metricData"]] == [20, 1]
    assert len(json.dumps(summary)) < 64 * 1024


def test_an_empty_window_is_no_data(tmp_path: Path) -> None:
    summary = run.analyze(
        config(), [str(tmp_path / "nothing")], baseline_dir=str(DQ_BASELINE), out_dir=str(tmp_path)
    )
    assert (summary["status"], summary["verdict"], summary["violations"]) == ("Completed", "no-data", 0)
    assert json.loads((tmp_path / "constraint_violations.json").read_text()) == {"violations": []}
    assert run.merge(config(), [], baseline_dir=str(DQ_BASELINE))["verdict"] == "no-data"


def test_a_small_window_is_completed_without_violations(tmp_path: Path) -> None:
    files = drifted_window(tmp_path)
    summary = run.analyze(config(minSamples=1000), [str(f) for f in files], baseline_dir=str(DQ_BASELINE))
    assert (summary["status"], summary["verdict"], summary["violations"]) == (
        "Completed",
        "insufficient-data",
        0,
    )


def test_metric_data_is_cut_to_keep_the_summary_small() -> None:
    datum = report.metric_datum("feature_data_" + "x" * 200, 1.0, [{"Name": "Endpoint", "Value": "e" * 200}])
    assert datum is not None
    result = report.Result({}, [], [datum] * 1000, "no-violations", 1)
    summary = report.summary(config(), result, {})
    kept = sum(len(b) for b in summary["metricData"])
    assert 0 < kept < 1000
    assert summary["metricDataDropped"] == 1000 - kept
    assert all(len(b) <= 20 for b in summary["metricData"])
    assert len(json.dumps(summary)) < 64 * 1024
    assert report.metric_datum("x", float("nan"), []) is None


def test_unsupported_monitoring_types_name_the_supported_ones() -> None:
    with pytest.raises(
        run.UnsupportedMonitoringType, match=r"monitoringType must be one of DataQuality.*got 'Nope'"
    ):
        run.analyze(config(monitoringType="Nope"), [])


def test_merge_rejects_a_partial_of_another_type(tmp_path: Path) -> None:
    document = run.analyze_partial(config(), [], host="a")
    document["monitoringType"] = "ModelQuality"
    with pytest.raises(ValueError, match="partial of host 'a' is a 'ModelQuality' partial"):
        run.merge(config(), [document])


def test_exact_sums_do_not_depend_on_the_split() -> None:
    values = [1e16, 1.0, -1e16, 3.3, 1e-300, -2.2, 7e15, 0.1] * 50
    whole = ExactSum()
    whole.add(values)
    parts = [ExactSum() for _ in range(3)]
    for i, value in enumerate(values):
        parts[i % 3].add([value])
    parts[2].merge(parts[0])
    parts[2].merge(parts[1])
    assert whole.exact() == parts[2].exact() == sum((Fraction(v) for v in values), Fraction(0))
    assert whole.value() == parts[2].value()
    assert sum(values) != whole.value()  # a plain float sum is not exact here


def test_category_counts_are_exact_up_to_the_cap() -> None:
    a, b, whole = CategoryCounts(cap=3), CategoryCounts(cap=3), CategoryCounts(cap=3)
    a.add(["x", "y", "x"])
    b.add(["x", "z"])
    whole.add(["x", "y", "x", "x", "z"])
    a.merge(b)
    assert a.to_json() == whole.to_json() == {"counts": {"x": 3, "y": 1, "z": 1}, "other": 0}
    a.add(["w", "w"])
    assert a.to_json() == {"counts": {"w": 2, "x": 3, "y": 1}, "other": 1}


def test_an_empty_shard_merges_without_a_baseline(tmp_path: Path) -> None:
    rows = [["1", "a"], ["2", "b"], ["3.5", "a"]] * 50
    data = write_lines(tmp_path / "one.jsonl", [capture_line(",".join(r)) for r in rows])
    single = run.analyze(config(), [str(data)])
    empty = run.analyze_partial(config(), [], host="algo-1")
    full = run.analyze_partial(config(), [str(data)], host="algo-2")
    assert run.merge(config(), [full, empty]) == single
    assert single["verdict"] == "no-violations"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"minSamples": -1}, r"'minSamples' must be a whole number of records, 0 or more, got -1"),
        ({"minSamples": 2.5}, r"'minSamples' must be a whole number of records, 0 or more, got 2.5"),
        ({"significance": 0}, r"'significance' must be a number between 0 and 1 \(exclusive\), got 0"),
        (
            {"significance": "0.05"},
            r"'significance' must be a number between 0 and 1 \(exclusive\), got '0.05'",
        ),
    ],
)
def test_bad_rule_settings_name_the_key(tmp_path: Path, extra: dict[str, object], message: str) -> None:
    data = write_lines(tmp_path / "one.jsonl", csv_capture_lines(churn_rows()[:5]))
    with pytest.raises(ValueError, match=message):
        run.analyze(config(**extra), [str(data)], baseline_dir=str(DQ_BASELINE))
