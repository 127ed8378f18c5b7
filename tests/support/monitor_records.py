"""Test support for the open backend's model quality, bias and attribution modules.

``Record`` is a stand-in with the fields of ``_monitor_script.capture.Record`` that those modules read (the real
reader lives in ``capture.py``); the helpers build captured records and ground-truth files from arrays, and load
the churn validation set with the baseline model's scores (``model_artifacts/churn``).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHURN = ROOT / "model_artifacts" / "churn"
BASELINES = CHURN / "baselines"
FEATURES = [
    "age",
    "tenure_months",
    "monthly_charges",
    "support_calls",
    "contract_monthly",
    "has_fiber",
    "num_products",
]


@dataclass
class Record:
    """The fields of a captured record the monitor types read."""

    features: list[Any]
    prediction: list[Any] | None = None
    event_id: str | None = None
    inference_id: str | None = None
    inference_time: str | None = None
    names: tuple[str, ...] | None = field(default=None)


def records(
    predictions: list[Any], features: list[list[Any]] | None = None, prefix: str = "e"
) -> list[Record]:
    """One record per prediction (a CSV output row of one cell, or the given row), ids ``<prefix><i>``."""
    rows = features if features is not None else [["0"]] * len(predictions)
    return [
        Record(
            features=list(row),
            prediction=p if isinstance(p, list) else [str(p)],
            event_id=f"{prefix}{i}",
        )
        for i, (p, row) in enumerate(zip(predictions, rows, strict=True))
    ]


def write_ground_truth(path: Path, labels: list[Any], prefix: str = "e") -> Path:
    """A ground-truth JSON Lines file in the documented format, one label per record id ``<prefix><i>``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as stream:
        for i, label in enumerate(labels):
            line = {
                "groundTruthData": {"data": str(label), "encoding": "CSV"},
                "eventMetadata": {"eventId": f"{prefix}{i}"},
                "eventVersion": "0",
            }
            stream.write(json.dumps(line) + "\n")
    return path


def churn_validation() -> tuple[list[list[str]], list[int], list[float]]:
    """The churn validation rows (feature cells as text), labels, and the baseline model's probabilities."""
    features: list[list[str]] = []
    labels: list[int] = []
    with (CHURN / "validation.csv").open(encoding="utf-8") as stream:
        for row in csv.reader(stream):
            labels.append(int(row[0]))
            features.append(row[1:])
    with (BASELINES / "model_quality" / "baseline.csv").open(encoding="utf-8") as stream:
        scored = list(csv.DictReader(stream))
    assert [int(r["label"]) for r in scored] == labels, "baseline.csv follows validation.csv's row order"
    return features, labels, [float(r["probability"]) for r in scored]


def round_trip(partial_json: dict[str, Any]) -> dict[str, Any]:
    """A partial as the merge job reads it back: through JSON text."""
    return json.loads(json.dumps(partial_json))
