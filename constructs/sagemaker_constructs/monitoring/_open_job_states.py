"""The states of one processing job step of the open monitoring workflow (``_open_workflow``): run it (``.sync``),
and whatever fails, find it (DescribeProcessingJob) to adopt a job that exists, or create it again after a
back-off when the error was transient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sagemaker_constructs.batch._transform_workflow import (
    API_RETRIES,
    API_RETRY_MAX_SECONDS,
    API_RETRY_SECONDS,
    POLL_SECONDS,
    TRANSIENT_API_ERRORS,
    _error_is,
    _jsonata,
)

PROCESSING_SYNC = "arn:aws:states:::sagemaker:createProcessingJob.sync"
DESCRIBE_PROCESSING = "arn:aws:states:::aws-sdk:sagemaker:describeProcessingJob"
# DescribeProcessingJob through the AWS SDK integration: throttling and internal errors are not in its botocore
# model (ResourceNotFound is), so they surface as the service's base exception.
_DESCRIBE_RETRY = {
    "ErrorEquals": [
        "SageMaker.SageMakerException",
        "SageMaker.ThrottlingException",
        "SageMaker.SdkClientException",
    ],
    "IntervalSeconds": API_RETRY_SECONDS,
    "MaxAttempts": API_RETRIES,
    "BackoffRate": 2,
    "MaxDelaySeconds": API_RETRY_MAX_SECONDS,
    "JitterStrategy": "FULL",
}


@dataclass(frozen=True)
class JobStep:
    """One processing job of the run: its state-name stem, job-name letter and CreateProcessingJob request
    (without ``ProcessingJobName``; strings may be JSONata templates over ``$plan`` and the static inputs)."""

    name: str
    letter: str
    request: dict[str, Any]
    timeout_seconds: int


def failure_from_error() -> dict[str, str]:
    """A catcher's ``failure`` (error outputs may lack a Cause: task timeouts)."""
    return {
        "error": _jsonata(
            "$exists($states.errorOutput.Error) ? $states.errorOutput.Error : 'States.TaskFailed'"
        ),
        "cause": _jsonata("$exists($states.errorOutput.Cause) ? $states.errorOutput.Cause : ''"),
    }


def _catch_all(assign_failure: bool = True) -> list[dict[str, Any]]:
    catcher: dict[str, Any] = {"ErrorEquals": ["States.ALL"], "Next": "FailureRaised"}
    if assign_failure:
        catcher["Assign"] = {"failure": failure_from_error()}
    return [catcher]


def _job_states(step: JobStep, next_state: str) -> dict[str, Any]:
    """Run, find (adopt), wait and classify states of one processing job step."""
    name = step.name
    request = {"ProcessingJobName": _jsonata(f"$jobBase & '-{step.letter}'"), **step.request}
    transient = _error_is(TRANSIENT_API_ERRORS, "$failure")
    return {
        f"Run{name}": {
            "Type": "Task",
            "Comment": f"The {name.lower()} job; any failure asks whether the job exists",
            "Resource": PROCESSING_SYNC,
            "Arguments": request,
            "TimeoutSeconds": step.timeout_seconds,
            "Assign": {"apiAttempt": 0},
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {"failure": failure_from_error()},
                    "Next": f"Find{name}",
                }
            ],
            "Next": next_state,
        },
        f"Find{name}": {
            "Type": "Task",
            "Resource": DESCRIBE_PROCESSING,
            "Arguments": {"ProcessingJobName": _jsonata(f"$jobBase & '-{step.letter}'")},
            "Output": {
                "status": _jsonata("$states.result.ProcessingJobStatus"),
                "reason": _jsonata(
                    "$exists($states.result.FailureReason) ? $states.result.FailureReason : "
                    "$states.result.ProcessingJobStatus"
                ),
            },
            "Retry": [_DESCRIBE_RETRY],
            "Catch": [
                {"ErrorEquals": ["SageMaker.ResourceNotFoundException"], "Next": f"NotCreated{name}"},
                *_catch_all(),
            ],
            "Next": f"{name}Status",
        },
        f"{name}Status": {
            "Type": "Choice",
            "Choices": [
                {
                    "Condition": _jsonata("$states.input.status = 'Completed'"),
                    "Assign": {"apiAttempt": 0},
                    "Next": next_state,
                },
                {
                    "Condition": _jsonata("$states.input.status in ['InProgress', 'Stopping']"),
                    "Next": f"WaitFor{name}",
                },
            ],
            "Default": f"{name}Failed",
        },
        f"WaitFor{name}": {"Type": "Wait", "Seconds": POLL_SECONDS, "Next": f"Find{name}"},
        f"{name}Failed": {
            "Type": "Pass",
            "Assign": {
                "failure": {
                    "error": "ProcessingJobFailed",
                    "cause": _jsonata(
                        f"'Processing job ' & $jobBase & '-{step.letter}: ' & $states.input.reason"
                    ),
                }
            },
            "Next": "FailureRaised",
        },
        f"NotCreated{name}": {
            "Type": "Choice",
            "Comment": "The job was never created: retry transient API errors after a back-off",
            "Choices": [
                {
                    "Condition": _jsonata(f"$apiAttempt < {API_RETRIES} and {transient}"),
                    "Next": f"BackOff{name}",
                }
            ],
            "Default": "FailureRaised",
        },
        f"BackOff{name}": {
            "Type": "Wait",
            "Seconds": _jsonata(
                f"$min([{API_RETRY_SECONDS} * $power(2, $apiAttempt), {API_RETRY_MAX_SECONDS}])"
            ),
            "Assign": {"apiAttempt": _jsonata("$apiAttempt + 1")},
            "Next": f"Run{name}",
        },
    }
