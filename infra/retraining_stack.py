"""Retraining: the churn model's SageMaker pipeline and the trigger that starts it once per incident.

This stack depends on nothing else in the app. Monitoring stacks plug their alarms and violations into the
trigger (their rules live in their own stacks), so retraining works in accounts without Model Monitor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import ArnFormat, Duration, Names, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_constructs import (
    ContainerImage,
    IncidentField,
    RetrainingTrigger,
    SageMakerPipeline,
    SecureBucket,
)
from sagemaker_constructs.nag import acknowledge_finding, acknowledge_wildcard_resource

from .realtime_stack import XGBOOST_VERSION
from .retraining_pipeline import TRIGGER_PARAMETERS, churn_retraining_definition

EVALUATION_SCRIPT = Path(__file__).resolve().parent / "pipeline_code" / "evaluate.py"


class RetrainingStack(Stack):
    """Data and artifact buckets, a model package group, the retraining pipeline and its trigger."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.training_data = SecureBucket(self, "TrainingData", description="churn training data")
        self.artifacts = SecureBucket(self, "PipelineArtifacts", description="retraining pipeline artifacts")
        group_name = f"{Names.unique_resource_name(self, max_length=50, separator='-').lower()}-churn"
        self.model_package_group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            model_package_group_name=group_name,
            model_package_group_description="Churn model versions registered by the retraining pipeline",
        )
        # The registered versions (and their approval history) outlive the stack, as the buckets do. A stack
        # re-created with the same name adopts nothing: delete or rename the group first (README, "Removal
        # policies").
        self.model_package_group.apply_removal_policy(RemovalPolicy.RETAIN)
        self.model_package_group_name = group_name
        """The group's name (known at synth), whose newest approved version the real-time challenger serves."""
        evaluation_script = s3_assets.Asset(self, "EvaluationScript", path=str(EVALUATION_SCRIPT))
        role = iam.Role(self, "PipelineRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
                        description="Runs the churn retraining pipeline's jobs")  # fmt: skip
        self._grant_pipeline_role(role, group_name, evaluation_script)

        definition = churn_retraining_definition(
            role_arn=role.role_arn,
            data_bucket_name=self.training_data.bucket.bucket_name,
            artifacts_bucket_name=self.artifacts.bucket.bucket_name,
            model_package_group_name=group_name,
            xgboost_image_uri=ContainerImage.for_algorithm("xgboost", XGBOOST_VERSION).bind(self, None),
            evaluation_script_s3_uri=evaluation_script.s3_object_url,
            # The job downloads the asset under its hashed key's name.
            evaluation_script_name=evaluation_script.s3_object_key,
        )
        self.pipeline = SageMakerPipeline(
            self,
            "Pipeline",
            definition=definition,
            role=role,
            description="Retrains the churn model and registers it pending manual approval",
        )
        self.pipeline.node.add_dependency(self.model_package_group)
        self.trigger = RetrainingTrigger(
            self,
            "Trigger",
            pipeline=self.pipeline,
            schedule=events.Schedule.cron(week_day="SUN", hour="2", minute="0"),
            event_parameters={name: IncidentField(field) for name, field in TRIGGER_PARAMETERS.items()},
            cooldown=Duration.hours(12),
        )

    def _grant_pipeline_role(
        self, role: iam.Role, group_name: str, evaluation_script: s3_assets.Asset
    ) -> None:
        jobs = [
            self.format_arn(service="sagemaker", resource=kind, resource_name="*")
            for kind in ("training-job", "processing-job")
        ]
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PipelineJobs",
                actions=[
                    "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
                    "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob",
                    "sagemaker:AddTags",
                ],
                resources=jobs,
            )
        )  # fmt: skip
        role.add_to_policy(
            iam.PolicyStatement(
                sid="RegisterModel",
                actions=[
                    "sagemaker:CreateModelPackage",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:AddTags",
                ],
                resources=[
                    self.format_arn(
                        service="sagemaker", resource="model-package", resource_name=f"{group_name}/*"
                    )
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ModelPackageGroup",
                actions=["sagemaker:DescribeModelPackageGroup"],
                resources=[
                    self.format_arn(
                        service="sagemaker", resource="model-package-group", resource_name=group_name
                    )
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PassOwnRole",
                actions=["iam:PassRole"],
                resources=[role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        # The log group itself (CreateLogGroup is authorized on log-group:<name>, Service Authorization
        # Reference for CloudWatch Logs) and everything in it (log-group:<name>:*, the streams).
        log_groups = [
            self.format_arn(service="logs", resource="log-group", resource_name=f"/aws/sagemaker/{kind}{suffix}",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME)
            for kind in ("TrainingJobs", "ProcessingJobs")
            for suffix in ("", ":*")
        ]  # fmt: skip
        role.add_to_policy(
            iam.PolicyStatement(
                sid="JobLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                resources=log_groups,
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="JobMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
            )
        )
        data = self.training_data
        iam.Grant.add_to_principal(
            grantee=role, actions=["s3:GetObject"], resource_arns=[data.bucket.arn_for_objects("churn/*")]
        )
        iam.Grant.add_to_principal(
            grantee=role, actions=["s3:ListBucket"], resource_arns=[data.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": ["churn/*"]}},
        )  # fmt: skip
        data.key.grant_decrypt(role)
        artifacts = self.artifacts
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["s3:GetObject", "s3:PutObject"],
            resource_arns=[artifacts.bucket.arn_for_objects("*")],
        )
        iam.Grant.add_to_principal(
            grantee=role, actions=["s3:ListBucket"], resource_arns=[artifacts.bucket.bucket_arn]
        )
        artifacts.key.grant(role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["s3:GetObject"],
            resource_arns=[
                self.format_arn(service="s3", region="", account="", resource=evaluation_script.s3_bucket_name,
                                resource_name=evaluation_script.s3_object_key)
            ],
        )  # fmt: skip
        # The Evaluate step reads the script as an S3Prefix processing input, which SageMaker lists first
        # (developer guide, CreateProcessingJob execution role permissions:
        # https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html): exactly its key.
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["s3:ListBucket"],
            resource_arns=[
                self.format_arn(
                    service="s3", region="", account="", resource=evaluation_script.s3_bucket_name
                )
            ],
            conditions={"StringEquals": {"s3:prefix": [evaluation_script.s3_object_key]}},
        )
        reason = "SageMaker Pipelines names its jobs, model versions and output objects at run time."
        for arn in [*jobs, *(g for g in log_groups if g.endswith("*")), data.bucket.arn_for_objects("churn/*"), artifacts.bucket.arn_for_objects("*"),
                    self.format_arn(service="sagemaker", resource="model-package", resource_name=f"{group_name}/*")]:  # fmt: skip
            acknowledge_wildcard_resource(role, arn, reason)
        acknowledge_finding(
            role, "IAM5[Resource::*]", "cloudwatch:PutMetricData has no resource-level permissions."
        )
