"""The data-quality fast paths give what the per-record path gives: capture lines read in bulk
(``capture.read_capture_arrays``), rows added as arrays (``Partial.add_array``) and sums extracted with numpy
(``partials._extract_sums``). The reference is the same code with the fast path switched off
(``Partial.array_width`` returning ``None``), which reads every line with ``json.loads``."""

from __future__ import annotations

import base64
import json
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.monitor_capture import DQ_BASELINE, FEATURES, capture_line, churn_rows, config, write_lines

from sagemaker_constructs._monitor_script import capture, data_quality, run
from sagemaker_constructs._monitor_script.capture import ReadCounts, Record
from sagemaker_constructs._monitor_script.partials import ExactSum, _expansion, _extract_sums

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

OUTPUTS = ("statistics.json", "constraint_violations.json", "summary.json", "drift_report.html")


def compact(line: str) -> str:
    """The line as SageMaker writes it: compact JSON."""
    return json.dumps(json.loads(line), separators=(",", ":"))


def mixed_window(tmp_path: Path) -> list[Path]:
    """Drifted churn rows as compact and spaced CSV requests, with every kind of line the fast path must leave to
    the per-line reader, in several files (one with CRLF line ends, one without a final newline)."""
    rows = churn_rows()
    drifted = [[*r[:2], f"{float(r[2]) * 1.5:.2f}", *r[3:]] for r in rows]
    good = [capture_line(",".join(r), event_id=f"e-{i}") for i, r in enumerate(drifted)]
    good = [compact(line) if i % 2 else line for i, line in enumerate(good)]
    odd = [
        "garbage",
        "",
        "   ",
        capture_line("", output=None),
        capture_line(",".join(rows[0][:-1])),  # a column short
        capture_line(",".join(rows[1]) + ",9"),  # an extra column
        capture_line(",".join(rows[2]) + ","),  # a trailing comma: an empty extra cell
        capture_line("abc," + ",".join(rows[3][1:])),  # text in a numeric column
        capture_line("nan," + ",".join(rows[4][1:])),
        capture_line("1e400," + ",".join(rows[5][1:])),  # out of float range
        capture_line("1-2," + ",".join(rows[6][1:])),  # number characters, not a number
        capture_line("+.5," + ",".join(rows[7][1:])),
        capture_line(" 42, " + ",".join(rows[8][1:])),  # spaces
        capture_line(",".join(rows[9]) + "\n" + ",".join(rows[10])),  # two rows in one request
        capture_line(",".join(rows[11]), encoding="BASE64", output_encoding="BASE64"),
        capture_line(
            json.dumps([[float(v) for v in rows[12]]]), content_type="application/json", encoding="JSON"
        ),
        capture_line(",".join(rows[13]), content_type="application/json"),  # CSV text claimed as JSON
        capture_line(",".join(rows[14]), event_id='quote"d'),  # an escape in the metadata
        capture_line(",".join(rows[15]))[:-1],  # truncated: invalid JSON
        compact(capture_line(",".join(rows[16]))).replace('"CSV"}', '"CSV"} ', 1),
        compact(capture_line(",".join(rows[17]))).replace("{", '{"captureData":{},', 1),  # a duplicate key
        json.dumps({"captureData": {"endpointInput": None}}),
    ]
    lines = good[:]
    for i, line in enumerate(odd):
        lines.insert(7 * i + 3, line)
    third = len(lines) // 3
    files = [
        write_lines(tmp_path / "data" / "a.jsonl", lines[:third]),
        tmp_path / "data" / "b.jsonl",
        tmp_path / "data" / "c.jsonl",
    ]
    files[1].write_bytes("".join(line + "\r\n" for line in lines[third : 2 * third]).encode())
    files[2].write_text("\n".join(lines[2 * third :]))  # no final newline
    return files


def analyze(files: list[Path], out: Path, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(data_quality.Partial, "array_width", lambda self: None)
        return run.analyze(config(), [str(f) for f in files], baseline_dir=str(DQ_BASELINE), out_dir=str(out))


@pytest.mark.parametrize("block_chars", [capture.BLOCK_CHARS, 700])
def test_fast_path_outputs_are_byte_identical_to_the_per_line_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_chars: int
) -> None:
    files = mixed_window(tmp_path)
    monkeypatch.setattr(capture, "BLOCK_CHARS", block_chars)  # 700: blocks of one or two lines, cut anywhere

    fast = analyze(files, tmp_path / "fast", fast=True, monkeypatch=monkeypatch)
    slow = analyze(files, tmp_path / "slow", fast=False, monkeypatch=monkeypatch)

    assert fast == slow
    for name in OUTPUTS:
        assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "slow" / name).read_bytes(), name
    assert slow["status"] == "CompletedWithViolations"
    assert "baseline_drift_check" in slow["violatedChecks"]
    assert slow["records"]["malformed"] >= 4  # garbage, empty payload, truncated, no input


def test_fast_path_reads_the_common_lines_in_bulk(tmp_path: Path) -> None:
    files = mixed_window(tmp_path)
    counts = ReadCounts()

    items = list(capture.read_capture_arrays([str(f) for f in files], counts, len(FEATURES)))

    arrays = [item for item in items if isinstance(item, np.ndarray)]
    records = [item for item in items if isinstance(item, Record)]
    assert sum(a.shape[0] for a in arrays) > 10 * len(records)
    assert all(a.shape[1] == len(FEATURES) and a.dtype == np.float64 for a in arrays)
    assert counts.records == sum(a.shape[0] for a in arrays) + len(records)
    reference = ReadCounts()
    assert sum(1 for _ in capture.read_capture([str(f) for f in files], reference)) == counts.records
    assert counts.to_json() == reference.to_json()


def test_shards_through_the_fast_path_merge_to_the_single_pass(tmp_path: Path) -> None:
    files = [str(f) for f in mixed_window(tmp_path)]
    single = run.analyze(config(), files, baseline_dir=str(DQ_BASELINE), out_dir=str(tmp_path / "one"))
    partials = [
        run.analyze_partial(config(), [f], baseline_dir=str(DQ_BASELINE), host=f"algo-{i}")
        for i, f in enumerate(files)
    ]

    merged = run.merge(
        config(), json.loads(json.dumps(partials)), baseline_dir=str(DQ_BASELINE), out_dir=str(tmp_path / "m")
    )

    assert merged == single
    for name in OUTPUTS:
        assert (tmp_path / "m" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name


def test_add_array_equals_adding_each_row(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    block = np.column_stack(
        [rng.integers(18, 90, 5000), rng.normal(50, 20, 5000).round(2), rng.integers(0, 2, 5000)]
    ).astype(np.float64)
    block[17, 1] = np.nan  # a missing value: the per-record path decides
    names = ["a", "b", "c"]
    rows = data_quality.Partial(names, {}, [])
    for values in block.tolist():
        rows.add(Record(values))
    bulk = data_quality.Partial(names, {}, [])
    bulk.add_array(block[:1000])
    bulk.add_array(block[1000:])

    assert bulk.to_json() == rows.to_json()
    assert bulk.array_width() == 3
    with pytest.raises(ValueError, match="2-D numeric array"):
        bulk.add_array(np.array(["1", "2"]))


def test_a_partial_with_a_text_feature_takes_no_arrays() -> None:
    assert data_quality.Partial(["a", "b"], {}, ["b"]).array_width() is None
    assert data_quality.Partial(None, {}, []).array_width() is None


@pytest.mark.parametrize("seed", range(6))
def test_extracted_sums_are_exact(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = [
        rng.normal(size=3000) * 10.0 ** rng.integers(-300, 300, size=3000),  # every magnitude at once
        rng.integers(0, 100, size=10000).astype(np.float64),
        rng.normal(size=10000) * 1e15 + rng.normal(size=10000) * 1e-15,
        np.array([1e308, -1e308, 1.0, 5e-324] * 50),
        np.zeros(10),
        np.array([], dtype=np.float64),
    ][seed]

    exact = sum((Fraction(v) for v in values.tolist()), Fraction(0))

    assert sum((Fraction(t) for t in _extract_sums(values)), Fraction(0)) == exact
    total = ExactSum()
    total.add(values)
    assert total.value() == ExactSum(_expansion(values.tolist())).value()
    assert total.exact() == exact


def test_random_number_spellings_read_alike_in_bulk_and_per_line(tmp_path: Path) -> None:
    generator = random.Random(5)
    spellings = ["+1", "1.", ".5", "-0", "1E+05", "00012", "1.5e-3", "9007199254740993", "4.9e-324"]
    rows = []
    for _ in range(400):
        row = [generator.choice(spellings) for _ in range(3)]
        row += [f"{generator.lognormvariate(0, 30):.17g}", repr(generator.uniform(-1e6, 1e6))]
        rows.append(row)
    lines = [compact(capture_line(",".join(r))) for r in rows]
    lines.append(capture_line(base64.b64encode(b"1,2,3,4,5").decode(), encoding="BASE64"))
    path = write_lines(tmp_path / "n.jsonl", lines)
    names = [f"f{i}" for i in range(5)]
    bulk = data_quality.Partial(names, {}, [])
    rows_partial = data_quality.Partial(names, {}, [])
    counts, reference = ReadCounts(), ReadCounts()

    for item in capture.read_capture_arrays([str(path)], counts, 5):
        if isinstance(item, Record):
            bulk.add(item)
        else:
            bulk.add_array(item)
    for record in capture.read_capture([str(path)], reference):
        rows_partial.add(record)

    assert bulk.to_json() == rows_partial.to_json()
    assert counts.to_json() == reference.to_json()


def test_a_data_quality_run_with_a_baseline_writes_the_drift_report(tmp_path: Path) -> None:
    files = [str(f) for f in mixed_window(tmp_path)]

    run.analyze(config(), files, baseline_dir=str(DQ_BASELINE), out_dir=str(tmp_path / "with"))
    run.analyze(config(), files, out_dir=str(tmp_path / "without"))

    page = (tmp_path / "with" / "drift_report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "monthly_charges" in page
    assert "churn-data-quality" in page
    assert not (tmp_path / "without" / "drift_report.html").exists()
    assert (tmp_path / "without" / "statistics.json").exists()
