"""The Step Functions workflow (JSONata ASL) that runs one batch transform job per execution.

PlanRun -> CheckInput -> InputExists? -> [WriteManifest] -> NameJob -> Transform (.sync) -> Succeeded
Transform errors -> FindJob (DescribeTransformJob) -> JobStatus?   (the job exists: adopt it)
                                                 \\-> ClassifyCreateError?   (it was never created)
Every failure is published to SNS before the execution fails.

Idempotency rests on the job name, which SageMaker keeps unique forever: ``<prefix>-<run id>-<attempt>``, where
the run id hashes what the run scores (the S3 object's bucket, key and version or ETag; the schedule's
scheduled time; otherwise the execution's name and start time). A redelivered event or a retried schedule
therefore reaches a job that exists, and adopts it (waits for it) instead of starting another; so does a
retry after a create whose response was lost.

Error names are assumptions that cannot be checked offline (README, "What cannot be verified offline"): AWS
SDK integrations name errors ``<Service>.<Name>Exception``, the name suffixed with "Exception"
(https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html); whether the optimized
SageMaker integration reports them as ``SageMaker.<Name>Exception`` or as ``SageMaker.AmazonSageMakerException``
with the code in the cause is not documented, so both are matched. CreateTransformJob documents
ResourceInUse, ResourceLimitExceeded and ResourceNotFound, DescribeTransformJob ResourceNotFound (botocore
``sagemaker/2017-07-24/service-2.json``); throttling and internal errors are the common errors of every AWS API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Transform job failures worth another attempt with a new name (FailureReason prefixes of DescribeTransformJob).
RETRYABLE_FAILURES = ("CapacityError", "InternalServerError")
# Transient API errors: retried in place (same job name) after a short back-off.
TRANSIENT_API_ERRORS = (
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "SdkClientException",
)
# Quota errors: retried with the capacity back-off (minutes, not seconds), under a new job name.
QUOTA_API_ERRORS = ("ResourceLimitExceeded",)
# Everything else (ValidationException, AccessDeniedException, ResourceNotFound of the model...) fails at once.
API_RETRIES = 5
API_RETRY_SECONDS = 5
API_RETRY_MAX_SECONDS = 120
# How often an adopted job (one whose create response was lost, or a duplicate run's) is described.
POLL_SECONDS = 60
_RUN_ID_LENGTH = 21  # hex characters of SHA-256: with "-" and "-NN" the job name suffix is 25 characters


@dataclass(frozen=True)
class WorkflowSpec:
    """Everything the workflow needs, already rendered to strings or tokens."""

    input_bucket_name: str
    input_prefix: str
    date_format: str | None
    date_offset_millis: int
    job_name_prefix: str
    output_s3_prefix: str  # s3://bucket/prefix/ (the job name is appended per run)
    manifest_bucket_name: str  # where runs of single objects write their manifest
    manifest_key_prefix: str  # ... under this key prefix: <prefix><run id>.manifest
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


def _error_is(names: tuple[str, ...], error: str) -> str:
    """JSONata: whether the error output ``error`` ({error, cause}) is one of ``names``, by its Step Functions
    name (``SageMaker.<Name>``, with or without the "Exception" suffix) or, under the catch-all name of the
    optimized integration, by the error code in its cause."""
    bare = sorted({n.removesuffix("Exception") for n in names})
    alternatives = "|".join(re.escape(n) for n in bare)
    return (
        f"($contains({error}.error, /^[A-Za-z]+\\.({alternatives})(Exception)?$/) or "
        f"$contains({error}.cause, /\\b({alternatives})(Exception)?\\b/))"
    )


def definition(spec: WorkflowSpec) -> dict[str, Any]:
    """The state machine definition as a dict (tokens may be embedded in strings)."""
    # The run's time: the schedule's scheduled time (a retried delivery scores the same day), else the start.
    run_time = (
        "($exists($states.input.scheduledTime) ? $toMillis($states.input.scheduledTime) "
        ": $toMillis($states.context.Execution.StartTime))"
    )
    if spec.date_format is None:
        default_prefix = _quote(spec.input_prefix)
    else:
        default_prefix = (
            f"{_quote(spec.input_prefix)} & $fromMillis({run_time} - {spec.date_offset_millis}, "
            f"{_quote(spec.date_format)}) & '/'"
        )
    arrived = "$exists($states.input.s3Object.key)"
    input_key = f"({arrived} ? $states.input.s3Object.key : '')"
    # What the run scores, as one string: its hash names the run's jobs.
    run_key = (
        f"({arrived} ? ('s3://' & {_quote(spec.input_bucket_name)} & '/' & $states.input.s3Object.key & '#' & "
        "($exists($states.input.s3Object.`version-id`) ? $states.input.s3Object.`version-id` : "
        "$states.input.s3Object.etag)) : "
        "$exists($states.input.scheduledTime) ? ('schedule#' & $states.input.scheduledTime) : "
        "('execution#' & $states.context.Execution.Name & '#' & $states.context.Execution.StartTime))"
    )
    manifest_uri = (
        f"'s3://' & {_quote(spec.manifest_bucket_name)} & '/' & {_quote(spec.manifest_key_prefix)} & $runId & "
        "'.manifest'"
    )
    request = dict(spec.request)
    request["TransformJobName"] = _jsonata("$jobName")
    request["TransformInput"] = {
        **request["TransformInput"],
        "DataSource": {
            "S3DataSource": {
                # A single arrived object is scored through a manifest that names it alone: as an S3Prefix,
                # "part-1.csv" would also read "part-1.csv.orig".
                "S3DataType": _jsonata("$inputKey = '' ? 'S3Prefix' : 'ManifestFile'"),
                "S3Uri": _jsonata(
                    f"$inputKey = '' ? ('s3://' & {_quote(spec.input_bucket_name)} & '/' & $inputPrefix) "
                    f": ({manifest_uri})"
                ),
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
    succeeded = {
        "transformJobName": _jsonata("$jobName"),
        "inputPrefix": _jsonata("$inputPrefix"),
        "outputPath": _jsonata(f"{_quote(spec.output_s3_prefix)} & $jobName"),
        "status": _jsonata("$states.result.TransformJobStatus"),
    }
    s3_retry = {
        "ErrorEquals": ["S3.S3Exception", "S3.SdkClientException"],
        "IntervalSeconds": 2,
        "MaxAttempts": 3,
        "BackoffRate": 2,
        "JitterStrategy": "FULL",
    }
    retryable_failure = (
        f"$exists($states.input.FailureReason) and $contains($states.input.FailureReason, "
        f"/^({'|'.join(RETRYABLE_FAILURES)})/)"
    )
    return {
        "Comment": "Runs one SageMaker batch transform job (sagemaker-constructs BatchTransform)",
        "QueryLanguage": "JSONata",
        "StartAt": "PlanRun",
        "States": {
            "PlanRun": {
                "Type": "Pass",
                "Comment": "What the run scores: the arrived object, the execution's inputPrefix, or the dated "
                "default; and the run id that names its jobs",
                "Assign": {
                    "inputKey": _jsonata(input_key),
                    "inputPrefix": _jsonata(
                        f"{arrived} ? $states.input.s3Object.key : $exists($states.input.inputPrefix) ? "
                        f"$states.input.inputPrefix : ({default_prefix})"
                    ),
                    "runId": _jsonata(
                        f"{_quote(spec.job_name_prefix + '-')} & $substring($hash({run_key}, 'SHA-256'), 0, "
                        f"{_RUN_ID_LENGTH})"
                    ),
                    "attempt": 1,
                    "apiAttempt": 0,
                    "describeAttempt": 0,
                    "deadline": 0,
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
                # An arrived object must exist under its exact key: keys sort, so it comes first if it does.
                "Output": {
                    "found": _jsonata(
                        "$inputKey = '' ? $states.result.KeyCount > 0 : "
                        "($exists($states.result.Contents) and $states.result.Contents[0].Key = $inputKey)"
                    )
                },
                "Retry": [s3_retry],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "Assign": {"failure": failure}, "Next": "NotifyFailure"}
                ],
                "Next": "InputExists",
            },
            "InputExists": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": _jsonata("$states.input.found and $inputKey != ''"),
                        "Next": "WriteManifest",
                    },
                    {"Condition": _jsonata("$states.input.found"), "Next": "NameJob"},
                ],
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
            "WriteManifest": {
                "Type": "Task",
                "Comment": "A manifest naming the arrived object alone (TransformS3DataSource ManifestFile)",
                "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Arguments": {
                    "Bucket": spec.manifest_bucket_name,
                    "Key": _jsonata(f"{_quote(spec.manifest_key_prefix)} & $runId & '.manifest'"),
                    "ContentType": "application/json",
                    "Body": _jsonata(
                        f"$string([{{'prefix': 's3://' & {_quote(spec.input_bucket_name)} & '/'}}, $inputKey])"
                    ),
                },
                "Output": {"found": True},
                "Retry": [s3_retry],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "Assign": {"failure": failure}, "Next": "NotifyFailure"}
                ],
                "Next": "NameJob",
            },
            "NameJob": {
                "Type": "Pass",
                "Comment": "One name per run and attempt: a duplicate run reaches the same job and adopts it",
                "Assign": {
                    "jobName": _jsonata("$runId & '-' & $pad($string($attempt), -2, '0')"),
                    "deadline": _jsonata(f"$millis() + {spec.job_timeout_seconds * 1000}"),
                    "apiAttempt": 0,
                    "describeAttempt": 0,
                },
                "Next": "Transform",
            },
            "Transform": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
                "Arguments": request,
                "TimeoutSeconds": spec.job_timeout_seconds,
                "Output": succeeded,
                "Catch": [
                    {
                        "ErrorEquals": ["States.Timeout"],
                        "Assign": {"failure": timed_out},
                        "Next": "StopTimedOutJob",
                    },
                    {"ErrorEquals": ["States.ALL"], "Assign": {"failure": failure}, "Next": "FindJob"},
                ],
                "End": True,
            },
            "FindJob": {
                "Type": "Task",
                "Comment": "Whatever failed, the job may exist (a lost create response, a duplicate run): ask",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeTransformJob",
                "Arguments": {"TransformJobName": _jsonata("$jobName")},
                "Output": _jsonata("$states.result"),
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Output": {
                            "error": _jsonata(
                                "$exists($states.errorOutput.Error) ? $states.errorOutput.Error : 'States.TaskFailed'"
                            ),
                            "cause": _jsonata(
                                "$exists($states.errorOutput.Cause) ? $states.errorOutput.Cause : ''"
                            ),
                        },
                        "Next": "DescribeFailed",
                    }
                ],
                "Next": "JobStatus",
            },
            "DescribeFailed": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": _jsonata(
                            f"{_error_is(('ResourceNotFound',), '$states.input')} or "
                            "$contains($states.input.cause, /(does not exist|not found)/i)"
                        ),
                        "Next": "ClassifyCreateError",
                    },
                    {
                        "Condition": _jsonata(
                            f"$describeAttempt < {API_RETRIES} and {_error_is(TRANSIENT_API_ERRORS, '$states.input')}"
                        ),
                        "Next": "WaitBeforeDescribe",
                    },
                ],
                "Default": "DescribeError",
            },
            "DescribeError": {
                "Type": "Pass",
                "Assign": {"failure": _jsonata("$states.input")},
                "Next": "NotifyFailure",
            },
            "WaitBeforeDescribe": {
                "Type": "Wait",
                "Seconds": _jsonata(
                    f"$min([{API_RETRY_SECONDS} * $power(2, $describeAttempt), {API_RETRY_MAX_SECONDS}])"
                ),
                "Assign": {"describeAttempt": _jsonata("$describeAttempt + 1")},
                "Next": "FindJob",
            },
            "ClassifyCreateError": {
                "Type": "Choice",
                "Comment": "The job was never created: retry transient errors in place, quota errors later",
                "Choices": [
                    {
                        "Condition": _jsonata(
                            f"$apiAttempt < {API_RETRIES} and {_error_is(TRANSIENT_API_ERRORS, '$failure')}"
                        ),
                        "Next": "WaitBeforeCreate",
                    },
                    {
                        "Condition": _jsonata(
                            f"$attempt <= {spec.capacity_retries} and {_error_is(QUOTA_API_ERRORS, '$failure')}"
                        ),
                        "Next": "WaitBeforeRetry",
                    },
                ],
                "Default": "NotifyFailure",
            },
            "WaitBeforeCreate": {
                "Type": "Wait",
                "Seconds": _jsonata(
                    f"$min([{API_RETRY_SECONDS} * $power(2, $apiAttempt), {API_RETRY_MAX_SECONDS}])"
                ),
                "Assign": {"apiAttempt": _jsonata("$apiAttempt + 1")},
                "Next": "Transform",
            },
            "JobStatus": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": _jsonata("$states.input.TransformJobStatus = 'Completed'"),
                        "Next": "AdoptedJobCompleted",
                    },
                    {
                        "Condition": _jsonata(
                            "$states.input.TransformJobStatus in ['InProgress', 'Stopping'] and $millis() >= $deadline"
                        ),
                        "Assign": {"failure": timed_out},
                        "Next": "StopTimedOutJob",
                    },
                    {
                        "Condition": _jsonata(
                            "$states.input.TransformJobStatus in ['InProgress', 'Stopping']"
                        ),
                        "Next": "WaitForJob",
                    },
                    {
                        "Condition": _jsonata("$states.input.TransformJobStatus = 'Failed'"),
                        # As the .sync integration reports a failed job (an assumption: README).
                        "Assign": {
                            "failure": {
                                "error": "States.TaskFailed",
                                "cause": _jsonata("$string($states.input)"),
                            }
                        },
                        "Next": "RetryableFailure",
                    },
                ],
                "Default": "JobStopped",
            },
            "JobStopped": {
                "Type": "Pass",
                "Assign": {
                    "failure": {
                        "error": "TransformJobStopped",
                        "cause": _jsonata("'Transform job ' & $jobName & ' was stopped by someone else'"),
                    }
                },
                "Next": "NotifyFailure",
            },
            "WaitForJob": {
                "Type": "Wait",
                "Seconds": POLL_SECONDS,
                "Assign": {"describeAttempt": 0},
                "Next": "FindJob",
            },
            "AdoptedJobCompleted": {
                "Type": "Pass",
                "Output": {
                    **succeeded,
                    "status": _jsonata("$states.input.TransformJobStatus"),
                },
                "End": True,
            },
            "RetryableFailure": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": _jsonata(f"$attempt <= {spec.capacity_retries} and {retryable_failure}"),
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
