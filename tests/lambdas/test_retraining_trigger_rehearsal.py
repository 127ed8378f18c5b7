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

import pytest
from botocore.client import BaseClient
from support.aws_calls import Call, call, denials, report
from support.cfn_resolve import ACCOUNT, REGION, World
from trigger_support import MONITORING_SCHEDULE, execution_summary

from lambdas.retraining_trigger.contract import (
    DECISION_SKIPPED_COOLDOWN,
    DECISION_SKIPPED_RUNNING,
    DECISION_STARTED,
    ENV_COOLDOWN_SECONDS,
    ENV_MONITORING_SCHEDULES,
    ENV_PIPELINE_NAME,
    ENV_TABLE_NAME,
    ENV_TOPIC_ARN,
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
    reference_templates: dict[str, dict[str, Any]],
) -> None:
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

    world = World.from_templates(reference_templates)
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
