"""Acknowledgements of cdk-nag findings that the library causes by design, each with its reason.

The library acknowledges only precise findings (``AwsSolutions-IAM5[Resource::...]``), never a whole rule, so a
wildcard that a user adds to the same policy is still reported.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from aws_cdk import aws_s3 as s3
from constructs import IConstruct


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding (``IAM5[Resource::*]`` etc.) on ``scope`` and its children."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions-{finding}", reason=reason))


def bucket_arn_placeholder(bucket: s3.IBucket) -> str | None:
    """How cdk-nag prints the ARN of a bucket defined in the same app (``<LogicalId.Arn>``), if it can be known."""
    child = bucket.node.default_child
    if isinstance(child, CfnElement):
        return f"<{Stack.of(child).get_logical_id(child)}.Arn>"
    return None
