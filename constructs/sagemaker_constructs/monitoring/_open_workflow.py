"""The Step Functions workflow (JSONata ASL) of the open monitoring backend: one execution per scheduled run.

Init -> Plan (Lambda) -> HasData? -> [no data: WriteNoDataSummary] -> one processing job per step (.sync):
Analyze [-> Merge] or Extract -> Clarify -> Compare -> ReadSummary (S3 GetObject) -> PublishMetrics (Map of
PutMetricData) -> PutEvent (EventBridge) -> Succeeded. Every failure -> [NotifyFailure (SNS)] ->
PutFailedEvent -> RunFailed.

Each job step is ``Run<Step>`` (``createProcessingJob.sync``); whatever fails, ``Find<Step>`` asks
DescribeProcessingJob: a job that exists (a retried schedule delivery, a create whose response was lost) is
adopted (waited for, or taken as done), a job that was never created is created again after a back-off when the
error was transient, and anything else fails the run. Job names are ``<schedule name, cut>-<16 hex digits of
SHA-256 of the schedule name and scheduled time>-<step letter>``, at most 59 characters (CreateProcessingJob's
``ProcessingJobName``: at most 63), so every delivery of one scheduled run reaches the same jobs.

Error names follow the batch transform workflow (``batch/_transform_workflow.py``, whose module docstring gives
the sources and the assumptions that cannot be checked offline). The event is design14 §4's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sagemaker_constructs.batch._transform_workflow import _jsonata, _quote

from ._open_job_states import (
    JobStep,
    _catch_all,
    _job_states,
)

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
S3_GET_OBJECT = "arn:aws:states:::aws-sdk:s3:getObject"
EXTRACT_FOLDER = "extract"
"""Explainability: where the extract step writes (under the run prefix): its dataset and its summary."""
S3_PUT_OBJECT = "arn:aws:states:::aws-sdk:s3:putObject"
S3_COPY_OBJECT = "arn:aws:states:::aws-sdk:s3:copyObject"
PUT_METRIC_DATA = "arn:aws:states:::aws-sdk:cloudwatch:putMetricData"
PUT_EVENTS = "arn:aws:states:::events:putEvents"
SNS_PUBLISH = "arn:aws:states:::sns:publish"

EVENT_SOURCE = "sagemaker-constructs.monitoring"
EVENT_DETAIL_TYPE = "Monitoring Execution Status Change"
JOB_NAME_BASE_LENGTH = 40
"""Characters of the schedule name that start the job names (+ "-" + 16 hex + "-" + a letter: 59)."""
_HASH_LENGTH = 16
_ISO_SECONDS = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]Z"
# The retriers Step Functions recommends for Lambda invocations ("Handle transient Lambda service exceptions",
# https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
_LAMBDA_RETRY = {
    "ErrorEquals": [
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    ],
    "IntervalSeconds": 2,
    "MaxAttempts": 6,
    "BackoffRate": 2,
    "JitterStrategy": "FULL",
}
_S3_RETRY = {
    "ErrorEquals": ["S3.S3Exception", "S3.SdkClientException"],
    "IntervalSeconds": 2,
    "MaxAttempts": 3,
    "BackoffRate": 2,
    "JitterStrategy": "FULL",
}
_TASK_RETRY = {
    "ErrorEquals": ["States.TaskFailed"],
    "IntervalSeconds": 2,
    "MaxAttempts": 3,
    "BackoffRate": 2,
    "JitterStrategy": "FULL",
}


@dataclass(frozen=True)
class OpenWorkflowSpec:
    """Everything the workflow needs, already rendered to strings or tokens."""

    planner_function_arn: str
    monitor_config: dict[str, Any]
    """The planner's static ``monitor`` payload (design14 §3)."""
    schedule_name: str
    monitoring_type: str
    endpoint_name: str
    """The monitored endpoint's name, "" for a batch transform."""
    output_bucket_name: str
    output_kms_key_arn: str | None
    steps: list[JobStep]
    metric_namespace: str | None
    """Where the summary's metric data goes; None publishes none."""
    topic_arn: str | None
    min_samples: int
    static_inputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Named lists of ProcessingInputs known at synth (code, baseline), assigned as variables."""
    baseline_copies: list[tuple[str, str]] = field(default_factory=list)
    """(``bucket/key``, file name) of each baseline file, copied to ``<run prefix>/baseline/<file name>`` before the
    first job: the script reads ``constraints.json``, ``statistics.json`` or ``analysis.json`` by name, and a
    processing input keeps an object's own name (an asset's is its hash)."""
    clarify_config: dict[str, Any] | None = None
    """Explainability: the Clarify analysis config, written to ``<run prefix>/clarify-config/`` before the
    Clarify job (a processing input keeps the object's name, and Clarify reads ``analysis_config.json``)."""


def _event_entry(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "Source": EVENT_SOURCE,
        "DetailType": EVENT_DETAIL_TYPE,
        "EventBusName": "default",
        "Detail": detail,
    }


def _put_json(spec: OpenWorkflowSpec, key: str, body: str) -> dict[str, Any]:
    """The arguments of an S3 PutObject of a JSON document under the reports (``key`` and ``body`` are JSONata),
    encrypted with the reports' key when there is one."""
    arguments: dict[str, Any] = {
        "Bucket": spec.output_bucket_name,
        "Key": _jsonata(key),
        "ContentType": "application/json",
        "Body": _jsonata(body),
    }
    if spec.output_kms_key_arn is not None:
        arguments["ServerSideEncryption"] = "aws:kms"
        arguments["SSEKMSKeyId"] = spec.output_kms_key_arn
    return arguments


def definition(spec: OpenWorkflowSpec) -> dict[str, Any]:
    """The state machine definition as a dict (tokens may be embedded in strings)."""
    bucket = _quote(spec.output_bucket_name)
    raw_time = "($exists($states.input.scheduledTime) ? $states.input.scheduledTime : $states.context.Execution.StartTime)"
    base = spec.schedule_name[:JOB_NAME_BASE_LENGTH]
    run_key = f"{_quote(spec.schedule_name + '#')} & $scheduledTime"
    common_detail = {
        "schemaVersion": "1",
        "monitoringScheduleName": spec.schedule_name,
        "monitoringType": spec.monitoring_type,
        "scheduledTime": _jsonata("$scheduledTime"),
        "executionArn": _jsonata("$states.context.Execution.Id"),
        "endpointName": spec.endpoint_name,
    }
    no_data_summary = (
        f"{{'schemaVersion': '1', 'monitoringType': {_quote(spec.monitoring_type)}, "
        f"'monitoringScheduleName': {_quote(spec.schedule_name)}, 'status': 'Completed', 'verdict': 'no-data', "
        "'violations': 0, 'violatedChecks': [], "
        "'records': {'read': 0, 'used': 0, 'malformed': 0, 'skipped': {}, 'files': 0}, "
        f"'minSamples': {spec.min_samples}, 'namespace': {_quote(spec.metric_namespace or '-')}, 'metricData': []}}"
    )
    put_no_data = _put_json(spec, "$plan.summaryKey", f"$string({no_data_summary})")
    first_job = "StageBaseline1" if spec.baseline_copies else f"Run{spec.steps[0].name}"
    after_summary = "PublishMetrics" if spec.metric_namespace is not None else "PutEvent"
    states: dict[str, Any] = {
        "Init": {
            "Type": "Pass",
            "Comment": "The run's scheduled time (whole seconds, UTC) names its jobs and report folder",
            "Assign": {
                "scheduledTime": _jsonata(f"$fromMillis($toMillis({raw_time}), {_quote(_ISO_SECONDS)})"),
                "apiAttempt": 0,
                "plan": {"reportUri": ""},
                "summary": {},
                "failure": {"error": "States.TaskFailed", "cause": ""},
                **spec.static_inputs,
                # As JSON text: the file's exact content (asl-validator 4's schema also refuses arrays of
                # numbers in Assign, such as a SHAP baseline).
                **(
                    {"clarifyConfig": json.dumps(spec.clarify_config, sort_keys=True)}
                    if spec.clarify_config is not None
                    else {}
                ),
            },
            "Next": "NameJobs",
        },
        "NameJobs": {
            "Type": "Pass",
            "Assign": {
                "jobBase": _jsonata(
                    f"{_quote(base + '-')} & $substring($hash({run_key}, 'SHA-256'), 0, {_HASH_LENGTH})"
                )
            },
            "Next": "Plan",
        },
        "Plan": {
            "Type": "Task",
            "Comment": "The planner lists the window's captured data, writes the manifests and monitor.json",
            "Resource": LAMBDA_INVOKE,
            "Arguments": {
                "FunctionName": spec.planner_function_arn,
                "Payload": {
                    "scheduledTime": _jsonata("$scheduledTime"),
                    "executionName": _jsonata("$states.context.Execution.Name"),
                    "monitor": spec.monitor_config,
                },
            },
            "Assign": {"plan": _jsonata("$states.result.Payload")},
            "Retry": [_LAMBDA_RETRY],
            "Catch": _catch_all(),
            "Next": "HasData",
        },
        "HasData": {
            "Type": "Choice",
            "Choices": [{"Condition": _jsonata("$plan.empty = true"), "Next": "WriteNoDataSummary"}],
            "Default": first_job,
        },
        "WriteNoDataSummary": {
            "Type": "Task",
            "Comment": "No captured data in the window: a no-data summary, no job",
            "Resource": S3_PUT_OBJECT,
            "Arguments": put_no_data,
            "Assign": {"summary": _jsonata(no_data_summary)},
            "Retry": [_S3_RETRY],
            "Catch": _catch_all(),
            "Next": "PutEvent",
        },
    }
    for index, (copy_source, file_name) in enumerate(spec.baseline_copies, start=1):
        copy: dict[str, Any] = {
            "Bucket": spec.output_bucket_name,
            "Key": _jsonata(f"$plan.runPrefix & '/baseline/{file_name}'"),
            "CopySource": copy_source,
        }
        if spec.output_kms_key_arn is not None:
            copy["ServerSideEncryption"] = "aws:kms"
            copy["SSEKMSKeyId"] = spec.output_kms_key_arn
        following = (
            f"StageBaseline{index + 1}" if index < len(spec.baseline_copies) else f"Run{spec.steps[0].name}"
        )
        states[f"StageBaseline{index}"] = {
            "Type": "Task",
            "Comment": f"The baseline's {file_name}, under the name the script reads",
            "Resource": S3_COPY_OBJECT,
            "Arguments": copy,
            "Retry": [_S3_RETRY],
            "Catch": _catch_all(),
            "Next": following,
        }
    for index, step in enumerate(spec.steps):
        following = f"Run{spec.steps[index + 1].name}" if index + 1 < len(spec.steps) else "ReadSummary"
        if following == "RunClarify" and spec.clarify_config is not None:
            following = "ReadExtractSummary"
        states.update(_job_states(step, following))
    if spec.clarify_config is not None:
        # An extract without enough records to judge (no-data or insufficient-data) ends the run there: Clarify would
        # fail on an empty dataset, and the script's verdict is already the run's. Its summary becomes the run's.
        states["ReadExtractSummary"] = {
            "Type": "Task",
            "Comment": "The extract step's verdict: enough records to explain?",
            "Resource": S3_GET_OBJECT,
            "Arguments": {
                "Bucket": spec.output_bucket_name,
                "Key": _jsonata(f"$plan.runPrefix & '/{EXTRACT_FOLDER}/summary.json'"),
            },
            "Assign": {"summary": _jsonata("$parse($states.result.Body)")},
            "Retry": [_S3_RETRY],
            "Catch": _catch_all(),
            "Next": "EnoughToExplain",
        }
        states["EnoughToExplain"] = {
            "Type": "Choice",
            "Choices": [
                {
                    "Condition": _jsonata(
                        "$summary.verdict = 'no-data' or $summary.verdict = 'insufficient-data'"
                    ),
                    "Next": "WriteExtractSummary",
                }
            ],
            "Default": "WriteClarifyConfig",
        }
        put_summary = _put_json(spec, "$plan.summaryKey", "$string($summary)")
        states["WriteExtractSummary"] = {
            "Type": "Task",
            "Comment": "Too few records to explain: the extract's summary is the run's (no Clarify job)",
            "Resource": S3_PUT_OBJECT,
            "Arguments": put_summary,
            "Retry": [_S3_RETRY],
            "Catch": _catch_all(),
            "Next": after_summary,
        }
    if spec.clarify_config is not None:
        put_config = _put_json(
            spec, "$plan.runPrefix & '/clarify-config/analysis_config.json'", "$clarifyConfig"
        )
        states["WriteClarifyConfig"] = {
            "Type": "Task",
            "Comment": "Clarify reads analysis_config.json from its config channel",
            "Resource": S3_PUT_OBJECT,
            "Arguments": put_config,
            "Retry": [_S3_RETRY],
            "Catch": _catch_all(),
            "Next": "RunClarify",
        }
    states["ReadSummary"] = {
        "Type": "Task",
        "Resource": S3_GET_OBJECT,
        "Arguments": {"Bucket": spec.output_bucket_name, "Key": _jsonata("$plan.summaryKey")},
        "Assign": {"summary": _jsonata("$parse($states.result.Body)")},
        "Retry": [_S3_RETRY],
        "Catch": _catch_all(),
        "Next": after_summary,
    }
    if spec.metric_namespace is not None:
        states["PublishMetrics"] = {
            "Type": "Map",
            "Comment": "One PutMetricData per batch of at most 20 datums (the summary's metricData)",
            "Items": _jsonata("$exists($summary.metricData) ? $summary.metricData : []"),
            "MaxConcurrency": 4,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "PutMetricData",
                "States": {
                    "PutMetricData": {
                        "Type": "Task",
                        "Resource": PUT_METRIC_DATA,
                        "Arguments": {
                            "Namespace": spec.metric_namespace,
                            "MetricData": _jsonata("$states.input"),
                        },
                        "Retry": [_TASK_RETRY],
                        "End": True,
                    }
                },
            },
            "Catch": _catch_all(),
            "Next": "PutEvent",
        }
    summary_uri = f"'s3://' & {bucket} & '/' & $plan.summaryKey"
    states["PutEvent"] = {
        "Type": "Task",
        "Resource": PUT_EVENTS,
        "Arguments": {
            "Entries": [
                _event_entry(
                    {
                        **common_detail,
                        "monitoringExecutionStatus": _jsonata("$summary.status"),
                        "verdict": _jsonata("$summary.verdict"),
                        "violations": _jsonata("$summary.violations"),
                        "violatedChecks": _jsonata("$append([], $summary.violatedChecks)"),
                        "reportUri": _jsonata("$plan.reportUri"),
                        "summaryUri": _jsonata(summary_uri),
                    }
                )
            ]
        },
        "Retry": [_TASK_RETRY],
        "Catch": _catch_all(),
        "Next": "Succeeded",
    }
    states["Succeeded"] = {"Type": "Succeed"}
    states["FailureRaised"] = {
        "Type": "Pass",
        "Next": "NotifyFailure" if spec.topic_arn is not None else "PutFailedEvent",
    }
    if spec.topic_arn is not None:
        states["NotifyFailure"] = {
            "Type": "Task",
            "Resource": SNS_PUBLISH,
            "Arguments": {
                "TopicArn": spec.topic_arn,
                "Subject": "SageMaker monitoring run failed",
                "Message": _jsonata(
                    f"$string({{'execution': $states.context.Execution.Id, 'monitoringScheduleName': "
                    f"{_quote(spec.schedule_name)}, 'scheduledTime': $scheduledTime, 'error': $failure.error, "
                    "'cause': $failure.cause})"
                ),
            },
            "Retry": [_TASK_RETRY],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "PutFailedEvent"}],
            "Next": "PutFailedEvent",
        }
    states["PutFailedEvent"] = {
        "Type": "Task",
        "Resource": PUT_EVENTS,
        "Arguments": {
            "Entries": [
                _event_entry(
                    {
                        **common_detail,
                        "monitoringExecutionStatus": "Failed",
                        "violations": 0,
                        "violatedChecks": [],
                        "reportUri": _jsonata("$exists($plan.reportUri) ? $plan.reportUri : ''"),
                        "failureReason": _jsonata(
                            "$substring($failure.error & ': ' & $failure.cause, 0, 1024)"
                        ),
                    }
                )
            ]
        },
        "Retry": [_TASK_RETRY],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "RunFailed"}],
        "Next": "RunFailed",
    }
    states["RunFailed"] = {
        "Type": "Fail",
        "Error": _jsonata("$failure.error"),
        "Cause": _jsonata("$failure.cause"),
    }
    return {
        "Comment": f"Runs {spec.monitoring_type} monitoring schedule {spec.schedule_name} (sagemaker-constructs)",
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": states,
    }
