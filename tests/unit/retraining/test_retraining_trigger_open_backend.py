"""RetrainingTrigger.add_monitor with a monitor on the processing (open) backend: its event rule, its reports
read and listed, its place in the function's OPEN_MONITORS, and nothing of Model Monitor's path.

The processing backend's workflow is built by MonitorBackend.processing(), which is not on this branch: the
monitor here is a DataQualityMonitor whose open backend builds nothing and whose event pattern is the design's
(source "sagemaker-constructs.monitoring", detail-type "Monitoring Execution Status Change", the schedule's name
and status CompletedWithViolations). The trigger uses only the monitor's public attributes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from support.cdk_flags import app_context
from test_retraining_trigger import constraints, data_quality, trigger

from sagemaker_constructs import (
    ContainerImage,
    DataCapture,
    DataQualityMonitor,
    Endpoint,
    Model,
    MonitorBackend,
    MonitoringJob,
    MonitoringOutput,
    MonitorSource,
    ProductionVariant,
    RetrainingTrigger,
)
from sagemaker_constructs._handlers.retraining_trigger import contract
from sagemaker_constructs._handlers.retraining_trigger.decisions import Settings
from sagemaker_constructs._handlers.retraining_trigger.incidents import OpenMonitorClaim, to_incident


def open_monitor(stack: Stack, construct_id: str, **output: Any) -> DataQualityMonitor:
    model = Model(stack, f"{construct_id}Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    endpoint = Endpoint(
        stack,
        f"{construct_id}Endpoint",
        variants=[ProductionVariant("v", model=model)],
        data_capture=DataCapture(),
    )
    return DataQualityMonitor(
        stack,
        construct_id,
        source=MonitorSource.endpoint(endpoint),
        job=MonitoringJob(max_runtime=Duration.hours(1)),
        baseline=constraints(),
        backend=MonitorBackend.processing(),
        output=MonitoringOutput(**output) if output else MonitoringOutput(),
    )


def function_of(template: Template) -> dict[str, Any]:
    [function] = [
        r["Properties"]
        for r in template.find_resources("AWS::Lambda::Function").values()
        if r["Properties"].get("Handler") == "retraining_trigger.handler.lambda_handler"
    ]
    return function


def role_statements(template: Template) -> list[dict[str, Any]]:
    """The statements of the trigger function's role (not the open backend's planner function's)."""
    role = function_of(template)["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_open_monitor_is_wired_to_its_event_reports_and_reconciliation(synth, routes, sample_event):
    wired: list[DataQualityMonitor] = []

    def build(stack: Stack) -> None:
        t = trigger(stack)
        for construct_id in ("Drift", "Drift2"):  # the stack's shared, encrypted reports bucket
            monitor = open_monitor(stack, construct_id)
            t.add_monitor(monitor)
            wired.append(monitor)

    template = synth(build)
    stack_json = json.dumps(template.to_json())

    # The function's environment: both monitors with their report locations; no Model Monitor schedule.
    variables = function_of(template)["Environment"]["Variables"]
    assert variables[contract.ENV_MONITORING_SCHEDULES] == "[]"
    rendered = variables[contract.ENV_OPEN_MONITORS]
    assert "Fn::Join" in json.dumps(rendered)  # the bucket's generated name is resolved at deployment
    parts = rendered["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else "reports-bucket" for part in parts)
    monitors = json.loads(text)
    assert monitors == [
        {"name": m.monitoring_schedule_name, "bucket": "reports-bucket", "prefix": m.output_prefix}
        for m in wired
    ]
    settings = Settings.from_env({**_required_env(), contract.ENV_OPEN_MONITORS: text})
    assert [m.name for m in settings.open_monitors] == [m.monitoring_schedule_name for m in wired]

    # One rule for both monitors, matching the workflow's event of either, and only with violations.
    rules = [
        r["Properties"]
        for r in template.find_resources("AWS::Events::Rule").values()
        if contract.OPEN_MONITOR_SOURCE in json.dumps(r["Properties"].get("EventPattern", {}))
    ]
    [rule] = rules
    pattern = rule["EventPattern"]
    event = sample_event("open_monitor_execution_violations")
    for monitor in wired:
        event["detail"]["monitoringScheduleName"] = monitor.monitoring_schedule_name
        assert routes(pattern, event)
        assert isinstance(to_incident(event), OpenMonitorClaim)
    event["detail"]["monitoringScheduleName"] = "someone-else"
    assert not routes(pattern, event)
    event["detail"].update(
        monitoringScheduleName=wired[0].monitoring_schedule_name, monitoringExecutionStatus="Completed"
    )
    assert not routes(pattern, event)
    [target] = rule["Targets"]
    assert "DeadLetterConfig" in target

    # The reconciliation rule exists; the function may read and list the reports, and decrypt them; it is not
    # given ListMonitoringExecutions, which it has no use for.
    assert any(
        "ScheduleExpression" in r["Properties"] for r in template.find_resources("AWS::Events::Rule").values()
    )
    statements = role_statements(template)
    actions = {
        a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"} <= actions
    assert "sagemaker:ListMonitoringExecutions" not in stack_json
    listing = [st for st in statements if st["Action"] == "s3:ListBucket"]
    assert listing
    prefixes = [p for st in listing for p in st["Condition"]["StringLike"]["s3:prefix"]]
    assert sorted(prefixes) == sorted(f"{m.output_prefix}/*" for m in wired)
    reads = [st for st in statements if st["Action"] == "s3:GetObject"]
    read_json = json.dumps(reads)
    assert all(f"/{m.output_prefix}/*" in read_json for m in wired)


def test_model_monitor_and_open_monitors_together(synth):
    def build(stack: Stack) -> None:
        t = trigger(stack)
        t.add_monitor(data_quality(stack, "Classic", baseline=constraints()))
        t.add_monitor(open_monitor(stack, "Open"))

    template = synth(build)
    variables = function_of(template)["Environment"]["Variables"]
    assert len(json.loads(variables[contract.ENV_MONITORING_SCHEDULES])) == 1
    assert contract.ENV_OPEN_MONITORS in variables
    assert "sagemaker:ListMonitoringExecutions" in json.dumps(role_statements(template))


def test_without_open_monitors_no_variable(synth):
    template = synth(
        lambda stack: trigger(stack).add_monitor(data_quality(stack, "Classic", baseline=constraints()))
    )
    assert contract.ENV_OPEN_MONITORS not in function_of(template)["Environment"]["Variables"]


def test_the_same_open_monitor_twice_is_refused(stack):
    t = trigger(stack)
    monitor = open_monitor(stack, "Open")
    t.add_monitor(monitor)
    with pytest.raises(ValueError, match=r"monitor 'Test/Open' already triggers this retraining"):
        t.add_monitor(monitor)


def test_open_monitor_without_constraints_is_refused(stack):
    model = Model(stack, "M", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    endpoint = Endpoint(
        stack, "E", variants=[ProductionVariant("v", model=model)], data_capture=DataCapture()
    )
    monitor = DataQualityMonitor(
        stack, "Bare", source=MonitorSource.endpoint(endpoint), backend=MonitorBackend.processing()
    )
    with pytest.raises(ValueError, match="'monitor' must have baseline constraints"):
        trigger(stack).add_monitor(monitor)


def test_open_monitors_count_against_the_function_environment(stack):
    static = {"Team": "x" * 960, "TriggerReason": "y" * 960, "TriggerAlarm": "z" * 800}
    t = trigger(stack, static_parameters=static, event_parameters={})
    bucket = s3.Bucket.from_bucket_name(stack, "Imported", "reports-bucket")
    t.add_monitor(open_monitor(stack, "Fits", bucket=bucket, prefix="r/fits"))
    with pytest.raises(
        ValueError, match=r"monitor 'Test/DoesNotFit' does not fit the function's environment"
    ):
        t.add_monitor(open_monitor(stack, "DoesNotFit", bucket=bucket, prefix="r/" + "p" * 200))


def test_open_monitor_of_another_stack_with_an_imported_bucket_adds_no_dependency():
    app = App(context=app_context())
    retraining = Stack(app, "Retraining")
    monitoring = Stack(app, "Monitoring")
    t = trigger(retraining)
    bucket = s3.Bucket.from_bucket_name(monitoring, "Reports", "shared-reports")
    monitor = open_monitor(monitoring, "Drift", bucket=bucket, prefix="reports/drift")
    t.add_monitor(monitor)

    template = Template.from_stack(retraining).to_json()
    assert "Fn::ImportValue" not in json.dumps(template)
    function = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    assert json.loads(function["Properties"]["Environment"]["Variables"][contract.ENV_OPEN_MONITORS]) == [
        {"name": monitor.monitoring_schedule_name, "bucket": "shared-reports", "prefix": "reports/drift"}
    ]
    rules = Template.from_stack(monitoring).find_resources("AWS::Events::Rule")
    assert any(contract.OPEN_MONITOR_SOURCE in json.dumps(r) for r in rules.values())


def _required_env() -> dict[str, str]:
    return {
        contract.ENV_PIPELINE_NAME: "p",
        contract.ENV_TABLE_NAME: "t",
        contract.ENV_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t",
        contract.ENV_COOLDOWN_SECONDS: "0",
    }


def test_trigger_class_is_unchanged_for_model_monitor(stack):
    """The Model Monitor path keeps its processing-job rule and its ListMonitoringExecutions grant."""
    t: RetrainingTrigger = trigger(stack)
    t.add_monitor(data_quality(stack, "Classic", baseline=constraints()))
    template = Template.from_stack(stack)
    assert "SageMaker Processing Job State Change" in json.dumps(template.find_resources("AWS::Events::Rule"))
