"""Data capture: what an endpoint records of its traffic, and where."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from sagemaker_constructs._internal.s3_access import grant_read_prefix
from sagemaker_constructs._internal.validation import ValidationErrors, is_token

# CaptureContentTypeHeader entries (CreateEndpointConfig).
_CONTENT_TYPE_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*/[a-zA-Z0-9](-*[a-zA-Z0-9.])*$")


@dataclass(frozen=True, kw_only=True)
class DataCapture:
    """Capture an endpoint's requests and responses to S3 (a prerequisite for Model Monitor).

    With no ``bucket``, the endpoint creates one: KMS-encrypted with a rotating key, TLS-only, versioned,
    private, with access logs, and retained on stack deletion. Captured files land under
    ``s3://<bucket>/<prefix>/<endpoint-name>/<variant-name>/yyyy/mm/dd/hh/``.
    """

    sampling_percentage: int = 100
    """Percentage of requests captured, 0-100. Default: 100"""
    capture_input: bool = True
    """Capture requests. Default: True"""
    capture_output: bool = True
    """Capture responses. Default: True"""
    csv_content_types: Sequence[str] = ()
    """Content types recorded as CSV text (1-10). Default: - SageMaker base64-encodes unknown types."""
    json_content_types: Sequence[str] = ()
    """Content types recorded as JSON text (1-10). Default: - SageMaker base64-encodes unknown types."""
    bucket: s3.IBucket | None = None
    """Your bucket. Default: - a secure bucket is created."""
    prefix: str = "data-capture"
    """Key prefix in the bucket, without leading or trailing '/'. Default: "data-capture\""""
    kms_key: kms.IKey | None = None
    """Key for server-side encryption of captured files. Default: - the created bucket's key, or your bucket's
    default encryption."""
    expiration: Duration | None = None
    """Created bucket only: delete captured files this long after capture. Default: - kept forever."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """Created bucket only: what happens to it on stack deletion. Default: RemovalPolicy.RETAIN"""
    enabled: bool = True
    """Turn capture off without removing the configuration. Default: True"""

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'data_capture.*'."""
        errors.check_range(
            "data_capture.sampling_percentage", self.sampling_percentage, 0, 100, unit="percent", integer=True
        )
        if not self.capture_input and not self.capture_output:
            errors.add(
                "'data_capture' must capture input, output or both, got capture_input=capture_output=False"
            )
        for prop, types in (
            ("csv_content_types", self.csv_content_types),
            ("json_content_types", self.json_content_types),
        ):
            if isinstance(types, str):
                errors.add(f"'data_capture.{prop}' must be a list of content types, got the string {types!r}")
                continue
            if len(types) > 10:
                errors.add(f"'data_capture.{prop}' must hold at most 10 content types, got {len(types)}")
            for content_type in types:
                if not is_token(content_type) and (
                    len(content_type) > 256 or not _CONTENT_TYPE_PATTERN.fullmatch(content_type)
                ):
                    errors.add(
                        f"'data_capture.{prop}' entries must be MIME types of at most 256 characters (type/subtype "
                        f"of letters, digits, '-' and '.', pattern {_CONTENT_TYPE_PATTERN.pattern}), got {content_type!r}"
                    )
        if not is_token(self.prefix) and (self.prefix.startswith("/") or self.prefix.endswith("/")):
            errors.add(f"'data_capture.prefix' must not start or end with '/', got {self.prefix!r}")
        errors.check_s3_key("data_capture.prefix", self.prefix)
        errors.check_s3_uri_length("data_capture.prefix", self.prefix, 512)
        if self.bucket is not None and self.expiration is not None:
            errors.add(
                "'data_capture.expiration' applies only to the created bucket; set lifecycle rules on yours"
            )
        errors.check_days("data_capture.expiration", self.expiration, 1)

    @property
    def capture_modes(self) -> list[str]:
        """The SageMaker capture modes this configuration records."""
        return [m for m, on in (("Input", self.capture_input), ("Output", self.capture_output)) if on]


@dataclass(frozen=True)
class CaptureDestination:
    """Where an endpoint's captured data lands: what a reader of it (a monitor, a dashboard, your own job)
    needs, whether the endpoint was created in this app or imported.

    Captured files are written under ``s3://<bucket>/<prefix>/<endpoint-name>/<variant-name>/yyyy/mm/dd/hh/``.
    """

    bucket: s3.IBucket
    """The capture bucket."""
    prefix: str
    """Key prefix in the bucket, without leading or trailing '/'."""
    kms_key: kms.IKey | None = None
    """The key that encrypts the captured files, if any."""

    @property
    def s3_uri(self) -> str:
        """``s3://bucket/prefix``."""
        return self.bucket.s3_url_for_object(self.prefix)

    def grant_read(
        self, grantee: iam.IGrantable, *, what: str = "captured traffic of the endpoint"
    ) -> iam.Grant:
        """Allow ``grantee`` to list and read the captured files, and to decrypt them with ``kms_key``."""
        grant = grant_read_prefix(grantee, self.bucket, f"{self.prefix}/", what)
        if self.kms_key is not None:
            grant = grant.combine(self.kms_key.grant_decrypt(grantee))
        return grant
