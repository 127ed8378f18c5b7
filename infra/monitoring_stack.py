"""The reference app's monitors, in their own stack: hosting and batch scoring do not depend on it.

They run on the open backend by default (``MonitorBackend.processing()``: EventBridge Scheduler, Step Functions and
SageMaker Processing jobs), which any account can deploy; Model Monitor no longer accepts new customers, and the
context ``sagemaker-constructs:monitoring-backend=model-monitor`` puts them back on Model Monitor's schedules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_constructs import (
    Baseline,
    BatchTransform,
    BiasAnalysisConfig,
    DataQualityMonitor,
    Endpoint,
    ExplainabilityAnalysisConfig,
    Facet,
    GroundTruth,
    ModelBiasMonitor,
    ModelExplainabilityMonitor,
    ModelQualityMonitor,
    MonitorBackend,
    MonitoringJob,
    MonitoringSchedule,
    MonitorSource,
    NotificationTopic,
    ProblemType,
    RetrainingTrigger,
    S3Source,
    SecureBucket,
    transform_output_column,
)

BASELINES = Path(__file__).resolve().parent.parent / "model_artifacts" / "churn" / "baselines"
SCHEMA = Path(__file__).resolve().parent.parent / "model_artifacts" / "churn" / "dataset_schema.json"


def _baseline(name: str) -> S3Source:
    return S3Source.from_asset(str(BASELINES / name))


def features_and_label() -> tuple[list[str], str]:
    """The sample model's feature columns and label column (``dataset_schema.json``)."""
    schema = json.loads(SCHEMA.read_text())
    return list(schema["features"]), str(schema["label"])


def baseline_auc_threshold() -> float:
    """The AUC threshold of the model-quality baseline constraints."""
    constraints = json.loads((BASELINES / "model_quality/constraints.json").read_text())
    return float(constraints["binary_classification_constraints"]["auc"]["threshold"])


def model_quality_baseline() -> Baseline:
    """The model-quality baseline (constraints only)."""
    return Baseline(constraints=_baseline("model_quality/constraints.json"))


class SharedMonitoring:
    """What the monitors of one stack share, built in ``scope``: the alerts topic, the ground-truth bucket, the
    monitoring job (its volume key) and the model-quality baseline."""

    def __init__(self, scope: Construct) -> None:
        self.alerts = NotificationTopic(scope, "Alerts", description="model monitoring")
        self.ground_truth = SecureBucket(scope, "GroundTruth", description="ground truth labels")
        # Encrypts the monitoring jobs' ML storage volumes (the captured data and labels they analyse).
        self.volume_key = kms.Key(
            scope,
            "MonitoringVolumeKey",
            description="Encrypts the Model Monitor jobs' ML storage volumes (sagemaker-constructs reference)",
            enable_key_rotation=True,
        )
        # One job for every monitor: they run alike, on volumes encrypted with that key.
        self.job = MonitoringJob(volume_kms_key=self.volume_key)
        self.quality_baseline = model_quality_baseline()


class EndpointMonitors:
    """The four monitors of the real-time endpoint, with their alarms, built in ``scope``: data quality hourly,
    the others daily over the previous day's labels.

    ``MonitoringStack`` builds them for the reference endpoint; ``benchmarks/scale.py`` for each of its endpoints.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        endpoint: Endpoint,
        topic: sns.ITopic,
        ground_truth: s3.IBucket,
        ground_truth_prefix: str,
        job: MonitoringJob,
        quality_baseline: Baseline,
        features: list[str],
        label: str,
        auc_threshold: float,
        backend: MonitorBackend | None = None,
    ) -> None:
        alarm_action = cloudwatch_actions.SnsAction(topic)
        source = MonitorSource.endpoint(endpoint)
        data_quality = DataQualityMonitor(
            scope,
            "EndpointDataQuality",
            source=source,
            baseline=Baseline(
                constraints=_baseline("data_quality/constraints.json"),
                statistics=_baseline("data_quality/statistics.json"),
            ),
            schedule=MonitoringSchedule.hourly(),
            notification_topic=topic,
            job=job,
            backend=backend,
        )
        # One alarm on the largest drift of the features (metric math MAX), not one per feature.
        data_quality.alarm_on_features_drift(features, action=alarm_action)

        model_quality = ModelQualityMonitor(
            scope,
            "EndpointModelQuality",
            source=source,
            problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=GroundTruth(ground_truth, ground_truth_prefix),
            probability_attribute="0",
            probability_threshold_attribute=0.5,
            start_time_offset="-P1D",
            end_time_offset="-PT1H",
            baseline=quality_baseline,
            schedule=MonitoringSchedule.daily(hour=3),
            notification_topic=topic,
            job=job,
            backend=backend,
        )
        auc_alarm = model_quality.alarm_on_metric("auc", threshold=auc_threshold, action=alarm_action)

        bias_constraints = json.loads((BASELINES / "bias/analysis.json").read_text())
        (age_group,) = bias_constraints["post_training_bias_metrics"]["facets"]["age"]
        dppl_threshold = next(m["value"] for m in age_group["metrics"] if m["name"] == "DPPL")
        bias = ModelBiasMonitor(
            scope,
            "EndpointBias",
            source=source,
            analysis_config=BiasAnalysisConfig(
                headers=[label, *features],
                label=label,
                label_values_or_threshold=[1],
                facets=[Facet(name="age", values_or_threshold=[40])],
                probability_threshold=0.5,
            ),
            ground_truth=GroundTruth(ground_truth, ground_truth_prefix),
            probability_attribute="0",
            probability_threshold_attribute=0.5,
            start_time_offset="-P1D",
            end_time_offset="-PT1H",
            # Clarify reports bias drift only against baseline constraints (its analysis.json).
            baseline=Baseline(constraints=_baseline("bias/analysis.json")),
            schedule=MonitoringSchedule.daily(hour=4),
            notification_topic=topic,
            job=job,
            backend=backend,
        )
        bias.create_metric_alarm(
            "DifferenceInPositiveProportions",
            bias.metric_bias("DPPL", facet="age", facet_value="40", label=label, label_value="1"),
            threshold=dppl_threshold,
            action=alarm_action,
        )

        shap_config = json.loads((BASELINES / "explainability/analysis_config.json").read_text())
        explainability = ModelExplainabilityMonitor(
            scope,
            "EndpointExplainability",
            source=source,
            analysis_config=ExplainabilityAnalysisConfig(
                headers=features,
                shap_baseline=shap_config["methods"]["shap"]["baseline"],
                label_headers=["churn_probability"],
            ),
            probability_attribute="0",
            # Clarify reports attribution drift only against baseline constraints (its analysis.json).
            baseline=Baseline(constraints=_baseline("explainability/analysis.json")),
            schedule=MonitoringSchedule.daily(hour=5),
            notification_topic=topic,
            job=job,
            backend=backend,
        )
        explainability.create_metric_alarm(
            "SupportCallsAttribution",
            explainability.metric_feature_attribution("support_calls", label="churn_probability"),
            threshold=0.5,
            action=alarm_action,
        )

        self.data_quality = data_quality
        self.model_quality = model_quality
        self.bias = bias
        self.explainability = explainability
        self.auc_alarm = auc_alarm


class MonitoringStack(Stack):
    """All four monitors on the real-time endpoint, data and model quality on the nightly batch scoring, on
    ``backend`` (the app passes the open backend unless its context asks for Model Monitor).

    Default ``backend``: - Model Monitor (the monitors' own default)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: Endpoint,
        batch_transform: BatchTransform,
        retraining: RetrainingTrigger | None = None,
        backend: MonitorBackend | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        features, label = features_and_label()
        shared = SharedMonitoring(self)
        self.alerts = shared.alerts
        alarm_action = cloudwatch_actions.SnsAction(self.alerts.topic)
        ground_truth = shared.ground_truth
        quality_baseline = shared.quality_baseline
        auc_threshold = baseline_auc_threshold()

        # Real-time endpoint: data quality hourly, the others daily over the previous day's labels.
        endpoint_monitors = EndpointMonitors(
            self,
            endpoint=endpoint,
            topic=self.alerts.topic,
            ground_truth=ground_truth.bucket,
            ground_truth_prefix="endpoint",
            job=shared.job,
            backend=backend,
            quality_baseline=quality_baseline,
            features=features,
            label=label,
            auc_threshold=auc_threshold,
        )
        data_quality = endpoint_monitors.data_quality
        model_quality = endpoint_monitors.model_quality
        bias = endpoint_monitors.bias
        explainability = endpoint_monitors.explainability
        auc_alarm = endpoint_monitors.auc_alarm

        # Nightly batch scoring: data quality and model quality of what the transform jobs captured.
        batch_source = MonitorSource.batch_transform(batch_transform)
        batch_quality = DataQualityMonitor(
            self,
            "BatchDataQuality",
            source=batch_source,
            baseline=Baseline(
                constraints=_baseline("data_quality/constraints.json"),
                statistics=_baseline("data_quality/statistics.json"),
            ),
            schedule=MonitoringSchedule.daily(hour=6),
            notification_topic=self.alerts.topic,
            job=shared.job,
            backend=backend,
        )
        batch_quality.alarm_on_drift("age", action=alarm_action)
        batch_model_quality = ModelQualityMonitor(
            self,
            "BatchModelQuality",
            source=batch_source,
            problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=GroundTruth(ground_truth.bucket, "batch"),
            # The transform joins each input record with its prediction (JoinSource.INPUT): the probability
            # follows the feature columns.
            probability_attribute=transform_output_column(batch_transform, input_columns=len(features)),
            probability_threshold_attribute=0.5,
            start_time_offset="-P2D",
            end_time_offset="-P1D",
            baseline=quality_baseline,
            schedule=MonitoringSchedule.daily(hour=7),
            notification_topic=self.alerts.topic,
            job=shared.job,
            backend=backend,
        )
        batch_auc_alarm = batch_model_quality.alarm_on_metric(
            "auc", threshold=auc_threshold, action=alarm_action
        )
        self.features = features
        self.label = label
        self.data_quality = data_quality
        self.model_quality = model_quality
        self.bias = bias
        self.explainability = explainability
        self.batch_data_quality = batch_quality
        self.batch_model_quality = batch_model_quality
        self.monitors = [
            data_quality,
            model_quality,
            bias,
            explainability,
            batch_quality,
            batch_model_quality,
        ]

        # Violations (confirmed with ListMonitoringExecutions or the open backend's summary.json) and the AUC alarms (a documented model-quality
        # metric) start retraining; the rules live in this stack, so the retraining stack never depends on Model
        # Monitor. The data-quality drift alarms only notify: AWS documents that metric's namespace and
        # dimensions inconsistently, so retraining must not hang on it. Only monitors with baseline constraints
        # can report violations (the trigger refuses the others); all six have them (the bias and explainability
        # constraints are Clarify analysis.json files made by model_artifacts/build_baselines.py).
        if retraining is not None:
            # Either backend: Model Monitor's executions are confirmed with ListMonitoringExecutions, the open
            # backend's with the run's summary.json (read across stacks through this stack's bucket and key
            # policies, RetrainingTrigger.add_monitor).
            for monitor in self.monitors:
                retraining.add_monitor(monitor)
            retraining.add_alarm(auc_alarm)
            retraining.add_alarm(batch_auc_alarm)
