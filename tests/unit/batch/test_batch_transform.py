"""BatchTransform: the state machine, its request, triggers, permissions, alarms and validation."""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
import pytest
from aws_cdk import Duration, RemovalPolicy, Size, Stack, TimeZone
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from botocore.validate import ParamValidator

from sagemaker_constructs import (
    AssembleWith,
    BatchDataCapture,
    BatchStrategy,
    BatchTransform,
    CompressionType,
    ContainerDefinition,
    ContainerImage,
    DataProcessing,
    JoinSource,
    Model,
    ModelClientOptions,
    ModelData,
    SecureBucket,
    SplitType,
    TransformInput,
    TransformOutput,
    TransformSchedule,
)
from sagemaker_constructs.batch.transform_schedule import expression_problems

SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"


def model(stack: Stack) -> Model:
    return Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )


def input_bucket(stack: Stack) -> s3.IBucket:
    existing = stack.node.try_find_child("Input")
    if existing is not None:
        return existing  # type: ignore[return-value]
    return s3.Bucket.from_bucket_name(stack, "Input", "input-bucket")


def definition_of(template: Template) -> dict[str, Any]:
    """The state machine definition with every CloudFormation token replaced by a plausible literal."""
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        elif "Ref" in part:
            text += f"ref-{part['Ref'].lower()[:40]}"
        elif "Fn::GetAtt" in part:
            logical, attribute = part["Fn::GetAtt"]
            text += (
                f"arn:aws:kms:us-east-1:123456789012:key/{logical.lower()[:30]}"
                if attribute == "Arn"
                else f"model-{logical.lower()[:30]}"
            )
        else:
            raise AssertionError(f"unexpected token in definition: {part}")
    result: dict[str, Any] = json.loads(text)
    return result


def build(stack: Stack, **overrides: Any) -> BatchTransform:
    props: dict[str, Any] = dict(overrides)
    props.setdefault("model", model(stack))
    if "input" not in props:
        props["input"] = TransformInput(bucket=input_bucket(stack))
    return BatchTransform(stack, "Batch", **props)


def test_defaults(synth):
    template = synth(build)
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": True}),
        },
    )
    states = definition_of(template)["States"]
    assert set(states) == {
        "PlanRun", "CheckInput", "InputExists", "NoInput", "WriteManifest", "NameJob", "Transform", "FindJob",
        "DescribeFailed", "DescribeError", "WaitBeforeDescribe", "ClassifyCreateError", "WaitBeforeCreate",
        "JobStatus", "WaitForJob", "JobStopped", "AdoptedJobCompleted", "RetryableFailure", "WaitBeforeRetry",
        "StopTimedOutJob", "NotifyFailure", "RunFailed",
    }  # fmt: skip
    assert states["Transform"]["Resource"] == "arn:aws:states:::sagemaker:createTransformJob.sync"
    assert states["Transform"]["TimeoutSeconds"] == 6 * 3600
    # Output lands in a created, KMS-encrypted bucket retained on deletion; failures go to an encrypted topic.
    template.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Metrics": Match.array_with([Match.object_like({"Expression": "failed + timedOut"})]),
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "AlarmActions": [{"Ref": Match.string_like_regexp("Notifications")}],
        },
    )
    template.resource_count_is("AWS::Scheduler::Schedule", 0)
    template.resource_count_is("AWS::Events::Rule", 0)


def _concrete_request(arguments: dict[str, Any]) -> dict[str, Any]:
    """Replace the per-run JSONata expressions with what a run produces."""
    request = json.loads(json.dumps(arguments))
    request["TransformJobName"] = "batch-20261122-020004-1a2b3c4d"
    request["TransformInput"]["DataSource"]["S3DataSource"]["S3DataType"] = "S3Prefix"
    request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://input-bucket/input/2026-11-21/"
    request["TransformOutput"]["S3OutputPath"] = (
        "s3://output-bucket/predictions/batch-20261122-020004-1a2b3c4d"
    )
    leftover = re.findall(r"\{%.*?%\}", json.dumps(request))
    assert leftover == [], f"unhandled expressions: {leftover}"
    return request


def _botocore_errors(request: dict[str, Any]) -> str:
    service = botocore.session.get_session().get_service_model("sagemaker")
    report = ParamValidator().validate(request, service.operation_model("CreateTransformJob").input_shape)
    return report.generate_report() if report.has_errors() else ""


def test_request_with_every_option_validates_against_botocore(synth, service_model):
    def everything(stack: Stack) -> None:
        key = kms.Key(stack, "Key", enable_key_rotation=True)
        build(
            stack,
            input=TransformInput(
                bucket=input_bucket(stack),
                prefix="scores/",
                content_type="application/jsonlines",
                split_type=SplitType.LINE,
                compression=CompressionType.GZIP,
                kms_key=key,
            ),
            output=TransformOutput(accept="application/jsonlines", assemble_with=AssembleWith.LINE),
            instance_type="ml.c5.xlarge",
            instance_count=2,
            batch_strategy=BatchStrategy.MULTI_RECORD,
            max_payload=Size.mebibytes(10),
            max_concurrent_transforms=4,
            data_processing=DataProcessing(
                input_filter="$[1:]", join_source=JoinSource.INPUT, output_filter="$[0,-1]"
            ),
            environment={"SAGEMAKER_MODEL_SERVER_TIMEOUT": "3600"},
            model_client=ModelClientOptions(
                invocations_timeout=Duration.minutes(10), invocations_max_retries=2
            ),
            volume_kms_key=key,
            data_capture=BatchDataCapture(prefix="captured", generate_inference_id=True),
        )

    arguments = definition_of(synth(everything))["States"]["Transform"]["Arguments"]
    request = _concrete_request(arguments)
    assert _botocore_errors(request) == ""
    assert service_model("sagemaker", "CreateTransformJob", request) == []
    assert request["BatchStrategy"] == "MultiRecord"
    assert request["MaxPayloadInMB"] == 10
    assert request["MaxConcurrentTransforms"] == 4
    assert request["ModelClientConfig"] == {"InvocationsTimeoutInSeconds": 600, "InvocationsMaxRetries": 2}
    assert request["DataProcessing"] == {
        "InputFilter": "$[1:]",
        "OutputFilter": "$[0,-1]",
        "JoinSource": "Input",
    }
    assert request["Environment"] == {"SAGEMAKER_MODEL_SERVER_TIMEOUT": "3600"}
    assert request["TransformInput"]["CompressionType"] == "Gzip"
    assert request["TransformInput"]["ContentType"] == "application/jsonlines"
    assert request["TransformResources"]["InstanceType"] == "ml.c5.xlarge"
    assert request["TransformResources"]["VolumeKmsKeyId"].startswith("arn:aws:kms:")
    assert request["DataCaptureConfig"]["GenerateInferenceId"] is True
    assert request["DataCaptureConfig"]["DestinationS3Uri"].endswith("/captured")


def test_service_model_check_can_fail(service_model):
    # The checks above are not a formality: a wrong enum, a bad name and a missing member are reported.
    problems = service_model(
        "sagemaker",
        "CreateTransformJob",
        {
            "TransformJobName": "bad_name",
            "ModelName": "m",
            "BatchStrategy": "Everything",
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/k"}}
            },
            "TransformOutput": {"S3OutputPath": "s3://b/o"},
            "TransformResources": {"InstanceType": "ml.m5.large"},
            "TransformJobName_": "oops",
        },
    )
    text = "\n".join(problems)
    assert (
        "CreateTransformJob.BatchStrategy: 'Everything' is not one of ['MultiRecord', 'SingleRecord']" in text
    )
    assert "CreateTransformJob.TransformResources.InstanceCount: required" in text
    assert "CreateTransformJob.TransformJobName_: unknown member" in text
    assert "CreateTransformJob.TransformJobName: 'bad_name' does not match" in text


def test_state_machine_may_only_manage_its_own_jobs(synth):
    template = synth(lambda s: build(s, job_name_prefix="churn-nightly"))
    statements = [
        st
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if any("states" in json.dumps(r) for r in policy["Properties"]["Roles"]) or True
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    jobs = next(st for st in statements if st.get("Sid") == "TransformJobs")
    # AddTags: Step Functions tags the jobs of .sync integrations (aws/aws-cdk#26012); without it the first run
    # fails. The full comparison with aws-cdk-lib's own task policy is in the oracle tests.
    assert sorted(jobs["Action"]) == [
        "sagemaker:AddTags",
        "sagemaker:CreateTransformJob",
        "sagemaker:DescribeTransformJob",
        "sagemaker:ListTags",
        "sagemaker:StopTransformJob",
    ]
    assert jobs["Resource"]["Fn::Join"][1][-1] == ":transform-job/churn-nightly-*"
    sync = next(st for st in statements if st.get("Sid") == "SyncIntegrationRule")
    assert sync["Resource"]["Fn::Join"][1][-1] == ":rule/StepFunctionsGetEventsForSageMakerTransformJobsRule"
    check = next(st for st in statements if st.get("Sid") == "CheckInput")
    assert check["Condition"] == {"StringLike": {"s3:prefix": ["input/*"]}}
    actions = {
        a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert not any(a == "*" or a.endswith(":*") for a in actions), actions
    assert "iam:PassRole" not in actions  # CreateTransformJob passes no role


def test_model_role_reads_input_and_writes_output_prefixes_only(synth):
    template = synth(lambda s: build(s, data_capture=BatchDataCapture()))
    model_policy = next(
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if "ModelRole" in json.dumps(p["Properties"]["Roles"])
    )
    statements = model_policy["Properties"]["PolicyDocument"]["Statement"]
    text = json.dumps(statements)
    assert '"arn:", {"Ref": "AWS::Partition"}, ":s3:::input-bucket/input/*"' in text
    listing = next(st for st in statements if st["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["input/*"]}}
    puts = [st for st in statements if st["Action"] == "s3:PutObject"]
    resources = [
        r for p in puts for r in (p["Resource"] if isinstance(p["Resource"], list) else [p["Resource"]])
    ]
    assert sorted(r["Fn::Join"][1][-1] for r in resources) == ["/data-capture/*", "/predictions/*"]


def test_schedule(synth):
    schedule = TransformSchedule.daily(hour=2, minute=30, time_zone=TimeZone.EUROPE_BERLIN,
                                       flexible_window=Duration.minutes(15))  # fmt: skip
    template = synth(lambda s: build(s, schedule=schedule))
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "cron(30 2 * * ? *)",
            "ScheduleExpressionTimezone": "Europe/Berlin",
            "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
            "Target": Match.object_like(
                {
                    "Input": '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
                    "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 21600},
                    "DeadLetterConfig": {
                        "Arn": {"Fn::GetAtt": [Match.string_like_regexp("DeadLetterQueue"), "Arn"]}
                    },
                }
            ),
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS", "Threshold": 1},
    )


def test_rate_schedule(synth):
    template = synth(lambda s: build(s, schedule=TransformSchedule.rate(Duration.hours(6))))
    template.has_resource_properties("AWS::Scheduler::Schedule", {"ScheduleExpression": "rate(6 hours)"})


def test_input_arrival_rule_routes_only_the_input_prefix(synth, routes, sample_event):
    template = synth(lambda s: build(s, run_on_input_arrival=True))
    (rule,) = template.find_resources("AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "input/"}]
    target = rule["Properties"]["Targets"][0]
    # The whole object (key, etag, version-id): the run scores it alone and is named after it.
    assert json.loads(
        target["InputTransformer"]["InputTemplate"].replace("<detail-object>", '{"key": "k"}')
    ) == {"s3Object": {"key": "k"}}
    assert target["InputTransformer"]["InputPathsMap"] == {"detail-object": "$.detail.object"}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 21600, "MaximumRetryAttempts": 10}
    assert "DeadLetterConfig" in target
    event = sample_event("s3_object_created")
    assert routes(pattern, event)
    other_prefix = json.loads(json.dumps(event))
    other_prefix["detail"]["object"]["key"] = "archive/2026-11-21/part-0001.csv"
    assert not routes(pattern, other_prefix)
    other_bucket = json.loads(json.dumps(event))
    other_bucket["detail"]["bucket"]["name"] = "someone-elses-bucket"
    assert not routes(pattern, other_bucket)


def test_input_arrival_and_a_schedule_would_score_objects_twice(stack):
    with pytest.raises(ValueError, match=r"'run_on_input_arrival' and 'schedule' must not both be set"):
        build(stack, schedule=TransformSchedule.daily(hour=2), run_on_input_arrival=True)


def test_input_arrival_needs_eventbridge_on_a_secure_bucket(stack):
    bucket = SecureBucket(stack, "In", description="input")
    with pytest.raises(
        ValueError, match=r"'run_on_input_arrival' needs EventBridge notifications on the input bucket"
    ):
        build(stack, input=TransformInput(bucket=bucket.bucket), run_on_input_arrival=True)


def test_secure_bucket_enables_eventbridge_natively(synth):
    def build_bucket(stack: Stack) -> None:
        bucket = SecureBucket(stack, "In", description="input", event_bridge_enabled=True)
        build(stack, input=TransformInput(bucket=bucket.bucket), run_on_input_arrival=True)

    template = synth(build_bucket)
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {"NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}},
    )
    template.resource_count_is("AWS::Lambda::Function", 0)  # no notification custom resource


def test_multi_model_is_rejected(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Models", "models")
    mme = Model(
        stack,
        "Mme",
        containers=[
            ContainerDefinition(
                image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
                model_data=ModelData.from_bucket(bucket, "m/"),
                multi_model=True,
            )
        ],
    )
    with pytest.raises(ValueError, match="'model' must not be a multi-model container"):
        BatchTransform(stack, "B", model=mme, input=TransformInput(bucket=input_bucket(stack)))


def test_validation_collects_every_problem(stack):
    with pytest.raises(ValueError, match="Invalid props for BatchTransform 'Test/Batch'") as excinfo:
        build(
            stack,
            input=TransformInput(
                bucket=input_bucket(stack), prefix="/abs", date_format="%Y-%m-%d", split_type=None
            ),
            output=TransformOutput(bucket=input_bucket(stack), expiration=Duration.days(3), prefix="/out"),
            instance_type="ml.t2.medium",
            instance_count=0,
            batch_strategy=BatchStrategy.SINGLE_RECORD,
            max_payload=Size.mebibytes(60),
            max_concurrent_transforms=2,
            data_processing=DataProcessing(input_filter="[1:]", output_filter="$" + "x" * 70),
            environment={f"K{i}": "v" for i in range(17)},
            model_client=ModelClientOptions(invocations_timeout=Duration.hours(2), invocations_max_retries=5),
            data_capture=BatchDataCapture(prefix=""),
            job_name_prefix="Nightly_Scoring",
            schedule=TransformSchedule.cron("cron(0 2 * * * *)"),
            job_timeout=Duration.seconds(30),
            capacity_retries=11,
        )
    message = str(excinfo.value)
    expected = [
        "'input.prefix' must not start with '/', got '/abs'",
        "'input.date_format' must be a JSONata date picture",
        "'output.prefix' must not start with '/', got '/out'",
        "'output.expiration' applies only to the created bucket",
        "'instance_type' must be a batch transform instance type",
        "got 'ml.t2.medium'",
        "'instance_count' must be at least 1, got 0",
        "'max_concurrent_transforms' x 'max_payload' must not exceed 100 MB, got 2 x 60 MB = 120 MB",
        "'batch_strategy' SingleRecord needs 'input.split_type' Line, RecordIO or TFRecord, got None",
        "'data_processing.input_filter' must be a JSONPath expression starting with '$'",
        "'data_processing.output_filter' must be a JSONPath expression starting with '$' of at most 63",
        "'environment' must hold at most 16 variables, got 17",
        "'model_client.invocations_timeout' must be between 1 and 3600 seconds, got 7200",
        "'model_client.invocations_max_retries' must be between 0 and 3, got 5",
        "'data_capture.prefix' must be a non-empty prefix",
        "'job_name_prefix' must be 1-38 lowercase letters, digits and hyphens",
        "got 'Nightly_Scoring'",
        "'schedule' cron needs '?' in exactly one of day-of-month and day-of-week, got '*' and '*'",
        "'job_timeout' must be between 60 and 345600 seconds, got 30",
        "'capacity_retries' must be between 0 and 10, got 11",
    ]
    for line in expected:
        assert line in message, f"missing {line!r} in:\n{message}"


def test_max_payload_limit(stack):
    with pytest.raises(ValueError, match="'max_payload' must be between 0 and 100 MB, got 150"):
        build(stack, max_payload=Size.mebibytes(150))


def test_long_derived_prefix_is_shortened_and_valid(synth):
    def deep(stack: Stack) -> None:
        from constructs import Construct

        scope = Construct(stack, "AVeryLongConstructPathSegmentThatKeepsGoing")
        BatchTransform(scope, "AndAnotherQuiteLongIdentifierHere", model=model(stack),
                       input=TransformInput(bucket=input_bucket(stack)))  # fmt: skip

    states = definition_of(synth(deep))["States"]
    name_expr = states["PlanRun"]["Assign"]["runId"]
    prefix = re.search(r"'([a-z0-9-]+)-'", name_expr).group(1)
    assert len(prefix) <= 38
    assert re.fullmatch(r"[a-z0-9](-*[a-z0-9])*", prefix)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 2 * * ? *)",
        "cron(15 6 ? * MON-FRI *)",
        "cron(0/30 * * * ? *)",
        "rate(1 day)",
        "rate(15 minutes)",
    ],
)
def test_accepted_schedule_expressions(expression):
    assert expression_problems(expression) == []


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("cron(0 2 * * *)", "got 5 cron fields"),
        ("cron(0 2 ? * ? *)", "cron needs '?' in exactly one of day-of-month and day-of-week"),
        ("cron(0 25h * * ? *)", "cron field hours is not valid"),
        ("rate(1 days)", "rate unit must be singular for 1 and plural otherwise"),
        ("rate(5 seconds)", "must be cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)"),
        ("at(2026-11-22T02:00:00)", "or rate(<n> minute[s]|hour[s]|day[s]), got 'at(2026-11-22T02:00:00)'"),
    ],
)
def test_rejected_schedule_expressions(expression, problem):
    problems = expression_problems(expression)
    assert any(problem in p for p in problems), problems


def test_schedule_constructor_errors():
    with pytest.raises(ValueError, match="'hour' must be between 0 and 23, got 24"):
        TransformSchedule.daily(hour=24)
    with pytest.raises(
        ValueError, match="'interval' must be a whole number of minutes, at least 1, got 30 seconds"
    ):
        TransformSchedule.rate(Duration.seconds(30))
    assert TransformSchedule.rate(Duration.minutes(90)).expression == "rate(90 minutes)"
    assert TransformSchedule.rate(Duration.days(1)).expression == "rate(1 day)"


# Regressions found by the property tests (tests/unit/test_properties.py).


def test_max_payload_in_odd_units_is_reported_not_raised_by_jsii(stack):
    # Size.kibibytes(1).to_mebibytes() raised a jsii error before the "whole MB" check could run.
    with pytest.raises(ValueError, match=r"'max_payload' must be whole MB, got 0\.000976562 MB"):
        build(stack, max_payload=Size.kibibytes(1))


@pytest.mark.parametrize(
    ("expiration", "problem"),
    [
        (Duration.hours(36), "'output.expiration' must be a whole number of days, got 1 day 12 hours"),
        (Duration.seconds(0), "'output.expiration' must be at least 1 days, got 0"),
    ],
)
def test_output_expiration_is_checked(stack, expiration, problem):
    # It was not checked: 36 hours failed in jsii at synth, 0 rendered ExpirationInDays: 0, which S3 rejects.
    with pytest.raises(ValueError, match=re.escape(problem)):
        build(stack, output=TransformOutput(expiration=expiration))


def test_date_offset_that_is_not_whole_seconds_is_reported(stack):
    # to_seconds() raised a jsii error.
    with pytest.raises(ValueError, match=r"'input\.date_offset' must be a whole number of seconds"):
        build(stack, input=TransformInput(bucket=input_bucket(stack), date_offset=Duration.millis(1500)))


def test_flexible_window_must_be_whole_minutes(stack):
    # 90 seconds passed the 60-86400 s check, then Scheduler's TimeWindow.flexible raised in jsii.
    with pytest.raises(ValueError, match=r"'schedule\.flexible_window' must be a whole number of minutes"):
        build(stack, schedule=TransformSchedule.daily(hour=2, flexible_window=Duration.seconds(90)))


def test_empty_job_name_prefix_is_rejected_not_replaced(stack):
    # "" was silently replaced by the prefix derived from the construct path.
    with pytest.raises(
        ValueError, match="'job_name_prefix' must be 1-38 lowercase letters, digits and hyphens"
    ):
        build(stack, job_name_prefix="")


def test_prefixes_with_line_breaks_are_rejected(stack):
    # The S3 URIs of the job (s3://bucket/(.*)) do not match line breaks; the IAM ARN failed cfn-lint (W1032).
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        build(
            stack,
            input=TransformInput(bucket=input_bucket(stack), prefix="in\nput/"),
            output=TransformOutput(prefix="out\r/"),
            data_capture=BatchDataCapture(prefix="capture\u2028d"),
        )
    message = str(excinfo.value)
    for prop in ("input.prefix", "output.prefix", "data_capture.prefix"):
        assert f"'{prop}' must not contain line breaks" in message, message


def test_schedule_digits_must_be_ascii():
    # '\d' matched Arabic-Indic digits: rate(\u0665 minutes) passed, and int() read it as 5.
    assert expression_problems("rate(\u0665 minutes)") != []
    assert expression_problems("rate(5 minutes)") == []


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("cron(60 2 * * ? *)", "cron field minutes must use values 0-59: got '60'"),
        ("cron(0 24 * * ? *)", "cron field hours must use values 0-23: got '24'"),
        ("cron(0 2 0 * ? *)", "cron field day-of-month must use values 1-31: got '0'"),
        ("cron(0 2 ? 13 MON *)", "cron field month must use values 1-12 or JAN-DEC: got '13'"),
        ("cron(0 2 ? * MON-XYZ *)", "cron field day-of-week must use values 1-7 or SUN-SAT: got 'MON-XYZ'"),
        ("cron(0 2 * * ? 1969)", "cron field year must use values 1970-2199: got '1969'"),
        ("cron(0/0 2 * * ? *)", "cron field minutes increments must be at least 1: got '0/0'"),
        ("cron(0 2 ? * 3#1,6#3 *)", "cron field day-of-week may hold only one expression with '#'"),
        ("cron(0 2 ? * 3#6 *)", "cron field day-of-week '#' needs a day 1-7 and an occurrence 1-5"),
    ],
)
def test_cron_values_are_checked_against_their_ranges(expression, problem):
    # Only the characters of each field were checked: cron(60 24 ...) reached the template and would have
    # failed at deploy time (ranges from the EventBridge cron expressions reference).
    assert any(problem in p for p in expression_problems(expression)), expression_problems(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 6 ? * MON-FRI *)",
        "cron(0/15 8-17 ? * 2-6 *)",
        "cron(5,35 14 * * ? 2026-2030)",
        "cron(0 2 L * ? *)",
        "cron(0 2 LW * ? *)",
        "cron(0 2 15W * ? *)",
        "cron(0 2 ? * 6L *)",
        "cron(0 2 ? * 3#2 *)",
        "cron(*/5 * * * ? *)",
    ],
)
def test_documented_cron_forms_are_accepted(expression):
    assert expression_problems(expression) == []


def test_locations_fit_sagemakers_1024_character_s3_uris(stack):
    # TransformS3DataSource.S3Uri, TransformOutput.S3OutputPath and BatchDataCaptureConfig.DestinationS3Uri hold at
    # most 1024 characters (botocore's model). The input gets its dated folder and the output its job name
    # appended at run time, so their prefixes leave room for them.
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        build(
            stack,
            input=TransformInput(bucket=input_bucket(stack), prefix="i" * 937 + "/"),
            output=TransformOutput(prefix="o" * 892 + "/"),
            data_capture=BatchDataCapture(prefix="c" * 956),
        )
    message = str(excinfo.value)
    # 1024 - len("s3://") - 63 - 1 - len("[Y0001]-[M01]-[D01]/") = 935
    assert "'input.prefix' must be at most 935 characters" in message
    assert "and the date adds up to 20), got 938 characters" in message
    assert "'output.prefix' must be at most 892 characters" in message
    assert "and the job name adds up to 63), got 893 characters" in message
    assert "'data_capture.prefix' must be at most 955 characters" in message


# ------------------------------------------------------------------------------------- removal policies


def test_dead_letter_queue_is_retained_by_default(synth):
    # The parked events of runs that were never started must survive `cdk destroy` and a renamed construct ID.
    template = synth(lambda s: build(s, schedule=TransformSchedule.daily(hour=2), run_on_input_arrival=False))
    template.resource_count_is("AWS::SQS::Queue", 1)
    template.has_resource("AWS::SQS::Queue", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_dead_letter_queue_removal_policy_can_be_opted_out_of(synth):
    template = synth(
        lambda s: build(s, schedule=TransformSchedule.daily(hour=2), removal_policy=RemovalPolicy.DESTROY)
    )
    template.has_resource("AWS::SQS::Queue", {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"})


def test_grant_read_captured_data_covers_the_capture_and_the_objects_its_manifests_list(synth):
    """Batch capture writes manifests that point at the transform's input and output objects: a reader of the
    capture (a monitor, or a job of yours) gets the capture prefix and both, listed and read, and their keys."""
    from aws_cdk import aws_iam as iam

    def build_and_grant(stack: Stack) -> None:
        transform = build(stack, data_capture=BatchDataCapture())
        reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        transform.grant_read_captured_data(reader)

    template = synth(build_and_grant)
    policy = next(
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if "Reader" in json.dumps(p["Properties"]["Roles"])
    )
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    listed = sorted(
        prefix
        for st in statements
        if st["Action"] == "s3:ListBucket"
        for prefix in st["Condition"]["StringLike"]["s3:prefix"]
    )
    assert listed == ["data-capture/*", "input/*", "predictions/*"], listed
    reads = json.dumps([st["Resource"] for st in statements if st["Action"] == "s3:GetObject"])
    for prefix in ("/data-capture/*", "input-bucket/input/*", "/predictions/*"):
        assert prefix in reads, (prefix, reads)
    assert any(st["Action"] == "kms:Decrypt" for st in statements)  # the created output bucket's key
    assert not [st for st in statements if st["Resource"] == "*"]


def test_grant_read_captured_data_needs_data_capture(stack):
    from aws_cdk import aws_iam as iam

    transform = build(stack)
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    with pytest.raises(ValueError, match=r"'grant_read_captured_data' needs data capture, got none"):
        transform.grant_read_captured_data(reader)
