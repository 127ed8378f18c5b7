"""The Lambda function of a ``RetrainingTrigger``: the Powertools handler in ``sagemaker_constructs._handlers``,
its environment (the handler's contract) and its permissions."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping

import jsii
from aws_cdk import Duration, IStableStringProducer, Lazy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_constructs._internal.handlers import handler_root
from sagemaker_constructs._internal.handlers import retraining_trigger_contract as contract
from sagemaker_constructs._internal.powertools_function import powertools_function
from sagemaker_constructs.common.notification_topic import NotificationTopic

from .sagemaker_pipeline import IPipeline

HANDLER_ROOT = handler_root()
"""The Lambda asset root: the folder of ``sagemaker_constructs._handlers`` (``lambdas/`` in the repository)."""


def trigger_function(
    scope: Construct,
    *,
    pipeline: IPipeline,
    table: dynamodb.Table,
    table_key: kms.Key,
    topic: sns.ITopic,
    notifications: NotificationTopic | None,
    dead_letter_queue: sqs.IQueue,
    static: Mapping[str, str],
    dynamic: Mapping[str, enum.Enum],
    cooldown: Duration,
    idempotency_ttl: Duration,
    max_trigger_age: Duration,
    max_event_age: Duration,
    schedule_names: list[str],
    violation_lookback: Duration,
    service_name: str,
    metrics_namespace: str,
    log_retention: logs.RetentionDays,
    powertools_version: str,
) -> lambda_.Function:
    """The trigger's Powertools function, with its role, log group and permissions on the pipeline, the state
    table and the topic (``schedule_names`` is read at synth, so schedules wired later are in it)."""
    built = powertools_function(
        scope,
        handler="retraining_trigger.handler.lambda_handler",
        description=f"Starts SageMaker pipeline {pipeline.pipeline_name} once per incident",
        role_description="Retraining trigger function (sagemaker-constructs)",
        timeout=Duration.minutes(1),
        memory_size=256,
        log_retention=log_retention,
        powertools_version=powertools_version,
        star_resource_reason="X-Ray tracing (PutTraceSegments) and sagemaker:ListMonitoringExecutions have no "
        "resource-level permissions.",
        environment={
            contract.ENV_PIPELINE_NAME: pipeline.pipeline_name,
            contract.ENV_TABLE_NAME: table.table_name,
            contract.ENV_TOPIC_ARN: topic.topic_arn,
            contract.ENV_COOLDOWN_SECONDS: str(int(cooldown.to_seconds())),
            contract.ENV_IDEMPOTENCY_TTL_SECONDS: str(int(idempotency_ttl.to_seconds())),
            contract.ENV_MAX_TRIGGER_AGE_SECONDS: str(int(max_trigger_age.to_seconds())),
            contract.ENV_STATIC_PARAMETERS: Stack.of(scope).to_json_string(dict(static)),
            contract.ENV_EVENT_PARAMETERS: json.dumps(
                {k: v.value for k, v in dynamic.items()}, sort_keys=True
            ),
            contract.ENV_MONITORING_SCHEDULES: Lazy.string(_SchedulesProducer(schedule_names)),
            contract.ENV_VIOLATION_LOOKBACK_SECONDS: str(int(violation_lookback.to_seconds())),
            contract.POWERTOOLS_SERVICE_NAME: service_name,
            contract.POWERTOOLS_METRICS_NAMESPACE: metrics_namespace,
        },
        # Async invocations (EventBridge) that still fail after Lambda's retries go to the dead-letter queue.
        on_failure=destinations.SqsDestination(dead_letter_queue),
        retry_attempts=2,
        max_event_age=max_event_age,
    )
    function, role = built.function, built.role
    pipeline.grant_start_execution(role)
    # The running check lists executions; nothing else about them is read.
    iam.Grant.add_to_principal(
        grantee=role,
        actions=["sagemaker:ListPipelineExecutions"],
        resource_arns=[pipeline.pipeline_arn],
    )
    iam.Grant.add_to_principal(
        grantee=role,
        actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        resource_arns=[table.table_arn],
    )
    table_key.grant(role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
    if notifications is not None:
        notifications.grant_publish(role)
    else:
        topic.grant_publish(role)
    return function


@jsii.implements(IStableStringProducer)
class _SchedulesProducer:
    """Renders the wired schedules' names (added after the function) as the function's JSON list."""

    def __init__(self, names: list[str]) -> None:
        self._names = names

    def produce(self) -> str:
        return json.dumps(self._names, separators=(",", ":"))


@jsii.implements(IStableStringProducer)
class OpenMonitorsProducer:
    """Renders the wired open-backend monitors (added after the function) as the function's JSON list; their
    bucket names may be tokens, which the stack's JSON rendering resolves."""

    def __init__(self, scope: Construct, entries: list[dict[str, str]]) -> None:
        self._stack = Stack.of(scope)
        self._entries = entries

    def produce(self) -> str:
        return self._stack.to_json_string(self._entries)
