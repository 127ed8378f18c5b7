"""The reference real-time stack written by hand with L1 (``Cfn*``) constructs only: the benchmark's baseline.

``RawCfnRealtimeStack`` defines the same resources, with the same properties, as
``infra.realtime_stack.RealtimeInferenceStack`` (built with the ``sagemaker_constructs`` library), but without
any library code and without L2 constructs: only ``Cfn*`` resources, one ``CfnMapping`` and one
``aws_s3_assets.Asset`` per model for the model archive. It is what a user would write to get the same
template without the library, so the synth-time difference between the two is the cost of the library's
abstractions (L2 constructs, validation, grants, cdk-nag acknowledgements).

Logical IDs are the reference's without their 8-character hash suffix (top-level construct IDs get none), so
``template_differences`` can pair the resources of the two templates and list what still differs.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnMapping, CfnResource, Names, RemovalPolicy, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import custom_resources as cr
from constructs import Construct

MODEL_ARTIFACT = Path(__file__).resolve().parent.parent / "model_artifacts" / "churn" / "model.tar.gz"
IMAGE_REPOSITORY = "sagemaker-xgboost:3.0-5"
# The reference names the champion after the artifact's SHA-256 and the container version (infra/realtime_stack.py).
CHAMPION_MODEL_NAME_PREFIX = "churn-champion-3-0-5-"
INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
DATA_CAPTURE_PREFIX = "data-capture"
INSTANCE_TYPE = "ml.m5.large"
INSTANCE_TYPE_ID = "mlm5large"
"""The instance type in a construct ID (the scaling policies are recreated when it changes)."""
AWS_CUSTOM_RESOURCE_PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287"
"""The construct ID of aws-cdk-lib's singleton ``AwsCustomResource`` function in a stack."""
# Application Auto Scaling creates this service-linked role on first use.
SCALING_ROLE_ARN = (
    f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/aws-service-role/"
    "sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)

# The accounts that host SageMaker's XGBoost images, per region (copied from the reference template).
XGBOOST_IMAGE_ACCOUNTS: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-iso-east-1": "833128469047",
    "us-isob-east-1": "281123927165",
    "us-isof-east-1": "108575199400",
    "us-isof-south-1": "124985052026",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}


def _policy_document(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Statement": list(statements), "Version": "2012-10-17"}


def _assume_role_policy(service: str) -> dict[str, Any]:
    return _policy_document(
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": service}}
    )


def _tls_only_statement(bucket: s3.CfnBucket) -> dict[str, Any]:
    return {
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Resource": [bucket.attr_arn, f"{bucket.attr_arn}/*"],
    }


_BLOCK_ALL = s3.CfnBucket.PublicAccessBlockConfigurationProperty(
    block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True
)
_OWNER_ENFORCED = s3.CfnBucket.OwnershipControlsProperty(
    rules=[s3.CfnBucket.OwnershipControlsRuleProperty(object_ownership="BucketOwnerEnforced")]
)
_VERSIONED = s3.CfnBucket.VersioningConfigurationProperty(status="Enabled")
_ScalingPolicy = appscaling.CfnScalingPolicy


def _dimensions(endpoint_name: str, variant: str) -> list[cloudwatch.CfnAlarm.DimensionProperty]:
    return [
        cloudwatch.CfnAlarm.DimensionProperty(name="EndpointName", value=endpoint_name),
        cloudwatch.CfnAlarm.DimensionProperty(name="VariantName", value=variant),
    ]


def _metric_query(
    query_id: str,
    endpoint_name: str,
    variant: str,
    metric_name: str,
    stat: str,
    namespace: str = INVOCATION_NAMESPACE,
) -> cloudwatch.CfnAlarm.MetricDataQueryProperty:
    return cloudwatch.CfnAlarm.MetricDataQueryProperty(
        id=query_id,
        metric_stat=cloudwatch.CfnAlarm.MetricStatProperty(
            metric=cloudwatch.CfnAlarm.MetricProperty(
                dimensions=_dimensions(endpoint_name, variant),
                metric_name=metric_name,
                namespace=namespace,
            ),
            period=60,
            stat=stat,
        ),
        return_data=False,
    )


def _expression(expression: str, label: str) -> cloudwatch.CfnAlarm.MetricDataQueryProperty:
    return cloudwatch.CfnAlarm.MetricDataQueryProperty(
        id="expr_1", expression=expression, label=label, return_data=True
    )


class RawCfnRealtimeStack(Stack):
    """Champion/challenger endpoint: data capture, canary deployments, autoscaling and alarms, L1 only."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        """Define every resource of the reference stack by hand.

        :param kwargs: passed on to ``Stack`` (``description``, ``env``, ...).
        """
        super().__init__(scope, construct_id, **kwargs)
        image_accounts = CfnMapping(
            self,
            "SageMakerImageAccountsXgboost",
            mapping={region: {"account": account} for region, account in XGBOOST_IMAGE_ACCOUNTS.items()},
        )
        account = image_accounts.find_in_map(Aws.REGION, "account")
        image = f"{account}.dkr.ecr.{Aws.REGION}.{Aws.URL_SUFFIX}/{IMAGE_REPOSITORY}"

        key, data_bucket = self._data_capture_bucket()
        self._model_policies: list[tuple[iam.CfnPolicy, list[dict[str, Any]]]] = []

        artifact = hashlib.sha256(MODEL_ARTIFACT.read_bytes()).hexdigest()[:12]
        models: dict[str, sagemaker.CfnModel] = {
            "Champion": self._model(
                "Champion", image, key, data_bucket, model_name=f"{CHAMPION_MODEL_NAME_PREFIX}{artifact}"
            ),
        }
        models["Challenger"] = self._model("Challenger", image, key, data_bucket, role_of=models["Champion"])
        volume_key = self._key(
            "EndpointVolumeKey",
            "Encrypts the endpoint instances' ML storage volumes (sagemaker-constructs reference)",
        )
        topic = self._alerts_topic()

        config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant,
                    model_name=models[prefix].attr_model_name,
                    instance_type="ml.m5.large",
                    initial_instance_count=2,
                    initial_variant_weight=weight,
                )
                for prefix, variant, weight in (
                    ("Champion", "champion", 90),
                    ("Challenger", "challenger", 10),
                )
            ],
            data_capture_config=sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                enable_capture=True,
                initial_sampling_percentage=100,
                destination_s3_uri=f"s3://{data_bucket.ref}/{DATA_CAPTURE_PREFIX}",
                capture_options=[
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
                ],
                capture_content_type_header=sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                    csv_content_types=["text/csv"]
                ),
                kms_key_id=key.attr_arn,
            ),
            kms_key_id=volume_key.attr_arn,
        )

        # The alarms watch the endpoint by a name fixed at synth time (the one the library derives from the
        # construct path), so they exist before the endpoint whose rollback configuration names them.
        endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_config_name=config.attr_endpoint_config_name,
            retain_all_variant_properties=True,
            exclude_retained_variant_properties=[
                sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DesiredWeight")
            ],
        )
        endpoint_name = Names.unique_resource_name(endpoint, max_length=63, separator="-")
        endpoint.endpoint_name = endpoint_name
        rollback_alarms = self._rollback_alarms(endpoint_name)
        # The models' roles may read the rollback alarms' state; the endpoint waits for those permissions.
        for policy, statements in self._model_policies:
            describe_alarms = {
                "Action": "cloudwatch:DescribeAlarms",
                "Effect": "Allow",
                "Resource": [a.attr_arn for a in rollback_alarms],
            }
            policy.policy_document = _policy_document(*statements, describe_alarms)
            endpoint.add_resource_dependency(policy)
        endpoint.deployment_config = sagemaker.CfnEndpoint.DeploymentConfigProperty(
            auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name=a.ref) for a in rollback_alarms]
            ),
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                    type="CANARY",
                    wait_interval_in_seconds=600,
                    canary_size=sagemaker.CfnEndpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=10),
                ),
                termination_wait_in_seconds=300,
                maximum_execution_timeout_in_seconds=3600,
            ),
        )

        self._autoscaling(endpoint, endpoint_name)
        self._operational_alarms(endpoint_name, ("champion", "challenger"), topic)

    def _key(self, construct_id: str, description: str, *statements: Mapping[str, Any]) -> kms.CfnKey:
        """A retained, rotated KMS key administered by the account, with ``statements`` added to its policy."""
        key = kms.CfnKey(
            self,
            construct_id,
            description=description,
            enable_key_rotation=True,
            key_policy=_policy_document(
                {
                    "Action": "kms:*",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:root"},
                    "Resource": "*",
                },
                *statements,
            ),
        )
        key.apply_removal_policy(RemovalPolicy.RETAIN)
        return key

    def _alerts_topic(self) -> sns.CfnTopic:
        """The operational alarms' topic: its KMS key (usable by CloudWatch and EventBridge), TLS-only policy."""
        key = self._key(
            "AlertsKey",
            "Encrypts real-time endpoint notifications (sagemaker-constructs)",
            {
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Condition": {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                "Effect": "Allow",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                "Resource": "*",
            },
        )
        topic = sns.CfnTopic(self, "Alerts", kms_master_key_id=key.attr_arn)
        sns.CfnTopicPolicy(
            self,
            "AlertsPolicy",
            topics=[topic.ref],
            policy_document=_policy_document(
                {
                    "Action": "sns:Publish",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    "Effect": "Deny",
                    "Principal": "*",
                    "Resource": topic.ref,
                    "Sid": "AllowPublishThroughSSLOnly",
                }
            ),
        )
        return topic

    def _capture_log_prefix(self) -> str:
        # The library's SecureBucket logs under its unique ID (Names.unique_id: the path's ids joined, then the
        # first 8 hex digits of the MD5 of the path) in the stack's one access-log bucket.
        path = [self.stack_name, "Endpoint", "DataCaptureBucket"]
        digest = hashlib.md5("/".join(path).encode(), usedforsecurity=False).hexdigest()[:8].upper()
        return "".join(path) + digest

    def _data_capture_bucket(self) -> tuple[kms.CfnKey, s3.CfnBucket]:
        """The KMS key, the stack's access-log bucket, the data capture bucket and both bucket policies."""
        key = self._key(
            "EndpointDataCaptureBucketKey", "Encrypts SageMaker endpoint data capture (sagemaker-constructs)"
        )

        access_logs = s3.CfnBucket(
            self,
            "SecureBucketAccessLogs",
            bucket_encryption=s3.CfnBucket.BucketEncryptionProperty(
                server_side_encryption_configuration=[
                    s3.CfnBucket.ServerSideEncryptionRuleProperty(
                        server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                            sse_algorithm="AES256"
                        )
                    )
                ]
            ),
            lifecycle_configuration=s3.CfnBucket.LifecycleConfigurationProperty(
                rules=[
                    s3.CfnBucket.RuleProperty(
                        status="Enabled",
                        noncurrent_version_expiration=s3.CfnBucket.NoncurrentVersionExpirationProperty(
                            noncurrent_days=90
                        ),
                    )
                ]
            ),
            ownership_controls=_OWNER_ENFORCED,
            public_access_block_configuration=_BLOCK_ALL,
            versioning_configuration=_VERSIONED,
        )
        access_logs.apply_removal_policy(RemovalPolicy.RETAIN)

        bucket = s3.CfnBucket(
            self,
            "EndpointDataCaptureBucket",
            bucket_encryption=s3.CfnBucket.BucketEncryptionProperty(
                server_side_encryption_configuration=[
                    s3.CfnBucket.ServerSideEncryptionRuleProperty(
                        bucket_key_enabled=True,
                        server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                            sse_algorithm="aws:kms", kms_master_key_id=key.attr_arn
                        ),
                    )
                ]
            ),
            lifecycle_configuration=s3.CfnBucket.LifecycleConfigurationProperty(
                rules=[
                    s3.CfnBucket.RuleProperty(
                        status="Enabled",
                        abort_incomplete_multipart_upload=s3.CfnBucket.AbortIncompleteMultipartUploadProperty(
                            days_after_initiation=7
                        ),
                        noncurrent_version_expiration=s3.CfnBucket.NoncurrentVersionExpirationProperty(
                            noncurrent_days=30
                        ),
                    )
                ]
            ),
            logging_configuration=s3.CfnBucket.LoggingConfigurationProperty(
                destination_bucket_name=access_logs.ref,
                log_file_prefix=f"access-logs/{self._capture_log_prefix()}/",
            ),
            ownership_controls=_OWNER_ENFORCED,
            public_access_block_configuration=_BLOCK_ALL,
            versioning_configuration=_VERSIONED,
        )
        bucket.apply_removal_policy(RemovalPolicy.RETAIN)

        s3.CfnBucketPolicy(
            self,
            "SecureBucketAccessLogsPolicy",
            bucket=access_logs.ref,
            policy_document=_policy_document(
                _tls_only_statement(access_logs),
                {
                    "Action": "s3:PutObject",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": bucket.attr_arn},
                        "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    },
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Resource": f"{access_logs.attr_arn}/access-logs/{self._capture_log_prefix()}/*",
                },
            ),
        )
        s3.CfnBucketPolicy(
            self,
            "EndpointDataCaptureBucketPolicy",
            bucket=bucket.ref,
            policy_document=_policy_document(_tls_only_statement(bucket)),
        )
        return key, bucket

    def _model(
        self,
        prefix: str,
        image: str,
        key: kms.CfnKey,
        data_bucket: s3.CfnBucket,
        *,
        model_name: str | None = None,
        role_of: sagemaker.CfnModel | None = None,
    ) -> sagemaker.CfnModel:
        """A model with its execution role, the role's policy and its copy of the model asset; with ``role_of``,
        that model's role and policy instead (the reference's challenger shares the champion's role)."""
        asset = s3_assets.Asset(self, f"{prefix}ModelData", path=str(MODEL_ARTIFACT))
        if role_of is not None:
            model = sagemaker.CfnModel(
                self,
                f"{prefix}Model",
                execution_role_arn=role_of.execution_role_arn,
                enable_network_isolation=True,
                model_name=model_name,
                primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                    image=image, model_data_url=asset.s3_object_url
                ),
            )
            # The same artifact: its read statement is already in the shared policy, created first.
            shared_policy, _ = self._model_policies[-1]
            model.add_resource_dependency(shared_policy)
            return model
        role = iam.CfnRole(
            self,
            f"{prefix}ModelRole",
            assume_role_policy_document=_assume_role_policy("sagemaker.amazonaws.com"),
            description="Execution role of a SageMaker model (sagemaker-constructs)",
        )
        log_groups = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/*"
        # A top-level construct's logical ID is its construct ID: name the policy after it, as CDK's L2 does.
        policy_id = f"{prefix}ModelRoleDefaultPolicy"
        statements: list[dict[str, Any]] = [
            {
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                "Effect": "Allow",
                "Resource": [log_groups, f"{log_groups}:log-stream:*"],
                "Sid": "SageMakerLogs",
            },
            {
                "Action": "cloudwatch:PutMetricData",
                "Condition": {
                    "StringLike": {"cloudwatch:namespace": [INVOCATION_NAMESPACE, "/aws/sagemaker/*"]}
                },
                "Effect": "Allow",
                "Resource": "*",
                "Sid": "SageMakerMetrics",
            },
            {
                "Action": "s3:GetObject",
                "Effect": "Allow",
                "Resource": f"arn:{Aws.PARTITION}:s3:::{asset.s3_bucket_name}/{asset.s3_object_key}",
            },
            {
                "Action": "s3:PutObject",
                "Effect": "Allow",
                "Resource": f"{data_bucket.attr_arn}/{DATA_CAPTURE_PREFIX}/*",
            },
            {
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Effect": "Allow",
                "Resource": key.attr_arn,
            },
        ]
        policy = iam.CfnPolicy(
            self,
            policy_id,
            policy_document=_policy_document(*statements),
            policy_name=policy_id,
            roles=[role.ref],
        )
        self._model_policies.append((policy, statements))
        model = sagemaker.CfnModel(
            self,
            f"{prefix}Model",
            execution_role_arn=role.attr_arn,
            enable_network_isolation=True,
            model_name=model_name,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image, model_data_url=asset.s3_object_url
            ),
        )
        # SageMaker checks the role's permissions when it creates the model.
        model.add_resource_dependency(policy)
        return model

    def _rollback_alarms(self, endpoint_name: str) -> list[cloudwatch.CfnAlarm]:
        """The two alarms that roll back a deployment: 5XX error rate and p99 latency over both variants."""
        prefix = f"Rolls back deployments of SageMaker endpoint {endpoint_name}"
        error_rate = cloudwatch.CfnAlarm(
            self,
            "EndpointRollbackErrorRateAlarm",
            alarm_description=f"{prefix}: 5XX error rate above 1%",
            comparison_operator="GreaterThanThreshold",
            datapoints_to_alarm=2,
            evaluation_periods=2,
            metrics=[
                _expression("100 * (e0 + e1) / (i0 + i1)", "5XX error rate (%) over production variants"),
                _metric_query("e0", endpoint_name, "champion", "Invocation5XXErrors", "Sum"),
                _metric_query("i0", endpoint_name, "champion", "Invocations", "Sum"),
                _metric_query("e1", endpoint_name, "challenger", "Invocation5XXErrors", "Sum"),
                _metric_query("i1", endpoint_name, "challenger", "Invocations", "Sum"),
            ],
            threshold=1,
            treat_missing_data="notBreaching",
        )
        latency = cloudwatch.CfnAlarm(
            self,
            "EndpointRollbackLatencyAlarm",
            alarm_description=f"{prefix}: model latency (Average) above 500000 microseconds",
            comparison_operator="GreaterThanThreshold",
            datapoints_to_alarm=2,
            evaluation_periods=2,
            metrics=[
                _expression(
                    "MAX([l0, l1])", "highest Average ModelLatency over production variants (microseconds)"
                ),
                _metric_query("l0", endpoint_name, "champion", "ModelLatency", "Average"),
                _metric_query("l1", endpoint_name, "challenger", "ModelLatency", "Average"),
            ],
            threshold=500000,
            treat_missing_data="notBreaching",
        )
        return [error_rate, latency]

    def _autoscaling(self, endpoint: sagemaker.CfnEndpoint, endpoint_name: str) -> None:
        """Scalable targets (with SageMaker's service-linked role), the calls that deregister each target before an
        endpoint update and register it again after, and target-tracking policies."""
        targets: dict[str, appscaling.CfnScalableTarget] = {}
        resumes: dict[str, cr.AwsCustomResource] = {}
        for variant, max_capacity in (("champion", 6), ("challenger", 4)):
            targets[variant] = appscaling.CfnScalableTarget(
                self,
                f"EndpointAutoScaling{variant}Target",
                service_namespace="sagemaker",
                resource_id=f"endpoint/{endpoint.attr_endpoint_name}/variant/{variant}",
                scalable_dimension="sagemaker:variant:DesiredInstanceCount",
                min_capacity=2,
                max_capacity=max_capacity,
                role_arn=SCALING_ROLE_ARN,
            )
            resumes[variant] = self._pause_and_resume(
                endpoint, endpoint_name, targets[variant], variant, max_capacity
            )
        # CDK adds DependsOn the singleton function's role, which its GetAtt of the role already implies.
        provider = self.node.find_child(AWS_CUSTOM_RESOURCE_PROVIDER_ID)
        function = provider.node.default_child
        if isinstance(function, CfnResource):
            function.add_deletion_override("DependsOn")

        invocations = _ScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
            target_value=700,
            predefined_metric_specification=_ScalingPolicy.PredefinedMetricSpecificationProperty(
                predefined_metric_type="SageMakerVariantInvocationsPerInstance"
            ),
            scale_in_cooldown=600,
            scale_out_cooldown=120,
            disable_scale_in=False,
        )
        invocations_id = f"EndpointAutoScalingchampionFor{INSTANCE_TYPE_ID}InvocationsPerInstance"
        invocations_policy = appscaling.CfnScalingPolicy(
            self,
            invocations_id,
            policy_name=f"{self.stack_name}{invocations_id}",
            policy_type="TargetTrackingScaling",
            scaling_target_id=targets["champion"].ref,
            target_tracking_scaling_policy_configuration=invocations,
        )
        invocations_policy.node.add_dependency(resumes["champion"])
        cpu = _ScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
            target_value=70,
            customized_metric_specification=_ScalingPolicy.CustomizedMetricSpecificationProperty(
                dimensions=[
                    _ScalingPolicy.MetricDimensionProperty(name="EndpointName", value=endpoint_name),
                    _ScalingPolicy.MetricDimensionProperty(name="VariantName", value="challenger"),
                ],
                metric_name="CPUUtilization",
                namespace=INSTANCE_NAMESPACE,
                statistic="Average",
            ),
            disable_scale_in=False,
        )
        cpu_id = f"EndpointAutoScalingchallengerFor{INSTANCE_TYPE_ID}CPUUtilization"
        cpu_policy = appscaling.CfnScalingPolicy(
            self,
            cpu_id,
            policy_name=f"{self.stack_name}{cpu_id}",
            policy_type="TargetTrackingScaling",
            scaling_target_id=targets["challenger"].ref,
            target_tracking_scaling_policy_configuration=cpu,
        )
        cpu_policy.node.add_dependency(resumes["challenger"])

    def _pause_and_resume(
        self,
        endpoint: sagemaker.CfnEndpoint,
        endpoint_name: str,
        target: appscaling.CfnScalableTarget,
        variant: str,
        max_capacity: int,
    ) -> cr.AwsCustomResource:
        """Deregister the variant's scalable target before the endpoint changes its instance type, register it
        again after (SageMaker rejects such an update while the variant is registered). Returns the resume."""
        static_id = f"endpoint/{endpoint_name}/variant/{variant}"
        target_id = {
            "ServiceNamespace": "sagemaker",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        }
        physical_id = cr.PhysicalResourceId.of(f"{static_id}@{INSTANCE_TYPE}")
        role = self._pause_role(endpoint_name)
        pause = cr.AwsCustomResource(
            self,
            f"EndpointAutoScaling{variant}PauseScaling",
            on_update=cr.AwsSdkCall(
                service="ApplicationAutoScaling",
                action="DeregisterScalableTarget",
                parameters={**target_id, "ResourceId": static_id},
                physical_resource_id=physical_id,
                ignore_error_codes_matching="ObjectNotFoundException",
            ),
            role=role,
            install_latest_aws_sdk=False,
        )
        endpoint.node.add_dependency(pause)
        resume = cr.AwsCustomResource(
            self,
            f"EndpointAutoScaling{variant}ResumeScaling",
            on_update=cr.AwsSdkCall(
                service="ApplicationAutoScaling",
                action="RegisterScalableTarget",
                parameters={
                    **target_id,
                    "ResourceId": f"endpoint/{endpoint.attr_endpoint_name}/variant/{variant}",
                    "MinCapacity": 2,
                    "MaxCapacity": max_capacity,
                },
                physical_resource_id=physical_id,
            ),
            role=role,
            install_latest_aws_sdk=False,
        )
        resume.node.add_dependency(target)
        return resume

    def _pause_role(self, endpoint_name: str) -> iam.IRole:
        """One role for every pause and resume call of the stack (the singleton function's role), with the
        statements each call needs inline: no AWS::IAM::Policy per call."""
        existing = self.node.try_find_child("SageMakerScalingPauseRole")
        if isinstance(existing, iam.Role):
            return existing
        return iam.Role(
            self,
            "SageMakerScalingPauseRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaBasicExecutionRole")
            ],
            inline_policies={
                "PauseScaling": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=[
                                "application-autoscaling:DeregisterScalableTarget",
                                "application-autoscaling:RegisterScalableTarget",
                            ],
                            resources=["*"],
                        ),
                        iam.PolicyStatement(
                            actions=[
                                "sagemaker:DescribeEndpoint",
                                "sagemaker:UpdateEndpointWeightsAndCapacities",
                            ],
                            resources=[
                                f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}:endpoint/"
                                f"{endpoint_name.lower()}"
                            ],
                        ),
                        iam.PolicyStatement(
                            actions=["sagemaker:DescribeEndpointConfig"],
                            resources=[
                                f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}:endpoint-config/*"
                            ],
                        ),
                    ]
                )
            },
        )

    def _operational_alarms(self, endpoint_name: str, variants: Sequence[str], topic: sns.CfnTopic) -> None:
        """5XX error rate, model latency and disk utilization alarms, each on the highest of the variants."""
        base = "EndpointOperationalAlarms"
        prefix = f"SageMaker endpoint {endpoint_name} variants {', '.join(variants)} (the highest)"
        names = ", ".join(variants)
        top = "MAX([" + ", ".join(f"v{i}" for i in range(len(variants))) + "])"
        rates: list[cloudwatch.CfnAlarm.MetricDataQueryProperty] = []
        for i, variant in enumerate(variants):
            rates += [
                cloudwatch.CfnAlarm.MetricDataQueryProperty(
                    id=f"v{i}", expression=f"100 * e{i} / i{i}", label=f"{variant} 5XX error rate (%)",
                    return_data=False,
                ),
                _metric_query(f"e{i}", endpoint_name, variant, "Invocation5XXErrors", "Sum"),
                _metric_query(f"i{i}", endpoint_name, variant, "Invocations", "Sum"),
            ]  # fmt: skip
        for construct_id, text, threshold, label, queries in (
            ("ErrorRate", "5XX error rate above 1%", 1, "5XX error rate (%)", rates),
            (
                "P99Latency", "model latency (Average) above 1e+06 microseconds", 1000000,
                "Average ModelLatency (microseconds)",
                [_metric_query(f"v{i}", endpoint_name, v, "ModelLatency", "Average") for i, v in enumerate(variants)],
            ),
            (
                "DiskUtilization", "disk utilization above 75% (data capture stops when the disk fills up)", 75,
                "DiskUtilization (%)",
                [_metric_query(f"v{i}", endpoint_name, v, "DiskUtilization", "Average", INSTANCE_NAMESPACE)
                 for i, v in enumerate(variants)],
            ),
        ):  # fmt: skip
            cloudwatch.CfnAlarm(
                self,
                f"{base}{construct_id}",
                alarm_description=f"{prefix}: {text}",
                comparison_operator="GreaterThanThreshold",
                evaluation_periods=5,
                metrics=[_expression(top, f"highest {label} of variants {names}"), *queries],
                threshold=threshold,
                treat_missing_data="notBreaching",
                alarm_actions=[topic.ref],
                ok_actions=[topic.ref],
            )


def resource_type_counts(template: Mapping[str, Any]) -> dict[str, int]:
    """How many resources of each type a synthesized template holds, sorted by type."""
    counts = Counter(str(resource["Type"]) for resource in template.get("Resources", {}).values())
    return dict(sorted(counts.items()))


_HASH_SUFFIX = re.compile(r"[0-9A-F]{8}$")


def resource_set(template: Mapping[str, Any]) -> Counter[tuple[str, str]]:
    """The template's resources as (type, logical ID without CDK's 8-character hash suffix) pairs."""
    return Counter(
        (str(resource["Type"]), _HASH_SUFFIX.sub("", logical_id))
        for logical_id, resource in template.get("Resources", {}).items()
    )


def _renamed(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    return value


def _diff(path: str, left: Any, right: Any, out: list[str]) -> None:
    if isinstance(left, dict) and isinstance(right, dict):
        for k in sorted(set(left) | set(right)):
            where = f"{path}.{k}" if path else k
            if k not in left:
                out.append(f"{where}: only in raw")
            elif k not in right:
                out.append(f"{where}: only in library")
            else:
                _diff(where, left[k], right[k], out)
    elif isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            _diff(f"{path}[{i}]", a, b, out)
    elif left != right:
        out.append(f"{path}: library {left!r} != raw {right!r}")


def template_differences(library: Mapping[str, Any], raw: Mapping[str, Any]) -> list[str]:
    """Where two templates differ, after dropping the hash suffix of the library's logical IDs.

    Every reference to a library logical ID (``Ref``, ``Fn::GetAtt``, ``DependsOn``, a policy name equal to
    its logical ID) is renamed the same way, so only real differences in properties remain.
    """
    out: list[str] = []
    _diff("", _without_hashes(library), _without_hashes(raw), out)
    return out


def _without_hashes(template: Mapping[str, Any]) -> dict[str, Any]:
    names = {logical_id: _HASH_SUFFIX.sub("", logical_id) for logical_id in template.get("Resources", {})}
    renamed: dict[str, Any] = _renamed({k: v for k, v in template.items() if k != "Resources"}, names)
    renamed["Resources"] = {names[k]: _renamed(v, names) for k, v in template.get("Resources", {}).items()}
    return renamed
