"""The bandit allocator's handler against moto (SSM, CloudWatch alarms and metrics, a SageMaker endpoint), with
botocore's Stubber (built from botocore's own service model) for SageMaker's faults."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from bandit_support import (
    ALARM,
    DEFAULT_ACCOUNT_ID,
    ENDPOINT,
    QUERIES,
    REGION,
    SWITCH,
    TICK,
    TICK_EVENT,
    Bandit,
    bandit,
    endpoint_backend,
    publish_rewards,
)
from botocore.stub import Stubber

from lambdas.bandit import contract

__all__ = ["bandit"]  # the fixture


def test_applies_a_guarded_step_toward_the_better_variant(bandit: Bandit) -> None:
    # The challenger converts at 30%, the champion at 10%: Thompson gives the challenger nearly all the
    # traffic, and the step guardrail moves it by 0.2 at most (10% -> 30%).
    publish_rewards({"champion": 100, "challenger": 90}, {"champion": 1000, "challenger": 300})
    # Outside the window (before tick - 6 h, at or after the tick): not counted.
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for when in (TICK - timedelta(hours=6, minutes=1), TICK, TICK + timedelta(minutes=1)):
        cloudwatch.put_metric_data(
            Namespace="AWS/SageMaker",
            MetricData=[{"MetricName": "Invocations", "Timestamp": when, "Value": 5000.0,
                         "Dimensions": [{"Name": "EndpointName", "Value": ENDPOINT},
                                        {"Name": "VariantName", "Value": "champion"}]}],
        )  # fmt: skip
    result = bandit.invoke(TICK_EVENT)
    assert result["decision"] == contract.DECISION_APPLIED, result
    # The challenger's trials come from its explicit query, the champion's from the short form (Invocations).
    assert result["observations"]["challenger"] == {"trials": 300.0, "rewardSum": 90.0, "variance": None}
    assert result["observations"]["champion"] == {"trials": 1000.0, "rewardSum": 100.0, "variance": None}
    assert result["weights"] == pytest.approx({"champion": 0.7, "challenger": 0.3}, abs=1e-9)
    assert bandit.weights() == pytest.approx({"champion": 0.7, "challenger": 0.3}, abs=1e-4)
    assert bandit.decisions() == [contract.DECISION_APPLIED]
    weights = {
        m["VariantName"]: m[contract.METRIC_WEIGHT][0] for m in bandit.emf() if contract.METRIC_WEIGHT in m
    }
    assert weights == pytest.approx({"champion": 0.7, "challenger": 0.3})
    namespaces = {m["_aws"]["CloudWatchMetrics"][0]["Namespace"] for m in bandit.emf()}
    assert namespaces == {contract.METRICS_NAMESPACE}


def test_the_same_tick_decides_the_same(bandit: Bandit) -> None:
    publish_rewards({"champion": 100, "challenger": 12}, {"champion": 1000, "challenger": 110})
    first = bandit.module.run_tick(bandit.module.Settings.from_env(), TICK)
    again = bandit.module.run_tick(bandit.module.Settings.from_env(), TICK)
    # The first applied (the endpoint moved); decide() itself is seeded by endpoint and tick.
    assert first.allocation is not None
    assert again.allocation is not None
    assert first.allocation.probability_best == again.allocation.probability_best


def test_a_duplicate_tick_after_the_update_holds(bandit: Bandit) -> None:
    publish_rewards({"champion": 100, "challenger": 90}, {"champion": 1000, "challenger": 300})
    assert bandit.invoke(TICK_EVENT)["decision"] == contract.DECISION_APPLIED
    # SageMaker records the update as the endpoint's modification (moto does not): a retried or duplicated
    # delivery of the same tick must not take a second step from the weights the first one set.
    endpoint_backend().last_modified_time = (TICK + timedelta(seconds=5)).isoformat()
    again = bandit.invoke(TICK_EVENT)
    assert again["decision"] == contract.DECISION_HELD
    assert "duplicate" in again["reason"]
    assert bandit.weights() == pytest.approx({"champion": 0.7, "challenger": 0.3}, abs=1e-4)


def test_insufficient_data_holds_the_weights(bandit: Bandit) -> None:
    publish_rewards({"champion": 10, "challenger": 1}, {"champion": 500, "challenger": 60})
    result = bandit.invoke(TICK_EVENT)
    assert result["decision"] == contract.DECISION_INSUFFICIENT_DATA
    assert bandit.weights() == {"champion": 90.0, "challenger": 10.0}
    assert bandit.decisions() == [contract.DECISION_INSUFFICIENT_DATA]


def test_no_data_at_all_holds(bandit: Bandit) -> None:
    result = bandit.invoke(TICK_EVENT)
    assert result["decision"] == contract.DECISION_INSUFFICIENT_DATA
    assert result["observations"]["champion"]["trials"] == 0


def test_kill_switch_pauses(bandit: Bandit) -> None:
    publish_rewards({"champion": 100, "challenger": 90}, {"champion": 1000, "challenger": 300})
    boto3.client("ssm", region_name=REGION).put_parameter(Name=SWITCH, Value="paused", Overwrite=True)
    result = bandit.invoke(TICK_EVENT)
    assert result["decision"] == contract.DECISION_PAUSED
    assert bandit.weights() == {"champion": 90.0, "challenger": 10.0}


@pytest.mark.parametrize("value", ["Enabled", "off", None])
def test_any_other_kill_switch_value_or_none_pauses(bandit: Bandit, value: str | None) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    if value is None:
        ssm.delete_parameter(Name=SWITCH)
    else:
        ssm.put_parameter(Name=SWITCH, Value=value, Overwrite=True)
    assert bandit.invoke(TICK_EVENT)["decision"] == contract.DECISION_PAUSED


def test_an_alarm_in_alarm_freezes(bandit: Bandit) -> None:
    publish_rewards({"champion": 100, "challenger": 90}, {"champion": 1000, "challenger": 300})
    boto3.client("cloudwatch", region_name=REGION).set_alarm_state(
        AlarmName=ALARM, StateValue="ALARM", StateReason="test"
    )
    result = bandit.invoke(TICK_EVENT)
    assert result["decision"] == contract.DECISION_FROZEN
    assert ALARM in result["reason"]
    assert bandit.weights() == {"champion": 90.0, "challenger": 10.0}


def test_an_endpoint_not_in_service_freezes(bandit: Bandit) -> None:
    publish_rewards({"champion": 100, "challenger": 90}, {"champion": 1000, "challenger": 300})
    endpoint_backend().endpoint_status = "Updating"
    result = bandit.invoke(TICK_EVENT)
    assert result["decision"] == contract.DECISION_FROZEN
    assert "Updating" in result["reason"]


def test_other_variants_than_the_bandits_freeze(bandit: Bandit, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(contract.ENV_VARIANTS, json.dumps(["champion", "candidate"]))
    result = bandit.invoke(TICK_EVENT)
    assert result["decision"] == contract.DECISION_FROZEN


@pytest.mark.parametrize(
    "event",
    [{}, {"scheduledTime": "yesterday"}, {"scheduledTime": "2026-12-02T10:15:00"}, {"scheduledTime": 5}, []],
    ids=["empty", "not-a-time", "no-zone", "number", "list"],
)
def test_malformed_events_change_nothing_and_are_recorded(bandit: Bandit, event: Any) -> None:
    result = bandit.invoke(event)
    assert result["decision"] == contract.DECISION_MALFORMED
    assert bandit.decisions() == [contract.DECISION_MALFORMED]
    assert bandit.weights() == {"champion": 90.0, "challenger": 10.0}


def _stubbed_update(bandit: Bandit, code: str, status: int) -> Stubber:
    """A Stubber on the handler's SageMaker client: DescribeEndpoint as moto answers, then ``code``."""
    described = {
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:endpoint/{ENDPOINT}",
        "EndpointConfigName": "churn-config",
        "ProductionVariants": [
            {"VariantName": "champion", "CurrentWeight": 90.0, "DesiredWeight": 90.0},
            {"VariantName": "challenger", "CurrentWeight": 10.0, "DesiredWeight": 10.0},
        ],
        "EndpointStatus": "InService",
        "CreationTime": TICK - timedelta(days=1),
        "LastModifiedTime": TICK - timedelta(days=1),
    }
    stubber = Stubber(bandit.module.sagemaker)
    stubber.add_response("describe_endpoint", described, {"EndpointName": ENDPOINT})
    stubber.add_client_error(
        "update_endpoint_weights_and_capacities",
        service_error_code=code,
        service_message=f"{code} (stubbed)",
        http_status_code=status,
        expected_params={
            "EndpointName": ENDPOINT,
            "DesiredWeightsAndCapacities": [
                {"VariantName": "champion", "DesiredWeight": 0.7},
                {"VariantName": "challenger", "DesiredWeight": 0.3},
            ],
        },
    )
    return stubber


@pytest.mark.parametrize(
    ("code", "status"),
    [("ThrottlingException", 400), ("ValidationException", 400)],
    ids=["throttled", "updating"],
)
def test_throttling_and_validation_errors_hold_until_the_next_tick(
    bandit: Bandit, code: str, status: int
) -> None:
    publish_rewards({"champion": 100, "challenger": 90}, {"champion": 1000, "challenger": 300})
    with _stubbed_update(bandit, code, status) as stubber:
        result = bandit.invoke(TICK_EVENT)
        stubber.assert_no_pending_responses()
    assert result["decision"] == contract.DECISION_HELD
    assert code in result["reason"]
    assert bandit.decisions() == [contract.DECISION_HELD]


def test_access_denied_raises_for_lambdas_retries(bandit: Bandit) -> None:
    publish_rewards({"champion": 100, "challenger": 90}, {"champion": 1000, "challenger": 300})
    with (
        _stubbed_update(bandit, "AccessDeniedException", 400),
        pytest.raises(Exception, match="AccessDenied"),
    ):
        bandit.invoke(TICK_EVENT)


def test_a_variant_below_the_floor_is_lifted_even_without_data(bandit: Bandit) -> None:
    # A variant at weight 0 gets no traffic, hence never the trials: the floor is applied without data.
    boto3.client("sagemaker", region_name=REGION).update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT,
        DesiredWeightsAndCapacities=[
            {"VariantName": "champion", "DesiredWeight": 1.0},
            {"VariantName": "challenger", "DesiredWeight": 0.0},
        ],
    )
    endpoint_backend().last_modified_time = (TICK - timedelta(hours=1)).isoformat()
    result = bandit.invoke(TICK_EVENT)
    assert result["decision"] == contract.DECISION_INSUFFICIENT_DATA
    assert "challenger lifted" in result["reason"]
    assert bandit.weights() == pytest.approx({"champion": 0.95, "challenger": 0.05}, abs=1e-4)


def test_continuous_rewards_estimate_the_variance_from_period_means() -> None:
    from lambdas.bandit import readings

    t = [TICK - timedelta(minutes=5 * i) for i in range(3)]
    # Period means 1, 2, 3 with 10 samples each: window mean 2, variance (10 + 0 + 10) / 2 = 10.
    series = {"s0": {t[0]: 10.0, t[1]: 20.0, t[2]: 30.0}, "t0": {t[0]: 10.0, t[1]: 10.0, t[2]: 10.0},
              "s1": {t[0]: 5.0}, "t1": {t[0]: 10.0}}  # fmt: skip
    arms = readings.observations(contract.REWARD_CONTINUOUS, ["a", "b"], series)
    assert (arms[0].trials, arms[0].reward_sum, arms[0].variance) == (30.0, 60.0, pytest.approx(10.0))
    # One period gives no estimate: the policy's prior variance is used.
    assert (arms[1].trials, arms[1].variance) == (10.0, None)
    queries = readings.build_queries(
        contract.REWARD_CONTINUOUS, ["a"], {"a": {"reward": QUERIES["champion"]["reward"]}}, ENDPOINT
    )
    assert [(q["Id"], q["MetricStat"]["Stat"]) for q in queries] == [("s0", "Sum"), ("t0", "SampleCount")]
