"""Model artifacts: a local ``.tar.gz`` uploaded as an S3 asset, or an object or prefix already in S3."""

from __future__ import annotations

import abc
import os

from aws_cdk import Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.s3_assets import upload_with_tight_grant
from sagemaker_constructs._internal.validation import (
    LINE_BREAKS,
    ValidationError,
    ValidationErrors,
    checked_arguments,
)


class ModelData(abc.ABC):
    """Where a container's model artifacts come from. Read access is granted to the model's role."""

    @staticmethod
    @checked_arguments
    def from_asset(path: str) -> ModelData:
        """A local ``.tar.gz`` file, uploaded to the CDK asset bucket at deploy time."""
        if not path.endswith(".tar.gz"):
            raise ValidationError(
                f"'path' must name a .tar.gz file (SageMaker expects one archive), got {path!r}"
            )
        if not os.path.isfile(path):
            raise ValidationError(
                f"'path' must be an existing file, got {path!r} (resolved to {os.path.abspath(path)})"
            )
        return _AssetModelData(path)

    @staticmethod
    @checked_arguments
    def from_bucket(bucket: s3.IBucket, key: str) -> ModelData:
        """An object in S3 (``model.tar.gz``), or a key prefix ending in ``/`` for multi-model endpoints."""
        if not Token.is_unresolved(key) and (
            not key or key.startswith("/") or any(c in key for c in LINE_BREAKS)
        ):
            raise ValidationError(
                f"'key' must be a non-empty S3 key without a leading '/' or line breaks (SageMaker's S3 URIs "
                f"exclude them), got {key!r}"
            )
        errors = ValidationErrors("ModelData.from_bucket")
        errors.check_s3_uri_length("key", key, 1024)  # ModelDataUrl: at most 1024 characters
        errors.raise_if_any()
        return _BucketModelData(bucket, key)

    @property
    @abc.abstractmethod
    def is_prefix(self) -> bool:
        """Whether this points at a key prefix (multi-model endpoints) rather than one archive."""

    @abc.abstractmethod
    def bind(self, scope: Construct, construct_id: str, grantee: iam.IGrantable | None) -> str:
        """Return the ``s3://`` URL for use in ``scope`` and grant ``grantee`` read access to it."""


class _AssetModelData(ModelData):
    def __init__(self, path: str) -> None:
        self._path = path

    @property
    def is_prefix(self) -> bool:
        return False

    def bind(self, scope: Construct, construct_id: str, grantee: iam.IGrantable | None) -> str:
        # Only this object: Asset.grant_read would open the whole asset bucket to the model.
        return upload_with_tight_grant(scope, construct_id, self._path, grantee)


class _BucketModelData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str) -> None:
        self._bucket = bucket
        self._key = key

    @property
    def is_prefix(self) -> bool:
        return not Token.is_unresolved(self._key) and self._key.endswith("/")

    def bind(self, scope: Construct, construct_id: str, grantee: iam.IGrantable | None) -> str:
        if grantee is not None:
            # s3:GetObject on the archive (or on the multi-model prefix) only; no listing, no bucket reads.
            objects = self._bucket.arn_for_objects(f"{self._key}*" if self.is_prefix else self._key)
            iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"], resource_arns=[objects])
            if self._bucket.encryption_key is not None:
                self._bucket.encryption_key.grant_decrypt(grantee)
            principal = grantee.grant_principal
            if self.is_prefix and isinstance(principal, Construct):
                _nag.acknowledge_resource(
                    principal,
                    objects,
                    "A multi-model container loads any archive under its model prefix, by name, at run time.",
                )
        return self._bucket.s3_url_for_object(self._key)
