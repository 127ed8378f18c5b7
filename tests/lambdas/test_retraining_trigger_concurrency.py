"""The proof of issue 11: many events at once, duplicates, kills at random points, against moto.

60 deliveries of 12 incidents (each delivered 2 to 8 times) run on threads, round after round as Lambda would
retry them: an invocation killed (at the lease, before the start or after it) or deferred is invoked again in the
next round, under its request id, one lease later; after Lambda's 2 retries an event is parked in the dead-letter
queue. DynamoDB evaluates a condition and applies its write atomically; moto does not across threads, so its
item writes are serialised here. The numbers are printed (run with ``-s``) and recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import copy
import json
import random
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto.dynamodb.models import DynamoDBBackend

from lambdas.retraining_trigger.contract import (
    DECISION_STARTED,
    ENV_COOLDOWN_SECONDS,
    LOCK_ID_PREFIX,
    SKIP_REASONS,
    TABLE_PARTITION_KEY,
)

ALARM = "cloudwatch_alarm_state_change_alarm"
INCIDENTS = 12
DELIVERIES = 60
LAMBDA_ATTEMPTS = 3
"""An asynchronous invocation is tried once and retried twice (the construct's retry_attempts=2)."""
KILL_POINTS = (None, None, None, "at-lease", "before-start", "after-start")


class Killed(BaseException):
    """Lambda ending the invocation: no ``except Exception`` runs."""


@dataclass
class Delivery:
    incident: str
    event: dict[str, Any]
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempts: int = 0
    outcome: str | None = None
    reason: str = ""
    history: list[str] = field(default_factory=list)


def atomic_item_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serialise moto's item operations, as DynamoDB makes each conditional write atomic."""
    lock = threading.RLock()
    for name in ("put_item", "get_item", "update_item", "delete_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def kill_points(trigger: Any, plan: threading.local) -> None:
    """Kill the invocation running on a thread at the point ``plan.kill_at`` names."""

    def at_lease(params: dict[str, Any], **kwargs: Any) -> None:
        body = json.loads(params["body"])
        if getattr(plan, "kill_at", None) == "at-lease" and body.get("UpdateExpression", "").startswith(
            "SET lease_holder"
        ):
            raise Killed()

    def before_start(**kwargs: Any) -> None:
        if getattr(plan, "kill_at", None) == "before-start":
            raise Killed()

    def after_start(**kwargs: Any) -> None:
        if getattr(plan, "kill_at", None) == "after-start":
            raise Killed()

    trigger.module.dynamodb.meta.events.register_first("before-call.dynamodb.UpdateItem", at_lease)
    trigger.module.sagemaker.meta.events.register_first(
        "before-call.sagemaker.StartPipelineExecution", before_start
    )
    trigger.module.sagemaker.meta.events.register("after-call.sagemaker.StartPipelineExecution", after_start)


def forget_in_progress(trigger: Any) -> None:
    """Powertools lets an in-progress idempotency record lapse when its invocation's time is up (by the real
    clock); the rounds move only the handler's clock, so the lapsed records of killed invocations are removed."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    for item in dynamodb.scan(TableName="retraining-trigger-state")["Items"]:
        if item.get("status", {}).get("S") == "INPROGRESS":
            dynamodb.delete_item(TableName="retraining-trigger-state", Key={TABLE_PARTITION_KEY: item["id"]})


def deliveries(sample_event: Any, rng: random.Random) -> list[Delivery]:
    base = sample_event(ALARM)
    incidents = []
    for number in range(INCIDENTS):
        event = copy.deepcopy(base)
        event["detail"]["alarmName"] = f"alarm-{number:02d}"
        incidents.append(event)
    counts = [2] * INCIDENTS
    for _ in range(DELIVERIES - sum(counts)):
        counts[rng.randrange(INCIDENTS)] += 1
    found = []
    for event, count in zip(incidents, counts, strict=True):
        incident = f"alarm#{event['detail']['alarmName']}#{event['detail']['state']['timestamp']}"
        for _ in range(count):
            delivered = copy.deepcopy(event)
            delivered["id"] = str(uuid.uuid4())
            found.append(Delivery(incident=incident, event=delivered))
    rng.shuffle(found)
    return found


@pytest.mark.parametrize("cooldown", [0, 3600])
def test_mixed_concurrent_deliveries_start_each_decided_incident_exactly_once(
    trigger, sample_event, monkeypatch, cooldown
):
    monkeypatch.setenv(ENV_COOLDOWN_SECONDS, str(cooldown))
    atomic_item_writes(monkeypatch)
    plan = threading.local()
    kill_points(trigger, plan)
    rng = random.Random(11 + cooldown)
    pending = deliveries(sample_event, rng)
    everything = list(pending)
    kills: Counter[str] = Counter()
    rounds = 0

    def attempt(delivery: Delivery, kill_at: str | None) -> None:
        plan.kill_at = kill_at
        delivery.attempts += 1
        try:
            result = trigger.invoke(delivery.event, request_id=delivery.request_id)
        except Killed:
            delivery.history.append(f"killed {kill_at}")
        except getattr(trigger.module, "Deferred", Killed) as deferred:
            delivery.history.append(f"deferred: {deferred}")
        except Exception as error:  # a failure Lambda retries (the handler published and counted it)
            delivery.history.append(f"failed: {type(error).__name__}: {error}")
        else:
            delivery.outcome, delivery.reason = result["decision"], result.get("reason", "")
        finally:
            plan.kill_at = None

    while pending:
        rounds += 1
        plans = [rng.choice(KILL_POINTS) for _ in pending]
        kills.update(point for point in plans if point)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(attempt, pending, plans))
        # Lambda retries a failed asynchronous invocation a minute or more later: past every lease.
        trigger.advance(61)
        forget_in_progress(trigger)
        for delivery in pending:
            if delivery.outcome is None and delivery.attempts >= LAMBDA_ATTEMPTS:
                delivery.outcome = "parked"
        pending = [delivery for delivery in pending if delivery.outcome is None]

    executions = trigger.executions()
    by_incident = Counter(execution["parameters"]["IncidentId"] for execution in executions)
    outcomes = Counter(delivery.outcome for delivery in everything)
    decided = {d.incident for d in everything if d.outcome == DECISION_STARTED}
    attempted_starts = trigger.requests("StartPipelineExecution")
    print(
        f"\ncooldown {cooldown} s: {len(everything)} deliveries of {INCIDENTS} incidents, {rounds} rounds, "
        f"{sum(d.attempts for d in everything)} invocations, kills {dict(kills)}, "
        f"deferred {sum(h.startswith('deferred') for d in everything for h in d.history)}, "
        f"failed {sum(h.startswith('failed') for d in everything for h in d.history)}, outcomes {dict(outcomes)}, "
        f"{len(attempted_starts)} StartPipelineExecution calls, {len(executions)} executions, "
        f"{len(set(by_incident) - decided)} of them for parked incidents"
    )

    # At most one execution per incident; exactly one per incident decided started. An incident without a
    # "started" decision has a run only if it was parked (killed after its start, then out of retries): the
    # dead-letter queue holds its event and its run is in the pipeline's executions.
    parked = {d.incident for d in everything if d.outcome == "parked"}
    assert all(count == 1 for count in by_incident.values()), by_incident
    assert decided <= set(by_incident)
    assert set(by_incident) - decided <= parked
    # Every delivery is accounted for: started, skipped for a reason the decisions name, or parked.
    allowed = {DECISION_STARTED, "parked", *SKIP_REASONS}
    assert set(outcomes) <= allowed, outcomes
    assert sum(outcomes.values()) == DELIVERIES
    # A skip for the cooldown names an execution that exists.
    arns = {execution["arn"] for execution in executions}
    for delivery in everything:
        if delivery.outcome == "skipped-cooldown":
            assert any(arn in delivery.reason for arn in arns), delivery.reason
    # No lease outlives its end.
    lock = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName="retraining-trigger-state",
        Key={TABLE_PARTITION_KEY: {"S": LOCK_ID_PREFIX + "churn-retraining"}},
        ConsistentRead=True,
    )["Item"]
    assert "lease_until" not in lock or int(lock["lease_until"]["N"]) <= trigger.now
    if cooldown == 0:
        assert len(executions) >= 1
    else:
        assert len(executions) == 1  # one start, then the cooldown for everybody else
