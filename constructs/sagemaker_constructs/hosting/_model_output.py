"""Where an endpoint's models write to S3 (captured traffic, asynchronous responses), shared by features.

One place creates the secure bucket or takes the user's, picks the key, and grants each model's execution role
exactly the object actions it needs under exactly the prefixes it writes to.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs.common.secure_bucket import SecureBucket

from .model import IModel


def resolve_bucket(
    scope: Construct,
    construct_id: str,
    *,
    description: str,
    bucket: s3.IBucket | None,
    kms_key: kms.IKey | None,
    expiration: Duration | None,
    removal_policy: RemovalPolicy,
) -> tuple[s3.IBucket, kms.IKey | None]:
    """The user's bucket, or a ``SecureBucket`` created under ``construct_id``, and the key that encrypts what
    the models write: ``kms_key``, else the bucket's own key (None for a bucket imported without one)."""
    key = kms_key or (bucket.encryption_key if bucket else None)
    if bucket is not None:
        return bucket, key
    created = SecureBucket(
        scope, construct_id, description=description, expiration=expiration, removal_policy=removal_policy
    )
    return created.bucket, key or created.key


def grant_model_roles(
    scope: Construct,
    models: Sequence[tuple[str, IModel]],
    *,
    bucket: s3.IBucket,
    prefixes: Sequence[str],
    actions: Sequence[str],
    key: kms.IKey | None,
    key_actions: Sequence[str],
    warning_id: str,
    feature: str,
    reason: str,
) -> None:
    """Grant each ``(variant name, model)``'s execution role ``actions`` on ``<prefix>/*`` of ``bucket`` and
    ``key_actions`` on ``key``, and acknowledge the IAM5 finding of each prefix wildcard with ``reason``.

    A model imported without a role gets a warning on ``scope`` instead: its owner has to grant the same.
    """
    arns = [bucket.arn_for_objects(f"{prefix}/*") for prefix in prefixes]
    for variant_name, model in models:
        role = model.role
        if role is None:
            wanted = ", ".join(f"{p}/*" for p in prefixes)
            Annotations.of(scope).add_warning_v2(
                warning_id,
                f"Variant {variant_name!r} uses an imported model without a role: grant its execution role "
                f"{' and '.join(actions)} on {wanted} of the {feature} bucket (and its KMS key) yourself.",
            )
            continue
        iam.Grant.add_to_principal(grantee=role, actions=list(actions), resource_arns=arns)
        if key is not None:
            key.grant(role, *key_actions)
        for arn in arns:
            _nag.acknowledge_resource(role, arn, reason)
