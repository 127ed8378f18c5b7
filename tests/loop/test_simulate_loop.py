"""The whole drift -> retrain loop, as ``make simulate`` runs it (scripts/simulate_loop.py), checked claim by claim.

The simulation runs once for the module, in process: capture files in the real format on moto S3, the planner
Lambda, ``run.analyze`` (the container's code) against the committed baseline, the workflow's event, and
RetrainingTrigger's handler against moto, then the drift report.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "simulate_loop.py"
DETAIL_KEYS = {
    "schemaVersion", "monitoringScheduleName", "monitoringType", "monitoringExecutionStatus", "verdict",
    "scheduledTime", "executionArn", "endpointName", "violations", "violatedChecks", "reportUri", "summaryUri",
}  # fmt: skip


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("simulate_loop", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def simulate() -> ModuleType:
    return _load_script()


@pytest.fixture(scope="module")
def loop(simulate: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    out = io.StringIO()
    result = simulate.main(["--out-dir", str(tmp_path_factory.mktemp("simulate"))], out=out)
    return result, out.getvalue()


def test_the_drifted_window_violates_on_exactly_the_injected_features(loop: tuple[Any, str]) -> None:
    result, _ = loop
    summary = result.drifted.summary
    assert summary["status"] == "CompletedWithViolations"
    assert summary["verdict"] == "violations"
    assert "baseline_drift_check" in summary["violatedChecks"]
    assert result.drifted.violated_features == ["contract_monthly", "monthly_charges"]
    assert summary["records"]["used"] == 450
    assert summary["records"]["malformed"] == 0


def test_the_undrifted_window_has_no_violation_and_starts_nothing(loop: tuple[Any, str]) -> None:
    result, _ = loop
    summary = result.undrifted.summary
    assert (summary["status"], summary["verdict"], summary["violations"]) == ("Completed", "no-violations", 0)
    assert result.undrifted.violated_features == []
    assert result.undrifted.decisions[0]["decision"] == "ignored"
    assert result.undrifted.pipeline_executions == 0


def test_the_event_is_the_workflows_event(loop: tuple[Any, str], simulate: ModuleType) -> None:
    result, _ = loop
    for run in (result.undrifted, result.drifted):
        event = run.event
        assert (event["source"], event["detail-type"]) == (
            "sagemaker-constructs.monitoring",
            "Monitoring Execution Status Change",
        )
        detail = event["detail"]
        assert set(detail) == DETAIL_KEYS
        assert detail["monitoringExecutionStatus"] == run.summary["status"]
        assert detail["verdict"] == run.summary["verdict"]
        assert detail["violations"] == run.summary["violations"]
        assert detail["violatedChecks"] == run.summary["violatedChecks"]
        assert detail["endpointName"] == simulate.ENDPOINT
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:00:00Z", detail["scheduledTime"])
        hour = detail["scheduledTime"][:13].replace("-", "/").replace("T", "/")
        run_prefix = f"s3://{simulate.REPORTS_BUCKET}/{simulate.REPORTS_PREFIX}/{hour}/"
        assert detail["reportUri"] == run_prefix
        assert detail["summaryUri"] == run_prefix + "summary.json"
        assert detail["executionArn"].startswith("arn:aws:states:")


def test_two_deliveries_of_the_drifted_event_start_the_pipeline_once(loop: tuple[Any, str]) -> None:
    result, _ = loop
    first, second, reconciliation = result.drifted.decisions
    incident_id = f"monitor#churn-data-quality#{result.drifted.event['detail']['scheduledTime']}"
    assert first["decision"] == "started"
    assert first["incident"]["incident_id"] == incident_id
    assert second["decision"] == "skipped-duplicate"
    # The reconciliation finds the violating run's summary.json and decides its incident again: a duplicate.
    assert reconciliation["decision"] == "reconciled"
    assert reconciliation["outcomes"] == [{"incident_id": incident_id, "decision": "skipped-duplicate"}]
    (execution,) = result.pipeline_executions
    assert execution["Parameters"] == {
        "TriggerType": "monitor-violation",
        "MonitoringSchedule": "churn-data-quality",
        "IncidentId": incident_id,
        "TriggerReason": first["incident"]["reason"],
    }
    assert result.drifted.pipeline_executions == 1


def test_the_story_and_the_report(loop: tuple[Any, str]) -> None:
    result, story = loop
    assert result.report_path.name == "drift_report.html"
    page = result.report_path.read_text()
    assert 'class="verdict v-violations"' in page
    first_cards = re.findall(r'<div class="card drifted"><h2>([^<]+)<', page)
    assert sorted(first_cards) == ["contract_monthly", "monthly_charges"]
    assert page.index("card drifted") < page.index('<div class="card">')
    assert (result.out_dir / "undrifted_report.html").is_file()
    steps = re.findall(r"^\[(\d+)\] ", story, flags=re.MULTILINE)
    assert steps == [str(n) for n in range(1, len(steps) + 1)]
    assert "planner Lambda" in story
    assert "pipeline executions (ListPipelineExecutions): 1" in story
    assert str(result.report_path) in story
