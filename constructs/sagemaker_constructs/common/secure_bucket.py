"""``SecureBucket``: an S3 bucket for ML data (captured traffic, monitoring reports, batch input and output).

KMS-encrypted with a rotating customer managed key, TLS-only, versioned, with public access blocked, server
access logs to a separate bucket (one per stack, shared by the stack's SecureBuckets, each under a prefix of its
own), and all retained on stack deletion unless the user opts out.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Names, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_constructs._internal.validation import (
    ValidationError,
    check_argument_types,
    construct_path,
    received,
)

ACCESS_LOGS_ID = "SecureBucketAccessLogs"
"""The construct ID, under its stack, of the access-log bucket that the stack's SecureBuckets share."""


class _StackAccessLogs(Construct):
    """The server access-log bucket of one stack, shared by its SecureBuckets (``SecureBucket.access_logs``).

    Created by the first SecureBucket of the stack that is not given a log bucket of its own. Its removal policy
    is ``DESTROY`` only when every SecureBucket that logs to it asks for ``DESTROY``, else ``RETAIN``.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        """Create the bucket (SSE-S3: server access logging delivers to no KMS-encrypted bucket)."""
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Resource",
            # S3 server access logging can only deliver to buckets encrypted with S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(90))],
        )
        """The bucket that receives the server access logs."""
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This bucket receives the server access logs of the stack's SecureBuckets; logging it "
                "again would loop.",
            )
        )
        self._removal_policies: list[RemovalPolicy] = []

    @classmethod
    def of(cls, scope: Construct) -> _StackAccessLogs:
        """The access-log bucket of ``scope``'s stack, created on first use.

        :raises ValidationError: when the stack holds another construct with the ID ``SecureBucketAccessLogs``.
        """
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(ACCESS_LOGS_ID)
        if existing is None:
            return cls(stack, ACCESS_LOGS_ID)
        if not isinstance(existing, cls):
            raise ValidationError(
                f"SecureBucket '{scope.node.path}': the stack's construct ID '{ACCESS_LOGS_ID}' is reserved for "
                f"the access-log bucket that SecureBuckets share, got a {received(existing)} there; rename it or "
                "give the SecureBucket a 'server_access_logs_bucket'"
            )
        return existing

    def add_source(self, removal_policy: RemovalPolicy) -> None:
        """Count one more SecureBucket logging here, with its removal policy."""
        self._removal_policies.append(removal_policy)
        destroy = all(policy == RemovalPolicy.DESTROY for policy in self._removal_policies)
        self.bucket.apply_removal_policy(RemovalPolicy.DESTROY if destroy else RemovalPolicy.RETAIN)


class SecureBucket(Construct):
    """A KMS-encrypted, TLS-only, versioned, private bucket with its own key, logging its access to the stack's
    shared access-log bucket."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        expiration: Duration | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        event_bridge_enabled: bool = False,
        server_access_logs_bucket: s3.IBucket | None = None,
    ) -> None:
        """Create the key and the bucket (and the stack's access-log bucket, for the first SecureBucket).

        :param description: what the bucket holds (used in the key's description).
        :param expiration: delete objects this long after creation. Default: - kept forever.
        :param removal_policy: what happens on stack deletion. Default: RemovalPolicy.RETAIN
        :param event_bridge_enabled: send object events to EventBridge (e.g. to run a BatchTransform when
            input arrives). Default: False
        :param server_access_logs_bucket: where the bucket's server access logs go, under the prefix
            ``access_logs_prefix``. It must use SSE-S3 encryption; a bucket created in the app gets the
            statement that lets S3 deliver the logs in its bucket policy, an imported one must already allow it.
            Default: - the stack's access-log bucket (construct ID ``SecureBucketAccessLogs``), shared by all the
            stack's SecureBuckets that are not given one; retained unless all of them are ``DESTROY``.
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
        if server_access_logs_bucket is None:
            shared = _StackAccessLogs.of(self)
            shared.add_source(removal_policy)
            server_access_logs_bucket = shared.bucket
        self.access_logs: s3.IBucket = server_access_logs_bucket
        """The bucket that receives this bucket's server access logs (by default shared by the stack)."""
        self.access_logs_prefix = f"access-logs/{Names.unique_id(self)}/"
        """The prefix of this bucket's server access logs in ``access_logs`` (unique in the app)."""
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
            lifecycle_rules=[
                *lifecycle,
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
        )
        self._deliver_access_logs()
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

    def _deliver_access_logs(self) -> None:
        """Send the bucket's server access logs to ``access_logs`` through a bucket policy, whatever the flags.

        ``s3.Bucket(server_access_logs_bucket=...)`` grants delivery one of two ways, chosen by the feature flag
        ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy``: a bucket policy when it is set, or else the
        ``LogDeliveryWrite`` ACL, which a bucket with ``BUCKET_OWNER_ENFORCED`` object ownership (ACLs disabled)
        rejects at synth ("objectOwnership must be set to ObjectWriter"). A plain ``App()`` (and the unit test
        that ``cdk init`` writes) has no flags, so the library writes what the flag would: the same template
        under both settings (aws-cdk-lib ``aws-s3/lib/bucket.ts``, ``allowLogDelivery``).

        AWS recommends the bucket policy over the ACL, with ``aws:SourceArn`` and ``aws:SourceAccount`` so only
        this bucket's logs are accepted, here under this bucket's own prefix of the shared log bucket:
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
        """
        prefix = self.access_logs_prefix
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=self.access_logs.bucket_name, log_file_prefix=prefix
        )
        self.access_logs.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.ALLOW,
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.access_logs.arn_for_objects(f"{prefix}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": self.bucket.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                },
            )
        )
