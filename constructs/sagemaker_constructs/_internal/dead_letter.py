"""Dead-letter queues and their alarms, shared by the constructs whose triggers must lose no event."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from . import nag as _nag

QUEUE_ID = "DeadLetterQueue"
ALARM_ID = "DeadLetterAlarm"


def dead_letter_queue(
    scope: Construct, *, nag_reason: str, removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
) -> sqs.Queue:
    """``scope``'s dead-letter queue (construct ID ``DeadLetterQueue``), created on first use.

    Encrypted (SQS-managed keys: EventBridge and Lambda can deliver to it without a key policy), TLS-only, and
    keeping messages 14 days, the SQS maximum. ``nag_reason`` acknowledges cdk-nag's SQS3 (no dead-letter queue
    of its own). Retained by default: the events parked in it are the only record of the runs that were never
    started, and ``cdk destroy`` or a renamed construct ID would delete them with the queue.
    """
    existing = scope.node.try_find_child(QUEUE_ID)
    if isinstance(existing, sqs.Queue):
        return existing
    queue = sqs.Queue(
        scope,
        QUEUE_ID,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
        removal_policy=removal_policy,
    )
    _nag.acknowledge(queue, "SQS3", nag_reason)
    return queue


def dead_letter_alarm(
    scope: Construct, queue: sqs.IQueue, *, description: str, topic: sns.ITopic
) -> cloudwatch.Alarm:
    """An alarm (construct ID ``DeadLetterAlarm``) as soon as one message waits in ``queue``, sent to ``topic``.

    Maximum over 5 minutes, one period: a parked event is an incident by itself; no data is not breaching.
    """
    existing = scope.node.try_find_child(ALARM_ID)
    if isinstance(existing, cloudwatch.Alarm):
        return existing
    alarm = queue.metric_approximate_number_of_messages_visible(
        period=Duration.minutes(5), statistic="Maximum"
    ).create_alarm(
        scope,
        ALARM_ID,
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    return alarm
