"""Read access to one S3 prefix: the grant every reader of captured data, baselines and ground truth needs."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_constructs._internal import nag as _nag


def grant_read_prefix(grantee: iam.IGrantable, bucket: s3.IBucket, prefix: str, what: str) -> iam.Grant:
    """Allow ``grantee`` to get the objects under ``prefix`` and to list the bucket for keys under it.

    SageMaker processing inputs of type ``S3Prefix`` list before they download, so both are needed. The
    ``<bucket>/<prefix>*`` wildcard is acknowledged for cdk-nag on the grantee's role with ``what`` as the reason.
    """
    objects = bucket.arn_for_objects(f"{prefix}*")
    grant = iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"], resource_arns=[objects])
    listing = iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["s3:ListBucket"],
        resource_arns=[bucket.bucket_arn],
        conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
    )
    principal = grantee.grant_principal
    if isinstance(principal, Construct):
        _nag.acknowledge_resource(
            principal, objects, f"The role reads the {what}, named at run time under the prefix."
        )
    return grant.combine(listing)
