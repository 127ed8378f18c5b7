"""Integration test of the reference app in a real account (aws-cdk integ-runner + integ-tests-alpha).

Deploys the five reference stacks, then asserts, from a Step Functions-driven assertion stack:

1. the endpoint answers ``InvokeEndpoint`` with a CSV row of the sample model's test features;
2. a batch transform run succeeds: a CSV of test features is put under ``input/integ/`` and the transform state
   machine is started on that prefix, then polled until ``SUCCEEDED``;
3. the endpoint's hourly data-quality monitor runs: skewed rows (negative values and fractions in columns the
   baseline makes non-negative and integral) are sent to the endpoint, whose data capture records them, and the
   monitor's workflow (the open backend, the app's default: Scheduler, Step Functions, a processing job) must
   have a ``SUCCEEDED`` execution (``ListExecutions``; up to two hours, since the schedule runs at the top of each
   hour);
4. the violation starts the retraining pipeline (up to two hours more: the run that reads the skewed capture may
   be the next hour's): the newest execution (``ListPipelineExecutions`` by creation
   time) was started by the retraining trigger for a monitor violation of that very schedule (the trigger
   confirms it on the run's ``summary.json``, status ``CompletedWithViolations``). Its parameters
   (``ListPipelineParametersForExecution``) hold ``TriggerType`` = ``monitor-violation`` (the value the trigger
   passes for a confirmed violation, ``lambdas/retraining_trigger/contract.py``) and ``TriggerMonitor`` = the
   data-quality schedule's name; a run started by the fallback schedule (``schedule``), an alarm (``alarm``) or
   another monitor fails the test.
5. an approved model package reaches production: a version of the retraining stack's group is registered
   already ``Approved`` (``CreateModelPackage``; the sample model's artifact, the same asset object the
   challenger's role may read, on the XGBoost image), and within two hours ``SageMakerRealtime``'s parameter
   ``ChallengerModelPackageArn`` holds its ARN with the stack ``UPDATE_COMPLETE`` (the approved-model deployer
   updated the stack, and the endpoint's canary let it through), after which the challenger variant answers.

Run it against an account (see README, "Integration tests in a real account")::

    npx integ-runner --language python --directory integ --update-on-failed --parallel-regions us-east-1

Offline, ``make test`` checks the committed snapshot (``integ_reference_app.py.snapshot/``) against a fresh
synthesis (tests/integ/test_integ_snapshots.py), so a template change without a snapshot update fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

# integ-runner runs this file as a script from its own folder: make the repository importable.
REPO_ROOT = Path(__file__).resolve().parent.parent
for path in (REPO_ROOT, REPO_ROOT / "constructs"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from aws_cdk import App, Duration, Stack, assertions  # noqa: E402
from aws_cdk import aws_s3_assets as s3_assets  # noqa: E402
from aws_cdk import integ_tests_alpha as integ  # noqa: E402

from infra.app import build_app, cdk_context  # noqa: E402
from infra.realtime_stack import CHALLENGER_PARAMETER, MODEL_ARTIFACT, XGBOOST_VERSION  # noqa: E402
from infra.retraining_pipeline import TRIGGER_PARAMETERS  # noqa: E402
from lambdas.retraining_trigger.contract import TRIGGER_MONITOR_VIOLATION  # noqa: E402
from sagemaker_constructs import ContainerImage  # noqa: E402

SAMPLE_ROWS = (REPO_ROOT / "model_artifacts" / "churn" / "test_features.csv").read_text().splitlines()
# The baseline (model_artifacts/churn/baselines/data_quality/constraints.json) makes every feature non-negative
# and the integral ones integral: negative values break is_non_negative, fractions in integral columns break the
# data type check, and the values lie far outside the baseline's distributions. All stay numbers, so the model
# still answers (a text value would fail the InvokeEndpoint and the deployment with it).
SKEWED_ROWS = ["-40.5,-900,-99999.99,-250.5,-7,-9,-80", "250.5,-1,-500.00,99.5,-1,-1,-2"]
TRANSFORM_PREFIX = "input/integ/"


def build(outdir: str | None = None) -> App:
    """The app: the reference stacks (without cdk-nag, which ``make synth`` and the unit tests run) and the test."""
    app = build_app(App(context=cdk_context(), outdir=outdir), nag=False)
    realtime = app.node.find_child("SageMakerRealtime")
    batch = app.node.find_child("SageMakerBatch")
    retraining = app.node.find_child("SageMakerRetraining")
    monitoring = app.node.find_child("SageMakerMonitoring")
    stacks = [realtime, batch, retraining, monitoring, app.node.find_child("SageMakerOperations")]
    test = integ.IntegTest(
        app,
        "ReferenceApp",
        test_cases=stacks,  # type: ignore[arg-type]
        regions=["us-east-1"],
        diff_assets=False,
    )
    endpoint_name = realtime.endpoint.endpoint_name  # type: ignore[attr-defined]

    # 1. The endpoint answers a CSV row.
    invoke = test.assertions.aws_api_call(
        "SageMakerRuntime",
        "invokeEndpoint",
        {"EndpointName": endpoint_name, "ContentType": "text/csv", "Body": SAMPLE_ROWS[0]},
    )
    # The response body is a blob (bytes) that the assertion provider does not decode: the content type shows
    # the model container answered. The XGBoost container may add a charset.
    invoke.expect(
        integ.ExpectedResult.object_like({"ContentType": assertions.Match.string_like_regexp("^text/csv")})
    )

    # 2. A transform run on the sample features succeeds.
    put_input = test.assertions.aws_api_call(
        "S3",
        "putObject",
        {
            "Bucket": batch.input_data.bucket.bucket_name,  # type: ignore[attr-defined]
            "Key": f"{TRANSFORM_PREFIX}test_features.csv",
            "Body": "\n".join(SAMPLE_ROWS) + "\n",
        },
    )
    start = test.assertions.aws_api_call(
        "SFN",
        "startExecution",
        {
            "stateMachineArn": batch.transform.state_machine.state_machine_arn,  # type: ignore[attr-defined]
            "input": f'{{"inputPrefix": "{TRANSFORM_PREFIX}"}}',
        },
    )
    described = test.assertions.aws_api_call(
        "SFN", "describeExecution", {"executionArn": start.get_att_string("executionArn")}
    )
    described.expect(integ.ExpectedResult.object_like({"status": "SUCCEEDED"})).wait_for_assertions(
        total_timeout=Duration.hours(1), interval=Duration.minutes(2)
    )
    put_input.next(start)

    # 3. Skewed traffic makes the hourly data-quality monitor report violations.
    previous = invoke
    for row in SKEWED_ROWS * 15:
        call = test.assertions.aws_api_call(
            "SageMakerRuntime",
            "invokeEndpoint",
            {"EndpointName": endpoint_name, "ContentType": "text/csv", "Body": row},
        )
        previous.next(call)
        previous = call
    data_quality = next(m for m in monitoring.monitors if m.node.id == "EndpointDataQuality")  # type: ignore[attr-defined]
    executions = test.assertions.aws_api_call(
        "SFN",
        "listExecutions",
        {
            "stateMachineArn": data_quality.state_machine.state_machine_arn,
            "statusFilter": "SUCCEEDED",
            "maxResults": 1,
        },
    )
    executions.expect(
        integ.ExpectedResult.object_like({"executions": [{"status": "SUCCEEDED"}]})
    ).wait_for_assertions(total_timeout=Duration.hours(2), interval=Duration.minutes(10))
    previous.next(executions)

    # 4. The violation starts the retraining pipeline: the newest execution's parameters name the trigger
    # (a monitor violation, not the fallback schedule or an alarm) and the data-quality schedule.
    pipelines = test.assertions.aws_api_call(
        "SageMaker",
        "listPipelineExecutions",
        {
            "PipelineName": retraining.pipeline.pipeline_name,  # type: ignore[attr-defined]
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": 1,
        },
    )
    pipelines.assert_at_path(
        "PipelineExecutionSummaries.0.PipelineExecutionStatus",
        integ.ExpectedResult.string_like_regexp("Executing|Succeeded|Failed|Stopping|Stopped"),
    ).wait_for_assertions(total_timeout=Duration.hours(2), interval=Duration.minutes(5))
    executions.next(pipelines)
    previous = pipelines
    for parameter, value in trigger_expectations(data_quality.monitoring_schedule_name).items():
        # One assertion per parameter: the API documents no order for the list, and $ArrayWith matches a
        # subsequence in order.
        started_by = test.assertions.aws_api_call(
            "SageMaker",
            "listPipelineParametersForExecution",
            {
                "PipelineExecutionArn": pipelines.get_att_string(
                    "PipelineExecutionSummaries.0.PipelineExecutionArn"
                ),
                "MaxResults": 100,
            },
        )
        started_by.expect(
            integ.ExpectedResult.object_like(
                {"PipelineParameters": integ.Match.array_with([{"Name": parameter, "Value": value}])}
            )
        )
        previous.next(started_by)
        previous = started_by

    # 5. An approved version of the group reaches the challenger through the stack's parameter.
    assert_stack = Stack.of(invoke)  # the assertion stack
    artifact = s3_assets.Asset(
        assert_stack, "ApprovedModelArtifact", path=str(MODEL_ARTIFACT)
    )  # same object key
    registered = test.assertions.aws_api_call(
        "SageMaker",
        "createModelPackage",
        {
            "ModelPackageGroupName": retraining.model_package_group_name,  # type: ignore[attr-defined]
            "ModelPackageDescription": "integ: the sample model, approved",
            "ModelApprovalStatus": "Approved",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": ContainerImage.for_algorithm("xgboost", XGBOOST_VERSION).bind(
                            assert_stack, None
                        ),
                        "ModelDataUrl": artifact.s3_object_url,
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        },
    )
    previous.next(registered)
    served = test.assertions.aws_api_call(
        "CloudFormation", "describeStacks", {"StackName": realtime.stack_name}
    )  # type: ignore[attr-defined]
    served.expect(
        integ.ExpectedResult.object_like(
            {
                "Stacks": [
                    {
                        "StackStatus": "UPDATE_COMPLETE",
                        "Parameters": integ.Match.array_with(
                            [
                                {
                                    "ParameterKey": CHALLENGER_PARAMETER,
                                    "ParameterValue": registered.get_att_string("ModelPackageArn"),
                                }
                            ]
                        ),
                    }
                ]
            }
        )
    ).wait_for_assertions(total_timeout=Duration.hours(2), interval=Duration.minutes(5))
    registered.next(served)
    challenger = test.assertions.aws_api_call(
        "SageMakerRuntime",
        "invokeEndpoint",
        {
            "EndpointName": endpoint_name,
            "TargetVariant": "challenger",
            "ContentType": "text/csv",
            "Body": SAMPLE_ROWS[0],
        },
    )
    challenger.expect(
        integ.ExpectedResult.object_like({"ContentType": assertions.Match.string_like_regexp("^text/csv")})
    )
    served.next(challenger)
    return app


def trigger_expectations(schedule_name: str) -> dict[str, str]:
    """Pipeline parameter -> the value a run started by ``schedule_name``'s violation gets from the trigger."""
    by_field = {field: name for name, field in TRIGGER_PARAMETERS.items()}
    return {
        by_field["trigger_type"]: TRIGGER_MONITOR_VIOLATION,
        by_field["monitoring_schedule"]: schedule_name,
    }


if __name__ == "__main__":
    build().synth()
