"""``ModelQualityMonitor``: accuracy, AUC, RMSE... of predictions merged with ground truth labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, Size
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_constructs._internal.validation import (
    ValidationError,
    ValidationErrors,
    check_argument_types,
    checked_arguments,
    construct_path,
)
from sagemaker_constructs.batch.batch_transform import BatchTransform
from sagemaker_constructs.common.container_image import ContainerImage
from sagemaker_constructs.hosting.endpoint import IEndpoint

from ._monitor_base import MonitorBase
from .monitoring_options import (
    LOWER_IS_BETTER,
    METRICS_BY_PROBLEM,
    Baseline,
    DatasetFormat,
    GroundTruth,
    MonitoringSchedule,
    ProblemType,
    S3Source,
    validate_offset,
    validate_transform_output_attributes,
)

ENDPOINT_NAMESPACE = "aws/sagemaker/Endpoints/model-metrics"
BATCH_NAMESPACE = "aws/sagemaker/ModelMonitoring/model-metrics"


class ModelQualityMonitor(MonitorBase):
    """A model quality monitor (``AWS::SageMaker::ModelQualityJobDefinition`` + ``MonitoringSchedule``).

    Each run merges captured predictions with the ground truth labels you upload under
    ``ground_truth`` (``<prefix>/yyyy/mm/dd/hh/``, by collection time), then computes the metrics of
    ``problem_type`` and checks them against the baseline constraints. Hourly runs share one hour between the
    merge and the analysis, so ``max_runtime`` is capped at 1800 seconds for them.
    """

    monitoring_type = "ModelQuality"
    max_hourly_runtime = Duration.seconds(1800)

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        problem_type: ProblemType,
        ground_truth: GroundTruth,
        endpoint: IEndpoint | None = None,
        batch_transform: BatchTransform | None = None,
        dataset_format: DatasetFormat | None = None,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        probability_threshold_attribute: float | None = None,
        start_time_offset: str | None = None,
        end_time_offset: str | None = None,
        baseline: Baseline | None = None,
        schedule: MonitoringSchedule | None = None,
        record_preprocessor: S3Source | None = None,
        post_analytics_processor: S3Source | None = None,
        image: ContainerImage | None = None,
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        volume_size: Size = Size.gibibytes(20),
        volume_kms_key: kms.IKey | None = None,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str | None = None,
        output_kms_key: kms.IKey | None = None,
        max_runtime: Duration = Duration.minutes(30),
        environment: Mapping[str, str] | None = None,
        publish_cloudwatch_metrics: bool = True,
        role: iam.IRole | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        network_isolation: bool = False,
        inter_container_encryption: bool = True,
        notification_topic: sns.ITopic | None = None,
    ) -> None:
        """Define a model quality monitor.

        :param problem_type: binary, multiclass or regression.
        :param ground_truth: where the labels are uploaded.
        :param endpoint: the endpoint to watch (with data capture). Give this or ``batch_transform``.
        :param batch_transform: the batch transform to watch (with data capture).
        :param dataset_format: format of the transform's captured data. Default: - from its content type.
        :param inference_attribute: where the predicted label is in the output (index or name).
            Default: - none (use ``probability_attribute``).
        :param probability_attribute: where the probability is in the output, e.g. "0". A batch transform that
            joins its input (``JoinSource.INPUT``) writes the input columns first: use
            ``transform_output_column(batch_transform, input_columns=N)``. Default: - none.
        :param probability_threshold_attribute: probability above which the prediction is positive.
            Default: - none.
        :param start_time_offset: start of the analysed window before each run, e.g. "-P1D". Default: - none.
        :param end_time_offset: end of the window before each run, e.g. "-PT1H". Default: - none.
        :param baseline: the constraints (``<problem>_constraints``). Default: - none.
        :param schedule: Default: ``MonitoringSchedule.daily()``
        :param max_runtime: at most 1800 s for hourly schedules. Default: 30 minutes
        (Other parameters as for ``DataQualityMonitor``.)
        """
        check_argument_types(
            construct_path(scope, construct_id, "ModelQualityMonitor"), ModelQualityMonitor.__init__, locals()
        )
        errors = ValidationErrors(f"ModelQualityMonitor '{scope.node.path}/{construct_id}'")
        _validate_attributes(
            errors, problem_type, inference_attribute, probability_attribute, probability_threshold_attribute
        )
        validate_transform_output_attributes(
            errors,
            batch_transform,
            {"inference_attribute": inference_attribute, "probability_attribute": probability_attribute},
        )
        validate_offset(errors, "start_time_offset", start_time_offset)
        validate_offset(errors, "end_time_offset", end_time_offset)
        ground_truth.validate(errors)
        self.problem_type = problem_type
        self.ground_truth = ground_truth
        self._attributes = {
            "inferenceAttribute": inference_attribute,
            "probabilityAttribute": probability_attribute,
            "probabilityThresholdAttribute": probability_threshold_attribute,
            "startTimeOffset": start_time_offset,
            "endTimeOffset": end_time_offset,
        }
        self._preprocessor = record_preprocessor
        self._postprocessor = post_analytics_processor
        super().__init__(
            scope, construct_id, endpoint=endpoint, batch_transform=batch_transform, dataset_format=dataset_format,
            schedule=schedule or MonitoringSchedule.daily(), baseline=baseline, image=image, instance_type=instance_type,
            instance_count=instance_count, volume_size=volume_size, volume_kms_key=volume_kms_key,
            output_bucket=output_bucket, output_prefix=output_prefix, output_kms_key=output_kms_key,
            max_runtime=max_runtime, environment=environment, publish_cloudwatch_metrics=publish_cloudwatch_metrics,
            role=role, vpc=vpc, vpc_subnets=vpc_subnets, security_groups=security_groups,
            network_isolation=network_isolation, inter_container_encryption=inter_container_encryption,
            notification_topic=notification_topic, errors=errors,
        )  # fmt: skip

    def _create_job_definition(self) -> Any:
        app: dict[str, Any] = {
            "imageUri": self._image_uri(),
            "problemType": self.problem_type.value,
            "environment": self._app_environment(),
        }
        if self._preprocessor is not None:
            app["recordPreprocessorSourceUri"] = self._preprocessor.bind(
                self, "RecordPreprocessor", self.role
            )
        if self._postprocessor is not None:
            app["postAnalyticsProcessorSourceUri"] = self._postprocessor.bind(
                self, "PostAnalyticsProcessor", self.role
            )
        attributes = {**self._attributes}
        if attributes["probabilityThresholdAttribute"] is not None:
            attributes["probabilityThresholdAttribute"] = float(attributes["probabilityThresholdAttribute"])
        job_input: dict[str, Any] = {"groundTruthS3Input": {"s3Uri": self.ground_truth.bind(self.role)}}
        if self.endpoint is not None:
            job_input["endpointInput"] = self._endpoint_input(**attributes)
        else:
            job_input["batchTransformInput"] = self._batch_input(**attributes)
        return sagemaker.CfnModelQualityJobDefinition(
            self,
            "JobDefinition",
            model_quality_app_specification=app,
            model_quality_job_input=job_input,
            model_quality_job_output_config=self._output_config(),
            job_resources=self._job_resources(),
            role_arn=self.role.role_arn,
            model_quality_baseline_config=self._baseline_config(with_statistics=False),
            network_config=self._network_config(),
            stopping_condition=self._stopping_condition(),
        )

    # ----------------------------------------------------------------------------------------------- metrics

    @property
    def metric_namespace(self) -> str:
        """The namespace the metric methods use."""
        return ENDPOINT_NAMESPACE if self.endpoint is not None else BATCH_NAMESPACE

    @property
    def metric_dimensions(self) -> dict[str, str]:
        """``Endpoint`` and ``MonitoringSchedule`` (batch: ``MonitoringSchedule`` only)."""
        dimensions = {"MonitoringSchedule": self.monitoring_schedule_name}
        if self.endpoint_name is not None:
            dimensions = {"Endpoint": self.endpoint_name, **dimensions}
        return dimensions

    @checked_arguments
    def metric(
        self, metric_name: str, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """A model quality metric by name (e.g. ``auc``), checked against the problem type. Statistic
        Average, period 1 hour by default."""
        allowed = METRICS_BY_PROBLEM[self.problem_type]
        if metric_name not in allowed:
            raise ValidationError(
                f"'metric_name' for {self.problem_type.value} must be one of {list(allowed)}, got {metric_name!r}"
            )
        return cloudwatch.Metric(
            namespace=self.metric_namespace,
            metric_name=metric_name,
            dimensions_map=self.metric_dimensions,
            statistic=statistic,
            period=period or self._metric_period(),
        )

    @checked_arguments
    def alarm_on_metric(
        self, metric_name: str, *, threshold: float, action: cloudwatch.IAlarmAction | None = None
    ) -> cloudwatch.Alarm:
        """Alarm when a metric gets worse than ``threshold``: below it for scores (accuracy, auc...), above it
        for errors (rmse, mae, false_positive_rate...)."""
        lower_is_worse = metric_name not in LOWER_IS_BETTER
        return self.create_metric_alarm(
            f"Quality-{metric_name}",
            self.metric(metric_name),
            threshold=threshold,
            comparison_operator=(
                cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
                if lower_is_worse
                else cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
            ),
            action=action,
            description=f"Model quality {metric_name} {'below' if lower_is_worse else 'above'} {threshold:g} "
            f"({self.monitoring_schedule_name})",
        )


def _validate_attributes(
    errors: ValidationErrors,
    problem_type: ProblemType,
    inference_attribute: str | None,
    probability_attribute: str | None,
    probability_threshold_attribute: float | None,
) -> None:
    for prop, value in (
        ("inference_attribute", inference_attribute),
        ("probability_attribute", probability_attribute),
    ):
        if value is not None and not 1 <= len(value) <= 256:
            errors.add(f"'{prop}' must be 1-256 characters, got {value!r}")
    if problem_type is ProblemType.REGRESSION:
        if inference_attribute is None:
            errors.add("'inference_attribute' is required for Regression (where the predicted value is)")
        if probability_attribute is not None or probability_threshold_attribute is not None:
            errors.add(
                "'probability_attribute' and 'probability_threshold_attribute' do not apply to Regression"
            )
    elif inference_attribute is None and probability_attribute is None:
        errors.add(
            f"{problem_type.value} needs 'inference_attribute' (the predicted label) or 'probability_attribute' "
            "with 'probability_threshold_attribute'"
        )
    if probability_threshold_attribute is not None:
        errors.check_range("probability_threshold_attribute", probability_threshold_attribute, 0, 1)
        if probability_attribute is None:
            errors.add("'probability_threshold_attribute' needs 'probability_attribute'")
    probability_only = inference_attribute is None and probability_threshold_attribute is None
    if (
        problem_type is ProblemType.BINARY_CLASSIFICATION
        and probability_attribute is not None
        and probability_only
    ):
        errors.add(
            "'probability_threshold_attribute' is required when the prediction comes from "
            "'probability_attribute' alone (BinaryClassification)"
        )
