"""The monitoring script's readers: endpoint capture lines in the documented format, every request shape, mixed
windows, malformed lines (counted, never fatal), empty files, and batch transform datasets."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from support.monitor_capture import capture_line, write_lines

from sagemaker_constructs._monitor_script import capture
from sagemaker_constructs._monitor_script.capture import ReadCounts, read_capture, read_dataset

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

# The documented example line (SageMaker Developer Guide, "Capture data from real-time endpoint"; aws-facts §8.2).
DOCUMENTED = (
    '{"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", '
    '"data": "69,0,153.7,109,0,194.1", "encoding": "CSV"}, "endpointOutput": {"observedContentType": '
    '"text/csv; charset=utf-8", "mode": "OUTPUT", "data": "0.0254", "encoding": "CSV"}}, "eventMetadata": '
    '{"eventId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "inferenceTime": "2022-02-14T17:25:49Z"}, '
    '"eventVersion": "0"}'
)


def read(tmp_path: Path, lines: list[str]) -> tuple[list[capture.Record], ReadCounts]:
    path = write_lines(tmp_path / "ep" / "AllTraffic" / "2026" / "12" / "02" / "05" / "capture.jsonl", lines)
    counts = ReadCounts()
    return list(read_capture([str(path)], counts)), counts


def test_the_documented_capture_line(tmp_path: Path) -> None:
    [record], counts = read(tmp_path, [DOCUMENTED])
    assert record.features == ["69", "0", "153.7", "109", "0", "194.1"]
    assert record.names is None
    assert record.prediction == ["0.0254"]
    assert record.event_id == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert record.inference_time == "2022-02-14T17:25:49Z"
    assert record.inference_id is None
    assert (record.input_content_type, record.output_content_type) == ("text/csv", "text/csv; charset=utf-8")
    assert counts.to_json() == {"files": 1, "records": 1, "malformed": 0, "reasons": {}}


def test_inference_id_and_base64(tmp_path: Path) -> None:
    line = capture_line(
        "1,2.5,,x", encoding="BASE64", output="0.9", output_encoding="BASE64", inference_id="inf-7"
    )
    [record], _ = read(tmp_path, [line])
    assert record.features == ["1", "2.5", None, "x"]
    assert record.prediction == ["0.9"]
    assert record.inference_id == "inf-7"


@pytest.mark.parametrize(
    ("body", "rows", "names"),
    [
        ([1, 2.5, None], [[1, 2.5, None]], None),
        ({"instances": [[1, 2], [3, 4]]}, [[1, 2], [3, 4]], None),
        ({"features": [1, 2]}, [[1, 2]], None),
        ({"instances": [{"features": [5, 6]}]}, [[5, 6]], None),
        ({"age": 30, "plan": "gold"}, [[30, "gold"]], ("age", "plan")),
        ({"instances": [{"age": 30}, {"age": 31}]}, [[30], [31]], ("age",)),
        ([[1, 2], [3, 4], [5, 6]], [[1, 2], [3, 4], [5, 6]], None),
        ([1, True, {"a": 1}], [[1, "true", '{"a": 1}']], None),
    ],
)
def test_json_request_shapes(tmp_path: Path, body: object, rows: list[list[object]], names: object) -> None:
    line = capture_line(json.dumps(body), content_type="application/json", encoding="JSON", output=None)
    records, counts = read(tmp_path, [line])
    assert [r.features for r in records] == rows
    assert {r.names for r in records} == {names}
    assert counts.records == len(rows)
    assert all(r.prediction is None for r in records)


def test_several_rows_per_request_align_with_their_outputs(tmp_path: Path) -> None:
    csv_lines = capture_line("1,2\n3,4\n", output="0.1\n0.9\n")
    json_lines = capture_line(
        json.dumps({"instances": [[5, 6], [7, 8]]}),
        content_type="application/json",
        encoding="JSON",
        output=json.dumps({"predictions": [{"score": 0.2}, {"score": 0.8}]}),
        output_type="application/json",
        output_encoding="JSON",
    )
    jsonlines = capture_line(
        '{"features": [9, 10]}\n{"features": [11, 12]}',
        content_type="application/jsonlines",
        encoding="JSON",
        output="[0.3, 0.7]",
        output_type="application/json",
        output_encoding="JSON",
    )
    records, _ = read(tmp_path, [csv_lines, json_lines, jsonlines])
    assert [(r.features, r.prediction) for r in records] == [
        (["1", "2"], ["0.1"]),
        (["3", "4"], ["0.9"]),
        ([5, 6], [{"score": 0.2}]),
        ([7, 8], [{"score": 0.8}]),
        ([9, 10], [0.3]),
        ([11, 12], [0.7]),
    ]


def test_one_row_keeps_its_whole_output_and_unalignable_outputs_are_none(tmp_path: Path) -> None:
    multiclass = capture_line(
        "1,2", output="[0.1, 0.6, 0.3]", output_type="application/json", output_encoding="JSON"
    )
    mismatched = capture_line("1,2\n3,4", output="0.1\n0.2\n0.3")
    broken = capture_line("1,2", output="{not json", output_type="application/json", output_encoding="JSON")
    records, counts = read(tmp_path, [multiclass, mismatched, broken])
    assert [r.prediction for r in records] == [[0.1, 0.6, 0.3], None, None, None]
    assert counts.records == 4
    assert counts.malformed == 0  # a bad output leaves the input rows usable


def test_malformed_lines_are_counted_by_reason_and_skipped(tmp_path: Path) -> None:
    lines = [
        capture_line("1,2"),
        "not json at all",
        json.dumps({"eventMetadata": {"eventId": "x"}}),
        json.dumps(["a", "list"]),
        capture_line("{broken", content_type="application/json", encoding="JSON"),
        capture_line("", output=None),
        json.dumps({"captureData": {"endpointInput": {"data": "%%%notbase64", "encoding": "BASE64"}}}),
        json.dumps({"captureData": {"endpointInput": {"data": 17, "encoding": "CSV"}}}),
        "",
        capture_line("3,4"),
    ]
    records, counts = read(tmp_path, lines)
    assert [r.features for r in records] == [["1", "2"], ["3", "4"]]
    assert counts.reasons == {
        "invalid_json": 1,
        "missing_capture_data": 2,
        "invalid_payload": 2,
        "empty_payload": 1,
        "undecodable_payload": 1,
    }
    assert counts.malformed == 7
    assert counts.records == 2


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    empty = write_lines(tmp_path / "empty.jsonl", [])
    counts = ReadCounts()
    assert list(read_capture([str(empty), str(tmp_path / "absent.jsonl")], counts)) == []
    assert counts.to_json() == {"files": 1, "records": 0, "malformed": 1, "reasons": {"unreadable_file": 1}}


def test_list_files_walks_every_folder_and_skips_hidden_files(tmp_path: Path) -> None:
    for name in ("b/2026/12/02/05/x.jsonl", "a/y.jsonl", "a/.hidden", ".git/z"):
        write_lines(tmp_path / name, ["{}"])
    assert capture.list_files(str(tmp_path)) == [
        str(tmp_path / "a/y.jsonl"),
        str(tmp_path / "b/2026/12/02/05/x.jsonl"),
    ]


def test_csv_datasets_with_and_without_header_gzipped_or_not(tmp_path: Path) -> None:
    plain = write_lines(tmp_path / "part-0.csv", ["1,2.5", "", "3,x"])
    with gzip.open(tmp_path / "part-1.csv.gz", "wt") as stream:
        stream.write("age,plan\n40,gold\n41,\n")
    counts = ReadCounts()
    rows = list(read_dataset([str(plain)], {"csv": {"header": False}}, counts))
    assert [(r.features, r.names) for r in rows] == [(["1", "2.5"], None), (["3", "x"], None)]
    rows = list(read_dataset([str(tmp_path / "part-1.csv.gz")], {"Csv": {"Header": True}}, counts))
    assert [(r.features, r.names) for r in rows] == [
        (["40", "gold"], ("age", "plan")),
        (["41", None], ("age", "plan")),
    ]
    assert counts.to_json() == {"files": 2, "records": 4, "malformed": 0, "reasons": {}}


def test_json_datasets(tmp_path: Path) -> None:
    lines = write_lines(tmp_path / "a.jsonl", ['{"features": [1, 2]}', "oops", "[3, 4]"])
    whole = tmp_path / "b.json"
    whole.write_text(json.dumps({"instances": [[5, 6], [7, 8]]}))
    counts = ReadCounts()
    got = list(read_dataset([str(lines)], {"json": {"line": True}}, counts))
    got += list(read_dataset([str(whole)], {"json": {"line": False}}, counts))
    got += list(read_dataset([str(lines)], {"jsonlines": {}}, counts))
    assert [r.features for r in got] == [[1, 2], [3, 4], [5, 6], [7, 8], [1, 2], [3, 4]]
    assert counts.reasons == {"invalid_payload": 2}


def test_an_unknown_dataset_format_names_the_allowed_keys() -> None:
    with pytest.raises(ValueError, match="datasetFormat must have a 'csv', 'json' or 'jsonlines' key, got"):
        capture.dataset_kind({"parquet": {}})


def test_ordered_pads_cuts_and_looks_up_names() -> None:
    names = ["a", "b", "c"]
    assert capture.Record(["1", "2"]).ordered(names) == (["1", "2", None], 1, 0)
    assert capture.Record(["1", "2", "3", "4"]).ordered(names) == (["1", "2", "3"], 0, 1)
    assert capture.Record([3, 9], ("c", "z")).ordered(names) == ([None, None, 3], 2, 1)
