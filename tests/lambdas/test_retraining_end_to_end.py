"""End to end: the synthesized reference app's rules and function environment drive the real handler in moto.

Nothing here is retyped from the construct: the rule patterns come from the SageMakerMonitoring template, the
function's environment and the pipeline definition from the SageMakerRetraining template. Only CloudFormation
tokens (Refs, GetAtts, imports) are replaced by the concrete names moto uses.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from trigger_support import execution_summary

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE_NAME = "retraining-state"
TOPIC_NAME = "retraining-decisions"


@pytest.fixture(scope="module")
def templates(model_monitor_templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The reference stacks on Model Monitor (``-c sagemaker-constructs:monitoring-backend=model-monitor``,
    ``model_monitor_app`` in tests/conftest.py): this test drives Model Monitor's processing-job events. The
    default app's open path is rehearsed in test_retraining_trigger_rehearsal.py."""
    return model_monitor_templates


def _only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == resource_type]
    return resource


def _resolve(value: Any, replacements: dict[str, str]) -> Any:
    """Replace CloudFormation tokens by concrete strings: Refs and GetAtts by logical id, Fn::Join by joining."""
    if isinstance(value, dict):
        if "Ref" in value:
            return replacements.get(value["Ref"], f"ref-{value['Ref']}")
        if "Fn::GetAtt" in value:
            return replacements.get(value["Fn::GetAtt"][0], f"getatt-{value['Fn::GetAtt'][0]}")
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(_resolve(p, replacements)) for p in parts)
        if "Fn::Sub" in value:
            return value["Fn::Sub"].replace("${AWS::Region}", REGION).replace("${AWS::AccountId}", ACCOUNT)
        if "Fn::FindInMap" in value:
            return "683313688378"
        return {k: _resolve(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, replacements) for v in value]
    return value


@pytest.fixture
def wired(
    templates: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, sample_event: Any
) -> Iterator[dict[str, Any]]:
    retraining, monitoring = templates["SageMakerRetraining"], templates["SageMakerMonitoring"]
    function = _only(retraining, "AWS::Lambda::Function")
    table_id = next(k for k, v in retraining["Resources"].items() if v["Type"] == "AWS::DynamoDB::Table")
    topic_id = next(k for k, v in retraining["Resources"].items() if v["Type"] == "AWS::SNS::Topic")
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC_NAME}"
    replacements = {table_id: TABLE_NAME, topic_id: topic_arn, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                    "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}  # fmt: skip
    env = _resolve(function["Properties"]["Environment"]["Variables"], replacements)
    # Rules of the monitoring stack that target the trigger function (an output of the retraining stack).
    rules = [
        r["Properties"]
        for r in monitoring["Resources"].values()
        if r["Type"] == "AWS::Events::Rule" and "Fn::GetStackOutput" in json.dumps(r["Properties"]["Targets"])
    ]
    alarm_rule = next(r for r in rules if r["EventPattern"]["source"] == ["aws.cloudwatch"])
    monitor_rule = next(r for r in rules if r["EventPattern"]["source"] == ["aws.sagemaker"])
    alarm_event = sample_event("cloudwatch_alarm_state_change_alarm")
    # Give the first watched alarm the ARN of the sample event.
    alarm_pattern = json.loads(json.dumps(alarm_rule["EventPattern"]))
    alarm_pattern["resources"][0] = alarm_event["resources"][0]
    alarm_pattern["resources"][1:] = [f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:other-{i}"
                                      for i in range(len(alarm_pattern["resources"]) - 1)]  # fmt: skip
    monitor_pattern = json.loads(json.dumps(monitor_rule["EventPattern"]))
    schedules = monitor_pattern["detail"]["MonitoringScheduleArn"]
    # The schedules' names are plain strings in the function's environment (MONITORING_SCHEDULES): give the
    # first wired schedule's ARN to the pattern, so the sample event names a schedule the function knows.
    wired_names = json.loads(function["Properties"]["Environment"]["Variables"]["MONITORING_SCHEDULES"])
    schedules[0] = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{wired_names[0]}"
    schedules[1:] = [
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/other-{i}"
        for i in range(len(schedules) - 1)
    ]

    pipeline = _only(retraining, "AWS::SageMaker::Pipeline")["Properties"]
    definition = _resolve(pipeline["PipelineDefinition"]["PipelineDefinitionBody"], replacements)
    for name, value in {**env, "POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=TABLE_NAME,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        assert sns.create_topic(Name=TOPIC_NAME)["TopicArn"] == topic_arn
        queue_url = sqs.create_queue(QueueName="decisions")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        boto3.client("sagemaker", region_name=REGION).create_pipeline(
            PipelineName=env["PIPELINE_NAME"],
            PipelineDefinition=definition,
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/pipeline",
        )
        _forget_handler_modules()  # fresh modules: loggers and clients bind to this environment at import
        handler = importlib.import_module("lambdas.retraining_trigger.handler")
        # The handler's clock a minute after the sample events (their age is checked against max_trigger_age).
        handler._now = lambda: SAMPLE_CLOCK
        monitoring_api = Stubber(handler.monitoring)  # moto has no monitoring schedules
        monitoring_api.activate()
        yield {
            "handler": handler,
            "monitoring_api": monitoring_api,
            "schedule_arn": schedules[0],
            "reconcile_input": next(
                r["Properties"]["Targets"][0]["InputTransformer"]
                for r in retraining["Resources"].values()
                if r["Type"] == "AWS::Events::Rule" and "InputTransformer" in r["Properties"]["Targets"][0]
            ),
            "env": env,
            "patterns": {"alarm": alarm_pattern, "monitor": monitor_pattern},
            "queue_url": queue_url,
        }
    _forget_handler_modules()


SAMPLE_CLOCK = 1_795_317_700
"""2026-11-22T03:21:40Z, shortly after the events in tests/events/."""


def _forget_handler_modules() -> None:
    for name in [
        m for m in sys.modules if m.startswith("lambdas.retraining_trigger.") and not m.endswith(".contract")
    ]:
        del sys.modules[name]


class _Context:
    function_name = "retraining-trigger"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:retraining-trigger"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _deliver(wired: dict[str, Any], routes: Any, event: dict[str, Any], request_id: str) -> bool:
    """EventBridge's part (moto decides with the synthesized patterns), then Lambda's (the real handler)."""
    if not any(routes(pattern, event) for pattern in wired["patterns"].values()):
        return False
    wired["handler"].lambda_handler(event, _Context(request_id))
    return True


def _decisions(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    found = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(json.loads(message["Body"])["Message"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_the_glue_holds(wired: dict[str, Any], routes: Any, sample_event: Any) -> None:
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    pipeline_name = wired["env"]["PIPELINE_NAME"]
    alarm = sample_event("cloudwatch_alarm_state_change_alarm")

    # An alarm into ALARM passes the synthesized rule and starts the synthesized pipeline, once.
    assert _deliver(wired, routes, alarm, "req-1")
    executions = sagemaker.list_pipeline_executions(PipelineName=pipeline_name)["PipelineExecutionSummaries"]
    assert len(executions) == 1
    parameters = {
        p["Name"]: p["Value"]
        for p in sagemaker.list_pipeline_parameters_for_execution(
            PipelineExecutionArn=executions[0]["PipelineExecutionArn"]
        )["PipelineParameters"]
    }
    assert parameters["TriggerType"] == "alarm"
    assert parameters["TriggerAlarm"] == alarm["detail"]["alarmName"]
    assert parameters["TriggerTime"] == alarm["detail"]["state"]["timestamp"]
    assert [d["decision"] for d in _decisions(wired["queue_url"])] == ["started"]

    # EventBridge delivers the same event again: nothing more starts.
    assert _deliver(wired, routes, alarm, "req-2")
    assert (
        len(sagemaker.list_pipeline_executions(PipelineName=pipeline_name)["PipelineExecutionSummaries"]) == 1
    )

    # The alarm going back to OK and a failed monitoring run never reach the function.
    assert not _deliver(wired, routes, sample_event("cloudwatch_alarm_state_change_ok"), "req-3")
    assert not _deliver(wired, routes, sample_event("processing_job_monitoring_failed"), "req-4")

    # A monitor's violations reach it, are confirmed with ListMonitoringExecutions, and fall within the stack's
    # 12-hour cooldown: skipped, and told why.
    violations = sample_event("processing_job_monitoring_violations")
    violations["detail"]["MonitoringScheduleArn"] = wired["schedule_arn"]
    summary = execution_summary(
        wired["schedule_arn"].rsplit("/", 1)[-1],
        scheduled="2026-11-22T03:00:00Z",
        status="CompletedWithViolations",
        job_arn=violations["detail"]["ProcessingJobArn"],
    )
    wired["monitoring_api"].add_response(
        "list_monitoring_executions", {"MonitoringExecutionSummaries": [summary]}
    )
    assert _deliver(wired, routes, violations, "req-5")
    wired["monitoring_api"].assert_no_pending_responses()

    # The reconciliation rule's event (its synthesized input, filled as EventBridge fills it) lists every wired
    # schedule, finds the same execution, and acts on it no second time.
    rendered = wired["reconcile_input"]["InputTemplate"]
    scheduled = sample_event("scheduled_event")
    for name, path in wired["reconcile_input"]["InputPathsMap"].items():
        rendered = rendered.replace(f"<{name}>", json.dumps(scheduled[path.removeprefix("$.")]))
    for schedule in json.loads(wired["env"]["MONITORING_SCHEDULES"]):
        found = [summary] if schedule == summary["MonitoringScheduleName"] else []
        wired["monitoring_api"].add_response(
            "list_monitoring_executions", {"MonitoringExecutionSummaries": found}
        )
    outcome = wired["handler"].lambda_handler(json.loads(rendered), _Context("req-6"))
    wired["monitoring_api"].assert_no_pending_responses()
    assert [o["decision"] for o in outcome["outcomes"]] == ["skipped-duplicate"]
    assert (
        len(sagemaker.list_pipeline_executions(PipelineName=pipeline_name)["PipelineExecutionSummaries"]) == 1
    )
    assert [d["decision"] for d in _decisions(wired["queue_url"])] == ["skipped-cooldown"]
