"""The open backend's workflow, executed: the synthesized definition runs in the suite's ASL interpreter with the
planner, the processing jobs, S3 (moto), PutMetricData, PutEvents and SNS behind it, every request checked
against botocore's service model: happy path, empty window, job failure, sharded run, an adopted job, a
throttled create, explainability's Clarify steps."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Template
from moto import mock_aws
from open_backend_builders import monitor
from open_backend_fakes import FAILED, REGION, THROTTLED, FakeAws, execute, new_clock, scheduled_input
from support.cfn_resolve import World
from support.stacks import new_stack

from sagemaker_constructs import MonitoringJob, NotificationTopic

SCHEDULED = "2026-12-01T19:00:00Z"
START = "2026-12-01T19:00:03.250Z"
EVENT_KEYS = {
    "schemaVersion", "monitoringScheduleName", "monitoringType", "monitoringExecutionStatus", "verdict",
    "scheduledTime", "executionArn", "endpointName", "violations", "violatedChecks", "reportUri", "summaryUri",
}  # fmt: skip


def synthesized(
    monitoring_type: str, *, source_kind: str = "endpoint", topic: bool = False, **props: Any
) -> Any:
    stack = new_stack()
    if topic:
        props["notification_topic"] = NotificationTopic(stack, "Alerts", description="monitoring").topic
    built = monitor(stack, monitoring_type, "processing", source_kind=source_kind, **props)
    template = Template.from_stack(stack).to_json()
    world = World.from_templates({"Test": template})
    [body] = [r["Properties"]["DefinitionString"] for r in template["Resources"].values()
              if r["Type"] == "AWS::StepFunctions::StateMachine" and "createProcessingJob" in json.dumps(r)]  # fmt: skip
    return built, json.loads(world.resolve("Test", body))


def run(definition: dict[str, Any], service_model: Any, **fake: Any) -> tuple[Any, FakeAws]:
    bucket = definition["States"]["Plan"]["Arguments"]["Payload"]["monitor"]["output"]["bucket"]
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    aws = FakeAws(service_model, new_clock(START), **fake)
    return execute(definition, aws, scheduled_input(SCHEDULED)), aws


@pytest.fixture(scope="module")
def data_quality() -> tuple[Any, dict[str, Any]]:
    return synthesized("DataQuality", topic=True)


@mock_aws
def test_happy_path_runs_one_job_publishes_the_metrics_and_puts_one_event(data_quality, service_model):
    built, definition = data_quality
    result, aws = run(definition, service_model)
    assert result.status == "SUCCEEDED", result.describe()
    # One analysis job, named after the schedule and the scheduled time.
    [job] = aws.created
    name = job["ProcessingJobName"]
    assert len(name) <= 63
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name)
    assert name.startswith(built.monitoring_schedule_name[:40])
    assert job["AppSpecification"]["ContainerEntrypoint"] == ["python3", "-m", "open_monitor", "analyze"]
    assert job["Environment"]["PYTHONPATH"].startswith("/opt/ml/processing/input/code/open_monitor/")
    assert job["NetworkConfig"]["EnableNetworkIsolation"] is True
    names = [i["InputName"] for i in job["ProcessingInputs"]]
    assert names == ["config", "data", "code", "baseline"]
    [baseline] = [i["S3Input"] for i in job["ProcessingInputs"] if i["InputName"] == "baseline"]
    assert baseline["S3Uri"] == f"{aws.plan['reportUri']}baseline/"
    assert baseline["LocalPath"] == "/opt/ml/processing/input/baseline"
    # The baseline files were copied there first, under the names the script reads.
    assert sorted(c["Key"].rsplit("/", 1)[1] for c in aws.copies) == ["constraints.json", "statistics.json"]
    assert all(c["Key"].startswith(aws.plan["runPrefix"] + "/baseline/") for c in aws.copies)
    [code] = [i for i in job["ProcessingInputs"] if i["InputName"] == "code"]
    assert code["S3Input"]["LocalPath"] == "/opt/ml/processing/input/code/open_monitor"
    assert job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == aws.plan["reportUri"]
    assert job["ProcessingOutputConfig"]["KmsKeyId"].startswith("arn:aws:kms:")
    # The planner got the static config and the scheduled time.
    [payload] = aws.invocations
    assert payload["scheduledTime"] == SCHEDULED
    assert payload["monitor"]["windowStartOffset"] == "-PT1H"
    assert payload["monitor"]["capture"]["prefix"]
    # Metrics: one PutMetricData per batch, in the open namespace.
    assert [len(m["MetricData"]) for m in aws.metrics] == [20, 3]
    assert {m["Namespace"] for m in aws.metrics} == {"SageMakerConstructs/Endpoints/data-metrics"}
    # One event, exactly design14 §4's detail.
    [event] = aws.events
    assert event["Source"] == "sagemaker-constructs.monitoring"
    assert event["DetailType"] == "Monitoring Execution Status Change"
    detail = event["Detail"]
    assert set(detail) == EVENT_KEYS
    assert detail["monitoringExecutionStatus"] == "Completed"
    assert detail["verdict"] == "no-violations"
    assert detail["scheduledTime"] == SCHEDULED
    assert detail["endpointName"] == "churn"
    assert detail["violatedChecks"] == []
    assert detail["summaryUri"] == f"{aws.plan['reportUri']}summary.json"
    assert aws.notifications == []


@mock_aws
def test_violations_reach_the_event(data_quality, service_model):
    _built, definition = data_quality
    result, aws = run(definition, service_model, violations=3)
    assert result.status == "SUCCEEDED", result.describe()
    [event] = aws.events
    assert event["Detail"]["monitoringExecutionStatus"] == "CompletedWithViolations"
    assert event["Detail"]["violations"] == 3
    assert event["Detail"]["violatedChecks"] == ["baseline_drift_check"]


@mock_aws
def test_an_empty_window_starts_no_job_and_reports_no_data(data_quality, service_model):
    _built, definition = data_quality
    result, aws = run(definition, service_model, files=0)
    assert result.status == "SUCCEEDED", result.describe()
    assert aws.created == []
    assert aws.metrics == []
    written = aws.object(aws.plan["summaryKey"])
    assert written["verdict"] == "no-data"
    assert written["status"] == "Completed"
    [event] = aws.events
    assert event["Detail"]["verdict"] == "no-data"
    assert event["Detail"]["summaryUri"].endswith("/summary.json")


@mock_aws
def test_a_failed_job_notifies_puts_a_failed_event_and_fails(data_quality, service_model):
    _built, definition = data_quality
    result, aws = run(definition, service_model, job_outcomes=[FAILED])
    assert result.status == "FAILED"
    assert result.error == "ProcessingJobFailed"
    assert "AlgorithmError" in (result.cause or "")
    [notification] = aws.notifications
    assert "AlgorithmError" in notification["Message"]
    [event] = aws.events
    detail = event["Detail"]
    assert detail["monitoringExecutionStatus"] == "Failed"
    assert "summaryUri" not in detail
    assert "AlgorithmError" in detail["failureReason"]
    assert aws.metrics == []


@mock_aws
def test_a_retried_delivery_adopts_the_existing_job(data_quality, service_model):
    _built, definition = data_quality
    first, aws = run(definition, service_model)
    assert first.status == "SUCCEEDED", first.describe()
    # The same scheduled time again (Scheduler's at-least-once delivery): the job exists, it is adopted.
    again = execute(definition, aws, scheduled_input(SCHEDULED), name="run-2")
    assert again.status == "SUCCEEDED", again.describe()
    assert len(aws.created) == 1
    assert "FindAnalyze" in again.visited
    assert len(aws.events) == 2


@mock_aws
def test_a_throttled_create_is_retried_after_a_back_off(data_quality, service_model):
    _built, definition = data_quality
    result, aws = run(definition, service_model, job_outcomes=[THROTTLED])
    assert result.status == "SUCCEEDED", result.describe()
    assert ("BackOffAnalyze", 5) in result.waits
    assert len(aws.created) == 1


@mock_aws
def test_a_sharded_run_analyzes_partials_then_merges_on_one_instance(service_model):
    _built, definition = synthesized("ModelQuality", job=MonitoringJob(instance_count=3))
    result, aws = run(definition, service_model)
    assert result.status == "SUCCEEDED", result.describe()
    analyze, merge = aws.created
    assert analyze["AppSpecification"]["ContainerEntrypoint"][-2:] == ["analyze", "--partial"]
    assert analyze["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 3
    [data] = [i for i in analyze["ProcessingInputs"] if i["InputName"] == "data"]
    assert data["S3Input"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert merge["AppSpecification"]["ContainerEntrypoint"][-1] == "merge"
    assert merge["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    inputs = {i["InputName"]: i["S3Input"] for i in merge["ProcessingInputs"]}
    assert set(inputs) == {"config", "code", "partials"}
    assert inputs["partials"]["S3Uri"] == f"{aws.plan['reportUri']}partials/"
    assert inputs["partials"]["LocalPath"] == "/opt/ml/processing/input/partials"
    # The ground truth manifest reaches the analysis.
    assert any(i["InputName"] == "ground_truth" for i in analyze["ProcessingInputs"])
    assert aws.events[0]["Detail"]["monitoringType"] == "ModelQuality"


@mock_aws
def test_explainability_extracts_runs_clarify_on_a_shadow_endpoint_and_compares(service_model):
    _built, definition = synthesized("ModelExplainability", source_kind="batch")
    result, aws = run(definition, service_model)
    assert result.status == "SUCCEEDED", result.describe()
    extract, clarify, compare = aws.created
    # The script's analyze mode extracts without a Clarify result and compares with one.
    assert extract["AppSpecification"]["ContainerEntrypoint"] == ["python3", "-m", "open_monitor", "analyze"]
    assert (
        extract["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
        == f"{aws.plan['reportUri']}extract/"
    )
    assert "sagemaker-clarify-processing" in clarify["AppSpecification"]["ImageUri"]
    assert clarify["NetworkConfig"]["EnableNetworkIsolation"] is False
    assert {i["InputName"]: i["S3Input"]["LocalPath"] for i in clarify["ProcessingInputs"]} == {
        "dataset": "/opt/ml/processing/input/data",
        "analysis_config": "/opt/ml/processing/input/config",
    }
    assert [i["S3Input"]["S3Uri"] for i in clarify["ProcessingInputs"] if i["InputName"] == "dataset"] == [
        f"{aws.plan['reportUri']}extract/clarify_dataset.csv"
    ]
    assert compare["AppSpecification"]["ContainerEntrypoint"] == ["python3", "-m", "open_monitor", "analyze"]
    inputs = {i["InputName"]: i["S3Input"] for i in compare["ProcessingInputs"]}
    assert set(inputs) == {"config", "code", "clarify", "data"}
    assert inputs["clarify"]["LocalPath"] == "/opt/ml/processing/input/clarify"
    assert inputs["data"]["S3Uri"].endswith("extract/clarify_dataset.csv")
    assert compare["NetworkConfig"]["EnableNetworkIsolation"] is True
    config = aws.object(f"{aws.plan['runPrefix']}/clarify-config/analysis_config.json")
    assert config["predictor"]["model_name"] == "churn-model"
    assert config["dataset_type"] == "text/csv"
    assert aws.events[0]["Detail"]["endpointName"] == ""


@mock_aws
def test_explainability_with_too_few_records_ends_after_the_extract(service_model):
    """An extract without enough records to judge ends the run: no Clarify job (it would fail on an empty
    dataset), the extract's summary becomes the run's, and the event says insufficient-data."""
    _built, definition = synthesized("ModelExplainability", source_kind="batch")
    result, aws = run(definition, service_model, extract_verdict="insufficient-data")
    assert result.status == "SUCCEEDED", result.describe()
    [extract] = aws.created
    assert extract["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"].endswith("/extract/")
    written = aws.object(aws.plan["summaryKey"])
    assert written["verdict"] == "insufficient-data"
    [event] = aws.events
    assert event["Detail"]["monitoringExecutionStatus"] == "Completed"
    assert event["Detail"]["verdict"] == "insufficient-data"
    assert event["Detail"]["summaryUri"].endswith(aws.plan["summaryKey"])
