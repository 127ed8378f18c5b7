"""Fixtures for the Lambda handlers: a fake LambdaContext, the function's environment, and moto resources.

The retraining trigger's handler builds its boto3 clients and idempotency persistence layer at import, from the
environment, as Lambda does once per container. The ``trigger`` fixture therefore sets the environment, starts
moto, creates the table, topic and pipeline, and only then imports (or reloads) the handler module.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.metrics.provider import cold_start
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker import models as moto_sagemaker_models
from support.lambda_context import FakeLambdaContext
from support.sns_queue import drain_sns_envelopes
from trigger_support import MONITORING_SCHEDULE, OTHER_SCHEDULE

from lambdas.retraining_trigger.contract import (
    ENV_COOLDOWN_SECONDS,
    ENV_EVENT_PARAMETERS,
    ENV_IDEMPOTENCY_TTL_SECONDS,
    ENV_MONITORING_SCHEDULES,
    ENV_PIPELINE_NAME,
    ENV_STATIC_PARAMETERS,
    ENV_TABLE_NAME,
    ENV_TOPIC_ARN,
    ENV_VIOLATION_LOOKBACK_SECONDS,
    LOCK_ID_PREFIX,
    POWERTOOLS_METRICS_NAMESPACE,
    POWERTOOLS_SERVICE_NAME,
    TABLE_PARTITION_KEY,
)

HANDLER_MODULE = "lambdas.retraining_trigger.handler"
REGION = "us-east-1"
PIPELINE_NAME = "churn-retraining"
TABLE_NAME = "retraining-trigger-state"
TOPIC_NAME = "retraining-decisions"
ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/churn-retraining-pipeline"
SERVICE_NAME = "retraining-trigger"
METRICS_NAMESPACE = "SageMakerConstructs/RetrainingTest"
COOLDOWN_SECONDS = 3600
VIOLATION_LOOKBACK_SECONDS = 86400
START_TIME = 1_795_317_700  # 2026-11-22T03:21:40Z, the handler's clock at the start of every test
STATIC_PARAMETERS = {"TrainingInstanceType": "ml.m5.xlarge", "MaxRuntimeSeconds": 3600}
EVENT_PARAMETERS = {
    "TriggerType": "trigger_type",
    "AlarmName": "alarm_name",
    "EndpointName": "endpoint_name",
    "MonitoringSchedule": "monitoring_schedule",
    "TriggerReason": "reason",
    "IncidentTime": "incident_time",
    "IncidentId": "incident_id",
}
# A pipeline whose parameters are the ones the trigger passes; its one step only stands in for training.
PIPELINE_DEFINITION = {
    "Version": "2020-12-01",
    "Metadata": {},
    "Parameters": [
        {"Name": "TrainingInstanceType", "Type": "String", "DefaultValue": "ml.m5.large"},
        {"Name": "MaxRuntimeSeconds", "Type": "Integer", "DefaultValue": 1800},
        *({"Name": name, "Type": "String", "DefaultValue": ""} for name in EVENT_PARAMETERS),
    ],
    "Steps": [{"Name": "Train", "Type": "Fail", "Arguments": {"ErrorMessage": "placeholder for training"}}],
}


def _stub_xray_sdk() -> None:
    """Tracer imports the X-Ray SDK even when tracing is disabled. The Powertools Lambda layer ships the SDK but
    the dev requirements do not: stand in with the few names a disabled Tracer touches."""
    if importlib.util.find_spec("aws_xray_sdk") is not None:
        return

    class _Subsegment:
        def put_annotation(self, key: str, value: Any) -> None: ...

        def put_metadata(self, key: str, value: Any, namespace: str = "") -> None: ...

    class _Recorder:
        @contextlib.contextmanager
        def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[_Subsegment]:
            yield _Subsegment()

        def configure(self, **kwargs: Any) -> None: ...

    sdk = types.ModuleType("aws_xray_sdk")
    core = types.ModuleType("aws_xray_sdk.core")
    recorder = _Recorder()
    core.xray_recorder = recorder  # type: ignore[attr-defined]
    core.patch = core.patch_all = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    sdk.core = core  # type: ignore[attr-defined]
    sdk.global_sdk_config = types.SimpleNamespace(set_sdk_enabled=lambda enabled: None)  # type: ignore[attr-defined]
    sys.modules["aws_xray_sdk"] = sdk
    sys.modules["aws_xray_sdk.core"] = core


_stub_xray_sdk()


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    """A fresh fake LambdaContext (new request id)."""
    return FakeLambdaContext()


@pytest.fixture
def trigger_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the RetrainingTrigger construct gives the function."""
    env = {
        ENV_PIPELINE_NAME: PIPELINE_NAME,
        ENV_TABLE_NAME: TABLE_NAME,
        ENV_TOPIC_ARN: f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:{TOPIC_NAME}",
        ENV_COOLDOWN_SECONDS: str(COOLDOWN_SECONDS),
        ENV_STATIC_PARAMETERS: json.dumps(STATIC_PARAMETERS),
        ENV_EVENT_PARAMETERS: json.dumps(EVENT_PARAMETERS),
        ENV_IDEMPOTENCY_TTL_SECONDS: "86400",
        ENV_MONITORING_SCHEDULES: json.dumps([MONITORING_SCHEDULE, OTHER_SCHEDULE]),
        ENV_VIOLATION_LOOKBACK_SECONDS: str(VIOLATION_LOOKBACK_SECONDS),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": REGION,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@dataclass
class Notification:
    """One SNS message as the SQS subscriber received it."""

    subject: str
    message: dict[str, Any]
    attributes: dict[str, str]


@dataclass
class Trigger:
    """The handler module inside moto, with ways to drive it and to read back what it did."""

    module: types.ModuleType
    monitoring: Stubber
    """botocore's Stubber on the handler's Model Monitor client (moto has no monitoring schedules): queue
    ListMonitoringExecutions answers with ``add_response``; each request is checked against botocore's model."""
    queue_url: str
    log_stream: io.StringIO
    read_stdout: Callable[[], str]
    now: int = START_TIME
    captured: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    emf: list[dict[str, Any]] = field(default_factory=list)

    # --- driving ---------------------------------------------------------------------------------------
    def invoke(
        self,
        event: dict[str, Any],
        *,
        request_id: str | None = None,
        context: FakeLambdaContext | None = None,
    ) -> dict[str, Any]:
        """Call the handler as Lambda would, each call a new invocation unless ``request_id`` repeats one (as
        Lambda's own retry of a failed asynchronous invocation does)."""
        if context is None:
            context = FakeLambdaContext(aws_request_id=request_id) if request_id else FakeLambdaContext()
        return self.module.lambda_handler(event, context)

    def advance(self, seconds: int) -> None:
        """Move the handler's clock."""
        self.now += seconds

    # --- reading back ------------------------------------------------------------------------------------
    def requests(self, operation: str) -> list[dict[str, Any]]:
        """The bodies of the SageMaker requests the handler sent for ``operation``, as sent."""
        return [body for name, body in self.captured if name == operation]

    def notifications(self) -> list[Notification]:
        """SNS messages received since the last call (the queue is drained)."""
        return [
            Notification(
                subject=envelope.get("Subject", ""),
                message=json.loads(envelope["Message"]),
                attributes={
                    name: value["Value"] for name, value in envelope.get("MessageAttributes", {}).items()
                },
            )
            for envelope in drain_sns_envelopes(self.queue_url, REGION)
        ]

    def executions(self) -> list[dict[str, Any]]:
        """The pipeline's executions in moto, with their display name, description, status and parameters."""
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        result = []
        for summary in sagemaker.list_pipeline_executions(PipelineName=PIPELINE_NAME)[
            "PipelineExecutionSummaries"
        ]:
            arn = summary["PipelineExecutionArn"]
            parameters = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
            result.append(
                {
                    "arn": arn,
                    "status": summary["PipelineExecutionStatus"],
                    "display_name": summary.get("PipelineExecutionDisplayName"),
                    "description": summary.get("PipelineExecutionDescription"),
                    "parameters": {p["Name"]: p["Value"] for p in parameters["PipelineParameters"]},
                }
            )
        return result

    def set_execution_status(self, execution_arn: str, status: str) -> None:
        """moto ends every execution as Succeeded at once: put one back into ``status``."""
        from moto.sagemaker.models import sagemaker_backends

        pipeline = sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].pipelines[PIPELINE_NAME]
        pipeline.pipeline_executions[execution_arn].pipeline_execution_status = status

    def lock(self) -> dict[str, Any] | None:
        """The pipeline's start lock item, attribute values unwrapped, or None."""
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        key = {TABLE_PARTITION_KEY: {"S": LOCK_ID_PREFIX + PIPELINE_NAME}}
        item = dynamodb.get_item(TableName=TABLE_NAME, Key=key, ConsistentRead=True).get("Item")
        if item is None:
            return None
        return {name: next(iter(value.values())) for name, value in item.items()}

    def put_lock(self, **attributes: str | int) -> None:
        """Write the start lock item as another invocation would have left it."""
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        item = {TABLE_PARTITION_KEY: {"S": LOCK_ID_PREFIX + PIPELINE_NAME}}
        for name, value in attributes.items():
            item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
        dynamodb.put_item(TableName=TABLE_NAME, Item=item)

    def forget_idempotency_records(self) -> None:
        """Delete the idempotency records, as if the invocations that wrote them had died before completing."""
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for item in dynamodb.scan(TableName=TABLE_NAME)["Items"]:
            key = item[TABLE_PARTITION_KEY]["S"]
            if not key.startswith(LOCK_ID_PREFIX):
                dynamodb.delete_item(TableName=TABLE_NAME, Key={TABLE_PARTITION_KEY: {"S": key}})

    def logs(self) -> list[dict[str, Any]]:
        """The structured log lines the handler wrote so far."""
        return [json.loads(line) for line in self.log_stream.getvalue().splitlines() if line.strip()]

    def metrics(self) -> list[dict[str, Any]]:
        """The CloudWatch EMF documents the handler printed so far."""
        for line in self.read_stdout().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                document = json.loads(line)
                if isinstance(document, dict) and "_aws" in document:
                    self.emf.append(document)
        return self.emf

    def metric_total(self, name: str, **dimensions: str) -> float:
        """Sum of metric ``name`` over the EMF documents whose dimensions include ``dimensions``."""
        total = 0.0
        for document in self.metrics():
            declared = {m["Name"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
            if name in declared and all(document.get(k) == v for k, v in dimensions.items()):
                values = document[name]
                total += sum(values) if isinstance(values, list) else values
        return total

    def dimension_sets(self, name: str) -> list[list[str]]:
        """The dimension sets metric ``name`` was emitted with, each sorted."""
        found = []
        for document in self.metrics():
            for directive in document["_aws"]["CloudWatchMetrics"]:
                if any(m["Name"] == name for m in directive["Metrics"]):
                    found.extend(sorted(dims) for dims in directive["Dimensions"])
        return found


@pytest.fixture
def trigger(
    trigger_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Trigger]:
    """The retraining trigger's handler, imported inside moto with its table, topic and pipeline created."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE_NAME,
            AttributeDefinitions=[{"AttributeName": TABLE_PARTITION_KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": TABLE_PARTITION_KEY, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        assert topic_arn == trigger_env[ENV_TOPIC_ARN]
        queue_url = sqs.create_queue(QueueName="decisions")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        boto3.client("sagemaker", region_name=REGION).create_pipeline(
            PipelineName=PIPELINE_NAME,
            PipelineDefinition=json.dumps(PIPELINE_DEFINITION),
            RoleArn=ROLE_ARN,
        )

        module = importlib.reload(sys.modules[HANDLER_MODULE]) if HANDLER_MODULE in sys.modules else None
        module = module or importlib.import_module(HANDLER_MODULE)
        log_stream = io.StringIO()
        module.logger.registered_handler.setStream(log_stream)
        # A reload is a new container: its first invocation is a cold start again.
        monkeypatch.setattr(cold_start, "is_cold_start", True)
        capsys.readouterr()  # start the metrics capture empty
        monitoring = Stubber(module.monitoring)
        harness = Trigger(
            module=module,
            monitoring=monitoring,
            queue_url=queue_url,
            log_stream=log_stream,
            read_stdout=lambda: capsys.readouterr().out,
        )
        monkeypatch.setattr(module, "_now", lambda: harness.now)
        # moto stamps executions with the wall clock; the handler compares their StartTime with its own clock.
        monkeypatch.setattr(
            moto_sagemaker_models,
            "utcnow",
            lambda: datetime.fromtimestamp(harness.now, UTC).replace(tzinfo=None),
        )

        def capture(params: dict[str, Any], model: Any, **kwargs: Any) -> None:
            harness.captured.append((model.name, json.loads(params["body"] or b"{}")))

        module.sagemaker.meta.events.register("before-call.sagemaker.*", capture)
        with monitoring:
            yield harness
            monitoring.assert_no_pending_responses()
