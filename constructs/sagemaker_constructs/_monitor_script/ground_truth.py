"""Ground-truth labels for the model quality and bias monitor types, and their join with captured records.

Format (SageMaker Developer Guide, "Ingest Ground Truth labels and merge them with predictions",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html): JSON Lines files, one
record per line, ``{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "..."},
"eventVersion": "0"}``; ``data`` holds only the label. The id in ``eventMetadata.eventId`` is either the capture's
generated ``eventId`` or the ``inferenceId`` the caller passed to InvokeEndpoint: "If ``inferenceId`` is present in
captured data records, Model Monitor uses it to merge captured data with Ground Truth records ... If
``inferenceId`` is not present in captured data, model monitor uses ``eventId``" (same page; aws-facts §2, §8.3).
So a captured record is looked up by its ``inferenceId`` when it has one, else by its ``eventId``. A label record
that carries ``eventMetadata.inferenceId`` instead is accepted under that id too.

Choices of this implementation (documented, not AWS's):
- Files are read line by line (``.gz`` through gzip); a line that is not a label record is counted as malformed and
  skipped. A later record for the same id replaces the earlier one (a relabelled record) and is counted in
  ``duplicates``.
- ``encoding`` ``CSV`` (the only one AWS documents), ``JSON`` and ``BASE64`` are read; a CSV ``data`` with several
  fields (a request of several rows) gives the rows' labels in order.
- Every instance of a multi-instance job reads all ground-truth files (the channel is replicated, only the capture
  is sharded), so partials merge the label count by maximum and add the matched counts.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import os
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ._metrics_math import merge_counts


class GroundTruth:
    """Labels by id (``labels[id]`` is the list of label texts of that event), with reading counts."""

    def __init__(self) -> None:
        self.labels: dict[str, list[str]] = {}
        self.counts: dict[str, int] = {"records": 0, "malformed": 0, "duplicates": 0, "files": 0}

    def label_for(self, record: Any, row: int = 0) -> str | None:
        """The label text of a captured record (``row``: its position among its event's rows), else ``None``."""
        for key in (getattr(record, "inference_id", None), getattr(record, "event_id", None)):
            if key:
                labels = self.labels.get(str(key))
                if labels is not None:
                    if len(labels) == 1:
                        return labels[0]
                    return labels[row] if row < len(labels) else None
                # AWS matches on inferenceId alone when the capture has one.
                return None
        return None


def _open(path: str) -> IO[str]:
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def list_files(paths: Iterable[str]) -> list[str]:
    """Every file under the given files or folders, sorted (folders are walked recursively)."""
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in os.walk(path):
                found.extend(os.path.join(root, name) for name in names)
        elif os.path.isfile(path):
            found.append(path)
    return sorted(found)


def _label_texts(data: Any, encoding: Any) -> list[str] | None:
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return [repr(data) if isinstance(data, float) else str(data)]
    if not isinstance(data, str):
        return None
    kind = str(encoding or "CSV").upper()
    if kind == "BASE64":
        try:
            data = base64.b64decode(data).decode("utf-8")
        except ValueError:
            return None
        kind = "CSV"
    if kind == "JSON":
        try:
            parsed = json.loads(data)
        except ValueError:
            return None
        items = parsed if isinstance(parsed, list) else [parsed]
        return [item if isinstance(item, str) else json.dumps(item) for item in items]
    fields = [field.strip() for row in csv.reader(data.splitlines()) for field in row]
    fields = [field for field in fields if field]
    return fields or None


def parse_line(line: str) -> tuple[str, list[str]] | None:
    """``(id, label texts)`` of one ground-truth line, or ``None`` if it is not a label record."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    meta = event.get("eventMetadata")
    truth = event.get("groundTruthData")
    if not isinstance(meta, dict) or not isinstance(truth, dict):
        return None
    key = meta.get("eventId") or meta.get("inferenceId")
    labels = _label_texts(truth.get("data"), truth.get("encoding"))
    if not key or labels is None:
        return None
    return str(key), labels


def iter_labels(files: Iterable[str], counts: dict[str, int]) -> Iterator[tuple[str, list[str]]]:
    """Stream ``(id, labels)`` from ground-truth files, counting files, records and malformed lines."""
    for path in list_files(files):
        counts["files"] = counts.get("files", 0) + 1
        with _open(path) as stream:
            for line in stream:
                if not line.strip():
                    continue
                parsed = parse_line(line)
                if parsed is None:
                    counts["malformed"] = counts.get("malformed", 0) + 1
                    continue
                counts["records"] = counts.get("records", 0) + 1
                yield parsed


def load(files: Iterable[str]) -> GroundTruth:
    """Read every label of the given ground-truth files or folders."""
    truth = GroundTruth()
    for key, labels in iter_labels(files, truth.counts):
        if key in truth.labels:
            truth.counts["duplicates"] += 1
        truth.labels[key] = labels
    return truth


class JoinCounts:
    """How captured records met their labels: mergeable counts.

    ``labels``: label ids read (merged by maximum: each instance reads all of them); ``matched``: captured records
    joined to a label; ``unmatched_captures``: captured records without a label. Unmatched labels (labels no capture
    of the window matched) are ``labels - matched_ids``, where ``matched_ids`` counts distinct events matched.
    """

    def __init__(self, labels: int = 0) -> None:
        self.counts: dict[str, int] = {
            "labels": labels,
            "matched": 0,
            "matched_ids": 0,
            "unmatched_captures": 0,
        }

    def to_json(self) -> dict[str, int]:
        """The counts."""
        return dict(self.counts)

    @classmethod
    def from_json(cls, data: dict[str, int]) -> JoinCounts:
        """Counts from :meth:`to_json`."""
        joined = cls()
        joined.counts.update({k: int(v) for k, v in data.items()})
        return joined

    def merge(self, other: JoinCounts) -> None:
        """Add another shard's counts (labels by maximum)."""
        labels = max(self.counts["labels"], other.counts["labels"])
        merge_counts(self.counts, other.counts)
        self.counts["labels"] = labels

    def summary(self) -> dict[str, int]:
        """The counts with ``unmatched_labels``."""
        result = dict(self.counts)
        result["unmatched_labels"] = max(0, self.counts["labels"] - self.counts["matched_ids"])
        return result


class Joiner:
    """Joins captured records to labels, tracking each event's row position and the join counts."""

    def __init__(self, truth: GroundTruth) -> None:
        self.truth = truth
        self.join = JoinCounts(len(truth.labels))
        self._last_key: str | None = None
        self._row = 0

    def label(self, record: Any) -> str | None:
        """The record's label text, counting the join."""
        key = getattr(record, "inference_id", None) or getattr(record, "event_id", None)
        key = str(key) if key else None
        if key is not None and key == self._last_key:
            self._row += 1
        else:
            self._last_key, self._row = key, 0
        label = self.truth.label_for(record, self._row)
        if label is None:
            self.join.counts["unmatched_captures"] += 1
            return None
        self.join.counts["matched"] += 1
        if self._row == 0:
            self.join.counts["matched_ids"] += 1
        return label
