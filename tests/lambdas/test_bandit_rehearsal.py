"""Actor rehearsal of the bandit allocator function: the calls the REAL handler makes are recorded (botocore's
``provide-client-params`` event on its own clients) while it runs its moto scenarios (apply, freeze on an alarm,
pause), mapped to IAM actions and resource ARNs of the reference app's bandit (the real-time stack), and judged
against the function role's synthesized policy. As the retraining trigger's rehearsal, it lives beside the
handler tests because it drives the handler through their fixture."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from bandit_support import ALARM, REGION, SWITCH, TICK_EVENT, Bandit, bandit, publish_rewards
from botocore.client import BaseClient
from support.aws_calls import Call, call, denials, report
from support.cfn_resolve import ACCOUNT, World
from support.cfn_resolve import REGION as WORLD_REGION
from support.service_models import service_model_problems

from lambdas.bandit import contract

__all__ = ["bandit"]  # the fixture

SOURCES = {
    "sagemaker:DescribeEndpoint": "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerai.html (DescribeEndpoint: resource type endpoint)",
    "sagemaker:UpdateEndpointWeightsAndCapacities": "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerai.html (UpdateEndpointWeightsAndCapacities: resource type endpoint)",
    "cloudwatch:DescribeAlarms": "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html (DescribeAlarms: resource type alarm)",
    "cloudwatch:GetMetricData": "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html (GetMetricData: no resource type, Resource *)",
    "ssm:GetParameter": "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html (GetParameter: resource type parameter)",
}


def _reference(world: World) -> tuple[str, dict[str, Any]]:
    """(the bandit function's role ARN, its environment) in the reference app."""
    [function] = [
        props
        for _stack, _logical, props in world.resources("AWS::Lambda::Function")
        if props.get("Handler") == contract.HANDLER
    ]
    return function["Role"], function["Environment"]["Variables"]


def _to_iam(operation: str, params: dict[str, Any], env: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs of one recorded call, translated to the reference app's names."""
    service = {"DescribeEndpoint": "sagemaker", "UpdateEndpointWeightsAndCapacities": "sagemaker",
               "DescribeAlarms": "cloudwatch", "GetMetricData": "cloudwatch", "GetParameter": "ssm"}[operation]  # fmt: skip
    action = f"{service}:{operation}"
    if service == "sagemaker":
        # SageMaker writes endpoint names in lower case in its ARNs.
        endpoint = env[contract.ENV_ENDPOINT_NAME].lower()
        return [(action, f"arn:aws:sagemaker:{WORLD_REGION}:{ACCOUNT}:endpoint/{endpoint}")]
    if operation == "DescribeAlarms":
        # The test's one freeze alarm stands for each of the reference's.
        assert params["AlarmNames"] == [ALARM]
        names = json.loads(env[contract.ENV_FREEZE_ALARMS])
        return [(action, f"arn:aws:cloudwatch:{WORLD_REGION}:{ACCOUNT}:alarm:{n}") for n in names]
    if operation == "GetParameter":
        assert params["Name"] == SWITCH
        name = env[contract.ENV_KILL_SWITCH_PARAMETER].lstrip("/")
        return [(action, f"arn:aws:ssm:{WORLD_REGION}:{ACCOUNT}:parameter/{name}")]
    return [(action, "*")]


@pytest.fixture
def recorded(bandit: Bandit) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every call the handler's clients make: (operation, parameters), as the handler passed them; each request
    is also checked against botocore's service model, strictly (patterns, enums, ranges)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    problems: list[str] = []

    def record(params: dict[str, Any], model: Any, **kwargs: Any) -> None:
        calls.append((model.name, dict(params)))
        problems.extend(service_model_problems(model.service_model.service_name, model.name, dict(params)))

    clients = [value for value in vars(bandit.module).values() if isinstance(value, BaseClient)]
    assert len(clients) == 3, clients
    for client in clients:
        client.meta.events.register(
            f"provide-client-params.{client.meta.service_model.service_name}.*", record
        )
    yield calls
    assert not problems, problems


def test_bandit_function_can_make_every_call_it_makes(
    bandit: Bandit,
    recorded: list[tuple[str, dict[str, Any]]],
    reference_templates: dict[str, dict[str, Any]],
) -> None:
    # Apply a step, then freeze on the alarm, then pause on the kill switch.
    publish_rewards({"champion": 100, "challenger": 90}, {"champion": 1000, "challenger": 300})
    assert bandit.invoke(TICK_EVENT)["decision"] == contract.DECISION_APPLIED
    cloudwatch: Callable[..., Any] = boto3.client("cloudwatch", region_name=REGION).set_alarm_state
    cloudwatch(AlarmName=ALARM, StateValue="ALARM", StateReason="rehearsal")
    assert bandit.invoke(TICK_EVENT)["decision"] == contract.DECISION_FROZEN
    boto3.client("ssm", region_name=REGION).put_parameter(Name=SWITCH, Value="paused", Overwrite=True)
    assert bandit.invoke(TICK_EVENT)["decision"] == contract.DECISION_PAUSED

    operations = sorted({operation for operation, _ in recorded})
    assert operations == sorted(
        [
            "DescribeAlarms",
            "DescribeEndpoint",
            "GetMetricData",
            "GetParameter",
            "UpdateEndpointWeightsAndCapacities",
        ]
    )
    world = World.from_templates(reference_templates)
    role, env = _reference(world)
    calls: list[Call] = [
        call("bandit function", role, action, resource, why="recorded", source=SOURCES[action])
        for operation, params in recorded
        for action, resource in _to_iam(operation, params, env)
    ]
    unique = list({(c.request.action, c.request.resource): c for c in calls}.values())
    # The reference endpoint's five alarms (two rollback, three operational) freeze the bandit.
    assert sum(c.request.action == "cloudwatch:DescribeAlarms" for c in unique) == 5
    denied = denials(world, unique)
    assert not denied, report(denied) + "\nrecorded: " + json.dumps(operations)
    # The check can fail: without the role's policies, every recorded call is denied.
    world.roles[role].policies = []
    assert len(denials(world, unique)) == len(unique)
