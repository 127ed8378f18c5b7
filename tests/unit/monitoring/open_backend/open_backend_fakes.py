"""The services the open backend's workflow calls, for the ASL interpreter: S3 is moto's; the planner Lambda,
the processing jobs, PutMetricData, PutEvents and SNS are recorded here. Every request is first checked against
botocore's service model (``service_model``), as Step Functions would send it to the API."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
from support.asl_interpreter import (
    AslInterpreter,
    ExecutionResult,
    SimulatedClock,
    StatesError,
    TaskContext,
    parse_time,
)

from sagemaker_constructs.monitoring._open_job_states import DESCRIBE_PROCESSING, PROCESSING_SYNC
from sagemaker_constructs.monitoring._open_workflow import (
    LAMBDA_INVOKE,
    PUT_EVENTS,
    PUT_METRIC_DATA,
    S3_COPY_OBJECT,
    S3_GET_OBJECT,
    S3_PUT_OBJECT,
    SNS_PUBLISH,
)

REGION = "eu-west-1"
JOB_RUN_SECONDS = 600
COMPLETED = "Completed"
THROTTLED = "Throttled"  # CreateProcessingJob throttled: no job
FAILED = "Failed"  # the job runs and fails (FailureReason "AlgorithmError: ...")

ModelCheck = Callable[[str, str, dict[str, Any]], list[str]]


def run_prefix(output_prefix: str, scheduled_time: str) -> str:
    moment = parse_time(scheduled_time)
    return f"{output_prefix}/{moment:%Y/%m/%d/%H}"


def default_plan(payload: dict[str, Any], *, files: int = 3) -> dict[str, Any]:
    """What the planner returns (design14 §3) for ``files`` captured files in the window."""
    monitor = payload["monitor"]
    output = monitor["output"]
    prefix = run_prefix(output["prefix"], payload["scheduledTime"])
    base = f"s3://{output['bucket']}/{prefix}"
    distribution = "ShardedByS3Key" if monitor.get("instanceCount", 1) > 1 else "FullyReplicated"

    def manifest_input(name: str, local: str, dist: str = "FullyReplicated") -> dict[str, Any]:
        return {
            "InputName": name,
            "AppManaged": False,
            "S3Input": {
                "S3Uri": f"{base}/manifests/{name}.manifest",
                "LocalPath": local,
                "S3DataType": "ManifestFile",
                "S3InputMode": "File",
                "S3DataDistributionType": dist,
                "S3CompressionType": "None",
            },
        }

    inputs = [
        {
            "InputName": "config",
            "AppManaged": False,
            "S3Input": {
                "S3Uri": f"{base}/config/monitor.json",
                "LocalPath": "/opt/ml/processing/input/config",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated",
                "S3CompressionType": "None",
            },
        },
        manifest_input("data", "/opt/ml/processing/input/data", distribution),
    ]
    if monitor.get("groundTruth"):
        inputs.append(manifest_input("ground_truth", "/opt/ml/processing/input/ground_truth"))
    return {
        "runPrefix": prefix,
        "reportUri": f"{base}/",
        "summaryKey": f"{prefix}/summary.json",
        "empty": files == 0,
        "files": {"data": files, "groundTruth": 0},
        "processingInputs": inputs if files else [],
        "window": {"start": "2026-12-01T18:00:00Z", "end": "2026-12-01T19:00:00Z"},
    }


def summary(monitor: dict[str, Any], *, violations: int = 0, batches: int = 2) -> dict[str, Any]:
    """A summary.json as the script writes it (design14 §1)."""
    namespace = monitor["metrics"]["namespace"]
    dims = [{"Name": k, "Value": v} for k, v in monitor["metrics"]["dimensions"].items()]
    data = [
        [{"MetricName": f"feature_baseline_drift_f{b}_{i}", "Dimensions": dims, "Value": 0.1 * i, "Unit": "None"}
         for i in range(20 if b < batches - 1 else 3)]
        for b in range(batches)
    ]  # fmt: skip
    return {
        "schemaVersion": "1",
        "monitoringType": monitor["monitoringType"],
        "monitoringScheduleName": monitor["monitoringScheduleName"],
        "status": "CompletedWithViolations" if violations else "Completed",
        "verdict": "violations" if violations else "no-violations",
        "violations": violations,
        "violatedChecks": ["baseline_drift_check"] if violations else [],
        "records": {"read": 500, "used": 500, "malformed": 0, "skipped": {}, "files": 3},
        "minSamples": monitor["minSamples"],
        "namespace": namespace,
        "metricData": data,
    }


@dataclass
class Job:
    request: dict[str, Any]
    status: str
    failure_reason: str | None = None


@dataclass
class FakeAws:
    model_problems: ModelCheck
    clock: SimulatedClock
    files: int = 3
    violations: int = 0
    extract_verdict: str = "no-violations"
    """Explainability: the verdict of the extract step's summary (``insufficient-data`` ends the run there)."""
    job_outcomes: list[str] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    invocations: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    copies: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.s3 = boto3.client("s3", region_name=REGION)
        self.plan: dict[str, Any] | None = None
        self.monitor: dict[str, Any] | None = None

    def handlers(self) -> dict[str, Callable[[dict[str, Any], TaskContext], Any]]:
        return {
            LAMBDA_INVOKE: self.invoke,
            PROCESSING_SYNC: self.create_processing_job_sync,
            DESCRIBE_PROCESSING: self.describe_processing_job,
            S3_GET_OBJECT: self.get_object,
            S3_PUT_OBJECT: self.put_object,
            S3_COPY_OBJECT: self.copy_object,
            PUT_METRIC_DATA: self.put_metric_data,
            PUT_EVENTS: self.put_events,
            SNS_PUBLISH: self.publish,
        }

    def _check(self, service: str, operation: str, args: dict[str, Any], error: str) -> None:
        problems = self.model_problems(service, operation, args)
        if problems:
            raise StatesError(error, "; ".join(problems))

    # lambda:invoke (the planner)
    def invoke(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        payload = args["Payload"]
        self._check("lambda", "Invoke", {"FunctionName": args["FunctionName"], "Payload": json.dumps(payload).encode()},
                    "Lambda.InvalidRequestContentException")  # fmt: skip
        self.invocations.append(copy.deepcopy(payload))
        self.monitor = payload["monitor"]
        self.plan = default_plan(payload, files=self.files)
        return {"StatusCode": 200, "Payload": self.plan}

    # sagemaker:createProcessingJob.sync
    def create_processing_job_sync(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        problems = self.model_problems("sagemaker", "CreateProcessingJob", args)
        if problems:
            raise self._api_error("ValidationException", "; ".join(problems))
        outcome = self.job_outcomes.pop(0) if self.job_outcomes else COMPLETED
        if outcome == THROTTLED:
            raise self._api_error("ThrottlingException", "Rate exceeded")
        name = args["ProcessingJobName"]
        if name in self.jobs:
            raise self._api_error("ResourceInUse", f"Job name {name} is already in use")
        self.created.append(copy.deepcopy(args))
        ctx.clock.advance(JOB_RUN_SECONDS)
        if outcome == FAILED:
            self.jobs[name] = Job(args, "Failed", "AlgorithmError: the script exited with 1")
            raise StatesError("States.TaskFailed", json.dumps(self._describe(name)))
        self.jobs[name] = Job(args, "Completed")
        self.finish(args)
        return self._describe(name)

    def finish(self, args: dict[str, Any]) -> None:
        """What a completed job leaves: the summary, for the step that finishes the analysis."""
        entrypoint = args["AppSpecification"].get("ContainerEntrypoint", [])
        if entrypoint[-1:] in (["analyze"], ["merge"], ["compare"]):
            assert self.plan is not None
            assert self.monitor is not None
            bucket = self.monitor["output"]["bucket"]
            output = args["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
            if output.endswith("/extract/"):  # the extract step writes its own summary beside its dataset
                document = summary(self.monitor, batches=0)
                document["verdict"] = self.extract_verdict
                key = output.split("/", 3)[3] + "summary.json"
                self.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode())
                return
            body = json.dumps(summary(self.monitor, violations=self.violations))
            self.s3.put_object(Bucket=bucket, Key=self.plan["summaryKey"], Body=body.encode())

    @staticmethod
    def _api_error(code: str, message: str) -> StatesError:
        return StatesError(
            "SageMaker.AmazonSageMakerException",
            f"{message} (Service: AmazonSageMaker; Status Code: 400; Error Code: {code}; Request ID: 1; Proxy: null)",
        )

    def _describe(self, name: str) -> dict[str, Any]:
        job = self.jobs[name]
        described = {"ProcessingJobName": name, "ProcessingJobStatus": job.status,
                     "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/{name.lower()}"}  # fmt: skip
        if job.failure_reason:
            described["FailureReason"] = job.failure_reason
        return described

    # aws-sdk:sagemaker:describeProcessingJob
    def describe_processing_job(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        self._check("sagemaker", "DescribeProcessingJob", args, "SageMaker.ValidationException")
        if args["ProcessingJobName"] not in self.jobs:
            raise StatesError(
                "SageMaker.ResourceNotFoundException", "Could not find job (Service: SageMaker)"
            )
        return self._describe(args["ProcessingJobName"])

    def adopt(self, name: str, status: str = "Completed") -> None:
        """A job a previous delivery of the same run created."""
        self.jobs[name] = Job({}, status)

    # aws-sdk:s3:getObject / putObject
    def get_object(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        self._check("s3", "GetObject", args, "S3.InvalidArgumentException")
        try:
            response = self.s3.get_object(**args)
        except botocore.exceptions.ClientError as exc:
            raise StatesError(f"S3.{exc.response['Error']['Code']}Exception", str(exc)) from exc
        return {"Body": response["Body"].read().decode(), "ContentLength": response["ContentLength"]}

    def put_object(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        self._check("s3", "PutObject", args, "S3.InvalidArgumentException")
        plain = {k: v for k, v in args.items() if k not in ("ServerSideEncryption", "SSEKMSKeyId")}
        self.s3.put_object(**plain)
        return {"ETag": '"0"'}

    def copy_object(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        """The copy lands (with an empty body: the source is a CDK asset the test has not uploaded)."""
        self._check("s3", "CopyObject", args, "S3.InvalidArgumentException")
        self.copies.append(copy.deepcopy(args))
        self.s3.put_object(Bucket=args["Bucket"], Key=args["Key"], Body=b"{}")
        return {"CopyObjectResult": {"ETag": '"0"'}}

    def object(self, key: str) -> Any:
        assert self.monitor is not None
        return json.loads(self.s3.get_object(Bucket=self.monitor["output"]["bucket"], Key=key)["Body"].read())

    # aws-sdk:cloudwatch:putMetricData
    def put_metric_data(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        self._check("cloudwatch", "PutMetricData", args, "CloudWatch.InvalidParameterValueException")
        self.metrics.append(copy.deepcopy(args))
        return {}

    # events:putEvents (the optimized integration takes Detail as JSON and sends it as a string)
    def put_events(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        request = {"Entries": [{**e, "Detail": json.dumps(e["Detail"])} for e in args["Entries"]]}
        self._check("events", "PutEvents", request, "EventBridge.ValidationException")
        self.events.extend(copy.deepcopy(args["Entries"]))
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]}

    # sns:publish
    def publish(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        self._check("sns", "Publish", args, "SNS.InvalidParameterException")
        self.notifications.append(copy.deepcopy(args))
        return {"MessageId": "1"}


def execute(
    definition: dict[str, Any],
    aws: FakeAws,
    execution_input: Any,
    *,
    name: str = "run-1",
) -> ExecutionResult:
    interpreter = AslInterpreter(definition, aws.handlers(), aws.clock)
    return interpreter.run(
        execution_input,
        name=name,
        state_machine_arn=f"arn:aws:states:{REGION}:123456789012:stateMachine:Monitor",
    )


def new_clock(start: str) -> SimulatedClock:
    return SimulatedClock(parse_time(start))


def scheduled_input(scheduled_time: str) -> dict[str, Any]:
    return {"scheduledTime": scheduled_time, "executionId": "b5e0c1f2-0000-4000-8000-000000000001"}
