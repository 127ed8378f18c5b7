"""cdk-nag helpers for your own resources around the library's constructs."""

from __future__ import annotations

from constructs import IConstruct

from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.validation import checked_arguments


@checked_arguments
def acknowledge_wildcard_resource(scope: IConstruct, resource_arn: str, reason: str) -> None:
    """Acknowledge cdk-nag's ``AwsSolutions-IAM5`` finding for one wildcard resource ARN on ``scope`` (a role
    or policy), rendered exactly as cdk-nag prints it, also when the ARN comes from another stack.

    Prefer this to acknowledging ``AwsSolutions-IAM5`` as a whole: other wildcards stay reported.
    """
    _nag.acknowledge_resource(scope, resource_arn, reason)


@checked_arguments
def acknowledge_finding(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding such as ``"IAM5[Resource::*]"`` or ``"SQS3"`` on ``scope``."""
    _nag.acknowledge(scope, finding, reason)
