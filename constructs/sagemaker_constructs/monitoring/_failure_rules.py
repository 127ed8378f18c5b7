"""One EventBridge rule per stack and notification topic for the failed executions of every monitor that notifies
that topic, instead of one rule per monitor.

A rule's pattern is the union of its monitors' ``execution_failed_event_pattern()``: they differ only in
``MonitoringScheduleArn``, so the merged pattern (CDK's ``Rule.add_event_pattern`` joins the value lists) matches
exactly the events that one of them matches. EventBridge limits an event pattern to 2,048 characters by default
(quota "Event pattern size", adjustable to 4,096): a rule takes monitors until the next one could exceed that,
then the next rule of the topic starts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import jsii
from aws_cdk import Names, Stack, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces import aws_events as events_interfaces
from constructs import Construct

FAILURE_RULES_ID = "ModelMonitorFailureRules"
"""The per-stack construct that holds the shared failure rules, one (or more) per notification topic."""
MAX_EVENT_PATTERN_CHARS = 2048
"""EventBridge quota "Event pattern size" (default; adjustable to 4,096, the API's maximum)."""
_WORST_CASE = {"partition": len("aws-iso-f"), "region": 20, "account": 12}
_ARN_FIXED = len("arn::sagemaker:::monitoring-schedule/")


OPEN_RULE_SUFFIX = "Open"
"""Construct-ID suffix of the rules of open-backend monitors: their events have another source and detail, so a
rule merged with Model Monitor's patterns would require both detail shapes at once and match nothing."""


def base_pattern_chars(*, open_backend: bool = False) -> int:
    """Characters of a failure pattern without schedule ARNs (names, on the open backend), as ``json.dumps``
    spaces it (more than compact)."""
    if open_backend:
        return len(
            json.dumps(
                {
                    "source": ["sagemaker-constructs.monitoring"],
                    "detail-type": ["Monitoring Execution Status Change"],
                    "detail": {"monitoringExecutionStatus": ["Failed"], "monitoringScheduleName": []},
                }
            )
        )
    return len(
        json.dumps(
            {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Processing Job State Change"],
                "detail": {"ProcessingJobStatus": ["Failed"], "MonitoringScheduleArn": []},
            }
        )
    )


def schedule_arn_chars(stack: Stack, schedule_name: str) -> int:
    """Characters one schedule ARN adds to a pattern (quoted, with its separator): the stack's partition, region
    and account when they are known at synth, their longest values when they are not."""
    parts = {"partition": stack.partition, "region": stack.region, "account": stack.account}
    known = sum(
        len(value) if not Token.is_unresolved(value) else _WORST_CASE[name] for name, value in parts.items()
    )
    return _ARN_FIXED + known + len(schedule_name) + len('"", ')


@dataclass
class _Slot:
    rule: events.Rule
    chars: int
    """The pattern's characters so far (an upper bound)."""


class _FailureRules(Construct):
    """The failure rules of one stack: per topic address, each rule with the pattern characters it holds."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.rules: dict[str, list[_Slot]] = {}


def failure_rule(
    monitor: Construct,
    schedule_name: str,
    pattern: events.EventPattern,
    topic: sns.ITopic,
    *,
    open_backend: bool = False,
) -> events.Rule:
    """The rule of ``monitor``'s stack that publishes the failed executions of the monitors that notify ``topic``,
    with ``pattern`` (the failed executions of the schedule ``schedule_name``) added to it (a new rule when the
    last one is full). Open-backend monitors (``open_backend``) share rules of their own."""
    stack = Stack.of(monitor)
    holder = stack.node.try_find_child(FAILURE_RULES_ID)
    if not isinstance(holder, _FailureRules):
        holder = _FailureRules(stack, FAILURE_RULES_ID)
    size = len(schedule_name) + len('"", ') if open_backend else schedule_arn_chars(stack, schedule_name)
    suffix = OPEN_RULE_SUFFIX if open_backend else ""
    entries = holder.rules.setdefault(topic.node.addr + suffix, [])
    for slot in entries:
        if slot.chars + size <= MAX_EVENT_PATTERN_CHARS:
            slot.rule.add_event_pattern(
                source=pattern.source, detail_type=pattern.detail_type, detail=pattern.detail
            )
            slot.chars += size
            return slot.rule
    base = Names.unique_id(topic) + suffix
    rule = events.Rule(
        holder,
        base if not entries else f"{base}{len(entries) + 1}",
        description=(
            "Failed executions of the open-backend monitoring schedules that notify one topic (sagemaker-constructs)"
            if open_backend
            else "Failed executions of the Model Monitor schedules that notify one topic (sagemaker-constructs)"
        ),
        event_pattern=pattern,
    )
    entries.append(_Slot(rule, base_pattern_chars(open_backend=open_backend) + size))
    # The topic may live in another stack: a source-account condition, not the rule's ARN, which would make the
    # topic's stack depend on this one (and events_targets.SnsTopic grants events.amazonaws.com with no condition
    # at all).
    rule.add_target(_PublishToTopic(topic))
    account = {"StringEquals": {"aws:SourceAccount": Stack.of(topic).account}}
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["sns:Publish"],
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            resources=[topic.topic_arn],
            conditions=account,
        )
    )
    if topic.master_key is not None:
        topic.master_key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                resources=["*"],
                conditions=account,
            )
        )
    return rule


@jsii.implements(events.IRuleTarget)
class _PublishToTopic:
    """An EventBridge target that publishes to an SNS topic and grants nothing (the caller does)."""

    def __init__(self, topic: sns.ITopic) -> None:
        self._topic = topic

    def bind(self, rule: events_interfaces.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn, target_resource=self._topic)
