"""Set an endpoint's variant weights from each variant's reward, on a schedule, within guardrails.

EventBridge Scheduler invokes this function every tick with ``{"scheduledTime", "executionId"}``. One tick:

1. the kill switch (SSM parameter): anything but ``enabled`` (or no parameter) is ``paused``;
2. the freeze alarms (DescribeAlarms): any in ALARM is ``frozen``;
3. the endpoint (DescribeEndpoint): not ``InService``, or variants other than the bandit's, is ``frozen``; modified
   at or after the scheduled time means this tick already ran (a duplicate or a retry): ``held``;
4. each variant's reward over ``[end - window, end)``, ``end`` the scheduled time's minute (GetMetricData,
   ``readings``);
5. ``allocation.decide`` with a seed derived from the endpoint and the scheduled time, so a retry decides the same;
6. UpdateEndpointWeightsAndCapacities when some share moves by at least ``min_change`` (``applied``), else
   ``held``. SageMaker's throttling or ValidationException (the endpoint is being updated) is ``held`` too: the
   next tick decides again from fresh state.

Every invocation ends in exactly one decision (``contract.DECISIONS``), logged with its inputs and counted in
``Decisions``; each variant's weight, probability of being best, posterior mean and trials are published as
metrics. Other faults (access denied, CloudWatch errors) raise: Lambda retries the asynchronous invocation and then
hands it to the function's dead-letter queue. Configuration comes from the environment (``contract.py``), read per
invocation.

APIs: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError

from . import readings
from .allocation import REASON_INSUFFICIENT_DATA, Allocation, Guardrails, decide, normalize
from .contract import (
    DECISION_APPLIED,
    DECISION_FROZEN,
    DECISION_HELD,
    DECISION_INSUFFICIENT_DATA,
    DECISION_MALFORMED,
    DECISION_PAUSED,
    DIMENSION_DECISION,
    DIMENSION_ENDPOINT,
    DIMENSION_VARIANT,
    ENV_ENDPOINT_NAME,
    ENV_EPSILON,
    ENV_FREEZE_ALARMS,
    ENV_KILL_SWITCH_PARAMETER,
    ENV_MAX_STEP,
    ENV_MIN_CHANGE,
    ENV_MIN_TRIALS,
    ENV_MIN_WEIGHT,
    ENV_POLICY,
    ENV_QUERIES,
    ENV_REWARD_KIND,
    ENV_VARIANTS,
    ENV_WINDOW_SECONDS,
    EVENT_EXECUTION_ID,
    EVENT_SCHEDULED_TIME,
    KILL_SWITCH_ENABLED,
    METRIC_DECISIONS,
    METRIC_POSTERIOR_MEAN,
    METRIC_PROBABILITY_BEST,
    METRIC_TRIALS,
    METRIC_WEIGHT,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)
sagemaker = boto3.client("sagemaker", config=_CONFIG)
cloudwatch = boto3.client("cloudwatch", config=_CONFIG)
ssm = boto3.client("ssm", config=_CONFIG)

HELD_ERRORS = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "ValidationException"}
)
"""UpdateEndpointWeightsAndCapacities errors that hold the weights until the next tick: throttling, and the
ValidationException SageMaker answers while the endpoint is being updated."""
DESCRIBE_ALARMS_BATCH = 100
"""DescribeAlarms takes at most 100 ``AlarmNames``."""
WEIGHT_DIGITS = 4
"""Weights are sent rounded to this many decimals (SageMaker's weights are relative)."""


@dataclass(frozen=True)
class Settings:
    """The function's configuration, from the environment the construct sets."""

    endpoint_name: str
    variants: list[str]
    policy: str
    epsilon: float
    reward_kind: str
    queries: dict[str, dict[str, Any]]
    window: timedelta
    guardrails: Guardrails
    min_change: float
    kill_switch: str
    freeze_alarms: list[str]

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            endpoint_name=env[ENV_ENDPOINT_NAME],
            variants=list(json.loads(env[ENV_VARIANTS])),
            policy=env[ENV_POLICY],
            epsilon=float(env.get(ENV_EPSILON, "0.1")),
            reward_kind=env[ENV_REWARD_KIND],
            queries=json.loads(env[ENV_QUERIES]),
            window=timedelta(seconds=int(env[ENV_WINDOW_SECONDS])),
            guardrails=Guardrails(
                min_weight=float(env[ENV_MIN_WEIGHT]),
                max_step=float(env[ENV_MAX_STEP]),
                min_trials=float(env[ENV_MIN_TRIALS]),
            ),
            min_change=float(env.get(ENV_MIN_CHANGE, "0.01")),
            kill_switch=env[ENV_KILL_SWITCH_PARAMETER],
            freeze_alarms=list(json.loads(env.get(ENV_FREEZE_ALARMS, "[]"))),
        )


@dataclass
class Outcome:
    """One tick's decision and the inputs behind it (logged whole, returned as the invocation's result)."""

    decision: str
    reason: str
    weights: dict[str, float] = field(default_factory=dict)
    """The shares in effect after the tick (the applied ones, else the current ones)."""
    current: dict[str, float] = field(default_factory=dict)
    allocation: Allocation | None = None
    inputs: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "decision": self.decision,
            "reason": self.reason,
            "weights": self.weights,
            "current": self.current,
            **self.inputs,
        }
        if self.allocation is not None:
            result.update(
                target=self.allocation.target,
                probabilityBest=self.allocation.probability_best,
                posteriorMean=self.allocation.posterior_mean,
                allocationReason=self.allocation.reason,
            )
        return result


def scheduled_time(event: Any) -> datetime | None:
    """The tick's scheduled time (UTC, whole seconds), or None when the event carries no valid one."""
    if not isinstance(event, dict) or not isinstance(event.get(EVENT_SCHEDULED_TIME), str):
        return None
    try:
        parsed = datetime.fromisoformat(event[EVENT_SCHEDULED_TIME].replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC).replace(microsecond=0)


def seed(endpoint_name: str, tick: datetime) -> int:
    """The decision's random seed: the same endpoint and scheduled time always draw the same samples."""
    digest = hashlib.sha256(f"{endpoint_name}|{tick.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def kill_switch(name: str) -> str:
    """The kill switch's value; a missing parameter reads as ``"<missing>"`` (which pauses)."""
    try:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"]).strip()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return "<missing>"
        raise


def alarms_in_alarm(names: list[str]) -> list[str]:
    """The names among ``names`` whose alarm (metric or composite) is in ALARM."""
    firing: list[str] = []
    for start in range(0, len(names), DESCRIBE_ALARMS_BATCH):
        request: dict[str, Any] = {
            "AlarmNames": names[start : start + DESCRIBE_ALARMS_BATCH],
            # Without AlarmTypes only metric alarms are returned.
            "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
            "StateValue": "ALARM",
        }
        while True:
            page = cloudwatch.describe_alarms(**request)
            alarms = [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]
            firing += [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    return sorted(firing)


def _largest_move(new: dict[str, float], now: dict[str, float]) -> float:
    return max(abs(new[v] - now.get(v, 0.0)) for v in new)


def apply(settings: Settings, weights: dict[str, float]) -> str | None:
    """Send ``weights``; the error code when SageMaker throttles or refuses the update (held), else None."""
    try:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=settings.endpoint_name,
            DesiredWeightsAndCapacities=[
                {"VariantName": v, "DesiredWeight": round(w, WEIGHT_DIGITS)} for v, w in weights.items()
            ],
        )
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in HELD_ERRORS:
            logger.warning("update refused, weights held until the next tick", extra={"error": str(error)})
            return code
        raise
    return None


@tracer.capture_method
def run_tick(settings: Settings, tick: datetime) -> Outcome:
    """Decide one tick (steps 1-6 of the module docstring)."""
    inputs: dict[str, Any] = {"scheduledTime": tick.isoformat(), "endpointName": settings.endpoint_name}
    switch = kill_switch(settings.kill_switch)
    inputs["killSwitch"] = switch
    if switch != KILL_SWITCH_ENABLED:
        return Outcome(DECISION_PAUSED, f"kill switch {settings.kill_switch} is {switch!r}", inputs=inputs)
    firing = alarms_in_alarm(settings.freeze_alarms) if settings.freeze_alarms else []
    if firing:
        return Outcome(DECISION_FROZEN, f"alarms in ALARM: {', '.join(firing)}", inputs=inputs)
    endpoint = sagemaker.describe_endpoint(EndpointName=settings.endpoint_name)
    status = endpoint.get("EndpointStatus")
    inputs["endpointStatus"] = status
    served = {
        v["VariantName"]: float(v.get("CurrentWeight", v.get("DesiredWeight", 0.0)))
        for v in endpoint.get("ProductionVariants", [])
    }
    current = normalize(served) if served else {}
    if status != "InService":
        return Outcome(
            DECISION_FROZEN, f"endpoint is {status}, not InService", current, current, inputs=inputs
        )
    if sorted(served) != sorted(settings.variants):
        return Outcome(
            DECISION_FROZEN,
            f"endpoint variants {sorted(served)} are not the bandit's {sorted(settings.variants)}",
            current,
            current,
            inputs=inputs,
        )
    modified = endpoint.get("LastModifiedTime")
    if isinstance(modified, datetime) and modified.astimezone(UTC) >= tick:
        return Outcome(
            DECISION_HELD,
            f"endpoint modified at {modified.isoformat()}, not before this tick: a duplicate or late tick",
            current,
            current,
            inputs=inputs,
        )
    queries = readings.build_queries(
        settings.reward_kind, settings.variants, settings.queries, settings.endpoint_name
    )
    # The window ends at the tick's whole minute (CloudWatch rounds a recent StartTime down to the minute anyway;
    # a retry of the tick reads the same window).
    end = tick.replace(second=0)
    series = readings.fetch(cloudwatch, queries, end - settings.window, end)
    arms = readings.observations(settings.reward_kind, settings.variants, series)
    inputs["observations"] = {
        a.variant: {"trials": a.trials, "rewardSum": a.reward_sum, "variance": a.variance} for a in arms
    }
    allocation = decide(
        arms,
        current,
        policy=settings.policy,
        guardrails=settings.guardrails,
        rng=random.Random(seed(settings.endpoint_name, tick)),
        epsilon=settings.epsilon,
    )
    moved = _largest_move(allocation.weights, current)
    if allocation.reason == REASON_INSUFFICIENT_DATA:
        decision, reason = (
            DECISION_INSUFFICIENT_DATA,
            (f"fewer than {settings.guardrails.min_trials:g} trials on some variant in the window"),
        )
        # Only a share below the floor moves here: that variant would otherwise never get its trials.
        starved = [v for v, w in current.items() if w < settings.guardrails.min_weight - 1e-9]
        if not starved or moved < settings.min_change:
            return Outcome(decision, reason, current, current, allocation, inputs)
        reason += f"; {', '.join(starved)} lifted to the min_weight floor"
    elif moved < settings.min_change:
        return Outcome(
            DECISION_HELD,
            f"no share moves by {settings.min_change:g} or more",
            current,
            current,
            allocation,
            inputs,
        )
    else:
        decision, reason = DECISION_APPLIED, f"largest share change {moved:.4f}"
    refused = apply(settings, allocation.weights)
    if refused is not None:
        return Outcome(DECISION_HELD, f"update refused ({refused}): retried next tick", current, current,
                       allocation, inputs)  # fmt: skip
    return Outcome(decision, reason, allocation.weights, current, allocation, inputs)


def publish(settings: Settings, outcome: Outcome) -> None:
    """The decision count and each variant's weight, probability of being best, posterior mean and trials."""
    with single_metric(
        name=METRIC_DECISIONS, unit=MetricUnit.Count, value=1, namespace=metrics.namespace
    ) as m:
        m.add_dimension(name=DIMENSION_ENDPOINT, value=settings.endpoint_name)
        m.add_dimension(name=DIMENSION_DECISION, value=outcome.decision)
    per_variant: dict[str, dict[str, float]] = {METRIC_WEIGHT: outcome.weights}
    if outcome.allocation is not None:
        per_variant[METRIC_PROBABILITY_BEST] = outcome.allocation.probability_best
        per_variant[METRIC_POSTERIOR_MEAN] = outcome.allocation.posterior_mean
    observed = outcome.inputs.get("observations", {})
    per_variant[METRIC_TRIALS] = {v: float(o["trials"]) for v, o in observed.items()}
    for name, values in per_variant.items():
        for variant, value in values.items():
            unit = MetricUnit.Count if name == METRIC_TRIALS else MetricUnit.NoUnit
            with single_metric(name=name, unit=unit, value=value, namespace=metrics.namespace) as m:
                m.add_dimension(name=DIMENSION_ENDPOINT, value=settings.endpoint_name)
                m.add_dimension(name=DIMENSION_VARIANT, value=variant)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Route one scheduled tick: a malformed event is recorded and dropped (a retry would be as malformed)."""
    settings = Settings.from_env()
    tick = scheduled_time(event)
    if tick is None:
        outcome = Outcome(DECISION_MALFORMED, f"no valid {EVENT_SCHEDULED_TIME!r} in the event")
        logger.error("bandit decision", extra={"outcome": outcome.as_dict(), "event": event})
    else:
        logger.append_keys(scheduled_time=tick.isoformat(), execution_id=event.get(EVENT_EXECUTION_ID))
        outcome = run_tick(settings, tick)
        logger.info("bandit decision", extra={"outcome": outcome.as_dict()})
    publish(settings, outcome)
    return outcome.as_dict()
