"""Model Monitor for the reference app, in its own stack: hosting and batch scoring do not depend on it
(Model Monitor no longer accepts new customers, so some accounts cannot deploy this stack)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kms as kms
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
    MonitoringSchedule,
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


class MonitoringStack(Stack):
    """All four monitors on the real-time endpoint, data and model quality on the nightly batch scoring."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: Endpoint,
        batch_transform: BatchTransform,
        retraining: RetrainingTrigger | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        schema = json.loads(SCHEMA.read_text())
        features: list[str] = schema["features"]
        label: str = schema["label"]
        self.alerts = NotificationTopic(self, "Alerts", description="model monitoring")
        alarm_action = cloudwatch_actions.SnsAction(self.alerts.topic)
        ground_truth = SecureBucket(self, "GroundTruth", description="ground truth labels")
        # Encrypts the monitoring jobs' ML storage volumes (the captured data and labels they analyse).
        volume_key = kms.Key(
            self,
            "MonitoringVolumeKey",
            description="Encrypts the Model Monitor jobs' ML storage volumes (sagemaker-constructs reference)",
            enable_key_rotation=True,
        )
        quality_baseline = Baseline(constraints=_baseline("model_quality/constraints.json"))
        auc_threshold = json.loads((BASELINES / "model_quality/constraints.json").read_text())[
            "binary_classification_constraints"
        ]["auc"]["threshold"]

        # Real-time endpoint: data quality hourly, the others daily over the previous day's labels.
        data_quality = DataQualityMonitor(
            self,
            "EndpointDataQuality",
            endpoint=endpoint,
            baseline=Baseline(
                constraints=_baseline("data_quality/constraints.json"),
                statistics=_baseline("data_quality/statistics.json"),
            ),
            schedule=MonitoringSchedule.hourly(),
            notification_topic=self.alerts.topic,
            volume_kms_key=volume_key,
        )
        for feature in features:
            data_quality.alarm_on_drift(feature, action=alarm_action)

        model_quality = ModelQualityMonitor(
            self,
            "EndpointModelQuality",
            endpoint=endpoint,
            problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=GroundTruth(ground_truth.bucket, "endpoint"),
            probability_attribute="0",
            probability_threshold_attribute=0.5,
            start_time_offset="-P1D",
            end_time_offset="-PT1H",
            baseline=quality_baseline,
            schedule=MonitoringSchedule.daily(hour=3),
            notification_topic=self.alerts.topic,
            volume_kms_key=volume_key,
        )
        auc_alarm = model_quality.alarm_on_metric("auc", threshold=auc_threshold, action=alarm_action)

        bias_constraints = json.loads((BASELINES / "bias/analysis.json").read_text())
        (age_group,) = bias_constraints["post_training_bias_metrics"]["facets"]["age"]
        dppl_threshold = next(m["value"] for m in age_group["metrics"] if m["name"] == "DPPL")
        bias = ModelBiasMonitor(
            self,
            "EndpointBias",
            endpoint=endpoint,
            analysis_config=BiasAnalysisConfig(
                headers=[label, *features],
                label=label,
                label_values_or_threshold=[1],
                facets=[Facet(name="age", values_or_threshold=[40])],
                probability_threshold=0.5,
            ),
            ground_truth=GroundTruth(ground_truth.bucket, "endpoint"),
            probability_attribute="0",
            probability_threshold_attribute=0.5,
            start_time_offset="-P1D",
            end_time_offset="-PT1H",
            # Clarify reports bias drift only against baseline constraints (its analysis.json).
            baseline=Baseline(constraints=_baseline("bias/analysis.json")),
            schedule=MonitoringSchedule.daily(hour=4),
            notification_topic=self.alerts.topic,
            volume_kms_key=volume_key,
        )
        bias.create_metric_alarm(
            "DifferenceInPositiveProportions",
            bias.metric_bias("DPPL", facet="age", facet_value="40", label=label, label_value="1"),
            threshold=dppl_threshold,
            action=alarm_action,
        )

        shap_config = json.loads((BASELINES / "explainability/analysis_config.json").read_text())
        explainability = ModelExplainabilityMonitor(
            self,
            "EndpointExplainability",
            endpoint=endpoint,
            analysis_config=ExplainabilityAnalysisConfig(
                headers=features,
                shap_baseline=shap_config["methods"]["shap"]["baseline"],
                label_headers=["churn_probability"],
            ),
            probability_attribute="0",
            # Clarify reports attribution drift only against baseline constraints (its analysis.json).
            baseline=Baseline(constraints=_baseline("explainability/analysis.json")),
            schedule=MonitoringSchedule.daily(hour=5),
            notification_topic=self.alerts.topic,
            volume_kms_key=volume_key,
        )
        explainability.create_metric_alarm(
            "SupportCallsAttribution",
            explainability.metric_feature_attribution("support_calls", label="churn_probability"),
            threshold=0.5,
            action=alarm_action,
        )

        # Nightly batch scoring: data quality and model quality of what the transform jobs captured.
        batch_quality = DataQualityMonitor(
            self,
            "BatchDataQuality",
            batch_transform=batch_transform,
            baseline=Baseline(
                constraints=_baseline("data_quality/constraints.json"),
                statistics=_baseline("data_quality/statistics.json"),
            ),
            schedule=MonitoringSchedule.daily(hour=6),
            notification_topic=self.alerts.topic,
            volume_kms_key=volume_key,
        )
        batch_quality.alarm_on_drift("age", action=alarm_action)
        batch_model_quality = ModelQualityMonitor(
            self,
            "BatchModelQuality",
            batch_transform=batch_transform,
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
            volume_kms_key=volume_key,
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

        # Violations (confirmed with ListMonitoringExecutions) and the AUC alarms (a documented model-quality
        # metric) start retraining; the rules live in this stack, so the retraining stack never depends on Model
        # Monitor. The data-quality drift alarms only notify: AWS documents that metric's namespace and
        # dimensions inconsistently, so retraining must not hang on it. Only monitors with baseline constraints
        # can report violations (the trigger refuses the others); all six have them (the bias and explainability
        # constraints are Clarify analysis.json files made by model_artifacts/build_baselines.py).
        if retraining is not None:
            for monitor in self.monitors:
                retraining.add_monitor(monitor)
            retraining.add_alarm(auc_alarm)
            retraining.add_alarm(batch_auc_alarm)
