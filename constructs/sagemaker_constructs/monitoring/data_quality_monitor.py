"""``DataQualityMonitor``: feature drift and data quality of captured traffic, against a baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_constructs._internal.validation import (
    ValidationErrors,
    check_argument_types,
    checked_arguments,
    construct_path,
)

from ._monitor_base import MonitorBase
from ._open_backend import refuse
from .monitor_backend import MonitorBackend
from .monitor_props import MonitoringJob, MonitoringOutput, MonitorSource
from .monitoring_options import Baseline, MonitoringSchedule, S3Source, validate_attribute

ENDPOINT_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
BATCH_NAMESPACE = "aws/sagemaker/ModelMonitoring/data-metrics"
MAX_ALARM_METRICS = 10
"""CloudWatch: the metrics one alarm may combine with metric math."""


class DataQualityMonitor(MonitorBase):
    """A data quality monitor (``AWS::SageMaker::DataQualityJobDefinition`` + ``MonitoringSchedule``).

    Compares each window of captured data with ``baseline`` (statistics and constraints) and publishes
    ``feature_baseline_drift_<feature>`` and friends to CloudWatch.

    **Metric namespace and dimensions.** AWS documents them inconsistently. By default the monitor uses the
    form seen in public working examples: ``aws/sagemaker/Endpoints/data-metrics`` with ``Endpoint`` and
    ``MonitoringSchedule`` for endpoints, ``aws/sagemaker/ModelMonitoring/data-metrics`` with
    ``MonitoringSchedule`` for batch transforms. Override with ``metric_namespace`` / ``metric_dimensions``
    after checking ``aws cloudwatch list-metrics`` in your account.
    """

    monitoring_type = "DataQuality"
    endpoint_metric_namespace = ENDPOINT_NAMESPACE
    batch_metric_namespace = BATCH_NAMESPACE
    metric_kind = "data"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: MonitorSource,
        exclude_features_attribute: str | None = None,
        record_preprocessor: S3Source | None = None,
        post_analytics_processor: S3Source | None = None,
        metric_namespace: str | None = None,
        metric_dimensions: Mapping[str, str] | None = None,
        baseline: Baseline | None = None,
        schedule: MonitoringSchedule | None = None,
        job: MonitoringJob = MonitoringJob(),
        output: MonitoringOutput = MonitoringOutput(),
        notification_topic: sns.ITopic | None = None,
        backend: MonitorBackend | None = None,
    ) -> None:
        """Define a data quality monitor.

        :param source: what to watch: ``MonitorSource.endpoint(endpoint)`` or
            ``MonitorSource.batch_transform(transform)``, with data capture.
        :param baseline: statistics and constraints. Default: - none (statistics only, no violations).
        :param schedule: Default: ``MonitoringSchedule.hourly()``
        :param exclude_features_attribute: features to leave out. Default: - none.
        :param record_preprocessor: a Python script run on each record. Default: - none.
        :param post_analytics_processor: a Python script run on the reports. Default: - none.
        :param metric_namespace: override the CloudWatch namespace the metrics methods use. Default: - see above.
        :param metric_dimensions: override the metric dimensions. Default: - see above.
        :param job: the processing job of each run (see ``MonitoringJob``): instances, runtime, role, image,
            network. Its ``max_runtime`` defaults to 1 hour.
            Default: ``MonitoringJob()``
        :param output: where the reports go (see ``MonitoringOutput``). Default: ``MonitoringOutput()`` - the
            stack's shared reports bucket, metrics published.
        :param notification_topic: receives failed executions. Default: - none.
        :param backend: where the executions run: Model Monitor or the open backend on SageMaker Processing
            (``MonitorBackend.processing()``). Default: ``MonitorBackend.model_monitor()``
        """
        check_argument_types(
            construct_path(scope, construct_id, "DataQualityMonitor"), DataQualityMonitor.__init__, locals()
        )
        self._dq_baseline = baseline
        self._exclude = exclude_features_attribute
        self._preprocessor = record_preprocessor
        self._postprocessor = post_analytics_processor
        errors = ValidationErrors(f"DataQualityMonitor '{scope.node.path}/{construct_id}'")
        validate_attribute(
            errors, "exclude_features_attribute", exclude_features_attribute, 100, min_length=0
        )
        if baseline is not None and baseline.statistics is None and baseline.constraints is not None:
            errors.add(
                "'baseline.statistics' is required with 'baseline.constraints' for data quality (drift needs both)"
            )
        self._metric_namespace = metric_namespace
        self._metric_namespace_override = metric_namespace
        self._metric_dimensions = dict(metric_dimensions) if metric_dimensions is not None else None
        super().__init__(
            scope,
            construct_id,
            source=source,
            job=job,
            output=output,
            schedule=schedule or MonitoringSchedule.hourly(),
            baseline=baseline,
            notification_topic=notification_topic,
            backend=backend,
            errors=errors,
        )

    def _open_config(self) -> dict[str, Any]:
        why = "the open backend runs the library's own script"
        refuse(self, "record_preprocessor", self._preprocessor, why)
        refuse(self, "post_analytics_processor", self._postprocessor, why)
        return {"excludeFeaturesAttribute": self._exclude}

    def _create_job_definition(self) -> Any:
        app: dict[str, Any] = {"imageUri": self._image_uri(), "environment": self._app_environment()}
        if self._preprocessor is not None:
            app["recordPreprocessorSourceUri"] = self._preprocessor.bind(
                self, "RecordPreprocessor", self.role
            )
        if self._postprocessor is not None:
            app["postAnalyticsProcessorSourceUri"] = self._postprocessor.bind(
                self, "PostAnalyticsProcessor", self.role
            )
        job_input = self._data_input(excludeFeaturesAttribute=self._exclude)
        return sagemaker.CfnDataQualityJobDefinition(
            self,
            "JobDefinition",
            data_quality_app_specification=app,
            data_quality_job_input=job_input,
            data_quality_job_output_config=self._output_config(),
            data_quality_baseline_config=self._baseline_config(with_statistics=True),
            **self._job_props(),
        )

    # ----------------------------------------------------------------------------------------------- metrics

    @property
    def metric_namespace(self) -> str:
        """The namespace the metric methods use."""
        if self._metric_namespace is not None:
            return self._metric_namespace
        return super().metric_namespace

    @property
    def metric_dimensions(self) -> dict[str, str]:
        """The dimensions the metric methods use."""
        if self._metric_dimensions is not None:
            return dict(self._metric_dimensions)
        return self._schedule_dimensions()

    @checked_arguments
    def metric(
        self, metric_name: str, *, statistic: str = "Maximum", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Any metric this monitor publishes. Statistic Maximum, period 1 hour by default."""
        return cloudwatch.Metric(
            namespace=self.metric_namespace,
            metric_name=metric_name,
            dimensions_map=self.metric_dimensions,
            statistic=statistic,
            period=period or self._metric_period(),
        )

    @checked_arguments
    def metric_feature_baseline_drift(
        self, feature: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Distance of ``feature``'s distribution from the baseline (``feature_baseline_drift_<feature>``)."""
        return self.metric(f"feature_baseline_drift_{feature}", period=period)

    @checked_arguments
    def metric_feature_non_null(self, feature: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Share of records where ``feature`` is present (``feature_non_null_<feature>``). Statistic Minimum."""
        return self.metric(f"feature_non_null_{feature}", statistic="Minimum", period=period)

    @checked_arguments
    def metric_feature_data(
        self, feature: str, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Values of a numeric feature (``feature_data_<feature>``). Statistic Average."""
        return self.metric(f"feature_data_{feature}", statistic=statistic, period=period)

    @checked_arguments
    def alarm_on_drift(
        self,
        feature: str,
        *,
        threshold: float = 0.1,
        action: cloudwatch.IAlarmAction | None = None,
        treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        """Alarm when ``feature`` drifts past ``threshold`` (the baseline's default comparison threshold 0.1).

        Unverified: AWS documents this metric's namespace and dimensions inconsistently (see the class
        docstring), so the alarm is for people, not for retraining: retraining follows the monitor's violations
        (``RetrainingTrigger.add_monitor``). ``metric_namespace``, ``metric_dimensions`` and
        ``treat_missing_data`` (Default: ``NOT_BREACHING``; ``MISSING`` shows a metric that never arrives) let
        you match your account.
        """
        return self.create_metric_alarm(
            f"Drift-{feature}",
            self.metric_feature_baseline_drift(feature),
            threshold=threshold,
            action=action,
            description=f"Feature {feature} drifted from its baseline ({self.monitoring_schedule_name})",
            treat_missing_data=treat_missing_data,
        )

    @checked_arguments
    def alarm_on_features_drift(
        self,
        features: Sequence[str],
        *,
        threshold: float = 0.1,
        action: cloudwatch.IAlarmAction | None = None,
        treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> list[cloudwatch.Alarm]:
        """Alarm when any of ``features`` drifts past ``threshold``: one alarm per group of up to 10 features,
        on the metric math ``MAX`` of their ``feature_baseline_drift_<feature>`` metrics, instead of one alarm
        per feature (``alarm_on_drift``). CloudWatch allows at most 10 metrics in an alarm, so 11-20 features
        make two alarms, and so on; the alarms are returned in the order of the features.

        The threshold means what it means for ``alarm_on_drift``: the alarm fires when one feature's drift is
        above it (the maximum is). The same caveats apply: the metric's namespace and dimensions are unverified,
        so these alarms are for people, not for retraining.

        :param features: the features, 1 or more, without repeats.
        :param threshold: Default: 0.1 (the baseline's default comparison threshold).
        :param action: Default: - none.
        :param treat_missing_data: Default: ``NOT_BREACHING`` (the hours between runs have no data).
        """
        errors = ValidationErrors(f"DataQualityMonitor '{self.node.path}' alarm_on_features_drift")
        names = list(features)
        if not names:
            errors.add("'features' must name at least one feature, got []")
        repeated = sorted({f for f in names if names.count(f) > 1})
        if repeated:
            errors.add(f"'features' must not repeat a feature, got {repeated} more than once")
        errors.raise_if_any()
        alarms: list[cloudwatch.Alarm] = []
        for start in range(0, len(names), MAX_ALARM_METRICS):
            group = names[start : start + MAX_ALARM_METRICS]
            drift = cloudwatch.MathExpression(
                expression=f"MAX([{', '.join(f'm{i}' for i in range(len(group)))}])",
                using_metrics={f"m{i}": self.metric_feature_baseline_drift(f) for i, f in enumerate(group)},
                label="Largest feature baseline drift",
                # A math expression's period replaces its metrics' periods (default 5 minutes).
                period=self._metric_period(),
            )
            alarms.append(
                self.create_metric_alarm(
                    f"Drift-{'-'.join(group)}",
                    drift,
                    threshold=threshold,
                    action=action,
                    description=(
                        f"One of the features {', '.join(group)} drifted from its baseline "
                        f"({self.monitoring_schedule_name})"
                    ),
                    treat_missing_data=treat_missing_data,
                )
            )
        return alarms
