"""MonitorBackend.processing(): the same user code as on Model Monitor (only ``backend=`` differs) synthesizes a
Scheduler schedule, a Step Functions workflow, the shared planner and least-privilege roles, cfn-lint and
cdk-nag clean; the monitor's namespace, schedule ARN and event patterns follow the backend."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template
from open_backend_builders import BACKENDS, TYPES, monitor, source
from support.stacks import new_stack

from sagemaker_constructs import (
    ContainerImage,
    DataQualityMonitor,
    Model,
    ModelBiasMonitor,
    ModelData,
    MonitorBackend,
    MonitoringJob,
    MonitoringSchedule,
    NotificationTopic,
    S3Source,
)
from sagemaker_constructs._internal.validation import ValidationError
from sagemaker_constructs.monitoring._monitor_base import MonitorBase

OPEN_NAMESPACES = {
    "DataQuality": "data",
    "ModelQuality": "model",
    "ModelBias": "bias",
    "ModelExplainability": "explainability",
}


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return sorted(actions if isinstance(actions, list) else [actions])


def _role_statements(template: Template, role_logical: str) -> list[dict[str, Any]]:
    return [
        st
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_logical} in policy["Properties"]["Roles"]
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _state_machine(template: Template) -> tuple[str, dict[str, Any]]:
    [(logical, machine)] = [
        (lid, r)
        for lid, r in template.find_resources("AWS::StepFunctions::StateMachine").items()
        if "createProcessingJob" in json.dumps(r)
    ]
    return logical, machine


@pytest.mark.parametrize("source_kind", ["endpoint", "batch"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("monitoring_type", TYPES)
def test_each_type_runs_on_both_backends_from_the_same_code(synth, monitoring_type, backend, source_kind):
    built: list[MonitorBase] = []

    def build(stack: Stack) -> None:
        topic = NotificationTopic(stack, "Alerts", description="monitoring").topic
        built.append(
            monitor(stack, monitoring_type, backend, source_kind=source_kind, notification_topic=topic)
        )

    template = synth(build)  # cfn-lint and cdk-nag (AwsSolutions) clean
    [m] = built
    scope = "Endpoints" if source_kind == "endpoint" else "ModelMonitoring"
    kind = OPEN_NAMESPACES[monitoring_type]
    if backend == "model-monitor":
        template.resource_count_is("AWS::SageMaker::MonitoringSchedule", 1)
        template.resource_count_is("AWS::Scheduler::Schedule", 0)
        assert m.state_machine is None
        assert m.metric_namespace.startswith(f"aws/sagemaker/{scope}/")
        assert m.execution_failed_event_pattern().source == ["aws.sagemaker"]
        return
    template.resource_count_is("AWS::SageMaker::MonitoringSchedule", 0)
    assert not [r for r in template.to_json()["Resources"].values() if r["Type"].endswith("JobDefinition")]
    template.resource_count_is("AWS::Scheduler::Schedule", 1)
    assert m.state_machine is not None
    assert m.metric_namespace == f"SageMakerConstructs/{scope}/{kind}-metrics"
    # The schedule ARN is the Scheduler schedule's; the events are the workflow's.
    [schedule_logical] = template.find_resources("AWS::Scheduler::Schedule")
    assert Stack.of(m).resolve(m.monitoring_schedule_arn) == {"Fn::GetAtt": [schedule_logical, "Arn"]}
    failed = m.execution_failed_event_pattern()
    assert failed.source == ["sagemaker-constructs.monitoring"]
    assert failed.detail_type == ["Monitoring Execution Status Change"]
    assert failed.detail == {
        "monitoringExecutionStatus": ["Failed"],
        "monitoringScheduleName": [m.monitoring_schedule_name],
    }
    assert m.violations_event_pattern().detail["monitoringExecutionStatus"] == ["CompletedWithViolations"]
    # The workflow notifies the topic itself: no failure rule.
    template.resource_count_is("AWS::Events::Rule", 0)


def test_the_schedule_runs_the_workflow_on_the_monitors_cron_in_utc(synth):
    template = synth(lambda stack: monitor(stack, "DataQuality", "processing",
                                           schedule=MonitoringSchedule.daily(hour=3)))  # fmt: skip
    [schedule] = template.find_resources("AWS::Scheduler::Schedule").values()
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "cron(0 3 ? * * *)"
    assert props["ScheduleExpressionTimezone"] == "Etc/UTC"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = props["Target"]
    assert json.loads(target["Input"]) == {
        "scheduledTime": "<aws.scheduler.scheduled-time>",
        "executionId": "<aws.scheduler.execution-id>",
    }
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 21600, "MaximumRetryAttempts": 10}
    assert "DeadLetterConfig" in target
    state_machine, _ = _state_machine(template)
    assert target["Arn"] == {"Ref": state_machine}
    # The Scheduler's role may only start this state machine (and park undeliverable runs).
    role_logical = target["RoleArn"]["Fn::GetAtt"][0]
    actions = {a for st in _role_statements(template, role_logical) for a in _actions(st)}
    assert actions == {"states:StartExecution", "sqs:SendMessage"}


def test_the_state_machine_role_allows_exactly_the_calls_of_the_definition(synth):
    def build(stack: Stack) -> None:
        topic = NotificationTopic(stack, "Alerts", description="monitoring").topic
        monitor(stack, "ModelQuality", "processing", notification_topic=topic)

    template = synth(build)
    _logical, machine = _state_machine(template)
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    by_sid = {st.get("Sid"): st for st in _role_statements(template, role)}
    assert _actions(by_sid["ProcessingJobs"]) == [
        "sagemaker:AddTags",
        "sagemaker:CreateProcessingJob",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:ListTags",
        "sagemaker:StopProcessingJob",
    ]
    assert "StepFunctionsGetEventsForSageMakerProcessingJobsRule" in json.dumps(by_sid["SyncIntegrationRule"])
    assert by_sid["PassJobRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    assert by_sid["PutMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "SageMakerConstructs/Endpoints/model-metrics"}
    }
    assert "event-bus/default" in json.dumps(by_sid["PutEvents"]["Resource"])
    all_actions = {a for st in _role_statements(template, role) for a in _actions(st)}
    assert all_actions - {
        "sagemaker:AddTags", "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob",
        "sagemaker:ListTags", "sagemaker:StopProcessingJob", "events:PutTargets", "events:PutRule",
        "events:DescribeRule", "iam:PassRole", "lambda:InvokeFunction", "s3:GetObject", "s3:PutObject",
        "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "cloudwatch:PutMetricData", "events:PutEvents",
        "sns:Publish",
        # CDK's logging and tracing grants.
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
        "xray:GetSamplingRules", "xray:GetSamplingTargets",
    } == set()  # fmt: skip
    [invoke] = [st for st in _role_statements(template, role) if _actions(st) == ["lambda:InvokeFunction"]]
    assert not isinstance(invoke["Resource"], list), "the function ARN only, no version wildcard"


def test_monitors_share_one_planner_that_may_read_each_capture(synth):
    def build(stack: Stack) -> None:
        monitor(stack, "DataQuality", "processing")
        monitor(stack, "ModelQuality", "processing", source_kind="batch")

    template = synth(build)
    functions = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "open_monitor.planner.handler"}}
    )
    assert len(functions) == 1
    [function] = functions.values()
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    text = json.dumps(_role_statements(template, role))
    for expected in ("s3:ListBucket", "s3:PutObject", "model-monitor/DataQuality/", "model-monitor/ModelQuality/",
                     "labels/*"):  # fmt: skip
        assert expected in text, expected


def test_the_job_role_reads_the_code_asset_and_the_runs_inputs(synth):
    template = synth(lambda stack: monitor(stack, "DataQuality", "processing"))
    _logical, machine = _state_machine(template)
    text = json.dumps(machine["Properties"]["DefinitionString"])
    assert "sagemaker-scikit-learn" in text
    assert ".zip" in text
    roles = template.find_resources(
        "AWS::IAM::Role",
        {"Properties": {"Description": "Model Monitor execution role (sagemaker-constructs)"}},
    )
    [role] = roles
    statements = json.dumps(_role_statements(template, role))
    assert '"s3:prefix": [' in statements or "s3:prefix" in statements
    assert ".zip" in statements  # the code object, exactly


def test_sharded_jobs_merge(synth):
    template = synth(
        lambda stack: monitor(stack, "DataQuality", "processing", job=MonitoringJob(instance_count=2))
    )
    text = json.dumps(_state_machine(template)[1])
    assert "RunMerge" in text
    assert "--partial" in text


def test_model_monitor_templates_have_no_open_backend_resources(synth):
    template = synth(lambda stack: monitor(stack, "DataQuality", "model-monitor"))
    template.resource_count_is("AWS::Lambda::Function", 0)
    template.resource_count_is("AWS::StepFunctions::StateMachine", 0)


def test_failure_rules_of_both_backends_stay_apart(synth):
    """A topic notified by monitors of both backends gets one rule per event shape: a merged pattern would
    require both detail shapes at once and match nothing."""
    built: list[MonitorBase] = []

    def build(stack: Stack) -> None:
        topic = NotificationTopic(stack, "Alerts", description="monitoring").topic
        built.append(
            monitor(stack, "DataQuality", "model-monitor", construct_id="Old", notification_topic=topic)
        )
        new = monitor(stack, "DataQuality", "processing", construct_id="New")
        new.notify_on_failure(topic)
        other = monitor(stack, "ModelQuality", "processing", construct_id="Other")
        other.notify_on_failure(topic)

    template = synth(build)
    rules = list(template.find_resources("AWS::Events::Rule").values())
    patterns = [r["Properties"]["EventPattern"] for r in rules if "EventPattern" in r["Properties"]]
    sources = sorted(p["source"][0] for p in patterns)
    assert sources == ["aws.sagemaker", "sagemaker-constructs.monitoring"]
    [open_pattern] = [p for p in patterns if p["source"] == ["sagemaker-constructs.monitoring"]]
    assert len(open_pattern["detail"]["monitoringScheduleName"]) == 2
    assert set(open_pattern["detail"]) == {"monitoringExecutionStatus", "monitoringScheduleName"}


# ------------------------------------------------------------------------------------------- validation


def _raises(build: Any, *fragments: str) -> None:
    stack = new_stack()
    with pytest.raises(ValidationError) as raised:
        build(stack)
    for fragment in fragments:
        assert fragment in str(raised.value), str(raised.value)


def test_now_schedules_are_refused():
    _raises(
        lambda stack: monitor(
            stack, "DataQuality", "processing", schedule=MonitoringSchedule.now(start="-PT2H", end="-PT1H")
        ),
        "'schedule'",
        "NOW",
    )


def test_a_region_without_the_sklearn_image_is_refused():
    def build(stack: Stack) -> None:
        region_stack = Stack(
            stack.node.root, "New", env={"account": "123456789012", "region": "ap-southeast-5"}
        )
        # The model's own image from the user's registry (the registry's xgboost has no image there either).
        Model(
            region_stack,
            "Model",
            image=ContainerImage.from_image_uri("123456789012.dkr.ecr.ap-southeast-5.amazonaws.com/churn:1"),
            model_data=ModelData.from_asset("model_artifacts/churn/model.tar.gz"),
            model_name="churn-model",
        )
        monitor(region_stack, "DataQuality", "processing")

    _raises(build, "'backend.framework_version'", "ap-southeast-5")


def test_a_record_preprocessor_is_refused():
    _raises(
        lambda stack: DataQualityMonitor(
            stack,
            "DQ",
            source=source(stack, "endpoint"),
            record_preprocessor=S3Source.from_asset("model_artifacts/churn/dataset_schema.json"),
            backend=MonitorBackend.processing(),
        ),
        "'record_preprocessor'",
        "MonitorBackend.processing()",
    )


def test_a_bias_config_from_s3_is_refused():
    from open_backend_builders import ground_truth

    _raises(
        lambda stack: ModelBiasMonitor(
            stack,
            "Bias",
            source=source(stack, "endpoint"),
            analysis_config=S3Source.from_asset("model_artifacts/churn/dataset_schema.json"),
            ground_truth=ground_truth(stack),
            probability_attribute="0",
            backend=MonitorBackend.processing(),
        ),
        "'analysis_config'",
        "BiasAnalysisConfig",
    )


def test_network_isolation_is_fine_with_explainability(synth):
    template = synth(lambda stack: monitor(stack, "ModelExplainability", "processing",
                                           job=MonitoringJob(network_isolation=True)))  # fmt: skip
    text = json.dumps(_state_machine(template)[1])
    assert '\\"EnableNetworkIsolation\\":false' in text  # the Clarify step only


def test_explainability_in_a_region_without_clarify_is_refused():
    def build(stack: Stack) -> None:
        region_stack = Stack(stack.node.root, "Il", env={"account": "123456789012", "region": "il-central-1"})
        monitor(region_stack, "ModelExplainability", "processing")

    _raises(build, "'backend'", "SageMaker Clarify", "il-central-1")
