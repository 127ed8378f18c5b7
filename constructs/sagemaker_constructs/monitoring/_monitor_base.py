"""What the four Model Monitor constructs share: inputs and their guards, the job role, the reports bucket,
resources, network, the schedule, alarms and EventBridge patterns."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Names, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_constructs._internal import image_registry as _images
from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.execution_role import shared_role
from sagemaker_constructs._internal.s3_access import grant_read_prefix
from sagemaker_constructs._internal.validation import (
    ValidationErrors,
    checked_arguments,
    is_token,
)

from ._failure_rules import failure_rule
from ._model_monitor_schedule import create_monitoring_schedule, reports_bucket
from ._monitor_role import monitor_network, new_monitor_role
from ._open_backend import build, open_event_pattern, open_namespace
from .monitor_backend import MonitorBackend
from .monitor_props import MonitoringJob, MonitoringOutput, MonitorSource
from .monitoring_options import Baseline, MonitoringSchedule

ENDPOINT_LOCAL_PATH = "/opt/ml/processing/input/endpoint"
BATCH_LOCAL_PATH = "/opt/ml/processing/input/batch"
OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"
MERGING_MONITOR_TYPES = ("ModelQuality", "ModelBias")
"""Monitoring types whose executions merge captured predictions with ground truth under their own output."""


class MonitorBase(Construct):
    """Base of ``DataQualityMonitor``, ``ModelQualityMonitor``, ``ModelBiasMonitor`` and
    ``ModelExplainabilityMonitor``. Not used directly."""

    monitoring_type: str = ""
    endpoint_metric_namespace: str = ""
    """Where the monitor type's metrics go for an endpoint (``aws/sagemaker/Endpoints/...``)."""
    batch_metric_namespace: str = ""
    """Where the monitor type's metrics go for a batch transform (``aws/sagemaker/ModelMonitoring/...``)."""
    _metric_namespace_override: str | None = None
    metric_kind: str = ""
    """``data``, ``model``, ``bias`` or ``explainability``: the open backend's namespaces end in ``<kind>-metrics``."""
    image_framework: str = "model-monitor"
    image_version: str = ""
    max_hourly_runtime: Duration | None = None
    default_max_runtime: Duration = Duration.hours(1)

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: MonitorSource,
        job: MonitoringJob,
        output: MonitoringOutput,
        schedule: MonitoringSchedule,
        baseline: Baseline | None,
        notification_topic: sns.ITopic | None,
        backend: MonitorBackend | None = None,
        errors: ValidationErrors | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        errors = errors or ValidationErrors(f"{type(self).__name__} '{self.node.path}'")
        max_runtime = job.max_runtime or self.default_max_runtime
        self.backend = backend or MonitorBackend.model_monitor()
        """Where the executions run (``MonitorBackend``)."""
        self.backend.validate(errors)
        self._validate_common(errors, source, job, output, schedule, max_runtime)
        errors.raise_if_any()

        self.source = source
        """What the monitor watches."""
        self.job = job
        """The processing job options."""
        self.endpoint = source.monitored_endpoint
        self.batch_transform = source.monitored_batch_transform
        self.schedule = schedule
        self.dataset_format = source.resolved_dataset_format
        self.monitoring_schedule_name = Names.unique_resource_name(self, max_length=63, separator="-")
        """The schedule's name (fixed at synth, so metrics and alarms can name it)."""
        self._image = job.image
        self._instance_type = job.instance_type
        self._instance_count = job.instance_count
        self._volume_size = job.volume_size
        self._volume_kms_key = job.volume_kms_key
        self._max_runtime = max_runtime
        self._publish = output.publish_cloudwatch_metrics
        self._environment = dict(job.environment or {})

        self.alarms: list[cloudwatch.Alarm] = []
        """The alarms made with ``create_metric_alarm`` and the alarm helpers, in order."""
        self.role: iam.IRole = job.role or self._create_role()
        source.grant_read_captured_data(self.role)
        self._vpc_config = (
            monitor_network(self, self.role, job.vpc, job.vpc_subnets, job.security_groups)
            if job.vpc
            else None
        )
        self._network_isolation = job.network_isolation
        self._inter_container_encryption = job.inter_container_encryption

        # Reports: <bucket>/<prefix>, by default one shared bucket per stack, one folder per monitor.
        output_bucket = output.bucket
        output_kms_key = output.kms_key
        if output_bucket is None:
            reports = reports_bucket(Stack.of(self))
            output_bucket = reports.bucket
            output_kms_key = output_kms_key or reports.key
        self.output_bucket = output_bucket
        self.output_prefix = (
            output.prefix or f"model-monitor/{self.monitoring_type}/{self.monitoring_schedule_name}"
        )
        self.output_s3_uri = output_bucket.s3_url_for_object(self.output_prefix)
        """Where each execution writes its reports (``statistics.json``, ``constraint_violations.json`` ...)."""
        self._output_kms_key = output_kms_key or output_bucket.encryption_key
        iam.Grant.add_to_principal(
            grantee=self.role,
            actions=["s3:PutObject"],
            resource_arns=[output_bucket.arn_for_objects(f"{self.output_prefix}/*")],
        )
        if self._output_kms_key is not None:
            self._output_kms_key.grant(self.role, "kms:Encrypt", "kms:GenerateDataKey")
        if self.monitoring_type in MERGING_MONITOR_TYPES:
            # The ground-truth merge writes under the output (<output>/merge/...) and the analysis reads it back
            # as an S3Prefix input: list, read and decrypt the monitor's own output.
            self._grant_read_prefix(output_bucket, f"{self.output_prefix}/", "ground-truth merge it wrote")
            if self._output_kms_key is not None:
                self._output_kms_key.grant_decrypt(self.role)
        _nag.acknowledge_resource(
            self.role,
            output_bucket.arn_for_objects(f"{self.output_prefix}/*"),
            "Each monitoring execution writes reports named after the execution under the monitor's prefix.",
        )
        if job.volume_kms_key is not None:
            job.volume_kms_key.grant(self.role, "kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey")

        self._baseline = baseline
        self._baseline_uris = self._bind_baseline(baseline)
        self.state_machine: sfn.StateMachine | None = None
        """The open backend's workflow (one execution per run); None on Model Monitor."""
        self.schedule_resource: Construct
        """What starts the runs: the ``AWS::SageMaker::MonitoringSchedule`` (Model Monitor) or the
        ``AWS::Scheduler::Schedule`` (open backend)."""
        if self.backend.is_processing:
            # The workflow publishes its own failures to the topic (SNS, then the Failed event).
            open_backend = build(self, self, self._open_config(), notification_topic)
            self.state_machine = open_backend.state_machine
            self._open_schedule: scheduler.Schedule = open_backend.schedule
            self.schedule_resource = open_backend.schedule
        else:
            self.job_definition = self._create_job_definition()
            self.job_definition_name: str = self.job_definition.get_att("JobDefinitionName").to_string()
            self.resource = self._create_schedule()
            self.node.default_child = self.resource
            self.schedule_resource = self.resource
            if notification_topic is not None:
                self.notify_on_failure(notification_topic)

    # --------------------------------------------------------------------------------------- for subclasses

    def _create_job_definition(self) -> Any:
        raise NotImplementedError

    def _open_config(self) -> dict[str, Any]:
        """The monitor type's own keys of the open backend's ``monitor.json`` (design14 §1); grants what they
        name. Raises ValidationError for what the open backend cannot run."""
        return {}

    def _app_environment(self) -> dict[str, str]:
        env = {"publish_cloudwatch_metrics": "Enabled" if self._publish else "Disabled"}
        env.update(self._environment)
        return env

    def _image_uri(self) -> str:
        if self._image is not None:
            return self._image.bind(self, self.role)
        return _images.image_uri(self, _images.lookup(self.image_framework, self.image_version, None))

    def _job_resources(self) -> dict[str, Any]:
        cluster: dict[str, Any] = {
            "instanceCount": self._instance_count,
            "instanceType": self._instance_type,
            "volumeSizeInGb": int(self._volume_size.to_gibibytes()),
        }
        if self._volume_kms_key is not None:
            cluster["volumeKmsKeyId"] = self._volume_kms_key.key_arn
        return {"clusterConfig": cluster}

    def _network_config(self) -> dict[str, Any] | None:
        config: dict[str, Any] = {}
        if self._inter_container_encryption:
            config["enableInterContainerTrafficEncryption"] = True
        if self._network_isolation:
            config["enableNetworkIsolation"] = True
        if self._vpc_config is not None:
            config["vpcConfig"] = self._vpc_config
        return config or None

    def _output_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "monitoringOutputs": [
                {
                    "s3Output": {
                        "s3Uri": self.output_s3_uri,
                        "localPath": OUTPUT_LOCAL_PATH,
                        "s3UploadMode": "EndOfJob",
                    }
                }
            ]
        }
        if self._output_kms_key is not None:
            config["kmsKeyId"] = self._output_kms_key.key_arn
        return config

    def _stopping_condition(self) -> dict[str, Any]:
        return {"maxRuntimeInSeconds": int(self._max_runtime.to_seconds())}

    def _job_props(self) -> dict[str, Any]:
        """What every job definition type takes alike: the cluster, the role, the network and the stopping
        condition (the ``*_app_specification``, ``*_job_input`` and ``*_output_config`` props carry the type's name)."""
        return {
            "job_resources": self._job_resources(),
            "role_arn": self.role.role_arn,
            "network_config": self._network_config(),
            "stopping_condition": self._stopping_condition(),
        }

    def _data_input(self, **attributes: Any) -> dict[str, Any]:
        """The job input of the monitored data: ``endpointInput`` or ``batchTransformInput``."""
        if self.endpoint is not None:
            return {"endpointInput": self._endpoint_input(**attributes)}
        return {"batchTransformInput": self._batch_input(**attributes)}

    @property
    def metric_namespace(self) -> str:
        """The namespace the metric methods use (the endpoint's or the batch transform's). On the open backend:
        ``SageMakerConstructs/Endpoints/<kind>-metrics`` or ``SageMakerConstructs/ModelMonitoring/<kind>-metrics``
        (custom metrics stay out of AWS's ``aws/`` prefix), with the same metric and dimension names."""
        if self.backend.is_processing:
            return open_namespace(self)
        return self.endpoint_metric_namespace if self.endpoint is not None else self.batch_metric_namespace

    def _schedule_dimensions(self, **extra: str) -> dict[str, str]:
        """``Endpoint`` (not for a batch transform), ``MonitoringSchedule`` and ``extra``, in that order."""
        endpoint = {"Endpoint": self.endpoint_name} if self.endpoint_name is not None else {}
        return {**endpoint, "MonitoringSchedule": self.monitoring_schedule_name, **extra}

    def _endpoint_input(self, **extra: Any) -> dict[str, Any]:
        assert self.endpoint is not None
        return {
            "endpointName": self.endpoint.endpoint_name,
            "localPath": ENDPOINT_LOCAL_PATH,
            "s3InputMode": "File",
            "s3DataDistributionType": "FullyReplicated",
            **{k: v for k, v in extra.items() if v is not None},
        }

    def _batch_input(self, **extra: Any) -> dict[str, Any]:
        assert self.batch_transform is not None
        assert self.batch_transform.data_capture_s3_uri is not None
        assert self.dataset_format is not None
        return {
            "dataCapturedDestinationS3Uri": self.batch_transform.data_capture_s3_uri,
            "datasetFormat": self.dataset_format.render(),
            "localPath": BATCH_LOCAL_PATH,
            "s3InputMode": "File",
            "s3DataDistributionType": "FullyReplicated",
            **{k: v for k, v in extra.items() if v is not None},
        }

    def _baseline_config(self, *, with_statistics: bool) -> dict[str, Any] | None:
        constraints, statistics = self._baseline_uris
        config: dict[str, Any] = {}
        if constraints is not None:
            config["constraintsResource"] = {"s3Uri": constraints}
        if with_statistics and statistics is not None:
            config["statisticsResource"] = {"s3Uri": statistics}
        return config or None

    # ------------------------------------------------------------------------------------------- public

    @property
    def monitoring_schedule_arn(self) -> str:
        """The schedule's ARN: the ``MonitoringSchedule``'s, or on the open backend the Scheduler schedule's."""
        if self.backend.is_processing:
            return self._open_schedule.schedule_arn
        arn: str = self.resource.attr_monitoring_schedule_arn
        return arn

    @property
    def output_kms_key(self) -> kms.IKey | None:
        """The key the reports are encrypted with, if any."""
        return self._output_kms_key

    @property
    def max_runtime(self) -> Duration:
        """How long one execution may run (the job definition's ``StoppingCondition``)."""
        return self._max_runtime

    @property
    def reports_violations(self) -> bool:
        """Whether this monitor's executions can end ``CompletedWithViolations``: True iff it has baseline
        constraints, the only thing Model Monitor checks data against (data and model quality:
        https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html; bias and
        feature attribution: .../clarify-model-monitor-bias-drift-violations.html and
        .../clarify-model-monitor-model-attribution-drift-violations.html)."""
        constraints, _ = self._baseline_uris
        return constraints is not None

    @property
    def endpoint_name(self) -> str | None:
        """The monitored endpoint's name as known at synth (metric dimensions), if any."""
        if self.endpoint is None:
            return None
        return self.endpoint.endpoint_name_for_metrics

    def execution_failed_event_pattern(self) -> events.EventPattern:
        """EventBridge pattern of this monitor's failed executions (``SageMaker Processing Job State Change``; on
        the open backend the workflow's ``Monitoring Execution Status Change`` with status ``Failed``)."""
        if self.backend.is_processing:
            return open_event_pattern(self.monitoring_schedule_name, "Failed")
        return events.EventPattern(
            source=["aws.sagemaker"],
            detail_type=["SageMaker Processing Job State Change"],
            detail={
                "ProcessingJobStatus": ["Failed"],
                "MonitoringScheduleArn": [self.monitoring_schedule_arn],
            },
        )

    def violations_event_pattern(self) -> events.EventPattern:
        """EventBridge pattern of this monitor's executions that completed with violations.

        Unverified: it needs ``ExitMessage`` and ``MonitoringScheduleArn`` in the event, which AWS's one sample of
        "SageMaker Processing Job State Change" lacks. ``RetrainingTrigger`` uses it only as a fast path and
        decides on ``ListMonitoringExecutions``; do the same before acting on it.

        On the open backend: the workflow's own event (source ``sagemaker-constructs.monitoring``, status
        ``CompletedWithViolations``), whose ``summaryUri`` names the summary to confirm it with.
        """
        if self.backend.is_processing:
            return open_event_pattern(self.monitoring_schedule_name, "CompletedWithViolations")
        return events.EventPattern(
            source=["aws.sagemaker"],
            detail_type=["SageMaker Processing Job State Change"],
            detail={
                "ProcessingJobStatus": ["Completed"],
                "ExitMessage": [{"prefix": "CompletedWithViolations"}],
                "MonitoringScheduleArn": [self.monitoring_schedule_arn],
            },
        )

    def notify_on_failure(self, topic: sns.ITopic) -> events.Rule:
        """Publish this monitor's failed executions to ``topic``.

        The monitors of one stack that notify one topic share an EventBridge rule, whose pattern matches the failed
        executions of each of them (``execution_failed_event_pattern()``); a rule holds as many schedules as fit
        in EventBridge's 2,048-character event pattern quota, then another rule starts. Returns that rule.
        """
        return failure_rule(
            self,
            self.monitoring_schedule_name,
            self.execution_failed_event_pattern(),
            topic,
            open_backend=self.backend.is_processing,
        )

    @checked_arguments
    def create_metric_alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison_operator: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods: int = 1,
        action: cloudwatch.IAlarmAction | None = None,
        description: str | None = None,
        treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        """An alarm on one of this monitor's metrics. Monitors publish once per run, so one period suffices
        by default.

        :param treat_missing_data: Default: ``NOT_BREACHING`` (the hours between runs have no data). With a
            metric whose name, namespace or dimensions are wrong, that keeps the alarm silent for ever: pass
            ``MISSING`` to see such an alarm stay in INSUFFICIENT_DATA until you have checked the metric exists.
        """
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison_operator,
            evaluation_periods=evaluation_periods,
            treat_missing_data=treat_missing_data,
            alarm_description=description or f"Model Monitor {self.monitoring_schedule_name}: {construct_id}",
        )
        if action is not None:
            alarm.add_alarm_action(action)
        self.alarms.append(alarm)
        return alarm

    # ------------------------------------------------------------------------------------------ internals

    def _metric_period(self) -> Duration:
        return Duration.hours(1)

    def _validate_common(
        self,
        errors: ValidationErrors,
        source: MonitorSource,
        job: MonitoringJob,
        output: MonitoringOutput,
        schedule: MonitoringSchedule,
        max_runtime: Duration,
    ) -> None:
        source.validate_capture(self, errors)
        schedule.validate(errors)
        job.validate(errors)
        limit = self.max_hourly_runtime
        too_long = (
            limit is not None
            and not is_token(max_runtime)
            and max_runtime.to_seconds(integral=False) > limit.to_seconds()
        )
        if limit is not None and schedule.is_hourly and too_long:
            errors.add(
                f"'job.max_runtime' of an hourly {self.monitoring_type} monitor must be at most "
                f"{int(limit.to_seconds())} seconds (the ground-truth merge and the analysis share the hour), "
                f"got {max_runtime.to_seconds(integral=False):g}"
            )
        output.validate(errors)

    def _create_role(self) -> iam.Role:
        # One role per monitored source (endpoint or batch transform) and stack: each monitor adds its own grants,
        # so the role's policy is the union of theirs (IAM limits a role's inline policies to 10,240 characters:
        # tests/infra/test_reference_app.py measures the reference app's).
        source = self.endpoint if self.endpoint is not None else self.batch_transform
        role = shared_role(self, source, self.monitoring_type, new_monitor_role)
        if self._metric_namespace_override:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringLike": {"cloudwatch:namespace": [self._metric_namespace_override]}},
                )
            )
        return role

    def _grant_read_prefix(self, bucket: s3.IBucket, prefix: str, what: str) -> None:
        grant_read_prefix(self.role, bucket, prefix, what)

    def _bind_baseline(self, baseline: Baseline | None) -> tuple[str | None, str | None]:
        if baseline is None:
            return None, None
        constraints = (
            baseline.constraints.bind(self, "BaselineConstraints", self.role)
            if baseline.constraints
            else None
        )
        statistics = (
            baseline.statistics.bind(self, "BaselineStatistics", self.role) if baseline.statistics else None
        )
        return constraints, statistics

    def _create_schedule(self) -> sagemaker.CfnMonitoringSchedule:
        return create_monitoring_schedule(
            self,
            name=self.monitoring_schedule_name,
            endpoint_name=self.endpoint.endpoint_name if self.endpoint is not None else None,
            job_definition_name=self.job_definition_name,
            monitoring_type=self.monitoring_type,
            schedule=self.schedule,
        )
