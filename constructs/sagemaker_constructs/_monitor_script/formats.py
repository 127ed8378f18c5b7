"""Payload parsing shared by the capture and dataset readers: CSV, JSON and JSON Lines rows.

A parsed *row* is a pair ``(values, names)``: ``values`` is a list of cell values and ``names`` is ``None`` for a
positional row (CSV, a JSON list) or the tuple of keys of a JSON object of named features, in the object's order.
Cell values keep their source type so that data quality can infer types as Model Monitor does: CSV cells are the
stripped text (``str``; an empty cell is ``None``), JSON numbers stay ``int`` or ``float``, JSON ``null`` is
``None``, booleans and nested values become their JSON text.

The JSON request shapes accepted are those of SageMaker's built-in algorithms and common serving containers
(a list row, a list of list rows, ``{"instances": [...]}``, ``{"features": [...]}``, ``{"instances": [{"features":
[...]}]}``, a dict of named features); see the "Common data formats for inference" page of the SageMaker Developer
Guide (https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html).
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
from typing import Any, List, Optional, Tuple

Row = Tuple[List[Any], Optional[Tuple[str, ...]]]

CSV = "csv"
JSON = "json"
JSONLINES = "jsonlines"


class PayloadError(ValueError):
    """A payload that cannot be read; ``reason`` is the counter key it is reported under."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


def decode(data: Any, encoding: str | None) -> str:
    """The text of a captured payload: ``BASE64`` data is decoded to UTF-8, ``CSV``/``JSON`` data is already text."""
    if not isinstance(data, str):
        raise PayloadError("invalid_payload", "captured data is not a string")
    if (encoding or "").upper() == "BASE64":
        try:
            return base64.b64decode(data, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError) as err:
            raise PayloadError("undecodable_payload", str(err)) from err
    return data


def kind_of(content_type: str | None, text: str) -> str:
    """``csv``, ``json`` or ``jsonlines`` from a MIME type (parameters ignored), else sniffed from the text."""
    if content_type == "text/csv":
        return CSV
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in ("text/csv", "text/x-csv", "application/csv"):
        return CSV
    if mime in (
        "application/jsonlines",
        "application/x-jsonlines",
        "application/jsonl",
        "application/x-ndjson",
    ):
        return JSONLINES
    if mime.endswith("json"):
        return JSON
    start = text.lstrip()[:1]
    return JSON if start in ("[", "{") else CSV


def csv_rows(text: str) -> list[Row]:
    """One row per non-blank CSV line (quoted fields allowed)."""
    if '"' not in text and "\n" not in text and "\r" not in text:  # the common single unquoted row, fast
        cells: list[Any] = text.split(",")
        if " " in text or "\t" in text:
            cells = [cell.strip() for cell in cells]
        if "" in cells:
            if not any(cells):
                return []
            cells = [cell or None for cell in cells]
        return [(cells, None)]
    rows: list[Row] = []
    for fields in csv.reader(line for line in text.splitlines() if line.strip()):
        rows.append(([_cell(f) for f in fields], None))
    return rows


def _cell(text: str) -> str | None:
    text = text.strip()
    return text if text else None


def _value(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return json.dumps(value)
    return value


def _row(item: Any) -> Row:
    if isinstance(item, list):
        return ([_value(v) for v in item], None)
    if isinstance(item, dict):
        features = item.get("features")
        if isinstance(features, list) and len(item) == 1:
            return ([_value(v) for v in features], None)
        names = tuple(str(k) for k in item)
        return ([_value(v) for v in item.values()], names)
    return ([_value(item)], None)


def json_rows(obj: Any) -> list[Row]:
    """The rows of one parsed JSON request body."""
    if isinstance(obj, dict):
        instances = obj.get("instances")
        if isinstance(instances, list):
            return [_row(item) for item in instances]
        return [_row(obj)]
    if isinstance(obj, list):
        if obj and all(isinstance(item, (list, dict)) for item in obj):
            return [_row(item) for item in obj]
        return [_row(obj)]
    return [_row(obj)]


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as err:
        raise PayloadError("invalid_payload", str(err)) from err


def input_rows(text: str, kind: str) -> list[Row]:
    """The feature rows of a request body of the given kind."""
    if kind == CSV:
        return csv_rows(text)
    if kind == JSONLINES:
        rows: list[Row] = []
        for line in text.splitlines():
            if line.strip():
                rows.extend(json_rows(parse_json(line)))
        return rows
    return json_rows(parse_json(text))


def _prediction(item: Any) -> list[Any]:
    if isinstance(item, list):
        return [_value(v) if not isinstance(v, dict) else v for v in item]
    if isinstance(item, dict):
        return [item]
    return [_value(item)]


def output_rows(text: str, kind: str, expected: int) -> list[list[Any] | None]:
    """The model output aligned with ``expected`` input rows; ``None`` entries where the output cannot be aligned.

    CSV: one output line per input row (a single line for a single row). JSON: a list (or ``{"predictions": [...]}``)
    with one element per input row; with one input row, the whole output is that row's prediction. A dict element
    stays a dict (the monitor types pick their attribute from it).
    """
    items: list[Any]
    if kind == CSV:
        items = [values for values, _ in csv_rows(text)]
        if expected == 1 and len(items) == 1:
            return [items[0]]
    else:
        if kind == JSONLINES:
            items = [parse_json(line) for line in text.splitlines() if line.strip()]
            parsed: Any = items if len(items) != 1 else items[0]
        else:
            parsed = parse_json(text)
        if isinstance(parsed, dict) and isinstance(parsed.get("predictions"), list):
            parsed = parsed["predictions"]
        if expected == 1 and not (isinstance(parsed, list) and len(parsed) == 1):
            return [_prediction(parsed)]
        items = parsed if isinstance(parsed, list) else [parsed]
        items = [_prediction(item) for item in items]
    if len(items) != expected:
        return [None] * expected
    return items
