"""BatchTransform's workflow, executed: the synthesized state machine definition runs in a small ASL
interpreter (tests/support/asl_interpreter.py) against moto, so S3 listings, CreateTransformJob requests and SNS
notifications are real API calls, checked against botocore's service models."""

from __future__ import annotations

import hashlib
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
from support.cdk_flags import app_context, cdk_init_context

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
SCHEDULED_TIME = "2026-11-22T02:00:00Z"
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
S3_LIST_OBJECTS = "arn:aws:states:::aws-sdk:s3:listObjectsV2"


@dataclass(frozen=True)
class Workflow:
    """The synthesized state machine of one BatchTransform, with its tokens replaced by fake values."""

    definition: dict[str, Any]
    job_name_prefix: str
    trigger_input: Any  # the schedule's or the input arrival rule's
    timeout_seconds: int

    def scheduled(self, scheduled_time: str = SCHEDULED_TIME) -> Any:
        """The schedule's input as EventBridge Scheduler delivers it (context attributes replaced)."""
        return json.loads(
            json.dumps(self.trigger_input).replace("<aws.scheduler.scheduled-time>", scheduled_time)
        )

    def arrived(self, event: dict[str, Any]) -> Any:
        """The input arrival rule's input for an S3 "Object Created" event (its input transformer applied)."""
        transformer = self.trigger_input
        text = transformer["InputTemplate"]
        for name, path in transformer["InputPathsMap"].items():
            value: Any = event
            for part in path.removeprefix("$.").split("."):
                value = value[part]
            text = text.replace(f"<{name}>", json.dumps(value))
        return json.loads(text)


@pytest.fixture(scope="module")
def workflow(lint_template: Callable[[dict[str, Any]], list[str]]) -> Workflow:
    return _synthesize(lint_template, schedule=TransformSchedule.daily(hour=2))


@pytest.fixture(scope="module")
def arrival_workflow(lint_template: Callable[[dict[str, Any]], list[str]]) -> Workflow:
    return _synthesize(lint_template, run_on_input_arrival=True)


def _synthesize(
    lint_template: Callable[[dict[str, Any]], list[str]],
    *,
    context: dict[str, Any] | None = None,
    **props: Any,
) -> Workflow:
    app = App(context=app_context() if context is None else context)
    stack = Stack(app, "Test")
    model = Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset("model_artifacts/churn/model.tar.gz"),
    )
    input_bucket = SecureBucket(
        stack, "InputData", description="batch scoring input", event_bridge_enabled=True
    ).bucket
    transform = BatchTransform(
        stack,
        "Scoring",
        model=model,
        input=TransformInput(bucket=input_bucket, prefix="input/"),
        data_capture=BatchDataCapture(),
        job_timeout=Duration.hours(2),
        capacity_retries=CAPACITY_RETRIES,
        capacity_retry_wait=Duration.minutes(5),
        **props,
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
    schedules = [r for r in template["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule"]
    rules = [r for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    trigger_input = (
        json.loads(schedules[0]["Properties"]["Target"]["Input"])
        if schedules
        else rules[0]["Properties"]["Targets"][0]["InputTransformer"]
    )
    return Workflow(
        definition=definition,
        job_name_prefix=transform.job_name_prefix,
        trigger_input=trigger_input,
        timeout_seconds=2 * 3600,
    )


@pytest.mark.parametrize(
    "props",
    [{"schedule": TransformSchedule.daily(hour=2)}, {"run_on_input_arrival": True}],
    ids=["scheduled", "on-arrival"],
)
def test_the_workflow_is_the_same_under_both_flag_sets(lint_template, props):
    """The state machine, its trigger's input and the job names do not depend on feature flags.

    This is why `make test` runs this file's interpreter scenarios once, under cdk.json's flags, and not again on a
    plain App() (SMC_CDK_FLAGS=none): what they execute is this definition, the same under both sets.
    """
    with_flags = _synthesize(lint_template, context=cdk_init_context(), **props)
    without = _synthesize(lint_template, context={}, **props)
    assert with_flags.definition == without.definition
    assert with_flags.trigger_input == without.trigger_input
    assert with_flags.job_name_prefix == without.job_name_prefix


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
    return re.compile(rf"^{re.escape(prefix)}-[0-9a-f]{{21}}-\d\d$")


def _job_name(prefix: str, run_key: str, attempt: int = 1) -> str:
    """The job name a run must use: its prefix, the SHA-256 of what it scores (hashlib, not the workflow's
    JSONata), and the attempt."""
    return f"{prefix}-{hashlib.sha256(run_key.encode()).hexdigest()[:21]}-{attempt:02d}"


# ---------------------------------------------------------------------------------------------- success


def test_scheduled_run_scores_yesterdays_folder(workflow, aws, run_state_machine):
    assert workflow.trigger_input == {"scheduledTime": "<aws.scheduler.scheduled-time>"}
    aws.put_inputs(YESTERDAY_PREFIX)
    aws.put_inputs("input/2026-11-22/")  # today's folder is not scored yet

    result = run_state_machine(workflow.definition, workflow.scheduled(), start_time=START_TIME)

    assert result.status == "SUCCEEDED", result.describe()
    jobs = aws.jobs()
    assert len(jobs) == 1, jobs
    [(name, job)] = jobs.items()
    assert _job_name_pattern(workflow.job_name_prefix).match(name), name
    assert len(name) <= 63
    # Named after the scheduled time, which every delivery of this schedule run carries.
    assert name == _job_name(workflow.job_name_prefix, f"schedule#{SCHEDULED_TIME}")
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
    # No job was created (FindJob asked), so the create is retried in place after a short back-off.
    assert result.waits == [("WaitBeforeCreate", 5)]


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


# ------------------------------------------------------------------------ nothing started twice (issue 11)


@pytest.mark.parametrize("style", ["catch-all", "specific"])
def test_a_lost_create_response_adopts_the_job_instead_of_failing(workflow, aws, run_state_machine, style):
    # The job is created but the response is lost: a retry would hit "name in use" while the job runs on.
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition,
        workflow.scheduled(),
        start_time=START_TIME,
        transform_outcomes=["CreatedResponseLost"],
        sagemaker_error_style=style,
    )

    assert result.status == "SUCCEEDED", result.describe()
    [(name, job)] = aws.jobs().items()
    assert job["TransformJobStatus"] == "Completed"
    assert len(result.calls_to(TRANSFORM_SYNC)) == 1  # no second create
    assert result.calls_to(STOP_TRANSFORM) == []
    assert ("WaitForJob", 60) in result.waits
    assert result.output == {
        "transformJobName": name,
        "inputPrefix": YESTERDAY_PREFIX,
        "outputPath": f"s3://{OUTPUT_BUCKET}/predictions/{name}",
        "status": "Completed",
    }
    assert aws.notifications() == []


def test_an_adopted_job_that_runs_past_the_timeout_is_stopped(workflow, aws, run_state_machine):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition,
        workflow.scheduled(),
        start_time=START_TIME,
        transform_outcomes=["CreatedResponseLostNeverEnds"],
    )

    assert result.status == "FAILED", result.describe()
    assert result.error == "States.Timeout"
    [(name, job)] = aws.jobs().items()
    assert job["TransformJobStatus"] == "Stopped"
    assert result.calls_to(STOP_TRANSFORM) == [{"TransformJobName": name}]
    # Polled once a minute until the job's deadline (job_timeout after it was named), then stopped.
    polls = [seconds for state, seconds in result.waits if state == "WaitForJob"]
    assert sum(polls) == workflow.timeout_seconds
    [(_, message)] = aws.notifications()
    assert message["error"] == "States.Timeout"


def test_a_redelivered_schedule_run_adopts_the_first_runs_job(workflow, aws, run_state_machine):
    aws.put_inputs(YESTERDAY_PREFIX)

    first = run_state_machine(
        workflow.definition, workflow.scheduled(), start_time=START_TIME, execution_name="first"
    )
    # EventBridge Scheduler retries the same scheduled time later (a new execution, another start time).
    second = run_state_machine(
        workflow.definition,
        workflow.scheduled(),
        start_time="2026-11-22T02:41:09.001Z",
        execution_name="retry",
    )

    assert first.status == second.status == "SUCCEEDED", first.describe() + "\n" + second.describe()
    assert len(aws.jobs()) == 1
    assert second.output == first.output
    # Still yesterday's folder: the run's day comes from the scheduled time, not the late start.
    assert second.output["inputPrefix"] == YESTERDAY_PREFIX
    assert aws.notifications() == []


def test_another_scheduled_time_is_another_run(workflow, aws, run_state_machine):
    aws.put_inputs(YESTERDAY_PREFIX)
    aws.put_inputs("input/2026-11-22/")

    first = run_state_machine(workflow.definition, workflow.scheduled(), start_time=START_TIME)
    second = run_state_machine(
        workflow.definition,
        workflow.scheduled("2026-11-23T02:00:00Z"),
        start_time="2026-11-23T02:00:03.000Z",
        execution_name="next-night",
    )

    assert first.status == second.status == "SUCCEEDED"
    assert second.output["inputPrefix"] == "input/2026-11-22/"
    assert len(aws.jobs()) == 2


# ------------------------------------------------------------------------------------------ input arrival


def _object_created(key: str, etag: str, version_id: str | None = None) -> dict[str, Any]:
    with open("tests/events/s3_object_created.json") as sample:
        event: dict[str, Any] = json.load(sample)
    event["detail"]["bucket"]["name"] = INPUT_BUCKET
    event["detail"]["object"].update(key=key, etag=etag)
    if version_id is None:
        del event["detail"]["object"]["version-id"]
    else:
        event["detail"]["object"]["version-id"] = version_id
    return event


def test_an_arrived_object_is_scored_alone_through_a_manifest(arrival_workflow, aws, run_state_machine):
    # "part-1.csv" is a prefix of "part-1.csv.orig": as an S3Prefix, the job would read both.
    for key in ("input/part-1.csv", "input/part-1.csv.orig"):
        aws.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=b"1,2,3\n")
    event = _object_created("input/part-1.csv", etag="b1946ac92492d2347c6235b4d2611184")

    result = run_state_machine(
        arrival_workflow.definition, arrival_workflow.arrived(event), start_time=START_TIME
    )

    assert result.status == "SUCCEEDED", result.describe()
    [(name, job)] = aws.jobs().items()
    assert name == _job_name(
        arrival_workflow.job_name_prefix,
        f"s3://{INPUT_BUCKET}/input/part-1.csv#b1946ac92492d2347c6235b4d2611184",
    )
    source = job["TransformInput"]["DataSource"]["S3DataSource"]
    run_id = name.removesuffix("-01")
    assert source == {
        "S3DataType": "ManifestFile",
        "S3Uri": f"s3://{OUTPUT_BUCKET}/predictions/manifests/{run_id}.manifest",
    }
    manifest = aws.s3.get_object(Bucket=OUTPUT_BUCKET, Key=f"predictions/manifests/{run_id}.manifest")
    # The manifest format of TransformS3DataSource.S3Uri (botocore's SageMaker model): a prefix, then keys.
    assert json.loads(manifest["Body"].read()) == [{"prefix": f"s3://{INPUT_BUCKET}/"}, "input/part-1.csv"]
    assert result.output["inputPrefix"] == "input/part-1.csv"


def test_a_redelivered_object_event_runs_one_job(arrival_workflow, aws, run_state_machine):
    aws.s3.put_object(Bucket=INPUT_BUCKET, Key="input/part-1.csv", Body=b"1,2,3\n")
    event = _object_created("input/part-1.csv", etag="e1", version_id="v1")
    runs = [
        run_state_machine(
            arrival_workflow.definition,
            arrival_workflow.arrived(event),
            start_time=START_TIME,
            execution_name=f"delivery-{i}",
        )
        for i in range(3)
    ]

    assert [r.status for r in runs] == ["SUCCEEDED"] * 3, "\n".join(r.describe() for r in runs)
    assert len(aws.jobs()) == 1
    # A new version of the object is new input: scored again.
    again = run_state_machine(
        arrival_workflow.definition,
        arrival_workflow.arrived(_object_created("input/part-1.csv", etag="e2", version_id="v2")),
        start_time=START_TIME,
        execution_name="new-version",
    )
    assert again.status == "SUCCEEDED"
    assert len(aws.jobs()) == 2


def test_an_arrived_object_that_is_gone_is_input_not_found(arrival_workflow, aws, run_state_machine):
    # Only a longer key remains: an exact key must exist, not a prefix of something else.
    aws.s3.put_object(Bucket=INPUT_BUCKET, Key="input/part-1.csv.orig", Body=b"1,2,3\n")
    event = _object_created("input/part-1.csv", etag="e1")

    result = run_state_machine(
        arrival_workflow.definition, arrival_workflow.arrived(event), start_time=START_TIME
    )

    assert result.status == "FAILED", result.describe()
    assert result.error == "InputNotFound"
    assert aws.jobs() == {}


# ------------------------------------------------------------------------------------ error classification


@pytest.mark.parametrize("style", ["catch-all", "specific"])
@pytest.mark.parametrize(
    ("outcome", "code"), [("Invalid", "ValidationException"), ("AccessDenied", "AccessDeniedException")]
)
def test_permanent_api_errors_fail_at_once(workflow, aws, run_state_machine, outcome, code, style):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition,
        workflow.scheduled(),
        start_time=START_TIME,
        transform_outcomes=[outcome] * 10,
        sagemaker_error_style=style,
    )

    assert result.status == "FAILED", result.describe()
    assert len(result.calls_to(TRANSFORM_SYNC)) == 1
    assert result.waits == []
    assert result.retries == []
    assert code in result.error + result.cause
    [(_, message)] = aws.notifications()
    assert message["error"] == result.error


@pytest.mark.parametrize("style", ["catch-all", "specific"])
def test_throttling_is_retried_in_place_with_a_bounded_back_off(workflow, aws, run_state_machine, style):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition,
        workflow.scheduled(),
        start_time=START_TIME,
        transform_outcomes=["Throttled"] * 10,
        sagemaker_error_style=style,
    )

    assert result.status == "FAILED", result.describe()
    assert len(result.calls_to(TRANSFORM_SYNC)) == 6  # the first try and 5 retries
    assert result.waits == [("WaitBeforeCreate", s) for s in (5, 10, 20, 40, 80)]
    assert aws.jobs() == {}


@pytest.mark.parametrize("style", ["catch-all", "specific"])
def test_a_quota_error_backs_off_for_minutes(workflow, aws, run_state_machine, style):
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition,
        workflow.scheduled(),
        start_time=START_TIME,
        transform_outcomes=["QuotaExceeded", "Completed"],
        sagemaker_error_style=style,
    )

    assert result.status == "SUCCEEDED", result.describe()
    assert result.waits == [("WaitBeforeRetry", CAPACITY_RETRY_WAIT_SECONDS)]
    names = [r["TransformJobName"] for r in result.calls_to(TRANSFORM_SYNC)]
    assert [n[-3:] for n in names] == ["-01", "-02"]
    assert list(aws.jobs()) == [names[1]]


# --------------------------------------------------------------------------------- S3 errors of the listing


def test_a_throttled_input_listing_is_retried(workflow, aws, run_state_machine):
    # S3's SlowDown is not among ListObjectsV2's modeled errors: the AWS SDK integration names it S3.S3Exception.
    aws.put_inputs(YESTERDAY_PREFIX)

    result = run_state_machine(
        workflow.definition,
        workflow.scheduled(),
        start_time=START_TIME,
        s3_faults=["SlowDown", "InternalError"],
    )

    assert result.status == "SUCCEEDED", result.describe()
    assert [(state, error) for state, error, _, _ in result.retries] == [
        ("CheckInput", "S3.S3Exception"),
        ("CheckInput", "S3.S3Exception"),
    ]


def test_a_missing_input_bucket_is_not_retried(workflow, aws, run_state_machine):
    aws.s3.delete_bucket(Bucket=INPUT_BUCKET)

    result = run_state_machine(workflow.definition, workflow.scheduled(), start_time=START_TIME)

    assert result.status == "FAILED", result.describe()
    assert result.error == "S3.NoSuchBucketException"
    assert result.retries == []
    assert len(result.calls_to(S3_LIST_OBJECTS)) == 1


# ------------------------------------------------------------------------ the interpreter is not kinder


def _with(definition: dict[str, Any], state: str, field: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    changed = json.loads(json.dumps(definition))
    changed["States"][state][field] = rules
    return changed


@pytest.mark.parametrize(
    ("field", "rules"),
    [
        # States.ALL with another name in the same ErrorEquals.
        ("Catch", [{"ErrorEquals": ["States.ALL", "States.Timeout"], "Next": "NotifyFailure"}]),
        # States.ALL before another catcher.
        (
            "Catch",
            [
                {"ErrorEquals": ["States.ALL"], "Next": "NotifyFailure"},
                {"ErrorEquals": ["States.Timeout"], "Next": "StopTimedOutJob"},
            ],
        ),
        ("Retry", [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["States.Timeout"]}]),
    ],
    ids=["not-alone", "catcher-not-last", "retrier-not-last"],
)
def test_the_interpreter_refuses_what_step_functions_refuses(workflow, run_state_machine, field, rules):
    with mock_aws(), pytest.raises(ValueError, match=r"States\.ALL must appear alone, in the last"):
        run_state_machine(_with(workflow.definition, "Transform", field, rules), {}, start_time=START_TIME)


def test_the_interpreter_hashes_as_step_functions_does(workflow, aws, run_state_machine):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Hash",
        "States": {"Hash": {"Type": "Pass", "Output": "{% $hash('abc', 'SHA-256') %}", "End": True}},
    }
    result = run_state_machine(definition, {}, start_time=START_TIME)
    # FIPS 180-2's SHA-256 test vector for "abc".
    assert result.output == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
