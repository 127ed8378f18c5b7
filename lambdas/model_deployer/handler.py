"""Serve the newest Approved model package of a group through the serving stack's own template.

SQS delivers the deployer queue's messages (EventBridge events, delayed by the queue's settle time) in batches
(at most two at a time). Concurrent decisions are safe: CloudFormation runs one operation per stack and refuses an
UpdateStack while one is in progress (the decision is then deferred), and two decisions for the same version send
the same ClientRequestToken. The handler only routes: ``messages.py`` parses a body, ``reconcile.py`` decides and starts the stack update.

- A model package event (Approved or Rejected) or the reconcile event: reconcile once per batch. A busy stack or
  endpoint fails the message (a partial batch response) so SQS delivers it again after the visibility timeout,
  until the queue's receive limit moves it to the dead-letter queue. A Rejected event also notifies, with the
  package's ``ApprovalDescription``.
- A stack status event: notify (a failure or rollback with the first failed resource's reason; a completed
  update with the version in service).
- A malformed message: logged, counted (``MalformedMessages``) and dropped; it is never retried.

Configuration comes from the environment (names in ``contract.py``), read per invocation.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from .contract import (
    DECISION_DEPLOY,
    DECISION_HELD,
    DECISION_NO_APPROVED,
    ENV_CLOUDFORMATION_ROLE_ARN,
    ENV_ENDPOINT_NAME,
    ENV_MODEL_PACKAGE_GROUP,
    ENV_PARAMETER_NAME,
    ENV_STACK_NAME,
    ENV_TOPIC_ARN,
    INITIAL_VALUE,
    METRIC_DECISION,
    METRIC_FAILED,
    METRIC_MALFORMED,
    METRIC_MESSAGES,
    METRIC_REJECTED,
    METRIC_SUCCEEDED,
    REJECTED,
    STACK_FAILURE_STATUSES,
    STACK_SUCCESS_STATUS,
)
from .messages import MalformedMessageError, PackageChange, StackChange, parse
from .reconcile import Outcome, Settings, describe_stack, first_failure, parameter_value, reconcile

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# A batch whose every message is busy is a normal outcome, not an error: report the failures, do not raise.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
sagemaker = boto3.client("sagemaker")
cloudformation = boto3.client("cloudformation")
sns = boto3.client("sns")

_COUNTED_FAILURES = ("UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "UPDATE_FAILED")
_batch: dict[str, Outcome] = {}
"""The reconciliation of the batch being processed: one per invocation, whatever the number of messages."""


class RetryLaterError(RuntimeError):
    """The stack or the endpoint is busy: the message fails and SQS delivers it again."""


def settings() -> Settings:
    """The deployer's configuration from the environment."""
    return Settings(
        stack_name=os.environ[ENV_STACK_NAME],
        parameter=os.environ[ENV_PARAMETER_NAME],
        group=os.environ[ENV_MODEL_PACKAGE_GROUP],
        endpoint=os.environ[ENV_ENDPOINT_NAME],
        role_arn=os.environ[ENV_CLOUDFORMATION_ROLE_ARN],
    )


def notify(subject: str, message: str) -> None:
    """Publish to the notification topic, if the construct set one."""
    topic = os.environ.get(ENV_TOPIC_ARN, "")
    if topic:
        sns.publish(TopicArn=topic, Subject=subject[:100], Message=message)


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def reconcile_once(config: Settings, *, from_package_event: bool) -> Outcome:
    """The batch's reconciliation, computed by its first message and reused by the others.

    A started deployment always notifies. "No approved version" and "held after a rollback" notify only for a
    model package event (once per batch): the hourly reconcile would otherwise repeat them every hour.
    """
    if "outcome" not in _batch:
        outcome = reconcile(config, sagemaker, cloudformation)
        _batch["outcome"] = outcome
        count(METRIC_DECISION[outcome.decision])
        logger.info(
            "reconciled",
            extra={
                "decision": outcome.decision,
                "desired": outcome.desired,
                "current": outcome.current,
                "reason": outcome.reason,
                "client_request_token": outcome.token,
            },
        )
        if outcome.decision == DECISION_DEPLOY:
            notify(
                f"Deploying model package to {config.stack_name}",
                f"Stack {config.stack_name} is updating to serve {outcome.desired} (was "
                f"{outcome.current or 'the initial model'}) through the endpoint {config.endpoint}'s deployment "
                "guardrails.",
            )
    outcome = _batch["outcome"]
    if from_package_event and "explained" not in _batch:
        if outcome.decision == DECISION_NO_APPROVED:
            _batch["explained"] = outcome
            notify(
                f"No approved model package for {config.stack_name}",
                f"Model package group {config.group} has no Approved version; {config.stack_name} keeps serving "
                f"{outcome.current or 'its initial model'}.",
            )
        elif outcome.decision == DECISION_HELD:
            _batch["explained"] = outcome
            notify(f"Model package held on {config.stack_name}", f"{outcome.desired}: {outcome.reason}.")
    return outcome


def handle_package(config: Settings, change: PackageChange) -> None:
    if change.group != config.group:
        logger.warning("ignored: another group", extra={"group": change.group, "arn": change.arn})
        return
    if change.approval_status == REJECTED:
        count(METRIC_REJECTED)
        described = sagemaker.describe_model_package(ModelPackageName=change.arn)
        notify(
            f"Model package rejected ({config.group})",
            f"{change.arn} was rejected: {described.get('ApprovalDescription') or 'no description given'}.",
        )
    outcome = reconcile_once(config, from_package_event=True)
    if outcome.retry:
        raise RetryLaterError(outcome.reason)


def handle_stack(config: Settings, change: StackChange) -> None:
    if change.status == STACK_SUCCESS_STATUS:
        count(METRIC_SUCCEEDED)
        served = parameter_value(describe_stack(cloudformation, change.stack_id), config.parameter)
        served = "" if served == INITIAL_VALUE else served
        notify(
            f"{config.stack_name} updated",
            f"Stack {config.stack_name} completed an update; it serves {served or 'its initial model'}.",
        )
        return
    if change.status not in STACK_FAILURE_STATUSES:
        logger.info("ignored stack status", extra={"status": change.status})
        return
    if change.status in _COUNTED_FAILURES:
        count(METRIC_FAILED)
    events = cloudformation.describe_stack_events(StackName=change.stack_id).get("StackEvents", [])
    failure = first_failure(events, change.client_request_token)
    notify(
        f"{config.stack_name}: {change.status}",
        f"Stack {config.stack_name} is {change.status}: {failure or change.reason or 'no reason given'}"
        f" (operation {change.client_request_token or 'unknown'}).",
    )


def record_handler(record: SQSRecord) -> None:
    count(METRIC_MESSAGES)
    try:
        message = parse(record.body)
    except MalformedMessageError as error:
        # Dropped with a record: no retry can make the body readable, and a poison message must not block.
        count(METRIC_MALFORMED)
        logger.error(
            "malformed message dropped", extra={"reason": str(error), "message_id": record.message_id}
        )
        return
    config = settings()
    logger.info("message", extra={"kind": type(message).__name__, "event_id": message.event_id})
    if isinstance(message, PackageChange):
        handle_package(config, message)
    elif isinstance(message, StackChange):
        handle_stack(config, message)
    else:
        outcome = reconcile_once(config, from_package_event=False)
        if outcome.retry:
            raise RetryLaterError(outcome.reason)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Process an SQS batch; failed messages are reported back (partial batch response)."""
    _batch.clear()
    try:
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(response)
    finally:
        _batch.clear()
