"""A local file uploaded as a CDK asset, readable by one grantee on exactly its key (``Asset.grant_read`` would open
the whole asset bucket)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct


def upload_with_tight_grant(
    scope: Construct,
    construct_id: str,
    path: str,
    grantee: iam.IGrantable | None,
    *,
    listable: bool = False,
) -> str:
    """Upload ``path`` as ``scope/construct_id`` and return its ``s3://`` URL; ``grantee`` may get that one object
    (``s3:GetObject``) and, with ``listable``, list the asset bucket for exactly its key (``s3:ListBucket`` with
    ``s3:prefix`` equal to the key), which SageMaker needs for an ``S3Prefix`` processing input."""
    asset = s3_assets.Asset(scope, construct_id, path=path)
    if grantee is not None:
        stack = Stack.of(scope)
        object_arn = stack.format_arn(
            service="s3",
            region="",
            account="",
            resource=asset.s3_bucket_name,
            resource_name=asset.s3_object_key,
        )
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"], resource_arns=[object_arn])
        if listable:
            bucket_arn = stack.format_arn(service="s3", region="", account="", resource=asset.s3_bucket_name)
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:ListBucket"],
                resource_arns=[bucket_arn],
                conditions={"StringEquals": {"s3:prefix": [asset.s3_object_key]}},
            )
    return asset.s3_object_url
