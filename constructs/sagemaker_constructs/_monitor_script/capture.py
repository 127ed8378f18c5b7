"""Streaming readers: endpoint data capture files and batch transform dataset files, one record per model input row.

Files are read one at a time, line by line (a whole-document JSON dataset file is the one exception: JSON has no
line structure), so memory does not grow with the window. A line or payload that cannot be read is counted under
a reason in :class:`ReadCounts` and skipped; it never stops the run.

Endpoint capture format (SageMaker Developer Guide, "Capture data from real-time endpoint",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html): one JSON object per
line, ``captureData.endpointInput`` / ``captureData.endpointOutput`` each with ``observedContentType``, ``mode``,
``data`` and ``encoding`` (``CSV``, ``JSON`` or ``BASE64``), and ``eventMetadata`` with ``eventId``,
``inferenceTime`` and, when the caller passed one, ``inferenceId``. A request may carry several rows (a CSV body of
several lines, a JSON list of instances): each row becomes one :class:`Record`, aligned with its output row.

Batch transform datasets are read in the monitor's ``datasetFormat`` (Model Monitor's ``DatasetFormat``:
``{"csv": {"header": bool}}``, ``{"json": {"line": bool}}``; ``{"jsonlines": {}}`` is also accepted); a name ending
in ``.gz`` is read through gzip.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import warnings
from typing import IO, Any, Iterable, Iterator

import numpy as np

from . import formats

BLOCK_CHARS = 1 << 22
"""Characters read at a time by the array fast path (:func:`read_capture_arrays`)."""


class Record:
    """One model input row (and its output row, if captured).

    ``features``: the input row's cell values (see :mod:`.formats` for their types); ``names``: the keys when the
    row was a JSON object of named features, else ``None``; ``prediction``: the parsed output row, or ``None``;
    ``event_id`` / ``inference_id`` / ``inference_time``: from the capture's ``eventMetadata`` (``None`` for batch
    data); ``input_content_type`` / ``output_content_type``: the observed content types.
    """

    __slots__ = (
        "_output",
        "_prediction",
        "event_id",
        "features",
        "inference_id",
        "inference_time",
        "input_content_type",
        "names",
        "output_content_type",
    )

    def __init__(
        self,
        features: list[Any],
        names: tuple[str, ...] | None = None,
        prediction: list[Any] | None = None,
        event_id: str | None = None,
        inference_id: str | None = None,
        inference_time: str | None = None,
        input_content_type: str | None = None,
        output_content_type: str | None = None,
    ) -> None:
        self.features = features
        self.names = names
        self._prediction = prediction
        self._output: tuple[_Output, int] | None = None
        self.event_id = event_id
        self.inference_id = inference_id
        self.inference_time = inference_time
        self.input_content_type = input_content_type
        self.output_content_type = output_content_type

    @property
    def prediction(self) -> list[Any] | None:
        """The parsed output row (parsed on first use: data quality never needs it)."""
        if self._output is not None:
            output, index = self._output
            self._prediction = output.rows()[index]
            self._output = None
        return self._prediction

    def ordered(self, feature_names: list[str]) -> tuple[list[Any], int, int]:
        """The values in ``feature_names`` order, with the number of missing and of extra columns.

        A positional row is cut or padded with ``None``; a named row is looked up by name.
        """
        width = len(feature_names)
        if self.names is None:
            values = self.features
            if len(values) == width:
                return values, 0, 0
            if len(values) > width:
                return values[:width], 0, len(values) - width
            return values + [None] * (width - len(values)), width - len(values), 0
        by_name = dict(zip(self.names, self.features))
        missing = sum(1 for name in feature_names if name not in by_name)
        extra = len(by_name) - (width - missing)
        return [by_name.get(name) for name in feature_names], missing, extra


class _Output:
    """A captured response, parsed into rows aligned with the request's rows on first use."""

    __slots__ = ("_rows", "content_type", "data", "encoding", "expected")

    def __init__(self, data: Any, encoding: str | None, content_type: str | None, expected: int) -> None:
        self.data = data
        self.encoding = encoding
        self.content_type = content_type
        self.expected = expected
        self._rows: list[list[Any] | None] | None = None

    def rows(self) -> list[list[Any] | None]:
        if self._rows is None:
            try:
                text = formats.decode(self.data, self.encoding)
                self._rows = formats.output_rows(
                    text, formats.kind_of(self.content_type, text), self.expected
                )
            except formats.PayloadError:
                self._rows = [None] * self.expected  # the input rows stay usable
        return self._rows


class ReadCounts:
    """What the readers saw: files, records produced, and malformed units (lines, payloads) by reason."""

    def __init__(self) -> None:
        self.files = 0
        self.records = 0
        self.malformed = 0
        self.reasons: dict[str, int] = {}

    def bad(self, reason: str) -> None:
        self.malformed += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "records": self.records,
            "malformed": self.malformed,
            "reasons": dict(sorted(self.reasons.items())),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReadCounts:
        counts = cls()
        counts.files = int(data.get("files", 0))
        counts.records = int(data.get("records", 0))
        counts.malformed = int(data.get("malformed", 0))
        counts.reasons = {str(k): int(v) for k, v in dict(data.get("reasons", {})).items()}
        return counts

    def merge(self, other: ReadCounts) -> None:
        self.files += other.files
        self.records += other.records
        self.malformed += other.malformed
        for reason, n in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + n


def list_files(root: str) -> list[str]:
    """Every file under ``root`` (any nesting), sorted; hidden files are left out. A file path is returned as is."""
    if os.path.isfile(root):
        return [root]
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(folder, f) for f in files if not f.startswith("."))
    return sorted(found)


def open_text(path: str) -> IO[str]:
    """A text stream of ``path``, through gzip when the name ends in ``.gz``; undecodable bytes are replaced."""
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace", newline="")


def read_capture(paths: Iterable[str], counts: ReadCounts) -> Iterator[Record]:
    """The records of endpoint capture files (JSON Lines, one captured request per line)."""
    for path in paths:
        try:
            stream = open_text(path)
        except OSError:
            counts.bad("unreadable_file")
            continue
        counts.files += 1
        with stream:
            try:
                for line in stream:
                    if line.strip():
                        yield from _capture_line(line, counts)
            except (OSError, EOFError):  # a truncated gzip member
                counts.bad("unreadable_file")


_TEXT = r'"[^"\\\x00-\x1f]*"'  # a JSON string without escapes or control characters
_COLON = ": ?"  # the separators of compact JSON and of Python's json.dumps defaults
_COMMA = ", ?"
_FLAT = rf"\{{(?:{_TEXT}{_COLON}{_TEXT}(?:{_COMMA}{_TEXT}{_COLON}{_TEXT})*)?\}}"  # an object of such strings
_TOKEN = (
    r"[-+0-9.eE]+"  # a number's characters; numpy reads the token strictly, or the block takes the slow path
)


def _fast_line(width: int) -> re.Pattern[str]:
    """The capture line the fast path is sure of, for CSV requests of one row of ``width`` plain numbers.

    The whole line must be this grammar, a subset of JSON (so the line is valid JSON that ``json.loads`` reads to
    the same request): ``captureData`` first with ``endpointInput`` in the key order SageMaker writes
    (``observedContentType`` ``text/csv``, ``mode``, ``data``, ``encoding`` ``CSV``) and optionally an
    ``endpointOutput`` of plain strings, then any other top-level members (never a second ``captureData``) whose
    values are plain strings or objects of plain strings (``eventMetadata``, ``eventVersion``).
    """
    data = f"({_TOKEN}(?:,{_TOKEN}){{{width - 1}}})"
    k, c = _COLON, _COMMA
    return re.compile(
        r'^\{"captureData"'
        + k
        + r'\{"endpointInput"'
        + k
        + r'\{"observedContentType"'
        + k
        + '"text/csv"'
        + c
        + '"mode"'
        + k
        + '"INPUT"'
        + c
        + '"data"'
        + k
        + '"'
        + data
        + '"'
        + c
        + '"encoding"'
        + k
        + r'"CSV"\}'
        + "(?:"
        + c
        + '"endpointOutput"'
        + k
        + _FLAT
        + r")?\}"
        + "(?:"
        + c
        + r'"(?!captureData")[^"\\\x00-\x1f]*"'
        + k
        + "(?:"
        + _TEXT
        + "|"
        + _FLAT
        + r"))*\}\r?$",
        re.MULTILINE,
    )


def read_capture_arrays(
    paths: Iterable[str], counts: ReadCounts, width: int
) -> Iterator[Record | np.ndarray]:
    """The records of endpoint capture files as :func:`read_capture` reads them, with the common layout in bulk.

    Runs of capture lines that match :func:`_fast_line` (one CSV row of ``width`` numbers, no escapes) are yielded
    as one 2-D float array each, their numbers converted in one numpy call, without ``json.loads`` or a
    :class:`Record` per line; every other line (JSON or BASE64 payloads, several rows, other widths, text, escapes,
    malformed lines) goes through :func:`read_capture`'s own line reader, so the counts are the same. Records keep
    their file order except within a block of :data:`BLOCK_CHARS`, where the arrays come before the other lines
    (order does not matter to the statistics this feeds).
    """
    pattern = _fast_line(width)
    for path in paths:
        try:
            stream = open_text(path)
        except OSError:
            counts.bad("unreadable_file")
            continue
        counts.files += 1
        with stream:
            try:
                carry = ""
                while True:
                    chunk = stream.read(BLOCK_CHARS)
                    if not chunk:
                        if carry:
                            yield from _capture_block(carry, pattern, width, counts)
                        break
                    chunk = carry + chunk
                    cut = chunk.rfind("\n") + 1
                    if cut == 0:
                        carry = chunk
                        continue
                    carry = chunk[cut:]
                    yield from _capture_block(chunk[:cut], pattern, width, counts)
            except (OSError, EOFError):  # a truncated gzip member
                counts.bad("unreadable_file")


def _capture_block(
    block: str, pattern: re.Pattern[str], width: int, counts: ReadCounts
) -> Iterator[Record | np.ndarray]:
    lines = block.count("\n") + (0 if block.endswith("\n") else 1)
    crlf_only = "\r" not in block or block.count("\r") == block.count("\r\n")  # a lone CR also ends a line
    found = pattern.findall(block) if crlf_only else []
    if found and len(found) == lines:
        numbers = _numbers(found, width)
        if numbers is not None:
            counts.records += len(found)
            yield numbers
            return
    fast: list[tuple[str, str]] = []
    for line in io.StringIO(block, newline=""):
        match = pattern.match(line[:-1] if line.endswith("\n") else line)
        if match is not None:
            fast.append((line, match.group(1)))
        elif line.strip():
            yield from _capture_line(line, counts)
    if fast:
        numbers = _numbers([data for _, data in fast], width)
        if numbers is not None:
            counts.records += len(fast)
            yield numbers
            return
        readable = []
        for line, data in fast:  # a token numpy cannot read, or out of float range: that line goes per line
            if _numbers([data], width) is None:
                yield from _capture_line(line, counts)
            else:
                readable.append(data)
        numbers = _numbers(readable, width) if readable else None
        if numbers is not None:
            counts.records += len(readable)
            yield numbers


def _numbers(payloads: list[str], width: int) -> np.ndarray | None:
    """The rows' numbers as a ``(rows, width)`` float array, or ``None`` if any token is not a number numpy reads
    to its end (``1-2``, ``1e``, ``.``) or is not finite: then the lines take the per-line path, whose cells numpy
    reads with the same conversion (correctly rounded, as Python's ``float``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            numbers = np.fromstring(",".join(payloads), dtype=np.float64, sep=",")
        except (ValueError, DeprecationWarning):
            return None
    if numbers.size != len(payloads) * width or not np.isfinite(numbers).all():
        return None
    return numbers.reshape(len(payloads), width)


def _capture_line(line: str, counts: ReadCounts) -> list[Record]:
    try:
        event = json.loads(line)
    except ValueError:
        counts.bad("invalid_json")
        return []
    capture = event.get("captureData") if isinstance(event, dict) else None
    source = capture.get("endpointInput") if isinstance(capture, dict) else None
    if not isinstance(source, dict):
        counts.bad("missing_capture_data")
        return []
    in_type = source.get("observedContentType")
    try:
        text = formats.decode(source.get("data"), source.get("encoding"))
        rows = formats.input_rows(text, formats.kind_of(in_type, text))
    except formats.PayloadError as err:
        counts.bad(err.reason)
        return []
    if not rows:
        counts.bad("empty_payload")
        return []
    out = capture.get("endpointOutput") if isinstance(capture, dict) else None
    output = None
    out_type = None
    if isinstance(out, dict):
        out_type = out.get("observedContentType")
        output = _Output(out.get("data"), out.get("encoding"), out_type, len(rows))
    meta = event.get("eventMetadata")
    meta = meta if isinstance(meta, dict) else {}
    event_id, inference_id, time = meta.get("eventId"), meta.get("inferenceId"), meta.get("inferenceTime")
    counts.records += len(rows)
    records = []
    for index, (values, names) in enumerate(rows):
        record = Record(values, names, None, event_id, inference_id, time, in_type, out_type)
        if output is not None:
            record._output = (output, index)
        records.append(record)
    return records


def dataset_kind(dataset_format: dict[str, Any] | None) -> tuple[str, bool]:
    """``(kind, header)`` from Model Monitor's ``DatasetFormat`` dict (keys matched case-insensitively)."""
    spec = {str(k).lower(): v for k, v in dict(dataset_format or {"csv": {"header": False}}).items()}
    if "csv" in spec:
        options = {str(k).lower(): v for k, v in dict(spec["csv"] or {}).items()}
        return formats.CSV, bool(options.get("header", False))
    if "jsonlines" in spec:
        return formats.JSONLINES, False
    if "json" in spec:
        options = {str(k).lower(): v for k, v in dict(spec["json"] or {}).items()}
        lines = options.get("line", options.get("lines", False))
        return (formats.JSONLINES if lines else formats.JSON), False
    raise ValueError("datasetFormat must have a 'csv', 'json' or 'jsonlines' key, got " + json.dumps(spec))


def read_dataset(
    paths: Iterable[str], dataset_format: dict[str, Any] | None, counts: ReadCounts
) -> Iterator[Record]:
    """The records of batch transform dataset files (no predictions)."""
    kind, header = dataset_kind(dataset_format)
    for path in paths:
        try:
            stream = open_text(path)
        except OSError:
            counts.bad("unreadable_file")
            continue
        counts.files += 1
        with stream:
            try:
                if kind == formats.CSV:
                    yield from _csv_file(stream, header, counts)
                elif kind == formats.JSONLINES:
                    for line in stream:
                        if line.strip():
                            yield from _json_text(line, counts)
                else:
                    yield from _json_text(stream.read(), counts)
            except (OSError, EOFError):
                counts.bad("unreadable_file")


def _csv_file(stream: IO[str], header: bool, counts: ReadCounts) -> Iterator[Record]:
    names: tuple[str, ...] | None = None
    reader = csv.reader(stream)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            counts.bad("invalid_csv")
            continue
        if not fields or not any(f.strip() for f in fields):
            continue
        if header and names is None:
            names = tuple(f.strip() for f in fields)
            continue
        values = [f.strip() or None for f in fields]
        counts.records += 1
        if names is not None and len(names) == len(values):
            yield Record(values, names)
        else:
            yield Record(values)


def _json_text(text: str, counts: ReadCounts) -> list[Record]:
    try:
        rows = formats.json_rows(formats.parse_json(text))
    except formats.PayloadError as err:
        counts.bad(err.reason)
        return []
    counts.records += len(rows)
    return [Record(values, names) for values, names in rows]


def read_records(config: dict[str, Any], paths: Iterable[str], counts: ReadCounts) -> Iterator[Record]:
    """The records of the data channel for the monitor's ``source`` (``endpoint`` or ``batch_transform``)."""
    if config.get("source", "endpoint") == "batch_transform":
        return read_dataset(paths, config.get("datasetFormat"), counts)
    return read_capture(paths, counts)
