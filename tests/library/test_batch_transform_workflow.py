"""BatchTransform's workflow, executed: the synthesized state machine definition runs in a small ASL
interpreter (tests/library/conftest.py) against moto, so S3 listings, CreateTransformJob requests and SNS
notifications are real API calls, checked against botocore's service models."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk.assertions import Template
from moto import mock_aws

from infra.app import cdk_context
from sagemaker_constructs import (
    BatchDataCapture,
    BatchTransform,
    ContainerImage,
    Model,
    ModelData,
    SecureBucket,
    TransformInput,
    TransformSchedule,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
INPUT_BUCKET = "input-bucket"
OUTPUT_BUCKET = "output-bucket"
MODEL_NAME = "churn-model"
OUTPUT_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f3e6a52-7c1d-4b8e-9a61-2d5c8e4f7b90"
TOPIC_NAME = "batch-transform-failures"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC_NAME}"

# A nightly run at 02:00 UTC scores yesterday's folder.
START_TIME = "2026-11-22T02:00:04.512Z"
YESTERDAY_PREFIX = "input/2026-11-21/"

CAPACITY_RETRIES = 2
CAPACITY_RETRY_WAIT_SECONDS = 300
CAPACITY_ERROR = (
    "CapacityError: Unable to provision requested ML compute capacity. "
    "Please retry using a different ML instance type."
)
INTERNAL_ERROR = "InternalServerError: We encountered an internal error. Please try again."
CLIENT_ERROR = "ClientError: See job logs for more information"

TRANSFORM_SYNC = "arn:aws:states:::sagemaker:createTransformJob.sync"
STOP_TRANSFORM = "arn:aws:states:::aws-sdk:sagemaker:stopTransformJob"
SNS_PUBLISH = "arn:aws:states:::sns:publish"


@dataclass(frozen=True)
class Workflow:
    """The synthesized state machine of one BatchTransform, with its tokens replaced by fake values."""

    definition: dict[str, Any]
    job_name_prefix: str
    schedule_input: Any
    timeout_seconds: int


@pytest.fixture(scope="module")
def workflow(lint_template: Callable[[dict[str, Any]], list[str]]) -> Workflow:
    app = App(context=cdk_context())
    stack = Stack(app, "Test")
    model = Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset("model_artifacts/churn/model.tar.gz"),
    )
    input_bucket = SecureBucket(stack, "InputData", description="batch scoring input").bucket
    transform = BatchTransform(
        stack,
        "Scoring",
        model=model,
        input=TransformInput(bucket=input_bucket, prefix="input/"),
        data_capture=BatchDataCapture(),
        schedule=TransformSchedule.daily(hour=2),
        job_timeout=Duration.hours(2),
        capacity_retries=CAPACITY_RETRIES,
        capacity_retry_wait=Duration.minutes(5),
    )
    template = Template.from_stack(stack).to_json()
    assert lint_template(template) == []

    output_key = transform.output_bucket.encryption_key
    assert output_key is not None
    fakes = {
        _token_key(stack.resolve(input_bucket.bucket_name)): INPUT_BUCKET,
        _token_key(stack.resolve(transform.output_bucket.bucket_name)): OUTPUT_BUCKET,
        _token_key(stack.resolve(model.model_name)): MODEL_NAME,
        _token_key(stack.resolve(output_key.key_arn)): OUTPUT_KEY_ARN,
        _token_key(stack.resolve(transform.topic.topic_arn)): TOPIC_ARN,
    }
    [machine] = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    definition = json.loads(_render(machine["Properties"]["DefinitionString"], fakes))
    [schedule] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule"]
    return Workflow(
        definition=definition,
        job_name_prefix=transform.job_name_prefix,
        schedule_input=json.loads(schedule["Properties"]["Target"]["Input"]),
        timeout_seconds=2 * 3600,
    )


def _token_key(resolved: Any) -> str:
    return json.dumps(resolved, sort_keys=True)


def _render(value: Any, fakes: dict[str, str]) -> str:
    """A CloudFormation string (plain or Fn::Join of strings, Ref and Fn::GetAtt) with fake token values."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_render(part, fakes) for part in parts)
    key = _token_key(value)
    if key not in fakes:
        raise AssertionError(f"the definition references {key}, which the test gives no fake value")
    return fakes[key]


@dataclass
class Aws:
    s3: Any
    sagemaker: Any
    sqs: Any
    queue_url: str

    def put_inputs(self, prefix: str, count: int = 2) -> None:
        for i in range(count):
            self.s3.put_object(Bucket=INPUT_BUCKET, Key=f"{prefix}part-{i}.csv", Body=b"1,2,3\n4,5,6\n")

    def jobs(self) -> dict[str, dict[str, Any]]:
        """Every transform job moto knows, described."""
        names = [j["TransformJobName"] for j in self.sagemaker.list_transform_jobs()["TransformJobSummaries"]]
        return {n: self.sagemaker.describe_transform_job(TransformJobName=n) for n in names}

    def notifications(self) -> list[tuple[str, dict[str, Any]]]:
        """(Subject, parsed Message) of every message published to the topic."""
        received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        envelopes = [json.loads(m["Body"]) for m in received.get("Messages", [])]
        return [(e.get("Subject", ""), json.loads(e["Message"])) for e in envelopes]


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
            s3.create_bucket(Bucket=bucket)
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.create_model(
            ModelName=MODEL_NAME,
            ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/ModelRole",
            PrimaryContainer={
                "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5",
                "ModelDataUrl": "s3://assets/model.tar.gz",
            },
        )
        sns = boto3.client("sns", region_name=REGION)
        assert sns.create_topic(Name=TOPIC_NAME)["TopicArn"] == TOPIC_ARN
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=TOPIC_ARN, Protocol="sqs", Endpoint=queue_arn)
        yield Aws(s3=s3, sagemaker=sagemaker, sqs=sqs, queue_url=queue_url)


def _job_name_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(prefix)}-\d{{8}}-\d{{6}}-[0-9a-f]{{8}}$")


# ---------------------------------------------------------------------------------------------- success


def test_scheduled_run_scores_yesterdays_folder(workflow, aws, run_state_machine):
    assert workflow.schedule_input == {}
    aws.put_inputs(YESTERDAY_PREFIX)
    aws.put_inputs("input/2026-11-22/")  # today's folder is not scored yet

    result = run_state_machine(workflow.definition, workflow.schedule_input, start_time=START_TIME)

    assert result.status == "SUCCEEDED", result.describe()
    jobs = aws.jobs()
    assert len(jobs) == 1, jobs
    [(name, job)] = jobs.items()
    assert _job_name_pattern(workflow.job_name_prefix).match(name), name
    assert len(name) <= 63
    # Named at the run's (simulated) clock: 02:00:04 UTC on the 22nd.
    assert name.startswith(f"{workflow.job_name_prefix}-20261122-020004-")
    assert job["ModelName"] == MODEL_NAME
    assert job["TransformInput"]["DataSource"]["S3DataSource"] == {
        "S3DataType": "S3Prefix",
        "S3Uri": f"s3://{INPUT_BUCKET}/{YESTERDAY_PREFIX}",
    }
    assert job["TransformInput"]["ContentType"] == "text/csv"
    assert job["TransformInput"]["SplitType"] == "Line"
    assert job["TransformOutput"]["S3OutputPath"] == f"s3://{OUTPUT_BUCKET}/predictions/{name}"
    assert job["TransformOutput"]["KmsKeyId"] == OUTPUT_KEY_ARN
    assert job["DataCaptureConfig"] == {
        "DestinationS3Uri": f"s3://{OUTPUT_BUCKET}/data-capture",
        "KmsKeyId": OUTPUT_KEY_ARN,
        "GenerateInferenceId": True,
    }
    assert job["TransformResources"] == {"InstanceType": "ml.m5.large", "InstanceCount": 1}
    assert result.output == {
        "transformJobName": name,
        "inputPrefix": YESTERDAY_PREFIX,
        "outputPath": f"s3://{OUTPUT_BUCKET}/predictions/{name}",
        "status": "Completed",
    }
    assert result.waits == []
    assert aws.notifications() == []


def test_on_demand_run_reads_the_given_prefix(workflow, aws, run_state_machine):
    aws.put_inputs("input/backfill/")  # and nothing under yesterday's folder

    result = run_state_machine(workflow.definition, {"inputPrefix": "input/backfill/"}, start_time=START_TIME)

    assert result.status == "SUCCEEDED", result.describe()
    [job] = aws.jobs().values()
    assert (
        job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{INPUT_BUCKET}/input/backfill/"
    )
    assert result.output["inputPrefix"] == "input/backfill/"
    assert result.output["transformJobName"] == job["TransformJobName"]


def test_throttled_create_is_retried_in_place_with_the_same_name(workflow, aws, run_state_machine):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition, {}, start_time=START_TIME, transform_outcomes=["Throttled", "Completed"]
    )

    assert result.status == "SUCCEEDED", result.describe()
    requests = result.calls_to(TRANSFORM_SYNC)
    assert len(requests) == 2
    assert requests[0]["TransformJobName"] == requests[1]["TransformJobName"]
    assert list(aws.jobs()) == [requests[0]["TransformJobName"]]
    assert [(state, error) for state, error, _, _ in result.retries] == [
        ("Transform", "SageMaker.AmazonSageMakerException")
    ]


def test_runs_started_in_the_same_second_get_distinct_job_names(workflow, aws, run_state_machine):
    aws.put_inputs(YESTERDAY_PREFIX)
    aws.put_inputs("input/backfill/")

    first = run_state_machine(workflow.definition, {}, start_time=START_TIME, execution_name="scheduled")
    second = run_state_machine(
        workflow.definition,
        {"inputPrefix": "input/backfill/"},
        start_time=START_TIME,
        execution_name="manual",
    )

    assert first.status == second.status == "SUCCEEDED", first.describe() + "\n" + second.describe()
    assert first.output["transformJobName"] != second.output["transformJobName"]
    assert sorted(aws.jobs()) == sorted([first.output["transformJobName"], second.output["transformJobName"]])


# ---------------------------------------------------------------------------------------------- no input


def test_no_input_fails_with_input_not_found_and_notifies(workflow, aws, run_state_machine):
    aws.put_inputs("input/2026-11-20/")  # another day's folder only

    result = run_state_machine(workflow.definition, {}, start_time=START_TIME)

    assert result.status == "FAILED", result.describe()
    assert result.error == "InputNotFound"
    assert f"s3://{INPUT_BUCKET}/{YESTERDAY_PREFIX}" in result.cause
    assert aws.jobs() == {}
    assert result.calls_to(TRANSFORM_SYNC) == []
    [(subject, message)] = aws.notifications()
    assert subject == "SageMaker batch transform run failed"
    assert message["error"] == "InputNotFound"
    assert message["inputPrefix"] == YESTERDAY_PREFIX
    assert message["execution"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:")
    assert f"s3://{INPUT_BUCKET}/{YESTERDAY_PREFIX}" in message["cause"]


# ---------------------------------------------------------------------------------------------- failures


@pytest.mark.parametrize("reason", [CAPACITY_ERROR, INTERNAL_ERROR], ids=["capacity", "internal"])
def test_capacity_failure_waits_and_retries_with_a_new_job_name(workflow, aws, run_state_machine, reason):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition, {}, start_time=START_TIME, transform_outcomes=[reason, "Completed"]
    )

    assert result.status == "SUCCEEDED", result.describe()
    names = [r["TransformJobName"] for r in result.calls_to(TRANSFORM_SYNC)]
    assert len(names) == 2
    assert names[0] != names[1]
    pattern = _job_name_pattern(workflow.job_name_prefix)
    assert all(pattern.match(n) for n in names), names
    jobs = aws.jobs()
    assert sorted(jobs) == sorted(names)
    assert jobs[names[0]]["TransformJobStatus"] == "Failed"
    assert jobs[names[1]]["TransformJobStatus"] == "Completed"
    # Both attempts read and write the same run's folders.
    assert {j["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] for j in jobs.values()} == {
        f"s3://{INPUT_BUCKET}/{YESTERDAY_PREFIX}"
    }
    assert result.waits == [("WaitBeforeRetry", CAPACITY_RETRY_WAIT_SECONDS)]
    assert result.output["transformJobName"] == names[1]
    assert result.output["outputPath"] == f"s3://{OUTPUT_BUCKET}/predictions/{names[1]}"
    assert aws.notifications() == []


def test_capacity_failures_beyond_the_retries_fail_the_run_and_notify(workflow, aws, run_state_machine):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition, {}, start_time=START_TIME, transform_outcomes=[CAPACITY_ERROR] * 10
    )

    assert result.status == "FAILED", result.describe()
    assert result.error == "States.TaskFailed"
    assert "CapacityError" in result.cause
    names = [r["TransformJobName"] for r in result.calls_to(TRANSFORM_SYNC)]
    assert len(names) == CAPACITY_RETRIES + 1
    assert len(set(names)) == len(names)
    assert sorted(aws.jobs()) == sorted(names)
    # Exponential: the configured wait, then twice that.
    assert result.waits == [
        ("WaitBeforeRetry", CAPACITY_RETRY_WAIT_SECONDS * 2**i) for i in range(CAPACITY_RETRIES)
    ]
    [(_, message)] = aws.notifications()
    assert message["error"] == "States.TaskFailed"
    assert message["transformJobName"] == names[-1]
    assert "CapacityError" in message["cause"]


def test_non_retryable_job_failure_fails_after_one_attempt(workflow, aws, run_state_machine):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition, {}, start_time=START_TIME, transform_outcomes=[CLIENT_ERROR]
    )

    assert result.status == "FAILED", result.describe()
    assert result.error == "States.TaskFailed"
    assert json.loads(result.cause)["FailureReason"] == CLIENT_ERROR
    assert len(result.calls_to(TRANSFORM_SYNC)) == 1
    assert len(aws.jobs()) == 1
    assert result.waits == []
    assert "WaitBeforeRetry" not in result.visited
    [(_, message)] = aws.notifications()
    assert message["error"] == "States.TaskFailed"
    assert CLIENT_ERROR in message["cause"]


def test_job_timeout_stops_the_job_then_fails_and_notifies(workflow, aws, run_state_machine):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition, {}, start_time=START_TIME, transform_outcomes=["RunsPastTimeout"]
    )

    assert result.status == "FAILED", result.describe()
    assert result.error == "States.Timeout"
    assert workflow.definition["States"]["Transform"]["TimeoutSeconds"] == workflow.timeout_seconds
    [request] = result.calls_to(TRANSFORM_SYNC)
    name = request["TransformJobName"]
    assert result.calls_to(STOP_TRANSFORM) == [{"TransformJobName": name}]
    assert aws.jobs()[name]["TransformJobStatus"] == "Stopped"
    # No new attempt after a timeout, and the notification comes after the stop.
    assert "WaitBeforeRetry" not in result.visited
    assert result.visited.index("StopTimedOutJob") < result.visited.index("NotifyFailure")
    [(_, message)] = aws.notifications()
    assert message["error"] == "States.Timeout"
    assert message["transformJobName"] == name
    assert len(result.calls_to(SNS_PUBLISH)) == 1


def test_a_client_error_that_mentions_capacity_elsewhere_is_not_retried(workflow, aws, run_state_machine):
    # Only FailureReason's prefix decides: "CapacityError" inside the reason text does not trigger a retry.
    aws.put_inputs(YESTERDAY_PREFIX)
    reason = "ClientError: model returned CapacityError for record 7"

    result = run_state_machine(workflow.definition, {}, start_time=START_TIME, transform_outcomes=[reason])

    assert result.status == "FAILED", result.describe()
    assert len(result.calls_to(TRANSFORM_SYNC)) == 1
    assert "WaitBeforeRetry" not in result.visited


def test_timeout_notification_names_the_job_and_the_limit(workflow, aws, run_state_machine):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition, {}, start_time=START_TIME, transform_outcomes=["RunsPastTimeout"]
    )

    [(_, message)] = aws.notifications()
    assert message["cause"] == (
        f"Transform job {message['transformJobName']} ran longer than {workflow.timeout_seconds} seconds "
        "and was stopped"
    )
    assert result.cause == message["cause"]
