"""``ModelQualityMonitor``: accuracy, AUC, RMSE... of predictions merged with ground truth labels."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
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

from ._monitor_base import MonitorBase
from ._open_backend import ground_truth_config, refuse
from .monitor_backend import MonitorBackend
from .monitor_props import MonitoringJob, MonitoringOutput, MonitorSource
from .monitoring_options import (
    LOWER_IS_BETTER,
    METRICS_BY_PROBLEM,
    Baseline,
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
    endpoint_metric_namespace = ENDPOINT_NAMESPACE
    batch_metric_namespace = BATCH_NAMESPACE
    metric_kind = "model"
    max_hourly_runtime = Duration.seconds(1800)
    default_max_runtime = Duration.minutes(30)

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: MonitorSource,
        problem_type: ProblemType,
        ground_truth: GroundTruth,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        probability_threshold_attribute: float | None = None,
        start_time_offset: str | None = None,
        end_time_offset: str | None = None,
        record_preprocessor: S3Source | None = None,
        post_analytics_processor: S3Source | None = None,
        baseline: Baseline | None = None,
        schedule: MonitoringSchedule | None = None,
        job: MonitoringJob = MonitoringJob(),
        output: MonitoringOutput = MonitoringOutput(),
        notification_topic: sns.ITopic | None = None,
        backend: MonitorBackend | None = None,
    ) -> None:
        """Define a model quality monitor.

        :param source: what to watch: ``MonitorSource.endpoint(endpoint)`` or
            ``MonitorSource.batch_transform(transform)``, with data capture.
        :param problem_type: binary, multiclass or regression.
        :param ground_truth: where the labels are uploaded.
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
        :param job: the processing job of each run (see ``MonitoringJob``): instances, runtime, role, image,
            network. Its ``max_runtime`` defaults to 30 minutes (at most 1800 s for hourly schedules).
            Default: ``MonitoringJob()``
        :param output: where the reports go (see ``MonitoringOutput``). Default: ``MonitoringOutput()`` - the
            stack's shared reports bucket, metrics published.
        :param notification_topic: receives failed executions. Default: - none.
        :param backend: where the executions run: Model Monitor or the open backend on SageMaker Processing
            (``MonitorBackend.processing()``). Default: ``MonitorBackend.model_monitor()``
        """
        check_argument_types(
            construct_path(scope, construct_id, "ModelQualityMonitor"), ModelQualityMonitor.__init__, locals()
        )
        endpoint, batch_transform = source.monitored_endpoint, source.monitored_batch_transform
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
            scope,
            construct_id,
            source=source,
            job=job,
            output=output,
            schedule=schedule or MonitoringSchedule.daily(),
            baseline=baseline,
            notification_topic=notification_topic,
            backend=backend,
            errors=errors,
        )

    def _open_config(self) -> dict[str, Any]:
        why = "the open backend runs the library's own script"
        refuse(self, "record_preprocessor", self._preprocessor, why)
        refuse(self, "post_analytics_processor", self._postprocessor, why)
        threshold = self._attributes["probabilityThresholdAttribute"]
        return {
            "problemType": self.problem_type.value,
            "inferenceAttribute": self._attributes["inferenceAttribute"],
            "probabilityAttribute": self._attributes["probabilityAttribute"],
            "probabilityThresholdAttribute": float(threshold) if threshold is not None else None,
            **ground_truth_config(self.role, self.ground_truth),
        }

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
        job_input = {
            "groundTruthS3Input": {"s3Uri": self.ground_truth.bind(self.role)},
            **self._data_input(**attributes),
        }
        return sagemaker.CfnModelQualityJobDefinition(
            self,
            "JobDefinition",
            model_quality_app_specification=app,
            model_quality_job_input=job_input,
            model_quality_job_output_config=self._output_config(),
            model_quality_baseline_config=self._baseline_config(with_statistics=False),
            **self._job_props(),
        )

    # ----------------------------------------------------------------------------------------------- metrics

    @property
    def metric_dimensions(self) -> dict[str, str]:
        """``Endpoint`` and ``MonitoringSchedule`` (batch: ``MonitoringSchedule`` only)."""
        return self._schedule_dimensions()

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
