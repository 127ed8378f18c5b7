"""Real-time inference: the sample churn model behind a champion/challenger endpoint."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_constructs import (
    AutoRollback,
    BanditReward,
    BanditTrafficAllocation,
    CapacitySize,
    ContainerImage,
    DataCapture,
    DeploymentGuardrails,
    Endpoint,
    Model,
    ModelData,
    NotificationTopic,
    ProductionVariant,
)

MODEL_ARTIFACT = Path(__file__).resolve().parent.parent / "model_artifacts" / "churn" / "model.tar.gz"
XGBOOST_VERSION = "3.0-5"
REWARD_NAMESPACE = "ChurnApp"
REWARD_METRIC = "RetentionOfferAccepted"
"""The reward the client application publishes: 1 (Count) each time a customer the model flagged accepts the
retention offer, with dimensions ``EndpointName`` and ``VariantName`` (the ``InvokedProductionVariant`` of the
InvokeEndpoint response that scored the customer)."""


def model_name_suffix() -> str:
    """The champion's fixed model name after ``churn-champion-``: the container version and the artifact's hash.

    CloudFormation replaces a model on any change and a fixed name would collide, so the name follows the artifact
    and the container version (change the suffix if you change anything else).
    """
    artifact = hashlib.sha256(MODEL_ARTIFACT.read_bytes()).hexdigest()[:12]
    return f"{XGBOOST_VERSION.replace('.', '-')}-{artifact}"


class ChurnEndpoint:
    """The churn model on two weighted variants with 100% data capture, canary deployments, autoscaling and
    operational alarms to a topic of its own: the reference's real-time endpoint, built in ``scope``.

    ``RealtimeInferenceStack`` builds one in its stack; ``benchmarks/scale.py`` builds many, one per construct,
    passing each the stack's shared alerts topic and volume key.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        champion_model_name: str,
        alerts: NotificationTopic | None = None,
        volume_key: kms.IKey | None = None,
    ) -> None:
        """Build the endpoint in ``scope``.

        :param champion_model_name: the champion model's fixed name.
        :param alerts: where the operational alarms go. Default: - a topic of its own (``Alerts``).
        :param volume_key: encrypts the instances' ML storage volumes. Default: - a key of its own
            (``EndpointVolumeKey``).
        """
        image = ContainerImage.for_algorithm("xgboost", XGBOOST_VERSION)
        # The XGBoost container needs no network: SageMaker downloads the model and captures the traffic.
        # A name known at synth, so the explainability monitor's Clarify config can serve this model on its
        # shadow endpoint.
        champion = Model(
            scope,
            "ChampionModel",
            image=image,
            model_data=ModelData.from_asset(str(MODEL_ARTIFACT)),
            network_isolation=True,
            model_name=champion_model_name,
        )
        # In a real rollout the challenger is the next model version; here it serves the same artifact. Both
        # models need the same permissions (the same artifact and image), so they share one execution role.
        challenger = Model(
            scope,
            "ChallengerModel",
            image=image,
            model_data=ModelData.from_asset(str(MODEL_ARTIFACT)),
            network_isolation=True,
            role=champion.role,
        )
        if volume_key is None:
            volume_key = kms.Key(
                scope,
                "EndpointVolumeKey",
                description="Encrypts the endpoint instances' ML storage volumes (sagemaker-constructs reference)",
                enable_key_rotation=True,
                removal_policy=RemovalPolicy.RETAIN,
            )
        if alerts is None:
            alerts = NotificationTopic(scope, "Alerts", description="real-time endpoint")
        self.alerts = alerts

        self.endpoint = Endpoint(
            scope,
            "Endpoint",
            variants=[
                ProductionVariant(
                    "champion", model=champion, instance_type="ml.m5.large", instance_count=2, weight=90
                ),
                ProductionVariant(
                    "challenger", model=challenger, instance_type="ml.m5.large", instance_count=2, weight=10
                ),
            ],
            data_capture=DataCapture(sampling_percentage=100, csv_content_types=["text/csv"]),
            kms_key=volume_key,
            deployment=DeploymentGuardrails.canary(
                size=CapacitySize.percent(10),
                wait=Duration.minutes(10),
                termination_wait=Duration.minutes(5),
                max_execution_timeout=Duration.hours(1),
                auto_rollback=AutoRollback.default(error_rate_percent=1, model_latency=Duration.millis(500)),
            ),
        )
        self.endpoint.variant("champion").auto_scale(
            min_capacity=2, max_capacity=6
        ).on_invocations_per_instance(
            700, scale_in_cooldown=Duration.minutes(10), scale_out_cooldown=Duration.minutes(2)
        )
        self.endpoint.variant("challenger").auto_scale(min_capacity=2, max_capacity=4).on_cpu_utilization(70)
        self.endpoint.add_operational_alarms(action=cloudwatch_actions.SnsAction(self.alerts.topic))


class RealtimeInferenceStack(Stack):
    """The churn model on two weighted variants with 100% data capture, canary deployments and autoscaling."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        built = ChurnEndpoint(self, champion_model_name=f"churn-champion-{model_name_suffix()}")
        self.alerts = built.alerts
        self.endpoint = built.endpoint
        # Traffic follows the retention offers accepted per prediction served; with no data it holds 90/10.
        endpoint = self.endpoint
        self.bandit = BanditTrafficAllocation(
            self,
            "Bandit",
            endpoint=endpoint,
            reward=BanditReward.conversions(
                {
                    v.name: cloudwatch.Metric(
                        namespace=REWARD_NAMESPACE,
                        metric_name=REWARD_METRIC,
                        dimensions_map={
                            "EndpointName": endpoint.endpoint_name_for_metrics,
                            "VariantName": v.name,
                        },
                        statistic="Sum",
                    )
                    for v in endpoint.variants
                }
            ),
            notifications=self.alerts,
        )
