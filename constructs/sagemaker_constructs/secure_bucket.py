"""``SecureBucket``: an S3 bucket for ML data (captured traffic, monitoring reports, batch input and output).

KMS-encrypted with a rotating customer managed key, TLS-only, versioned, with public access blocked, server
access logs to a separate bucket, and both retained on stack deletion unless the user opts out.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ._validation import check_argument_types, construct_path


class SecureBucket(Construct):
    """A KMS-encrypted, TLS-only, versioned, private bucket with its own access-log bucket and key."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        expiration: Duration | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        event_bridge_enabled: bool = False,
    ) -> None:
        """Create the key, the log bucket and the bucket.

        :param description: what the bucket holds (used in the key's description).
        :param expiration: delete objects this long after creation. Default: - kept forever.
        :param removal_policy: what happens on stack deletion. Default: RemovalPolicy.RETAIN
        :param event_bridge_enabled: send object events to EventBridge (e.g. to run a BatchTransform when
            input arrives). Default: False
        """
        check_argument_types(
            construct_path(scope, construct_id, "SecureBucket"), SecureBucket.__init__, locals()
        )
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Encrypts {description} (sagemaker-constructs)",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access logging can only deliver to buckets encrypted with S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=removal_policy,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(90))],
        )
        Validations.of(self.access_logs).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This bucket receives the server access logs of its sibling; logging it again would loop.",
            )
        )
        lifecycle = [s3.LifecycleRule(expiration=expiration)] if expiration is not None else []
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=removal_policy,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="access-logs/",
            lifecycle_rules=[
                *lifecycle,
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
        )
        self.event_bridge_enabled = event_bridge_enabled
        """Whether the bucket sends object events to EventBridge."""
        if event_bridge_enabled:
            # Native CloudFormation setting: s3.Bucket(event_bridge_enabled=True) would add a custom resource
            # with its own Lambda function.
            cfn_bucket = self.bucket.node.default_child
            assert isinstance(cfn_bucket, s3.CfnBucket)
            cfn_bucket.add_property_override(
                "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
            )
