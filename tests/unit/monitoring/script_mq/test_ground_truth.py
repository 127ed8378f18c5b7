"""Ground-truth files and their join with captured records, and the script modules' Python 3.8 constraints."""

from __future__ import annotations

import ast
import base64
import gzip
import json
import math
import sys
from pathlib import Path

import pytest
from support.monitor_records import BASELINES, ROOT, Record

from sagemaker_constructs._monitor_script import _metrics_math
from sagemaker_constructs._monitor_script import ground_truth as gt

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

SCRIPT = ROOT / "constructs" / "sagemaker_constructs" / "_monitor_script"
OURS = ["_metrics_math.py", "attribution.py", "bias.py", "ground_truth.py", "model_quality.py"]


def line(key: str, data: str, encoding: str = "CSV", field: str = "eventId") -> str:
    return json.dumps(
        {
            "groundTruthData": {"data": data, "encoding": encoding},
            "eventMetadata": {field: key},
            "eventVersion": "0",
        }
    )


def test_reads_the_churn_sample_and_nested_gzip_folders(tmp_path: Path) -> None:
    nested = tmp_path / "2026" / "12" / "02" / "05"
    nested.mkdir(parents=True)
    with gzip.open(nested / "more.jsonl.gz", "wt", encoding="utf-8") as stream:
        stream.write(line("gz-1", "0") + "\n")
    truth = gt.load([str(BASELINES / "ground_truth" / "sample.jsonl"), str(tmp_path)])
    assert truth.counts == {"records": 6, "malformed": 0, "duplicates": 0, "files": 2}
    assert truth.labels["c47a219a-de84-5ec1-8a68-6f05d5e032ca"] == ["1"]
    assert truth.labels["gz-1"] == ["0"]


def test_malformed_lines_are_counted_and_later_labels_win(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    rows = [
        line("a", "1"),
        "not json",
        json.dumps({"groundTruthData": {"data": "1"}}),  # no eventMetadata
        "",
        line("a", "0"),
        line("b", base64.b64encode(b"1").decode(), "BASE64"),
        line("c", "[1, 0]", "JSON"),
        line("d", "1", field="inferenceId"),
    ]
    path.write_text("\n".join(rows) + "\n")
    truth = gt.load([str(path)])
    assert truth.counts == {"records": 5, "malformed": 2, "duplicates": 1, "files": 1}
    assert truth.labels == {"a": ["0"], "b": ["1"], "c": ["1", "0"], "d": ["1"]}


def test_inference_id_takes_precedence_over_event_id(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join([line("event-1", "0"), line("inference-2", "1")]) + "\n")
    joiner = gt.Joiner(gt.load([str(path)]))
    with_id = Record(features=[], event_id="event-1", inference_id="inference-2")
    unlabelled_id = Record(features=[], event_id="event-1", inference_id="inference-9")
    event_only = Record(features=[], event_id="event-1")
    assert joiner.label(with_id) == "1"
    assert joiner.label(unlabelled_id) is None  # AWS joins on inferenceId alone when the capture has one
    assert joiner.label(event_only) == "0"
    assert joiner.join.summary() == {
        "labels": 2,
        "matched": 2,
        "matched_ids": 2,
        "unmatched_captures": 1,
        "unmatched_labels": 0,
    }


def test_rows_of_one_request_take_their_labels_in_order(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(line("request", "1,0,1") + "\n")
    joiner = gt.Joiner(gt.load([str(path)]))
    rows = [Record(features=[], event_id="request") for _ in range(3)]
    assert [joiner.label(r) for r in rows] == ["1", "0", "1"]
    assert joiner.join.counts["matched_ids"] == 1


def test_join_counts_merge_labels_by_maximum() -> None:
    one, two = gt.JoinCounts(10), gt.JoinCounts(10)
    one.counts.update(matched=4, matched_ids=4, unmatched_captures=1)
    two.counts.update(matched=3, matched_ids=3, unmatched_captures=2)
    one.merge(gt.JoinCounts.from_json(two.to_json()))
    assert one.summary() == {
        "labels": 10,
        "matched": 7,
        "matched_ids": 7,
        "unmatched_captures": 3,
        "unmatched_labels": 3,
    }


@pytest.mark.parametrize(
    ("row", "attribute", "expected"),
    [
        (["0.83", "1"], "0", "0.83"),
        (["0.83", "1"], "1", "1"),
        (["0.83"], None, "0.83"),
        ([{"predictions": [{"score": 0.7, "label": 1}]}], "predictions[0].score", 0.7),
        ([{"probabilities": [0.2, 0.8]}], "probabilities[1]", 0.8),
        ([{"score": 0.7}], "missing.path", None),
        (["0.83"], "3", None),
    ],
)
def test_attribute_lookup(row: list[object], attribute: str | None, expected: object) -> None:
    assert _metrics_math.extract(row, attribute) == expected


def test_exact_sum_does_not_depend_on_grouping() -> None:
    values = [1e16, 1.0, -1e16, 3.14, 1e-3, -2.5e15, 2.5e15] * 7
    whole = _metrics_math.ExactSum(values)
    left, right = _metrics_math.ExactSum(values[:20]), _metrics_math.ExactSum(values[20:])
    right.merge(left)
    assert whole.value() == right.value() == math.fsum(values)  # the correctly rounded sum
    assert sum(values) != math.fsum(values)  # which plain float addition misses here


@pytest.mark.parametrize("name", OURS)
def test_module_parses_as_python_3_8_and_imports_only_stdlib_numpy_or_relative(name: str) -> None:
    source = (SCRIPT / name).read_text(encoding="utf-8")
    tree = ast.parse(source, filename=name, feature_version=(3, 8))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            tops = [str(node.module).split(".")[0]]
        else:
            continue
        for top in tops:
            assert top in sys.stdlib_module_names or top in ("numpy", "__future__"), f"{name} imports {top}"
    assert "from __future__ import annotations" in source
    assert "strict=" not in source.replace("# noqa: B905 - Python 3.8 has no zip(strict=)", "")
