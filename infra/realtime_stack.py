"""Real-time inference: the sample churn model behind a champion/challenger endpoint; the challenger serves the
newest approved version of the retraining stack's model package group (the initial model until one is approved)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_constructs import (
    ApprovedModelDeployer,
    ApprovedModelPackage,
    AutoRollback,
    BanditReward,
    BanditTrafficAllocation,
    CapacitySize,
    ContainerDefinition,
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
MODELS_PREFIX = "churn/models/"
"""Where the retraining pipeline's training jobs write the model versions in its artifacts bucket."""
CHALLENGER_PARAMETER = "ChallengerModelPackageArn"
"""The serving stack's parameter naming the challenger's model package version (``initial``: the bundled model)."""


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
        challenger_package: ApprovedModelPackage | None = None,
    ) -> None:
        """Build the endpoint in ``scope``.

        :param champion_model_name: the champion model's fixed name.
        :param alerts: where the operational alarms go. Default: - a topic of its own (``Alerts``).
        :param volume_key: encrypts the instances' ML storage volumes. Default: - a key of its own
            (``EndpointVolumeKey``).
        :param challenger_package: the approved versions the challenger serves. Default: - the bundled artifact.
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
        # The challenger is the next model version: the newest approved one of the registry when a package is
        # given (the bundled artifact until then). Both models share one execution role, which may also read the
        # registered versions' artifacts.
        if challenger_package is not None:
            challenger = Model(
                scope,
                "ChallengerModel",
                containers=[challenger_package.container],
                network_isolation=True,
                role=champion.role,
            )
        else:
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
    """The churn model on two weighted variants with 100% data capture, canary deployments and autoscaling. Given
    a model package group, the challenger serves its newest approved version, deployed by an
    ``ApprovedModelDeployer`` through this stack's parameter ``ChallengerModelPackageArn``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_package_group_name: str | None = None,
        pipeline_artifacts: s3.IBucket | None = None,
        bandit: bool = True,
        **kwargs: Any,
    ) -> None:
        """:param model_package_group_name: the retraining stack's model package group.
            Default: - none: the challenger serves the bundled artifact and no deployer is created.
        :param pipeline_artifacts: the retraining pipeline's artifacts bucket (versions under ``churn/models/``);
            required with ``model_package_group_name``.
        :param bandit: allocate the traffic between champion and challenger with a ``BanditTrafficAllocation``.
            ``benchmarks/synth.py`` leaves it out: its raw twin mirrors the endpoint only.
        """
        super().__init__(scope, construct_id, **kwargs)
        if (model_package_group_name is None) != (pipeline_artifacts is None):
            raise ValueError("'model_package_group_name' and 'pipeline_artifacts' go together")
        self.challenger_package: ApprovedModelPackage | None = None
        if model_package_group_name is not None and pipeline_artifacts is not None:
            image = ContainerImage.for_algorithm("xgboost", XGBOOST_VERSION)
            self.challenger_package = ApprovedModelPackage(
                self,
                "ChallengerPackage",
                model_package_group_name=model_package_group_name,
                image=image,
                artifacts=ModelData.from_bucket(pipeline_artifacts, MODELS_PREFIX),
                initial=ContainerDefinition(
                    image=image, model_data=ModelData.from_asset(str(MODEL_ARTIFACT))
                ),
                parameter_name=CHALLENGER_PARAMETER,
            )
        built = ChurnEndpoint(
            self,
            champion_model_name=f"churn-champion-{model_name_suffix()}",
            challenger_package=self.challenger_package,
        )
        self.alerts = built.alerts
        self.endpoint = built.endpoint
        self.deployer: ApprovedModelDeployer | None = None
        if self.challenger_package is not None:
            # On by default: a queue, two rules, an hourly schedule and a function that runs a few times a day.
            self.deployer = ApprovedModelDeployer(
                self,
                "ModelDeployer",
                endpoint=self.endpoint,
                package=self.challenger_package,
                notifications=self.alerts,
            )

        self.bandit: BanditTrafficAllocation | None = None
        if bandit:
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
