"""Value classes of ``BatchTransform``: where input comes from, where output goes, how records are processed."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Size
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from sagemaker_constructs._internal.validation import ValidationErrors, is_token

# The per-run prefix is rendered with JSONata's $fromMillis picture strings (Step Functions JSONata).
_PICTURE_PATTERN = re.compile(r"^(\[[YMDHmsf]0*1?[0-9]*\]|[A-Za-z0-9_\-=/.])*$")


class SplitType(enum.Enum):
    """How SageMaker splits input files into records."""

    NONE = "None"
    LINE = "Line"
    RECORD_IO = "RecordIO"
    TF_RECORD = "TFRecord"


class CompressionType(enum.Enum):
    """Compression of the input files."""

    NONE = "None"
    GZIP = "Gzip"


class BatchStrategy(enum.Enum):
    """How many records go in one request to the container."""

    MULTI_RECORD = "MultiRecord"
    SINGLE_RECORD = "SingleRecord"


class AssembleWith(enum.Enum):
    """How results are assembled in the output files."""

    NONE = "None"
    LINE = "Line"


class JoinSource(enum.Enum):
    """What is joined with the predictions in the output."""

    NONE = "None"
    INPUT = "Input"


@dataclass(frozen=True, kw_only=True)
class TransformInput:
    """The input of each run: objects under a prefix of ``bucket``.

    By default each run reads ``<prefix><date>/`` where the date is the run's start time minus ``date_offset``,
    formatted with ``date_format`` (a JSONata picture string, e.g. ``[Y0001]/[M01]/[D01]``). A run started
    with ``{"inputPrefix": "..."}`` (an S3 event, or ``aws stepfunctions start-execution``) reads that prefix.
    """

    bucket: s3.IBucket
    """The input bucket. The model's role may read the input prefix only."""
    prefix: str = "input/"
    """The fixed part of the key prefix. Default: "input/\""""
    date_format: str | None = "[Y0001]-[M01]-[D01]"
    """JSONata picture of the dated part appended to ``prefix`` (``None``: no dated part).
    Default: "[Y0001]-[M01]-[D01]\""""
    date_offset: Duration = Duration.days(1)
    """How far before the run's start the dated part points (nightly runs score yesterday). Default: 1 day"""
    content_type: str | None = "text/csv"
    """MIME type of the input. Default: "text/csv\""""
    split_type: SplitType | None = SplitType.LINE
    """How files are split into records. Default: SplitType.LINE"""
    compression: CompressionType | None = None
    """Input compression. Default: - none."""
    kms_key: kms.IKey | None = None
    """The key the input objects are encrypted with, if not the bucket's default key. Default: - the bucket's
    ``encryption_key``, if any."""

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'input.*'."""
        if not is_token(self.prefix) and self.prefix.startswith("/"):
            errors.add(f"'input.prefix' must not start with '/', got {self.prefix!r}")
        errors.check_s3_key("input.prefix", self.prefix)
        if self.date_format is None or not is_token(self.date_format):
            # A rendered picture is never longer than the picture ([Y0001] -> 2026), plus the closing '/'.
            dated = len(self.date_format) + 1 if self.date_format else 0
            errors.check_s3_uri_length(
                "input.prefix", self.prefix, 1024, reserve=dated, reserved_for="the date"
            )
        if self.date_format is not None and not _PICTURE_PATTERN.fullmatch(self.date_format):
            errors.add(
                "'input.date_format' must be a JSONata date picture of [Y0001], [M01], [D01], [H01], [m01] and "
                f"literal letters, digits, '-', '_', '=', '/' or '.', got {self.date_format!r}"
            )
        errors.check_seconds("input.date_offset", self.date_offset, 0, None)
        if self.content_type is not None and not is_token(self.content_type) and len(self.content_type) > 256:
            errors.add(f"'input.content_type' must be at most 256 characters, got {len(self.content_type)}")


@dataclass(frozen=True, kw_only=True)
class TransformOutput:
    """Where each run writes its predictions: ``s3://<bucket>/<prefix><job-name>/``."""

    bucket: s3.IBucket | None = None
    """Your bucket. Default: - a KMS-encrypted, TLS-only, versioned, private bucket, retained on deletion."""
    prefix: str = "predictions/"
    """Key prefix of the run folders. Default: "predictions/\""""
    kms_key: kms.IKey | None = None
    """Encrypts the output objects. Default: - the created bucket's key, or your bucket's ``encryption_key``."""
    accept: str | None = None
    """MIME type of the output. Default: - the container's default."""
    assemble_with: AssembleWith | None = AssembleWith.LINE
    """How results are assembled. Default: AssembleWith.LINE"""
    expiration: Duration | None = None
    """Created bucket only: delete outputs this long after they are written. Default: - kept forever."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """Created bucket only: what happens to it on stack deletion. Default: RemovalPolicy.RETAIN"""

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'output.*'."""
        if not is_token(self.prefix) and self.prefix.startswith("/"):
            errors.add(f"'output.prefix' must not start with '/', got {self.prefix!r}")
        errors.check_s3_key("output.prefix", self.prefix)
        # Each run writes to <prefix><job name>: job names have at most 63 characters.
        errors.check_s3_uri_length(
            "output.prefix", self.prefix, 1024, reserve=63, reserved_for="the job name"
        )
        if self.accept is not None and not is_token(self.accept) and len(self.accept) > 256:
            errors.add(f"'output.accept' must be at most 256 characters, got {len(self.accept)}")
        if self.bucket is not None and self.expiration is not None:
            errors.add("'output.expiration' applies only to the created bucket; set lifecycle rules on yours")
        errors.check_days("output.expiration", self.expiration, 1)


@dataclass(frozen=True, kw_only=True)
class DataProcessing:
    """Select the input passed to the model and join predictions with the input records.

    ``DataProcessing(input_filter="$[1:]", join_source=JoinSource.INPUT, output_filter="$[0,-1]")`` drops an
    ID column before inference and writes the ID next to each prediction.
    """

    input_filter: str | None = None
    """JSONPath selecting the part of each record sent to the model. Default: - "$" (everything)."""
    join_source: JoinSource | None = None
    """Join the input record with the prediction. Default: - no join."""
    output_filter: str | None = None
    """JSONPath selecting the part of the joined record written out. Default: - "$" (everything)."""

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'data_processing.*'."""
        for prop, value in (("input_filter", self.input_filter), ("output_filter", self.output_filter)):
            if value is None or is_token(value):
                continue
            if not value.startswith("$") or len(value) > 63:
                errors.add(
                    f"'data_processing.{prop}' must be a JSONPath expression starting with '$' of at most 63 "
                    f"characters (e.g. '$[1:]'), got {value!r}"
                )


@dataclass(frozen=True, kw_only=True)
class BatchDataCapture:
    """Capture the requests and responses of each transform job, so Model Monitor can watch batch output.

    Captured files land under ``s3://<bucket>/<prefix>/``.
    """

    bucket: s3.IBucket | None = None
    """Your bucket. Default: - the transform's output bucket."""
    prefix: str = "data-capture"
    """Key prefix, without leading or trailing '/'. Default: "data-capture\""""
    kms_key: kms.IKey | None = None
    """Encrypts captured data. Default: - the bucket's key."""
    generate_inference_id: bool = True
    """Append ``SageMakerInferenceId`` and ``SageMakerInferenceTime`` to each record (ground-truth merges need
    them). Default: True"""

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'data_capture.*'."""
        if not is_token(self.prefix) and (not self.prefix or self.prefix.strip("/") != self.prefix):
            errors.add(
                f"'data_capture.prefix' must be a non-empty prefix without leading or trailing '/', got {self.prefix!r}"
            )
        errors.check_s3_key("data_capture.prefix", self.prefix)
        errors.check_s3_uri_length("data_capture.prefix", self.prefix, 1024)


@dataclass(frozen=True, kw_only=True)
class ModelClientOptions:
    """How the transform job calls the container."""

    invocations_timeout: Duration | None = None
    """Timeout of one request, 1-3600 s. Default: - 600 seconds (SageMaker's default)."""
    invocations_max_retries: int | None = None
    """Retries of a failed request, 0-3. Default: - 3 (SageMaker's default)."""

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'model_client.*'."""
        errors.check_seconds("model_client.invocations_timeout", self.invocations_timeout, 1, 3600)
        errors.check_range(
            "model_client.invocations_max_retries", self.invocations_max_retries, 0, 3, integer=True
        )


def payload_megabytes(size: Size | None) -> int | None:
    """A payload size in whole MB (SageMaker's ``MaxPayloadInMB``)."""
    if size is None or is_token(size):
        return None
    return int(size.to_mebibytes())
