"""``ModelBiasMonitor``: post-training bias drift (SageMaker Clarify) of predictions with ground truth."""

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
from .clarify_config import BiasAnalysisConfig, write_config_file
from .monitor_backend import MonitorBackend
from .monitor_props import MonitoringJob, MonitoringOutput, MonitorSource
from .monitoring_options import (
    Baseline,
    GroundTruth,
    MonitoringSchedule,
    S3Source,
    validate_attribute,
    validate_clarify_constraints,
    validate_offset,
    validate_transform_output_attributes,
)

ENDPOINT_NAMESPACE = "aws/sagemaker/Endpoints/bias-metrics"
BATCH_NAMESPACE = "aws/sagemaker/ModelMonitoring/bias-metrics"
POST_TRAINING_METRICS = (
    "DPPL",
    "DI",
    "DCA",
    "DCR",
    "SD",
    "RD",
    "DAR",
    "DRR",
    "AD",
    "TE",
    "CDDPL",
    "FT",
    "GE",
)


class ModelBiasMonitor(MonitorBase):
    """A bias drift monitor (``AWS::SageMaker::ModelBiasJobDefinition`` + ``MonitoringSchedule``).

    SageMaker Clarify merges captured predictions with ground truth and computes post-training bias metrics
    (``bias_metric_DPPL``, ``bias_metric_DI``...) per facet, compared with the baseline constraints. Give the
    Clarify config as a typed ``BiasAnalysisConfig`` (rendered and uploaded for you) or an ``S3Source``.
    """

    monitoring_type = "ModelBias"
    endpoint_metric_namespace = ENDPOINT_NAMESPACE
    batch_metric_namespace = BATCH_NAMESPACE
    metric_kind = "bias"
    image_framework = "clarify"
    image_version = "1.0"
    max_hourly_runtime = Duration.seconds(1800)
    default_max_runtime = Duration.minutes(30)

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: MonitorSource,
        analysis_config: BiasAnalysisConfig | S3Source,
        ground_truth: GroundTruth,
        features_attribute: str | None = None,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        probability_threshold_attribute: float | None = None,
        start_time_offset: str | None = None,
        end_time_offset: str | None = None,
        baseline: Baseline | None = None,
        schedule: MonitoringSchedule | None = None,
        job: MonitoringJob = MonitoringJob(),
        output: MonitoringOutput = MonitoringOutput(),
        notification_topic: sns.ITopic | None = None,
        backend: MonitorBackend | None = None,
    ) -> None:
        """Define a bias drift monitor.

        :param source: what to watch: ``MonitorSource.endpoint(endpoint)`` or
            ``MonitorSource.batch_transform(transform)``, with data capture.
        :param analysis_config: the Clarify config (label, facets, headers...).
        :param ground_truth: where the labels are uploaded.
        :param features_attribute: JSON path of the features in JSON records. Default: - CSV columns.
        :param inference_attribute: where the predicted label is. Default: - none.
        :param probability_attribute: where the probability is, e.g. "0". Default: - none.
        :param probability_threshold_attribute: probability above which the prediction is positive.
            Default: - none.
        :param start_time_offset: e.g. "-P1D". Default: - none.
        :param end_time_offset: e.g. "-PT1H". Default: - none.
        :param baseline: constraints from a Clarify baselining job (``analysis.json``). Default: - none.
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
            construct_path(scope, construct_id, "ModelBiasMonitor"), ModelBiasMonitor.__init__, locals()
        )
        endpoint, batch_transform = source.monitored_endpoint, source.monitored_batch_transform
        errors = ValidationErrors(f"ModelBiasMonitor '{scope.node.path}/{construct_id}'")
        if isinstance(analysis_config, BiasAnalysisConfig):
            analysis_config.validate(errors)
        if inference_attribute is None and probability_attribute is None:
            errors.add(
                "a bias monitor needs 'inference_attribute' or 'probability_attribute' (where the prediction is)"
            )
        if probability_threshold_attribute is not None:
            errors.check_range("probability_threshold_attribute", probability_threshold_attribute, 0, 1)
        for prop, value in (
            ("features_attribute", features_attribute),
            ("inference_attribute", inference_attribute),
            ("probability_attribute", probability_attribute),
        ):
            validate_attribute(errors, prop, value)
        validate_transform_output_attributes(
            errors,
            batch_transform,
            {"inference_attribute": inference_attribute, "probability_attribute": probability_attribute},
        )
        validate_clarify_constraints(errors, baseline, "post_training_bias_metrics", "bias")
        validate_offset(errors, "start_time_offset", start_time_offset)
        validate_offset(errors, "end_time_offset", end_time_offset)
        ground_truth.validate(errors)
        self.analysis_config = analysis_config
        self.ground_truth = ground_truth
        self._attributes = {
            "featuresAttribute": features_attribute,
            "inferenceAttribute": inference_attribute,
            "probabilityAttribute": probability_attribute,
            "probabilityThresholdAttribute": (
                float(probability_threshold_attribute)
                if probability_threshold_attribute is not None
                else None
            ),
            "startTimeOffset": start_time_offset,
            "endTimeOffset": end_time_offset,
        }
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
        config = self.analysis_config
        if not isinstance(config, BiasAnalysisConfig):
            refuse(
                self,
                "analysis_config",
                config,
                "the script reads the Clarify config from monitor.json: pass a BiasAnalysisConfig",
            )
        assert isinstance(config, BiasAnalysisConfig)
        return {
            "analysisConfig": config.to_json(),
            "featuresAttribute": self._attributes["featuresAttribute"],
            "inferenceAttribute": self._attributes["inferenceAttribute"],
            "probabilityAttribute": self._attributes["probabilityAttribute"],
            "probabilityThresholdAttribute": self._attributes["probabilityThresholdAttribute"],
            **ground_truth_config(self.role, self.ground_truth),
        }

    def _create_job_definition(self) -> Any:
        source = (
            S3Source.from_asset(write_config_file(self.analysis_config.to_json()))
            if isinstance(self.analysis_config, BiasAnalysisConfig)
            else self.analysis_config
        )
        app = {
            "imageUri": self._image_uri(),
            "configUri": source.bind(self, "AnalysisConfig", self.role),
            "environment": self._app_environment(),
        }
        job_input = {
            "groundTruthS3Input": {"s3Uri": self.ground_truth.bind(self.role)},
            **self._data_input(**self._attributes),
        }
        return sagemaker.CfnModelBiasJobDefinition(
            self,
            "JobDefinition",
            model_bias_app_specification=app,
            model_bias_job_input=job_input,
            model_bias_job_output_config=self._output_config(),
            model_bias_baseline_config=self._baseline_config(with_statistics=False),
            **self._job_props(),
        )

    @checked_arguments
    def metric_bias(
        self,
        metric: str,
        *,
        facet: str,
        facet_value: str,
        label: str,
        label_value: str,
        stage: str = "Post-Training",
        period: Duration | None = None,
    ) -> cloudwatch.Metric:
        """A post-training bias metric (``bias_metric_<metric>``, e.g. ``DPPL``) for one facet and label value.

        Dimensions ``Endpoint``, ``MonitoringSchedule``, ``BiasStage``, ``Label``, ``LabelValue``, ``Facet``,
        ``FacetValue``. Statistic Average, period 1 hour. The documented spelling of ``BiasStage`` is
        inconsistent: check your account's metrics and pass ``stage`` if it differs.
        """
        if metric not in POST_TRAINING_METRICS:
            raise ValidationError(f"'metric' must be one of {list(POST_TRAINING_METRICS)}, got {metric!r}")
        dimensions = self._schedule_dimensions(
            BiasStage=stage, Label=label, LabelValue=label_value, Facet=facet, FacetValue=facet_value
        )
        return cloudwatch.Metric(
            namespace=self.metric_namespace,
            metric_name=f"bias_metric_{metric}",
            dimensions_map=dimensions,
            statistic="Average",
            period=period or self._metric_period(),
        )
