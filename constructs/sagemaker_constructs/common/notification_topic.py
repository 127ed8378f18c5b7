"""``NotificationTopic``: a KMS-encrypted, TLS-only SNS topic that alarms, EventBridge and the library's
workflows can publish to."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_constructs._internal.validation import check_argument_types, construct_path


class NotificationTopic(Construct):
    """An SNS topic encrypted with its own rotating KMS key, TLS-only, whose key lets CloudWatch alarms and
    EventBridge rules of this account publish. Subscribe your people or systems to ``topic``."""

    def __init__(self, scope: Construct, construct_id: str, *, description: str) -> None:
        """Create the key and the topic.

        :param description: what the notifications are about (used in the key's description).
        """
        check_argument_types(
            construct_path(scope, construct_id, "NotificationTopic"), NotificationTopic.__init__, locals()
        )
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self, "Key", description=f"Encrypts {description} notifications (sagemaker-constructs)",
            enable_key_rotation=True,
        )  # fmt: skip
        # Alarms and rules publish through the SNS service, which must use the key on their behalf.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("events.amazonaws.com"),
                ],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.topic = sns.Topic(self, "Resource", master_key=self.key, enforce_ssl=True)
        self.node.default_child = self.topic.node.default_child

    def grant_publish(self, grantee: iam.IGrantable) -> None:
        """Allow ``grantee`` to publish: ``sns:Publish`` on the topic and exactly the two KMS actions it needs
        (``Topic.grant_publish`` would grant ``kms:GenerateDataKey*``)."""
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn]
        )
        self.key.grant(grantee, "kms:GenerateDataKey", "kms:Decrypt")
