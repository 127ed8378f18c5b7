"""Builders of the monitoring script's inputs: endpoint data-capture lines in SageMaker's documented format
(SageMaker Developer Guide, "Capture data from real-time endpoint"), monitor configs and the churn sample rows."""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHURN = ROOT / "model_artifacts" / "churn"
DQ_BASELINE = CHURN / "baselines" / "data_quality"
FEATURES = [
    "age",
    "tenure_months",
    "monthly_charges",
    "support_calls",
    "contract_monthly",
    "has_fiber",
    "num_products",
]


def churn_rows(name: str = "test_features.csv", *, drop_label: bool = False) -> list[list[str]]:
    """The rows of a churn sample CSV as text cells (the label column dropped on request)."""
    with (CHURN / name).open() as stream:
        return [row[1:] if drop_label else row for row in csv.reader(stream) if row]


def capture_line(
    data: str,
    *,
    content_type: str = "text/csv",
    encoding: str = "CSV",
    output: str | None = "0.5",
    output_type: str = "text/csv; charset=utf-8",
    output_encoding: str = "CSV",
    event_id: str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    inference_id: str | None = None,
    inference_time: str = "2026-12-02T05:25:49Z",
) -> str:
    """One JSON line of a capture file; ``encoding="BASE64"`` encodes ``data`` (and the output likewise)."""
    if encoding == "BASE64":
        data = base64.b64encode(data.encode()).decode()
    capture: dict[str, Any] = {
        "endpointInput": {
            "observedContentType": content_type,
            "mode": "INPUT",
            "data": data,
            "encoding": encoding,
        }
    }
    if output is not None:
        if output_encoding == "BASE64":
            output = base64.b64encode(output.encode()).decode()
        capture["endpointOutput"] = {
            "observedContentType": output_type,
            "mode": "OUTPUT",
            "data": output,
            "encoding": output_encoding,
        }
    metadata = {"eventId": event_id, "inferenceTime": inference_time}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    return json.dumps({"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"})


def csv_capture_lines(rows: list[list[str]]) -> list[str]:
    """One CSV request per row, each with a CSV probability as output."""
    return [capture_line(",".join(row), event_id=f"event-{i}") for i, row in enumerate(rows)]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def config(**extra: Any) -> dict[str, Any]:
    """A DataQuality monitor.json for an endpoint, as the planner writes it (design14 §1)."""
    base: dict[str, Any] = {
        "schemaVersion": "1",
        "monitoringType": "DataQuality",
        "monitoringScheduleName": "churn-data-quality",
        "endpointName": "churn",
        "source": "endpoint",
        "datasetFormat": None,
        "metrics": {
            "namespace": "SageMakerConstructs/Endpoints/data-metrics",
            "dimensions": {"Endpoint": "churn", "MonitoringSchedule": "churn-data-quality"},
        },
        "window": {"start": "2026-12-02T04:00:00Z", "end": "2026-12-02T05:00:00Z"},
        "minSamples": 100,
        "significance": 0.01,
    }
    base.update(extra)
    return base
