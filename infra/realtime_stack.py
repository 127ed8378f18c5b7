"""Real-time inference: the sample churn model behind a champion/challenger endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack
from constructs import Construct

from sagemaker_constructs import (
    AutoRollback,
    CapacitySize,
    ContainerImage,
    DataCapture,
    DeploymentGuardrails,
    Endpoint,
    Model,
    ModelData,
    ProductionVariant,
)

MODEL_ARTIFACT = Path(__file__).resolve().parent.parent / "model_artifacts" / "churn" / "model.tar.gz"
XGBOOST_VERSION = "3.0-5"


class RealtimeInferenceStack(Stack):
    """The churn model on two weighted variants with 100% data capture, canary deployments and autoscaling."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        image = ContainerImage.for_algorithm("xgboost", XGBOOST_VERSION)
        champion = Model(
            self, "ChampionModel", image=image, model_data=ModelData.from_asset(str(MODEL_ARTIFACT))
        )
        # In a real rollout the challenger is the next model version; here it serves the same artifact.
        challenger = Model(
            self, "ChallengerModel", image=image, model_data=ModelData.from_asset(str(MODEL_ARTIFACT))
        )

        self.endpoint = Endpoint(
            self,
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
            deployment=DeploymentGuardrails.canary(
                size=CapacitySize.percent(10),
                wait=Duration.minutes(10),
                termination_wait=Duration.minutes(5),
                max_execution_timeout=Duration.hours(1),
                auto_rollback=AutoRollback.default(
                    error_rate_percent=1, p99_model_latency=Duration.millis(500)
                ),
            ),
        )
        self.endpoint.variant("champion").auto_scale(
            min_capacity=2, max_capacity=6
        ).on_invocations_per_instance(
            700, scale_in_cooldown=Duration.minutes(10), scale_out_cooldown=Duration.minutes(2)
        )
        self.endpoint.variant("challenger").auto_scale(min_capacity=2, max_capacity=4).on_cpu_utilization(70)
        self.endpoint.add_operational_alarms()
