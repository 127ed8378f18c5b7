"""``BatchTransform``: recurring SageMaker batch transform jobs run by a Step Functions state machine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Annotations, Duration, Names, RemovalPolicy, Size, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_constructs._internal import dead_letter as _dead_letter
from sagemaker_constructs._internal.dependencies import depend_on_role_policy_only
from sagemaker_constructs._internal.s3_access import grant_read_prefix
from sagemaker_constructs._internal.validation import (
    ValidationError,
    check_argument_types,
    checked_arguments,
    construct_path,
)
from sagemaker_constructs.common.notification_topic import NotificationTopic
from sagemaker_constructs.common.secure_bucket import SecureBucket
from sagemaker_constructs.hosting.model import IModel
from sagemaker_constructs.hosting.variants import InstanceType

from ._transform_grants import grant_manifests, grant_model_role, grant_state_machine
from ._transform_request import MAX_JOB_NAME_PREFIX, render_request, validate_props
from ._transform_workflow import WorkflowSpec, definition
from .transform_options import (
    BatchDataCapture,
    BatchStrategy,
    DataProcessing,
    ModelClientOptions,
    TransformInput,
    TransformOutput,
)
from .transform_schedule import TransformSchedule


class BatchTransform(Construct):
    """Runs SageMaker batch transform jobs for a model, on a schedule, on input arrival, or on demand.

    Each run is one Step Functions execution: it resolves what to score (the object that arrived, exactly,
    through a manifest; the execution's ``inputPrefix``; or a dated default), fails with ``InputNotFound`` if
    nothing is there, names the job after what it scores, runs it and waits (``createTransformJob.sync``),
    adopts the job if it already exists (a lost create response, a redelivered event, a retried schedule),
    retries transient API errors in place and capacity and quota failures with a new job name, fails at once on
    other errors, stops the job on timeout, and publishes every failure to SNS. An alarm on failed or
    timed-out executions goes to the same topic.

    Start a run by hand::

        aws stepfunctions start-execution --state-machine-arn <arn> --input '{"inputPrefix": "input/2026-11-21/"}'
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model: IModel,
        input: TransformInput,
        output: TransformOutput | None = None,
        instance_type: InstanceType | str = "ml.m5.large",
        instance_count: int = 1,
        batch_strategy: BatchStrategy | None = None,
        max_payload: Size | None = None,
        max_concurrent_transforms: int | None = None,
        data_processing: DataProcessing | None = None,
        environment: Mapping[str, str] | None = None,
        model_client: ModelClientOptions | None = None,
        volume_kms_key: kms.IKey | None = None,
        data_capture: BatchDataCapture | None = None,
        job_name_prefix: str | None = None,
        schedule: TransformSchedule | None = None,
        run_on_input_arrival: bool = False,
        job_timeout: Duration = Duration.hours(6),
        capacity_retries: int = 2,
        capacity_retry_wait: Duration = Duration.minutes(5),
        notification_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        """Define a batch transform.

        :param model: the model (single container or inference pipeline; not multi-model).
        :param input: where each run reads its input.
        :param output: where each run writes. Default: - a secure bucket is created, prefix "predictions/".
        :param instance_type: a transform instance type. Default: "ml.m5.large"
        :param instance_count: Default: 1
        :param batch_strategy: records per request; needs a split type. Default: - SageMaker's default.
        :param max_payload: largest request, at most 100 MB (0 for chunked encoding). Default: - 6 MB.
        :param max_concurrent_transforms: parallel requests per instance; with ``max_payload`` their product
            may not exceed 100 MB. Default: - SageMaker's default.
        :param data_processing: input/output filters and join. Default: - whole records, no join.
        :param environment: container environment (at most 16). Default: - none.
        :param model_client: request timeout and retries. Default: - SageMaker's defaults.
        :param volume_kms_key: encrypts the instances' storage. Default: - an AWS managed key.
        :param data_capture: capture requests and responses for Model Monitor. Default: - no capture.
        :param job_name_prefix: lowercase prefix of job names (at most 38 characters); the state machine may
            only manage jobs with this prefix. Default: - derived from the construct path.
        :param schedule: run on a schedule. Default: - no schedule.
        :param run_on_input_arrival: run for each object created under the input prefix, scoring that object
            alone (the input bucket needs EventBridge notifications). Not with ``schedule``: the nightly run
            would score the arrived objects a second time. Default: False
        :param job_timeout: stop and fail a job running longer than this. Default: 6 hours
        :param capacity_retries: new attempts after capacity failures. Default: 2
        :param capacity_retry_wait: wait before the first new attempt, doubled each time. Default: 5 minutes
        :param notification_topic: receives failure notifications and alarms. Default: - an encrypted topic.
        :param log_retention: retention of the state machine's execution logs. Default: one year
        :param removal_policy: what happens to the triggers' dead-letter queue, and the events parked in it,
            when the stack is deleted or the queue is replaced (a renamed construct ID). Default:
            RemovalPolicy.RETAIN
        """
        check_argument_types(
            construct_path(scope, construct_id, "BatchTransform"), BatchTransform.__init__, locals()
        )
        super().__init__(scope, construct_id)
        prefix = (
            job_name_prefix
            if job_name_prefix is not None
            else Names.unique_resource_name(self, max_length=MAX_JOB_NAME_PREFIX, separator="-").lower()
        )
        output = output or TransformOutput()
        itype = instance_type if isinstance(instance_type, InstanceType) else InstanceType(instance_type)
        validate_props(
            f"BatchTransform '{self.node.path}'", model, input, output, itype, instance_count, batch_strategy,
            max_payload, max_concurrent_transforms, data_processing, environment, model_client, data_capture, prefix,
            schedule, job_timeout, capacity_retries, capacity_retry_wait, run_on_input_arrival,
        )  # fmt: skip
        self.model = model
        self.input = input
        self._removal_policy = removal_policy
        self.job_name_prefix = prefix
        self.data_processing = data_processing
        """The input/output filters and join, if any (monitors read the joined record's layout from it)."""

        # Output and data capture buckets.
        self.output_bucket: s3.IBucket
        output_key = output.kms_key
        if output.bucket is None:
            created = SecureBucket(
                self, "OutputBucket", description="SageMaker batch transform output",
                expiration=output.expiration, removal_policy=output.removal_policy,
            )  # fmt: skip
            self.output_bucket = created.bucket
            output_key = output_key or created.key
        else:
            self.output_bucket = output.bucket
            output_key = output_key or output.bucket.encryption_key
        self.output_s3_prefix = f"s3://{self.output_bucket.bucket_name}/{output.prefix}"
        """``s3://bucket/prefix/``: each run writes under ``<prefix><job-name>/``."""
        self._output_prefix = output.prefix
        self._output_kms_key = output_key

        self.data_capture = data_capture
        self.data_capture_s3_uri: str | None = None
        """``s3://bucket/prefix`` of captured data, when data capture is on."""
        capture_bucket: s3.IBucket | None = None
        capture_key: kms.IKey | None = None
        if data_capture is not None:
            capture_bucket = data_capture.bucket or self.output_bucket
            capture_key = (
                data_capture.kms_key
                or capture_bucket.encryption_key
                or (output_key if data_capture.bucket is None else None)
            )
            self.data_capture_s3_uri = capture_bucket.s3_url_for_object(data_capture.prefix)
        self._data_capture_bucket = capture_bucket
        self._data_capture_kms_key = capture_key

        grant_model_role(
            self,
            model,
            input,
            output,
            self.output_bucket,
            output_key,
            data_capture,
            capture_bucket,
            capture_key,
        )
        # Runs of one arrived object read it through a manifest the state machine writes here.
        manifest_prefix = f"{output.prefix}manifests/"

        # Notifications.
        self._notifications: NotificationTopic | None = None
        self.topic: sns.ITopic
        if notification_topic is None:
            self._notifications = NotificationTopic(self, "Notifications", description="batch transform")
            self.topic = self._notifications.topic
        else:
            self.topic = notification_topic

        request = render_request(
            model, input, output, output_key, itype, instance_count, batch_strategy, max_payload,
            max_concurrent_transforms, data_processing, environment, model_client, volume_kms_key,
            data_capture, capture_key, self.data_capture_s3_uri,
        )  # fmt: skip
        spec = WorkflowSpec(
            input_bucket_name=input.bucket.bucket_name,
            input_prefix=input.prefix,
            date_format=input.date_format,
            date_offset_millis=int(input.date_offset.to_seconds() * 1000),
            job_name_prefix=prefix,
            output_s3_prefix=self.output_s3_prefix,
            manifest_bucket_name=self.output_bucket.bucket_name,
            manifest_key_prefix=manifest_prefix,
            request=request,
            topic_arn=self.topic.topic_arn,
            job_timeout_seconds=int(job_timeout.to_seconds()),
            capacity_retries=capacity_retries,
            retry_wait_seconds=int(capacity_retry_wait.to_seconds()),
        )
        log_group = logs.LogGroup(self, "ExecutionLogs", retention=log_retention)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_string(Stack.of(self).to_json_string(definition(spec))),
            # The whole run, including capacity retries, must finish within this.
            timeout=Duration.seconds(
                (capacity_retries + 1) * job_timeout.to_seconds()
                + capacity_retry_wait.to_seconds() * (2 ** max(capacity_retries, 0))
                + 3600
            ),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        grant_state_machine(
            self.state_machine, prefix, input, volume_kms_key, self._notifications, self.topic
        )
        grant_manifests(self.state_machine, self.output_bucket, model, output_key, manifest_prefix)
        depend_on_role_policy_only(self.state_machine, self.state_machine.role)

        self.failure_alarm = self._failure_alarm()
        self.dead_letter_alarm: cloudwatch.Alarm | None = None
        """Raised when a scheduled or S3-triggered run could not be started (the trigger's events are parked in
        the dead-letter queue). None without a schedule or ``run_on_input_arrival``."""
        if schedule is not None:
            self.schedule = scheduler.Schedule(
                self,
                "Schedule",
                schedule=schedule.to_expression(),
                time_window=schedule.to_time_window(),
                description=f"Runs batch transform {prefix}",
                target=scheduler_targets.StepFunctionsStartExecution(
                    self.state_machine,
                    # The scheduled time names the run's jobs: a retried delivery adopts the first one's job.
                    input=scheduler.ScheduleTargetInput.from_object(
                        {"scheduledTime": scheduler.ContextAttribute.scheduled_time}
                    ),
                    retry_attempts=10,
                    max_event_age=Duration.hours(6),
                    dead_letter_queue=self._dead_letter_queue(),
                ),
            )
        if run_on_input_arrival:
            self._on_input_arrival(input)

    # ----------------------------------------------------------------------------------------------- metrics

    @checked_arguments
    def metric_runs_failed(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Failed runs (``ExecutionsFailed``, AWS/States, StateMachineArn). Statistic Sum, period 5 minutes."""
        return self.state_machine.metric_failed(period=period or Duration.minutes(5), statistic="Sum")

    @checked_arguments
    def metric_runs_timed_out(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Runs that hit the state machine timeout (``ExecutionsTimedOut``). Statistic Sum, period 5 minutes."""
        return self.state_machine.metric_timed_out(period=period or Duration.minutes(5), statistic="Sum")

    @checked_arguments
    def metric_runs_succeeded(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Successful runs (``ExecutionsSucceeded``). Statistic Sum, period 5 minutes."""
        return self.state_machine.metric_succeeded(period=period or Duration.minutes(5), statistic="Sum")

    @checked_arguments
    def metric_runs_started(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Started runs (``ExecutionsStarted``). Statistic Sum, period 5 minutes."""
        return self.state_machine.metric_started(period=period or Duration.minutes(5), statistic="Sum")

    @checked_arguments
    def metric_run_time(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Run duration in milliseconds (``ExecutionTime``). Statistic Average, period 5 minutes."""
        return self.state_machine.metric_time(period=period or Duration.minutes(5), statistic="Average")

    @property
    def output_prefix(self) -> str:
        """Key prefix of the run folders in ``output_bucket`` (each run writes under ``<prefix><job-name>/``)."""
        return self._output_prefix

    @property
    def output_kms_key(self) -> kms.IKey | None:
        """The key that encrypts the output (``TransformOutput.KmsKeyId``), if any."""
        return self._output_kms_key

    @property
    def input_kms_key(self) -> kms.IKey | None:
        """The key the input objects are encrypted with (``input.kms_key`` or the input bucket's key), if any."""
        return self.input.kms_key or self.input.bucket.encryption_key

    @property
    def data_capture_bucket(self) -> s3.IBucket | None:
        """The bucket captured data lands in, when data capture is on."""
        return self._data_capture_bucket

    @property
    def data_capture_kms_key(self) -> kms.IKey | None:
        """The key that encrypts captured data (``DataCaptureConfig.KmsKeyId``), if any."""
        return self._data_capture_kms_key

    @property
    def data_capture_enabled(self) -> bool:
        """Whether the jobs capture their data."""
        return self.data_capture is not None

    # ------------------------------------------------------------------------------------------- internals

    @checked_arguments
    def grant_read_captured_data(self, grantee: iam.IGrantable) -> None:
        """Allow ``grantee`` to list and read what the transform jobs capture, and the input and output objects
        that the capture manifests list (a monitor reads those: "Capture data from batch transform job",
        https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-batch.html), decrypting them
        with their keys.

        :raises ValidationError: when the transform has no data capture.
        """
        capture = self.data_capture
        if capture is None:
            raise ValidationError(
                f"BatchTransform '{self.node.path}': 'grant_read_captured_data' needs data capture, got none: "
                "pass data_capture=BatchDataCapture(...)"
            )
        bucket = self.data_capture_bucket or self.output_bucket
        grant_read_prefix(grantee, bucket, f"{capture.prefix}/", "captured data of the transform jobs")
        grant_read_prefix(
            grantee, self.input.bucket, self.input.prefix, "transform input that the capture manifests list"
        )
        grant_read_prefix(
            grantee,
            self.output_bucket,
            self.output_prefix,
            "transform output that the capture manifests list",
        )
        keys = (self.data_capture_kms_key, self.input_kms_key, self.output_kms_key)
        for key in dict.fromkeys(k for k in keys if k is not None):
            key.grant_decrypt(grantee)

    def _failure_alarm(self) -> cloudwatch.Alarm:
        failures = cloudwatch.MathExpression(
            expression="failed + timedOut",
            using_metrics={"failed": self.metric_runs_failed(), "timedOut": self.metric_runs_timed_out()},
            label="failed or timed-out batch transform runs",
            period=Duration.minutes(5),
        )
        alarm = failures.create_alarm(
            self,
            "FailureAlarm",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"A batch transform run ({self.job_name_prefix}) failed or timed out",
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        return alarm

    def _dead_letter_queue(self) -> sqs.Queue:
        queue = _dead_letter.dead_letter_queue(
            self,
            nag_reason="This queue is itself the dead-letter queue of the run triggers.",
            removal_policy=self._removal_policy,
        )
        self.dead_letter_alarm = _dead_letter.dead_letter_alarm(
            self,
            queue,
            description=f"A batch transform run ({self.job_name_prefix}) could not be started",
            topic=self.topic,
        )
        return queue

    def _on_input_arrival(self, input: TransformInput) -> None:
        bucket = input.bucket
        owner = bucket.node.scope
        if isinstance(owner, SecureBucket) and owner.bucket is bucket:
            if not owner.event_bridge_enabled:
                raise ValidationError(
                    "'run_on_input_arrival' needs EventBridge notifications on the input bucket: create it with "
                    "SecureBucket(..., event_bridge_enabled=True), got a SecureBucket without them"
                )
        elif bucket.node.try_find_child("Notifications") is None:
            Annotations.of(self).add_warning_v2(
                "sagemaker-constructs:InputBucketEventBridge",
                "run_on_input_arrival: make sure the input bucket sends events to EventBridge "
                "(SecureBucket(..., event_bridge_enabled=True), or s3.Bucket(..., event_bridge_enabled=True)).",
            )
        key_filter: dict[str, Any] = {"prefix": input.prefix} if input.prefix else {"wildcard": "*"}
        rule = events.Rule(
            self,
            "InputArrival",
            description=f"Runs batch transform {self.job_name_prefix} when input arrives",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [bucket.bucket_name]}, "object": {"key": [key_filter]}},
            ),
        )
        rule.add_target(
            events_targets.SfnStateMachine(
                self.state_machine,
                # The object (key, etag, version-id): the run scores it alone and is named after it, so a
                # redelivered event adopts the first delivery's job.
                input=events.RuleTargetInput.from_object(
                    {"s3Object": events.EventField.from_path("$.detail.object")}
                ),
                dead_letter_queue=self._dead_letter_queue(),
                retry_attempts=10,
                max_event_age=Duration.hours(6),
            )
        )
