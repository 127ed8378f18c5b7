"""The Step Functions workflow (JSONata ASL) that runs one batch transform job per execution.

PlanRun -> CheckInput -> InputExists? -> NameJob -> Transform (.sync) -> Succeeded
                                   \\-> NoInput -> NotifyFailure -> RunFailed
Transform failures caused by capacity go back to NameJob (a new, unique job name) after an exponential wait;
timeouts stop the job; every failure is published to SNS before the execution fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Transform job failures worth another attempt (FailureReason prefixes of DescribeTransformJob).
RETRYABLE_FAILURES = ("CapacityError", "InternalServerError")
# API errors of the optimized SageMaker integration that are worth retrying in place (throttling and
# transient service errors surface under this name).
RETRYABLE_API_ERRORS = ("SageMaker.AmazonSageMakerException", "SageMaker.ThrottlingException")


@dataclass(frozen=True)
class WorkflowSpec:
    """Everything the workflow needs, already rendered to strings or tokens."""

    input_bucket_name: str
    input_prefix: str
    date_format: str | None
    date_offset_millis: int
    job_name_prefix: str
    output_s3_prefix: str  # s3://bucket/prefix/ (the job name is appended per run)
    request: dict[str, Any]  # CreateTransformJob request without name, input URI and output path
    topic_arn: str
    job_timeout_seconds: int
    capacity_retries: int
    retry_wait_seconds: int


def _jsonata(expression: str) -> str:
    return "{% " + expression + " %}"


def _quote(value: str) -> str:
    # A JSONata string literal. Token strings (CDK) contain no quotes, so single quotes are safe. JSONata has
    # JSON's escapes only (no \'): a quote is written \u0027 (jsonata-js rejects \' as "Unsupported escape
    # sequence"; asl-validator parses every expression with it, tests/oracles).
    return "'" + value.replace("\\", "\\\\").replace("'", "\\u0027") + "'"


def definition(spec: WorkflowSpec) -> dict[str, Any]:
    """The state machine definition as a dict (tokens may be embedded in strings)."""
    if spec.date_format is None:
        default_prefix = _quote(spec.input_prefix)
    else:
        default_prefix = (
            f"{_quote(spec.input_prefix)} & $fromMillis($toMillis($states.context.Execution.StartTime) - "
            f"{spec.date_offset_millis}, {_quote(spec.date_format)}) & '/'"
        )
    request = dict(spec.request)
    request["TransformJobName"] = _jsonata("$jobName")
    request["TransformInput"] = {
        **request["TransformInput"],
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": _jsonata(f"'s3://' & {_quote(spec.input_bucket_name)} & '/' & $inputPrefix"),
            }
        },
    }
    request["TransformOutput"] = {
        **request["TransformOutput"],
        "S3OutputPath": _jsonata(f"{_quote(spec.output_s3_prefix)} & $jobName"),
    }
    # Error outputs may lack a Cause (task timeouts): default it, or the Catch itself would fail.
    failure = {
        "error": _jsonata(
            "$exists($states.errorOutput.Error) ? $states.errorOutput.Error : 'States.TaskFailed'"
        ),
        "cause": _jsonata("$exists($states.errorOutput.Cause) ? $states.errorOutput.Cause : ''"),
    }
    timed_out = {
        "error": "States.Timeout",
        "cause": _jsonata(
            f"'Transform job ' & $jobName & ' ran longer than {spec.job_timeout_seconds} seconds and was stopped'"
        ),
    }
    # The cause of a failed .sync job is DescribeTransformJob's JSON: match its FailureReason prefix only.
    retryable = f'$contains($failure.cause, /"FailureReason"\\s*:\\s*"({"|".join(RETRYABLE_FAILURES)})/)'
    return {
        "Comment": "Runs one SageMaker batch transform job (sagemaker-constructs BatchTransform)",
        "QueryLanguage": "JSONata",
        "StartAt": "PlanRun",
        "States": {
            "PlanRun": {
                "Type": "Pass",
                "Comment": "Input prefix: the execution's inputPrefix, or the dated default",
                "Assign": {
                    "inputPrefix": _jsonata(
                        f"$exists($states.input.inputPrefix) ? $states.input.inputPrefix : ({default_prefix})"
                    ),
                    "attempt": 1,
                    # Not null: CDK drops nulls when it renders the definition.
                    "jobName": "",
                },
                "Next": "CheckInput",
            },
            "CheckInput": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                "Arguments": {
                    "Bucket": spec.input_bucket_name,
                    "Prefix": _jsonata("$inputPrefix"),
                    "MaxKeys": 1,
                },
                "Output": {"keyCount": _jsonata("$states.result.KeyCount")},
                "Retry": [
                    {
                        "ErrorEquals": ["S3.S3Exception", "S3.SdkClientException"],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 3,
                        "BackoffRate": 2,
                        "JitterStrategy": "FULL",
                    }
                ],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "Assign": {"failure": failure}, "Next": "NotifyFailure"}
                ],
                "Next": "InputExists",
            },
            "InputExists": {
                "Type": "Choice",
                "Choices": [{"Condition": _jsonata("$states.input.keyCount > 0"), "Next": "NameJob"}],
                "Default": "NoInput",
            },
            "NoInput": {
                "Type": "Pass",
                "Assign": {
                    "failure": {
                        "error": "InputNotFound",
                        "cause": _jsonata(
                            f"'No input objects under s3://' & {_quote(spec.input_bucket_name)} & '/' & $inputPrefix"
                        ),
                    }
                },
                "Next": "NotifyFailure",
            },
            "NameJob": {
                "Type": "Pass",
                "Comment": "A new job name per attempt: SageMaker job names are unique forever",
                "Assign": {
                    "jobName": _jsonata(
                        f"{_quote(spec.job_name_prefix + '-')} & $fromMillis($millis(), '[Y0001][M01][D01]-[H01][m01][s01]')"
                        " & '-' & $substring($uuid(), 0, 8)"
                    )
                },
                "Next": "Transform",
            },
            "Transform": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
                "Arguments": request,
                "TimeoutSeconds": spec.job_timeout_seconds,
                "Output": {
                    "transformJobName": _jsonata("$jobName"),
                    "inputPrefix": _jsonata("$inputPrefix"),
                    "outputPath": _jsonata(f"{_quote(spec.output_s3_prefix)} & $jobName"),
                    "status": _jsonata("$states.result.TransformJobStatus"),
                },
                "Retry": [
                    {
                        "ErrorEquals": list(RETRYABLE_API_ERRORS),
                        "IntervalSeconds": 5,
                        "MaxAttempts": 5,
                        "BackoffRate": 2,
                        "MaxDelaySeconds": 120,
                        "JitterStrategy": "FULL",
                    }
                ],
                "Catch": [
                    {
                        "ErrorEquals": ["States.Timeout"],
                        "Assign": {"failure": timed_out},
                        "Next": "StopTimedOutJob",
                    },
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"failure": failure},
                        "Next": "RetryableFailure",
                    },
                ],
                "End": True,
            },
            "RetryableFailure": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": _jsonata(f"$attempt <= {spec.capacity_retries} and {retryable}"),
                        "Next": "WaitBeforeRetry",
                    }
                ],
                "Default": "NotifyFailure",
            },
            "WaitBeforeRetry": {
                "Type": "Wait",
                "Seconds": _jsonata(f"{spec.retry_wait_seconds} * $power(2, $attempt - 1)"),
                "Assign": {"attempt": _jsonata("$attempt + 1")},
                "Next": "NameJob",
            },
            "StopTimedOutJob": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:stopTransformJob",
                "Arguments": {"TransformJobName": _jsonata("$jobName")},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "NotifyFailure"}],
                "Next": "NotifyFailure",
            },
            "NotifyFailure": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Arguments": {
                    "TopicArn": spec.topic_arn,
                    "Subject": "SageMaker batch transform run failed",
                    "Message": _jsonata(
                        "$string({'execution': $states.context.Execution.Id, 'inputPrefix': $inputPrefix, "
                        "'transformJobName': $jobName, 'error': $failure.error, "
                        "'cause': $failure.cause})"
                    ),
                },
                "Retry": [
                    {
                        "ErrorEquals": ["States.TaskFailed"],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 3,
                        "BackoffRate": 2,
                        "JitterStrategy": "FULL",
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "RunFailed"}],
                "Next": "RunFailed",
            },
            "RunFailed": {
                "Type": "Fail",
                "Error": _jsonata("$failure.error"),
                "Cause": _jsonata("$failure.cause"),
            },
        },
    }
