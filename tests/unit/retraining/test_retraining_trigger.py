"""SageMakerPipeline and RetrainingTrigger: resources, rules, delivery guarantees, permissions, validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template
from support.cdk_flags import app_context
from support.stacks import synthesize

from sagemaker_constructs import (
    Baseline,
    ContainerImage,
    DataCapture,
    DataQualityMonitor,
    Endpoint,
    IncidentField,
    Model,
    MonitoringJob,
    MonitorSource,
    ProductionVariant,
    RetrainingTrigger,
    S3Source,
    SageMakerPipeline,
)
from sagemaker_constructs._handlers.retraining_trigger import contract
from sagemaker_constructs._handlers.retraining_trigger.incidents import ReconcileRequest, to_incident

BASELINES = Path(__file__).resolve().parents[3] / "model_artifacts" / "churn" / "baselines" / "data_quality"

DEFINITION = {
    "Version": "2020-12-01",
    "Parameters": [
        {"Name": "TriggerReason", "Type": "String", "DefaultValue": ""},
        {"Name": "TriggerAlarm", "Type": "String", "DefaultValue": ""},
        {"Name": "Team", "Type": "String", "DefaultValue": ""},
    ],
    "Steps": [],
}


def pipeline(stack: Stack, name: str | None = "churn-retraining") -> SageMakerPipeline:
    role = iam.Role(stack, "PipelineRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    return SageMakerPipeline(stack, "Pipeline", definition=DEFINITION, role=role, pipeline_name=name)


def alarm(stack: Stack, construct_id: str = "Alarm") -> cloudwatch.Alarm:
    return cloudwatch.Alarm(
        stack, construct_id, metric=cloudwatch.Metric(namespace="Test", metric_name=construct_id), threshold=1,
        evaluation_periods=1,
    )  # fmt: skip


def constraints() -> Baseline:
    """The sample data-quality baseline: constraints (what violations are checked against) and statistics."""
    return Baseline(
        constraints=S3Source.from_asset(str(BASELINES / "constraints.json")),
        statistics=S3Source.from_asset(str(BASELINES / "statistics.json")),
    )


def data_quality(
    stack: Stack,
    construct_id: str,
    *,
    baseline: Baseline | None = None,
    max_runtime: Duration = Duration.hours(1),
) -> DataQualityMonitor:
    """A data-quality monitor on a new endpoint with capture; with the sample baseline unless told otherwise."""
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
        job=MonitoringJob(max_runtime=max_runtime),
        baseline=baseline,
    )


def trigger(stack: Stack, **overrides: Any) -> RetrainingTrigger:
    props: dict[str, Any] = {
        "pipeline": pipeline(stack),
        "static_parameters": {"Team": "churn"},
        "event_parameters": {"TriggerReason": IncidentField.REASON, "TriggerAlarm": IncidentField.ALARM_NAME},
    }
    props.update(overrides)
    return RetrainingTrigger(stack, "Trigger", **props)


@pytest.fixture(scope="module")
def trigger_on_one_alarm() -> Template:
    """A trigger on one alarm, every other prop at its default: synthesized once for the tests that only read it."""
    return synthesize(lambda s: trigger(s, alarms=[alarm(s)]))


def test_pipeline_definition_and_grants(synth):
    def build(stack: Stack) -> None:
        p = pipeline(stack)
        caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
        p.grant_start_execution(caller)
        assert p.metric_execution_failed().namespace == "AWS/Sagemaker/ModelBuildingPipeline"
        assert p.metric_execution_failed().dimensions == {"PipelineName": "churn-retraining"}

    template = synth(build)
    resource = next(iter(template.find_resources("AWS::SageMaker::Pipeline").values()))["Properties"]
    assert resource["PipelineName"] == "churn-retraining"
    assert json.loads(resource["PipelineDefinition"]["PipelineDefinitionBody"]) == DEFINITION
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Action": "sagemaker:StartPipelineExecution",
                            "Resource": {"Fn::Join": ["", Match.array_with([":pipeline/churn-retraining"])]},
                        }
                    )
                ]
            }
        },
    )


def test_pipeline_validation(stack):
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        SageMakerPipeline(
            stack, "P", role=role, pipeline_name="bad_name",
            definition={"Parameters": [{"Name": "A"}, {"Name": "A"}]},
        )  # fmt: skip
    message = str(excinfo.value)
    assert "'pipeline_name' must match" in message
    assert "got 'bad_name'" in message
    assert "'definition' must have a 'Version' key" in message
    assert "'definition' must have a 'Steps' key" in message
    assert "'definition' parameter names must be unique, got ['A', 'A']" in message


def test_trigger_resources(synth):
    def build(stack: Stack) -> None:
        t = trigger(
            stack, alarms=[alarm(stack)], schedule=events.Schedule.cron(week_day="SUN", hour="2", minute="0")
        )
        assert t.metric_pipelines_started().namespace == "SageMakerConstructs/Retraining"

    template = synth(build)
    table = next(iter(template.find_resources("AWS::DynamoDB::Table").values()))
    assert table["DeletionPolicy"] == "Retain"
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    function = next(iter(template.find_resources("AWS::Lambda::Function").values()))["Properties"]
    assert function["Runtime"] == "python3.13"
    assert function["Handler"] == "retraining_trigger.handler.lambda_handler"
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["Layers"] == ["{{resolve:ssm:/aws/service/powertools/python/x86_64/python3.13/3.37.0}}"]
    env = function["Environment"]["Variables"]
    assert env[contract.ENV_PIPELINE_NAME] == "churn-retraining"
    assert env[contract.ENV_COOLDOWN_SECONDS] == "21600"
    assert env[contract.ENV_IDEMPOTENCY_TTL_SECONDS] == "86400"
    assert json.loads(env[contract.ENV_STATIC_PARAMETERS]) == {"Team": "churn"}
    assert json.loads(env[contract.ENV_EVENT_PARAMETERS]) == {
        "TriggerAlarm": "alarm_name",
        "TriggerReason": "reason",
    }
    assert set(env) >= {contract.ENV_TABLE_NAME, contract.ENV_TOPIC_ARN, contract.POWERTOOLS_SERVICE_NAME}
    invoke = next(iter(template.find_resources("AWS::Lambda::EventInvokeConfig").values()))["Properties"]
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][1] == "Arn"
    assert invoke["MaximumRetryAttempts"] == 2
    rules = template.find_resources("AWS::Events::Rule")
    assert len(rules) == 2  # alarm + fallback schedule
    for rule in rules.values():
        target = rule["Properties"]["Targets"][0]
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 21600, "MaximumRetryAttempts": 10}
        assert "DeadLetterConfig" in target
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ApproximateNumberOfMessagesVisible", "Threshold": 1}
    )
    template.has_resource_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})


def test_function_permissions_are_scoped(trigger_on_one_alarm):
    template = trigger_on_one_alarm
    statements = [
        st
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if "FunctionRole" in json.dumps(policy["Properties"]["Roles"])
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]

    def actions_of(statement: dict[str, Any]) -> list[str]:
        action = statement["Action"]
        return [action] if isinstance(action, str) else list(action)

    actions = {a for st in statements for a in actions_of(st)}
    assert not any(a == "*" or a.endswith(":*") for a in actions), actions
    # One statement per grant, or merged (@aws-cdk/aws-iam:minimizePolicies): the same actions either way.
    pipeline = [st for st in statements if any("PipelineExecution" in a for a in actions_of(st))]
    assert sorted(a for st in pipeline for a in actions_of(st)) == [
        "sagemaker:ListPipelineExecutions",
        "sagemaker:StartPipelineExecution",
    ]
    for st in pipeline:
        assert st["Resource"]["Fn::Join"][1][-1] == ":pipeline/churn-retraining"  # the pipeline only
    dynamo = [st for st in statements if any(a.startswith("dynamodb:") for a in actions_of(st))]
    assert sorted(a for st in dynamo for a in actions_of(st)) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    for st in dynamo:
        assert st["Resource"]["Fn::GetAtt"][1] == "Arn"
    assert "sns:Publish" in actions
    assert "kms:GenerateDataKey*" not in actions


def test_alarm_rule_routes_only_transitions_into_alarm(trigger_on_one_alarm, routes, sample_event):
    template = trigger_on_one_alarm
    (rule,) = template.find_resources("AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail"] == {"state": {"value": ["ALARM"]}}
    alarm_event = sample_event("cloudwatch_alarm_state_change_alarm")
    concrete = json.loads(
        json.dumps(pattern).replace(
            json.dumps(pattern["resources"][0]), json.dumps(alarm_event["resources"][0])
        )
    )
    assert routes(concrete, alarm_event)
    assert not routes(concrete, sample_event("cloudwatch_alarm_state_change_ok"))
    assert not routes(concrete, sample_event("sagemaker_endpoint_state_change"))
    other_alarm = json.loads(json.dumps(alarm_event))
    other_alarm["resources"] = [alarm_event["resources"][0] + "-other"]
    assert not routes(concrete, other_alarm)


def test_more_alarms_and_monitors_extend_the_same_rules(synth):
    def build(stack: Stack) -> None:
        model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        endpoint = Endpoint(
            stack, "E", variants=[ProductionVariant("v", model=model)], data_capture=DataCapture()
        )
        t = trigger(stack, alarms=[alarm(stack, "A1")])
        t.add_alarm(alarm(stack, "A2"))
        t.add_monitor(
            DataQualityMonitor(stack, "M1", source=MonitorSource.endpoint(endpoint), baseline=constraints())
        )
        t.add_monitor(
            DataQualityMonitor(stack, "M2", source=MonitorSource.endpoint(endpoint), baseline=constraints())
        )

    template = synth(build)
    rules = [
        r["Properties"]["EventPattern"]
        for r in template.find_resources("AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"]  # not the reconciliation's schedule
    ]
    alarm_rule = next(p for p in rules if p["source"] == ["aws.cloudwatch"])
    assert len(alarm_rule["resources"]) == 2
    monitor_rule = next(p for p in rules if p["source"] == ["aws.sagemaker"])
    assert len(monitor_rule["detail"]["MonitoringScheduleArn"]) == 2
    assert monitor_rule["detail"]["ExitMessage"] == [{"prefix": "CompletedWithViolations"}]


def test_alarms_of_another_stack_get_their_rule_and_queue_there():
    app = App(context=app_context())
    retraining = Stack(app, "Retraining")
    monitoring = Stack(app, "Monitoring")
    t = trigger(retraining)
    t.add_alarm(alarm(monitoring, "Drift"))
    retraining_template = Template.from_stack(retraining).to_json()
    monitoring_template = Template.from_stack(monitoring).to_json()
    assert "Fn::ImportValue" not in json.dumps(retraining_template)  # retraining depends on nothing
    types = [r["Type"] for r in monitoring_template["Resources"].values()]
    assert types.count("AWS::Events::Rule") == 1
    assert types.count("AWS::SQS::Queue") == 1
    assert types.count("AWS::Lambda::Permission") == 1


def test_trigger_validation(stack):
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        trigger(
            stack,
            static_parameters={"bad name!": "x", "TriggerReason": "y", "Team": "z" * 1025},
            event_parameters={"TriggerReason": IncidentField.REASON, "Unknown": IncidentField.ALARM_NAME},
            cooldown=Duration.days(60),
            powertools_version="latest",
        )
    message = str(excinfo.value)
    assert "pipeline parameter names must match" in message
    assert "got 'bad name!'" in message
    assert "a parameter is either static or from the event, got both for ['TriggerReason']" in message
    assert "'static_parameters['Team']' must be at most 1024 characters, got 1025" in message
    assert "parameters ['Unknown', 'bad name!'] are not declared by the pipeline" in message
    assert "'cooldown' must be between 0 and 2592000 seconds, got 5184000" in message
    assert "'powertools_version' must be a release like '3.37.0', got 'latest'" in message


def test_the_same_alarm_twice_is_rejected(stack):
    t = trigger(stack)
    a = alarm(stack)
    t.add_alarm(a)
    with pytest.raises(ValueError, match="already triggers this retraining"):
        t.add_alarm(a)


def test_imported_pipeline(synth):
    template = synth(
        lambda s: RetrainingTrigger(
            s, "Trigger", pipeline=SageMakerPipeline.from_pipeline_name(s, "P", "Existing-Pipeline")
        )
    )
    statements = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert ":pipeline/existing-pipeline" in statements  # ARNs use the lower-cased name


def test_event_age_and_idempotency_window(stack):
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        trigger(stack, max_event_age=Duration.hours(12), idempotency_ttl=Duration.hours(1))
    message = str(excinfo.value)
    assert "'max_event_age' must be between 60 and 21600 seconds, got 43200" in message
    assert "'idempotency_ttl' must be at least 'max_event_age'" in message


def test_max_trigger_age_defaults_to_the_idempotency_window_and_is_validated(stack):
    def environment(t: RetrainingTrigger) -> dict[str, str]:
        function = next(
            iter(Template.from_stack(Stack.of(t)).find_resources("AWS::Lambda::Function").values())
        )
        return function["Properties"]["Environment"]["Variables"]

    assert environment(trigger(stack))[contract.ENV_MAX_TRIGGER_AGE_SECONDS] == "86400"
    other = Stack(App(), "Other")
    assert (
        environment(trigger(other, max_trigger_age=Duration.hours(12)))[contract.ENV_MAX_TRIGGER_AGE_SECONDS]
        == "43200"
    )
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        trigger(Stack(App(), "Long"), max_trigger_age=Duration.days(2))
    assert (
        "'max_trigger_age' must be at most 'idempotency_ttl' (an older event could be an incident already "
        "forgotten), got 2 days > 1 day" in str(excinfo.value)
    )
    with pytest.raises(ValueError, match="'max_trigger_age' must be between 60 and 2592000 seconds, got 30"):
        trigger(Stack(App(), "Short"), max_trigger_age=Duration.seconds(30))


# Regressions found by the property tests (tests/unit/test_properties.py).


def test_max_parallel_steps_renders_cloudformation_property_names(synth):
    # The L1 property is plain JSON: the ParallelismConfigurationProperty struct was rendered with its camelCase
    # field, 'maxParallelExecutionSteps', which CloudFormation rejects (cfn-lint E3002 and E3003).
    def build(stack: Stack) -> None:
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        SageMakerPipeline(stack, "Pipeline", definition=DEFINITION, role=role, max_parallel_steps=4)

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::Pipeline", {"ParallelismConfiguration": {"MaxParallelExecutionSteps": 4}}
    )


def test_empty_pipeline_name_is_rejected_not_replaced(stack):
    # "" was silently replaced by the name derived from the construct path.
    with pytest.raises(ValueError, match="'pipeline_name' must match"):
        pipeline(stack, name="")


@pytest.mark.parametrize("parameters", [["TriggerReason"], [None], "TriggerReason"])
def test_definition_parameters_must_be_objects(stack, parameters):
    # p.get("Name") raised AttributeError on anything but objects.
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    with pytest.raises(ValueError, match="'definition' Parameters must be a list of objects with a 'Name'"):
        SageMakerPipeline(
            stack,
            "Pipeline",
            role=role,
            definition={"Version": "2020-12-01", "Steps": [], "Parameters": parameters},
        )


def test_idempotency_window_with_durations_that_are_not_whole_seconds(stack):
    # Comparing the window with the event age called to_seconds(), and jsii raised for 60.5 seconds.
    with pytest.raises(ValueError, match="'idempotency_ttl' must be a whole number of seconds"):
        trigger(stack, idempotency_ttl=Duration.millis(60_500), max_event_age=Duration.minutes(1))


def test_parameters_must_fit_in_the_function_environment(stack):
    # Three 1024-character values passed the per-value limit, and CloudFormation would have failed to create the
    # function: Lambda allows 4 KB for all environment variables.
    names = ["TriggerReason", "TriggerAlarm", "Team"]
    with pytest.raises(
        ValueError, match=r"must fit in 3072 bytes of the function's environment .* got 3\d{3} bytes"
    ):
        RetrainingTrigger(
            stack, "Trigger", pipeline=pipeline(stack),
            static_parameters=dict.fromkeys(names, "v" * 1024),
        )  # fmt: skip


def test_parameters_that_fit_the_environment_synthesize(synth):
    names = ["TriggerReason", "Team"]

    def build(s: Stack) -> None:
        RetrainingTrigger(
            s, "Trigger", pipeline=pipeline(s), static_parameters=dict.fromkeys(names, "v" * 1024)
        )

    template = synth(build)
    (function,) = [
        f
        for f in template.find_resources("AWS::Lambda::Function").values()
        if "Environment" in f["Properties"]
    ]
    variables = function["Properties"]["Environment"]["Variables"]
    assert len(variables["STATIC_PIPELINE_PARAMETERS"]) > 2048


# --- Violations: reconciled on the API, only from monitors that can report them ------------------------------
def test_reports_violations_is_true_only_with_baseline_constraints(stack):
    assert data_quality(stack, "WithBaseline", baseline=constraints()).reports_violations is True
    assert data_quality(stack, "WithoutBaseline").reports_violations is False


def test_monitor_that_cannot_report_violations_is_refused(stack):
    t = trigger(stack)

    with pytest.raises(ValueError, match="must have baseline constraints") as excinfo:
        t.add_monitor(data_quality(stack, "NoBaseline"))

    assert str(excinfo.value) == (
        "'monitor' must have baseline constraints to report violations (Model Monitor checks executions only "
        "against them): pass baseline=Baseline(constraints=...) to it, or trigger retraining from one of its alarms "
        "with add_alarm; got monitor 'Test/NoBaseline' without constraints"
    )
    with pytest.raises(ValueError, match=r"got monitor 'Test/Again' without constraints"):
        RetrainingTrigger(stack, "Other", pipeline=t.pipeline, monitors=[data_quality(stack, "Again")])


def test_wired_monitors_are_reconciled_on_the_api(synth):
    names: list[str] = []

    def build(stack: Stack) -> None:
        t = trigger(
            stack, violation_reconciliation=Duration.minutes(30), violation_lookback=Duration.hours(12)
        )
        for construct_id in ("M1", "M2"):
            monitor = data_quality(stack, construct_id, baseline=constraints())
            t.add_monitor(monitor)
            names.append(monitor.monitoring_schedule_name)
        assert t.reconciliation_rule is not None

    template = synth(build)
    env = next(iter(template.find_resources("AWS::Lambda::Function").values()))["Properties"]["Environment"]
    assert json.loads(env["Variables"][contract.ENV_MONITORING_SCHEDULES]) == names
    assert env["Variables"][contract.ENV_VIOLATION_LOOKBACK_SECONDS] == "43200"
    [reconcile] = [
        r["Properties"]
        for r in template.find_resources("AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
    ]
    assert reconcile["ScheduleExpression"] == "rate(30 minutes)"
    [target] = reconcile["Targets"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 21600, "MaximumRetryAttempts": 10}
    assert "DeadLetterConfig" in target
    # What EventBridge sends: the input template with its paths filled from a scheduled event (a string value
    # replaces an unquoted placeholder as a JSON string: EventBridge user guide, "input transformation").
    transformer = target["InputTransformer"]
    scheduled = {
        "id": "53dc4d37",
        "account": "123456789012",
        "time": "2026-11-23T02:00:00Z",
        "region": "us-east-1",
    }
    rendered = transformer["InputTemplate"]
    for name, path in transformer["InputPathsMap"].items():
        rendered = rendered.replace(f"<{name}>", json.dumps(scheduled[path.removeprefix("$.")]))

    assert to_incident(json.loads(rendered)) == ReconcileRequest(event_time=scheduled["time"])

    statements = [
        st
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if "FunctionRole" in json.dumps(policy["Properties"]["Roles"])
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    # List calls take no resource-level permissions (SageMaker API permissions reference), so "*"; CDK merges
    # it with X-Ray's, which has none either. Nothing else is granted on "*".
    on_any = {a for st in statements if st["Resource"] == "*" for a in _as_list(st["Action"])}
    assert on_any == {
        "sagemaker:ListMonitoringExecutions",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_no_reconciliation_without_monitors(trigger_on_one_alarm):
    template = trigger_on_one_alarm
    env = next(iter(template.find_resources("AWS::Lambda::Function").values()))["Properties"]["Environment"]
    assert env["Variables"][contract.ENV_MONITORING_SCHEDULES] == "[]"
    assert "ListMonitoringExecutions" not in json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert all(
        "ScheduleExpression" not in r["Properties"]
        for r in template.find_resources("AWS::Events::Rule").values()
    )


def test_monitor_of_another_stack_is_reconciled_without_a_stack_dependency():
    app = App(context=app_context())
    retraining = Stack(app, "Retraining")
    monitoring = Stack(app, "Monitoring")
    t = trigger(retraining)
    monitor = data_quality(monitoring, "Drift", baseline=constraints())
    t.add_monitor(monitor)
    template = Template.from_stack(retraining).to_json()
    assert "Fn::ImportValue" not in json.dumps(template)
    env = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    assert json.loads(env["Properties"]["Environment"]["Variables"][contract.ENV_MONITORING_SCHEDULES]) == [
        monitor.monitoring_schedule_name
    ]


def test_violation_lookback_validation(stack):
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        trigger(
            stack,
            violation_reconciliation=Duration.seconds(90),
            violation_lookback=Duration.days(2),
            idempotency_ttl=Duration.days(1),
        )
    message = str(excinfo.value)
    assert (
        "'violation_reconciliation' must be a whole number of minutes (an EventBridge rate), got 1 minute 30 seconds"
        in (message)
    )
    assert "'violation_lookback' must be at most 'idempotency_ttl'" in message
    with pytest.raises(ValueError, match="'violation_lookback' must be at least 'violation_reconciliation'"):
        trigger(
            Stack(App(), "Other"),
            violation_reconciliation=Duration.hours(2),
            violation_lookback=Duration.hours(1),
        )


def test_default_lookback_follows_a_shorter_idempotency_ttl(stack):
    t = trigger(stack, idempotency_ttl=Duration.hours(6), max_event_age=Duration.hours(1))
    t.add_monitor(data_quality(stack, "Quality", baseline=constraints()))
    function = next(iter(Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()))
    assert (
        function["Properties"]["Environment"]["Variables"][contract.ENV_VIOLATION_LOOKBACK_SECONDS] == "21600"
    )

    short = trigger(
        Stack(App(), "Short"), idempotency_ttl=Duration.minutes(30), max_event_age=Duration.minutes(10)
    )
    with pytest.raises(ValueError, match=r"'violation_lookback' \(by default the shorter of 1 day"):
        short.add_monitor(data_quality(stack, "Other", baseline=constraints()))


def test_wired_schedule_names_count_against_the_function_environment(stack):
    # Three static parameters that leave less than 100 of the 3072 bytes: room for one schedule's name only.
    static = {"Team": "x" * 960, "TriggerReason": "y" * 960, "TriggerAlarm": "z" * 960}
    t = trigger(stack, static_parameters=static, event_parameters={})
    t.add_monitor(data_quality(stack, "Fits", baseline=constraints()))
    monitor = data_quality(stack, "DoesNotFit", baseline=constraints())
    with pytest.raises(
        ValueError, match=r"monitor 'Test/DoesNotFit' does not fit the function's environment"
    ):
        t.add_monitor(monitor)


def test_lookback_must_cover_a_sweep_past_the_end_of_each_execution(stack):
    """An execution scheduled at 10:00 with a 1-hour runtime may end at 11:20; with lookback = reconciliation = 1
    hour, the sweep at 11:30 lists only executions scheduled after 10:30 and misses it (review of issue 10)."""
    t = RetrainingTrigger(
        stack,
        "Short",
        pipeline=pipeline(stack),
        idempotency_ttl=Duration.hours(6),
        violation_reconciliation=Duration.hours(1),
        violation_lookback=Duration.hours(1),
    )
    with pytest.raises(ValueError, match=r"'violation_lookback' must be at least") as excinfo:
        t.add_monitor(data_quality(stack, "Hourly", baseline=constraints(), max_runtime=Duration.hours(1)))
    assert "got 3600 seconds" in str(excinfo.value)
    assert "(8400 seconds for monitor 'Test/Hourly')" in str(excinfo.value)
