"""Actor rehearsal of the retraining trigger function: the calls the REAL handler makes are recorded (botocore's
``provide-client-params`` event on its own clients) while it runs its moto scenarios, mapped to IAM actions and
resource ARNs of the reference app, and judged against the function role's synthesized policy.

Nothing here is a hand-written call list: when the handler starts calling something new, the rehearsal sees it.
It lives beside the handler tests because it drives the handler through their ``trigger`` fixture.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from support.aws_calls import Call, call, denials, read_objects, report
from support.cfn_resolve import ACCOUNT, REGION, World
from trigger_support import MONITORING_SCHEDULE, execution_summary
from trigger_support import REGION as TEST_REGION

from lambdas.retraining_trigger.contract import (
    DECISION_SKIPPED_COOLDOWN,
    DECISION_SKIPPED_RUNNING,
    DECISION_STARTED,
    ENV_COOLDOWN_SECONDS,
    ENV_MONITORING_SCHEDULES,
    ENV_OPEN_MONITORS,
    ENV_PIPELINE_NAME,
    ENV_TABLE_NAME,
    ENV_TOPIC_ARN,
    RECONCILE_OPEN_MONITORS_KEY,
)

ALARM = "cloudwatch_alarm_state_change_alarm"
SCHEDULE = "scheduled_event"
VIOLATIONS = "processing_job_monitoring_violations"
RECONCILE = "reconcile_monitoring_executions"
AUTHORIZATION = "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"
SNS_SSE = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#sns-what-permissions-for-sse"
SAGEMAKER_ARNS = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerai.html#amazonsagemakerai-resources-for-iam-policies"
"""SageMaker's pipeline resource: arn:${Partition}:sagemaker:${Region}:${Account}:pipeline/${PipelineName}; SageMaker
writes the names in its ARNs in lower case (what DescribePipeline returns as PipelineArn)."""


def _reference(world: World) -> tuple[str, dict[str, str]]:
    """(the function's role ARN, its environment) in the reference app."""
    # The trigger is the function that knows the pipeline (the app also has CDK's custom-resource functions).
    [function] = [
        props
        for _stack, _logical, props in world.resources("AWS::Lambda::Function")
        if ENV_PIPELINE_NAME in props.get("Environment", {}).get("Variables", {})
    ]
    return function["Role"], function["Environment"]["Variables"]


def _to_iam(
    service: str, operation: str, params: dict[str, Any], names: dict[str, str]
) -> tuple[str, str, dict[str, str]]:
    """(IAM action, resource ARN, extra context) of one recorded call, in the reference account.

    ``names`` translates the test environment's pipeline, table and topic to the reference app's.
    """
    action = f"{service}:{operation}"
    if service == "sagemaker":
        if "PipelineName" in params:
            pipeline = names[params["PipelineName"]].lower()
            return action, f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/{pipeline}", {}
        if "PipelineExecutionArn" in params:
            pipeline, execution = (
                params["PipelineExecutionArn"].split(":pipeline/", 1)[1].split("/execution/")
            )
            return (
                action,
                f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/{names[pipeline].lower()}/execution/{execution}",
                {},
            )
        if operation.startswith("List") and operation != "ListPipelineExecutions":
            # SageMaker's List calls take no resource-level permissions (api-permissions-reference: "Except for
            # the ListTags API, resource-level restrictions are not available on List- calls").
            return action, "*", {}
        if "MonitoringScheduleName" in params:
            schedule = params["MonitoringScheduleName"].lower()
            return action, f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{schedule}", {}
    if service == "dynamodb" and "TableName" in params:
        return action, f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{names[params['TableName']]}", {}
    if service == "sns" and "TopicArn" in params:
        return action, names[params["TopicArn"]], {}
    raise AssertionError(
        f"the rehearsal cannot map {service}.{operation}({sorted(params)}) to an ARN: add it"
    )


@pytest.fixture
def recorded(trigger: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Every call the handler's clients make: (service, operation, parameters), as the handler passed them."""
    calls: list[tuple[str, str, dict[str, Any]]] = []

    def recorder(service: str) -> Callable[..., None]:
        def record(params: dict[str, Any], model: Any, **kwargs: Any) -> None:
            calls.append((service, model.name, dict(params)))

        return record

    # Every botocore client the handler module holds, so a client added to the handler is recorded too.
    clients = [value for value in vars(trigger.module).values() if isinstance(value, BaseClient)]
    assert clients, "the handler holds no boto3 client: the rehearsal records nothing"
    for client in clients:
        service = client.meta.service_model.service_name
        client.meta.events.register(f"provide-client-params.{service}.*", recorder(service))
    return calls


def test_trigger_function_can_make_every_call_it_makes(
    trigger: Any,
    trigger_env: dict[str, str],
    recorded: list[tuple[str, str, dict[str, Any]]],
    sample_event: Callable[..., dict[str, Any]],
    model_monitor_templates: dict[str, dict[str, Any]],
) -> None:
    # Model Monitor's path, judged against the reference app on Model Monitor
    # (-c sagemaker-constructs:monitoring-backend=model-monitor); the default app's open path is rehearsed below.
    # The scenarios: start on an alarm, a redelivery (idempotency), an alarm in the cooldown and a second flap of it, a violation while
    # an execution runs, and the scheduled start after the cooldown.
    first = trigger.invoke(sample_event(ALARM))
    assert first["decision"] == DECISION_STARTED
    trigger.invoke(sample_event(ALARM))
    trigger.advance(60)
    cooldown = sample_event(ALARM)
    cooldown["id"] = "another-event"
    cooldown["detail"]["state"]["timestamp"] = "2026-11-22T03:30:00.000+0000"
    assert trigger.invoke(cooldown)["decision"] == DECISION_SKIPPED_COOLDOWN
    # A second flap in the same cooldown window is coalesced: it only counts itself on the lock item.
    flap = copy.deepcopy(cooldown)
    flap["id"] = "a-flap"
    flap["detail"]["state"]["timestamp"] = "2026-11-22T03:31:00.000+0000"
    assert trigger.invoke(flap)["notify"] is False
    trigger.set_execution_status(first["execution_arn"], "Executing")
    trigger.advance(int(trigger_env[ENV_COOLDOWN_SECONDS]) + 1)
    # A violation is confirmed on ListMonitoringExecutions first (moto has no monitoring schedules: the Stubber
    # answers, after checking the request against botocore's model).
    claim = sample_event(VIOLATIONS)
    confirmed = execution_summary(
        MONITORING_SCHEDULE,
        scheduled=claim["time"],
        status="CompletedWithViolations",
        job_arn=claim["detail"]["ProcessingJobArn"],
    )
    trigger.monitoring.add_response(
        "list_monitoring_executions", {"MonitoringExecutionSummaries": [confirmed]}
    )
    assert trigger.invoke(claim)["decision"] == DECISION_SKIPPED_RUNNING
    trigger.set_execution_status(first["execution_arn"], "Succeeded")
    assert trigger.invoke(sample_event(SCHEDULE))["decision"] == DECISION_STARTED
    # The hourly reconciliation lists each wired schedule's violating executions (none here).
    for _schedule in json.loads(trigger_env[ENV_MONITORING_SCHEDULES]):
        trigger.monitoring.add_response("list_monitoring_executions", {"MonitoringExecutionSummaries": []})
    trigger.invoke(sample_event(RECONCILE))

    world = World.from_templates(model_monitor_templates)
    role, environment = _reference(world)
    names = {
        trigger_env[ENV_PIPELINE_NAME]: environment[ENV_PIPELINE_NAME],
        trigger_env[ENV_TABLE_NAME]: environment[ENV_TABLE_NAME],
        trigger_env[ENV_TOPIC_ARN]: environment[ENV_TOPIC_ARN],
    }
    operations = sorted({f"{service}:{operation}" for service, operation, _ in recorded})
    # The rehearsal saw the handler's whole path: listing, locking, starting and publishing.
    for expected in (
        "sagemaker:StartPipelineExecution",
        "sagemaker:ListPipelineExecutions",
        "sagemaker:ListMonitoringExecutions",
        "sns:Publish",
    ):
        assert expected in operations, operations
    assert any(op.startswith("dynamodb:") for op in operations), operations

    calls: list[Call] = []
    for service, operation, params in recorded:
        action, resource, extra = _to_iam(service, operation, params, names)
        calls.append(
            call(
                "retraining trigger function",
                role,
                action,
                resource,
                why="recorded",
                source=AUTHORIZATION,
                **extra,
            )
        )
        if service == "sns" and world.topic_keys.get(resource):
            for kms_action in ("kms:GenerateDataKey", "kms:Decrypt"):
                calls.append(
                    call(
                        "retraining trigger function",
                        role,
                        kms_action,
                        world.topic_keys[resource] or "",
                        why="publish to an encrypted topic",
                        source=SNS_SSE,
                        **{"kms:ViaService": f"sns.{REGION}.amazonaws.com"},
                    )
                )
    unique = list({(c.request.action, c.request.resource): c for c in calls}.values())
    denied = denials(world, unique)
    assert not denied, report(denied) + "\nrecorded: " + json.dumps(operations)
    # The check can fail: without the role's policies, every recorded call is denied.
    world.roles[role].policies = []
    assert len(denials(world, unique)) == len(unique)


OPEN_EVENT = "open_monitor_execution_violations"
OPEN_SCHEDULE = "open-monitor-under-test"  # the sample event's schedule
OPEN_BUCKET = "monitoring-stack-reports"
S3_AUTHORIZATION = (
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (s3:GetObject); "
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html (s3:ListBucket, s3:prefix)"
)


def _open_reports(world: World, schedule: str) -> tuple[str, str]:
    """(bucket, prefix) of ``schedule``'s reports: its workflow's planner payload in the monitoring stack."""
    for _stack, _logical, machine in world.resources("AWS::StepFunctions::StateMachine"):
        states = json.loads(machine["DefinitionString"])["States"]
        monitor = states.get("Plan", {}).get("Arguments", {}).get("Payload", {}).get("monitor", {})
        if monitor.get("monitoringScheduleName") == schedule:
            return monitor["output"]["bucket"], monitor["output"]["prefix"]
    raise AssertionError(f"no open monitoring workflow of {schedule}")


def test_trigger_function_can_read_the_open_monitors_reports(
    trigger: Any,
    trigger_env: dict[str, str],
    recorded: list[tuple[str, str, dict[str, Any]]],
    sample_event: Callable[..., dict[str, Any]],
    reference_templates: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default app (open backend): the handler confirms a claimed violation on the run's summary.json and
    reconciles by listing the summaries under the prefix, in the monitoring stack's reports bucket (which the
    trigger's stack never names: that bucket's and key's policies grant the function's role). Every recorded
    call, mapped to the reference app's first wired open monitor, is judged against all the synthesized
    policies (identity, bucket and key)."""
    world = World.from_templates(reference_templates)
    role, environment = _reference(world)
    wired = json.loads(environment[ENV_OPEN_MONITORS])
    assert len(wired) == 6
    schedule, prefix = wired[0]["name"], wired[0]["prefix"]
    bucket, reports_prefix = _open_reports(world, schedule)
    assert reports_prefix == prefix

    s3 = boto3.client("s3", region_name=TEST_REGION)
    s3.create_bucket(Bucket=OPEN_BUCKET)
    test_prefix = f"model-monitor/DataQuality/{OPEN_SCHEDULE}"
    monkeypatch.setenv(ENV_OPEN_MONITORS, json.dumps([{"name": OPEN_SCHEDULE, "prefix": test_prefix}]))
    monkeypatch.setenv(ENV_MONITORING_SCHEDULES, "[]")
    key = f"{test_prefix}/2026/11/22/03/summary.json"  # the sample event's scheduled hour
    summary = {"schemaVersion": "1", "monitoringType": "DataQuality", "monitoringScheduleName": OPEN_SCHEDULE,
               "status": "CompletedWithViolations", "verdict": "violations", "violations": 1,
               "violatedChecks": ["baseline_drift_check"]}  # fmt: skip
    s3.put_object(Bucket=OPEN_BUCKET, Key=key, Body=json.dumps(summary))
    claim = sample_event(OPEN_EVENT)
    claim["detail"].update(
        summaryUri=f"s3://{OPEN_BUCKET}/{key}", reportUri=f"s3://{OPEN_BUCKET}/{key[:-12]}"
    )
    assert trigger.invoke(claim)["decision"] == DECISION_STARTED
    # The monitoring stack's reconciliation lists its monitors in the event.
    reconcile = sample_event(RECONCILE)
    reconcile["detail"] = {
        RECONCILE_OPEN_MONITORS_KEY: [{"name": OPEN_SCHEDULE, "bucket": OPEN_BUCKET, "prefix": test_prefix}]
    }
    trigger.invoke(reconcile)

    names = {
        trigger_env[ENV_PIPELINE_NAME]: environment[ENV_PIPELINE_NAME],
        trigger_env[ENV_TABLE_NAME]: environment[ENV_TABLE_NAME],
        trigger_env[ENV_TOPIC_ARN]: environment[ENV_TOPIC_ARN],
    }
    actor = "retraining trigger function (open monitors)"
    calls: list[Call] = []
    s3_operations = set()
    for service, operation, params in recorded:
        if service == "s3":
            s3_operations.add(operation)
            assert params["Bucket"] == OPEN_BUCKET, params
            if operation == "GetObject":
                mapped = params["Key"].replace(test_prefix, prefix, 1)
                calls += read_objects(world, actor, role, [f"s3://{bucket}/{mapped}"], why="summary.json",
                                      source=S3_AUTHORIZATION)  # fmt: skip
            elif operation == "ListObjectsV2":
                listed = params["Prefix"].replace(test_prefix, prefix, 1)
                calls.append(call(actor, role, "s3:ListBucket", f"arn:aws:s3:::{bucket}", why="list summaries",
                                  source=S3_AUTHORIZATION, **{"s3:prefix": listed}))  # fmt: skip
            else:
                raise AssertionError(f"the rehearsal cannot map s3.{operation}: add it")
            continue
        action, resource, extra = _to_iam(service, operation, params, names)
        calls.append(call(actor, role, action, resource, why="recorded", source=AUTHORIZATION, **extra))
    # The rehearsal saw the reads of the other stack's reports: the claim's summary and the listing.
    assert s3_operations == {"GetObject", "ListObjectsV2"}, s3_operations
    assert any(c.request.action == "kms:Decrypt" for c in calls), "the reports are encrypted with a KMS key"
    unique = list({(c.request.action, c.request.resource, json.dumps(c.request.context, sort_keys=True, default=str)): c
                   for c in calls}.values())  # fmt: skip
    denied = denials(world, unique)
    assert not denied, report(denied)
    # The check can fail: a summary under another monitor's prefix is denied.
    foreign = read_objects(world, actor, role, [f"s3://{bucket}/model-monitor/DataQuality/someone-else/summary.json"],
                           why="another prefix", source=S3_AUTHORIZATION)  # fmt: skip
    assert denials(world, foreign[:1])
