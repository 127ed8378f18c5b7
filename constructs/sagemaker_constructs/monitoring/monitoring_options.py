"""Value classes shared by the four Model Monitor constructs: schedules, baselines, scripts, formats."""

from __future__ import annotations

import abc
import enum
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_constructs._internal.s3_assets import upload_with_tight_grant
from sagemaker_constructs._internal.validation import (
    LINE_BREAKS,
    ValidationError,
    ValidationErrors,
    checked_arguments,
    is_token,
)
from sagemaker_constructs.batch.transform_options import JoinSource

if TYPE_CHECKING:
    from sagemaker_constructs.batch.batch_transform import BatchTransform

_OFFSET = re.compile(r"^-P(?:T[0-9]+H|[0-9]+D|[0-9]+DT[0-9]+H|T0H)$")
ACCEPTED_SCHEDULES = (
    "MonitoringSchedule.hourly(), MonitoringSchedule.daily(hour=H), "
    "MonitoringSchedule.every_n_hours(n, starting_hour=H) or MonitoringSchedule.now(start=..., end=...), i.e. "
    "cron(0 * ? * * *), cron(0 H ? * * *), cron(0 H/N ? * * *) or NOW"
)


class ProblemType(enum.Enum):
    """The kind of model a model-quality or bias monitor evaluates."""

    BINARY_CLASSIFICATION = "BinaryClassification"
    MULTICLASS_CLASSIFICATION = "MulticlassClassification"
    REGRESSION = "Regression"


_BINARY = (
    "accuracy", "precision", "recall", "f0_5", "f1", "f2", "true_positive_rate", "true_negative_rate",
    "false_positive_rate", "false_negative_rate", "auc", "au_prc",
)  # fmt: skip
_BEST_CONSTANT = ("accuracy", "precision", "recall", "f0_5", "f1", "f2")
_MULTICLASS = (
    "accuracy",
    "weighted_precision",
    "weighted_recall",
    "weighted_f0_5",
    "weighted_f1",
    "weighted_f2",
)
METRICS_BY_PROBLEM: dict[ProblemType, tuple[str, ...]] = {
    ProblemType.REGRESSION: ("mse", "rmse", "r2", "mae"),
    ProblemType.BINARY_CLASSIFICATION: (*_BINARY, *(f"{m}_best_constant_classifier" for m in _BEST_CONSTANT)),
    ProblemType.MULTICLASS_CLASSIFICATION: (
        *_MULTICLASS,
        *(f"{m}_best_constant_classifier" for m in _MULTICLASS),
    ),
}
LOWER_IS_BETTER = ("mse", "rmse", "mae", "false_positive_rate", "false_negative_rate")
"""Model-quality metrics where a higher value is worse."""


@dataclass(frozen=True)
class MonitoringSchedule:
    """When a monitor runs. Model Monitor accepts only these forms (hourly at the least):

    ``hourly()``, ``daily(hour=3)``, ``every_n_hours(6, starting_hour=0)`` and ``now(start=..., end=...)`` (one
    run, immediately, over a window). Runs may start up to 20 minutes after the hour.
    """

    expression: str
    data_analysis_start: str | None = None
    data_analysis_end: str | None = None

    @staticmethod
    def hourly() -> MonitoringSchedule:
        """Every hour, over the previous hour's data."""
        return MonitoringSchedule("cron(0 * ? * * *)")

    @staticmethod
    @checked_arguments
    def daily(*, hour: int = 0) -> MonitoringSchedule:
        """Every day at ``hour`` (UTC)."""
        return MonitoringSchedule(f"cron(0 {hour} ? * * *)")

    @staticmethod
    @checked_arguments
    def every_n_hours(hours: int, *, starting_hour: int = 0) -> MonitoringSchedule:
        """Every ``hours`` hours (1-23) from ``starting_hour`` (UTC)."""
        return MonitoringSchedule(f"cron(0 {starting_hour}/{hours} ? * * *)")

    @staticmethod
    @checked_arguments
    def now(*, start: str, end: str) -> MonitoringSchedule:
        """One run, right after deployment, over the window ``start``-``end``: ISO-8601 offsets from the run
        time such as ``-PT5H`` and ``-PT1H`` (at most 24 hours apart)."""
        return MonitoringSchedule("NOW", start, end)

    @staticmethod
    @checked_arguments
    def from_expression(expression: str) -> MonitoringSchedule:
        """An expression in one of the accepted forms (checked when the monitor is created)."""
        return MonitoringSchedule(expression)

    @property
    def is_hourly(self) -> bool:
        """Whether the monitor runs every hour."""
        return self.expression in ("cron(0 * ? * * *)", "cron(0 0/1 ? * * *)") or bool(
            re.fullmatch(r"cron\(0 [0-9]{1,2}/1 \? \* \* \*\)", self.expression)
        )

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'schedule.*'."""
        if is_token(self.expression):
            return
        expression = self.expression
        hourly = re.fullmatch(r"cron\(0 \* \? \* \* \*\)", expression)
        daily = re.fullmatch(r"cron\(0 ([0-9]{1,2}) \? \* \* \*\)", expression)
        every = re.fullmatch(r"cron\(0 ([0-9]{1,2})/([0-9]{1,2}) \? \* \* \*\)", expression)
        if expression == "NOW":
            if self.data_analysis_start is None or self.data_analysis_end is None:
                errors.add(
                    "'schedule' NOW needs a data analysis window: MonitoringSchedule.now(start=..., end=...)"
                )
        elif hourly:
            pass
        elif daily:
            errors.check_range("schedule hour", int(daily.group(1)), 0, 23, integer=True)
        elif every:
            errors.check_range("schedule starting_hour", int(every.group(1)), 0, 23, integer=True)
            errors.check_range("schedule every_n_hours", int(every.group(2)), 1, 23, integer=True)
        else:
            errors.add(f"'schedule' must be one of {ACCEPTED_SCHEDULES}, got {expression!r}")
        for prop, offset in (("start", self.data_analysis_start), ("end", self.data_analysis_end)):
            if offset is not None and not is_token(offset) and not _OFFSET.fullmatch(offset):
                errors.add(
                    f"'schedule.{prop}' must be an ISO-8601 offset such as -PT5H or -P1D, got {offset!r}"
                )
        start, end = _offset_hours(self.data_analysis_start), _offset_hours(self.data_analysis_end)
        if start is not None and end is not None:
            if start > end:
                errors.add(
                    f"'schedule.start' must not be later than 'schedule.end', got {self.data_analysis_start} and "
                    f"{self.data_analysis_end}"
                )
            elif end - start > 24:
                errors.add(
                    "'schedule' analysis window must span at most 24 hours, got "
                    f"{self.data_analysis_start} to {self.data_analysis_end}"
                )


def validate_offset(errors: ValidationErrors, prop: str, offset: str | None) -> None:
    """Check a ground-truth time offset (``-PT#H`` or ``-P#D``)."""
    if offset is not None and not is_token(offset) and not _OFFSET.fullmatch(offset):
        errors.add(f"'{prop}' must be an ISO-8601 offset such as -PT1H, -PT24H or -P1D, got {offset!r}")


def validate_attribute(
    errors: ValidationErrors, prop: str, value: str | None, max_length: int = 256, *, min_length: int = 1
) -> None:
    """Check where a monitor finds data in records (an index or a JSONPath) against its length limits."""
    if value is not None and not is_token(value) and not min_length <= len(value) <= max_length:
        errors.add(f"'{prop}' must be {min_length}-{max_length} characters, got {len(value)} characters")


def transform_output_column(
    batch_transform: BatchTransform, *, input_columns: int, output_column: int = 0
) -> str:
    """The index, as a monitor attribute, of an output column in the records a batch transform writes.

    With ``JoinSource.INPUT`` (and no output filter) each output record is the input record followed by the
    model's output, so output column ``k`` of a model fed ``input_columns`` columns is at
    ``input_columns + k`` (developer guide, "Associate prediction results with input records",
    https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html). Without a join
    it is ``k``. ``input_columns`` counts the columns of the transform's input records, before any input
    filter: the join uses the whole input record.

    ``probability_attribute=transform_output_column(transform, input_columns=7)``
    """
    if isinstance(input_columns, bool) or not isinstance(input_columns, int) or input_columns < 1:
        raise ValidationError(f"'input_columns' must be a whole number of at least 1, got {input_columns!r}")
    if isinstance(output_column, bool) or not isinstance(output_column, int) or output_column < 0:
        raise ValidationError(f"'output_column' must be a whole number of at least 0, got {output_column!r}")
    content_type = batch_transform.input.content_type
    if content_type and not is_token(content_type) and "json" in content_type:
        raise ValidationError(
            f"'batch_transform' reads {content_type!r} records: transform_output_column gives CSV column indexes; "
            "in joined JSON output the prediction is under 'SageMakerOutput', pass its path yourself"
        )
    processing = batch_transform.data_processing
    if processing is None or processing.join_source in (None, JoinSource.NONE):
        return str(output_column)
    if processing.output_filter not in (None, "$"):
        raise ValidationError(
            "'batch_transform' filters its joined output (output_filter="
            f"{processing.output_filter!r}): the column cannot be derived, pass the index of the prediction in "
            "the filtered record yourself"
        )
    return str(input_columns + output_column)


def validate_transform_output_attributes(
    errors: ValidationErrors, batch_transform: BatchTransform | None, attributes: Mapping[str, str | None]
) -> None:
    """Reject an index that certainly points into the input part of a joined transform output record.

    With ``JoinSource.INPUT`` and no output filter, column 0 of each output record is the first input column,
    never the model's output, so a probability or label read there is a feature.
    """
    if batch_transform is None:
        return
    processing = batch_transform.data_processing
    if processing is None or processing.join_source is not JoinSource.INPUT:
        return
    if processing.output_filter not in (None, "$"):
        return
    content_type = batch_transform.input.content_type
    if content_type and not is_token(content_type) and "json" in content_type:
        return  # attributes of JSON records are paths, not column indexes
    for prop, value in attributes.items():
        if value is None or is_token(value) or not value.strip().isdigit():
            continue
        if int(value) == 0:
            errors.add(
                f"'{prop}' is column {value} of the batch transform's output, which joins each input record "
                "with the prediction (JoinSource.INPUT): that column is the first input column, and the model's "
                "output comes after all the input columns. Use transform_output_column(batch_transform, "
                f"input_columns=<number of input columns>), got {value!r}"
            )


def validate_clarify_constraints(
    errors: ValidationErrors, baseline: Baseline | None, required_key: str, kind: str
) -> None:
    """Check that a local constraints file of a Clarify monitor is a Clarify ``analysis.json``.

    Clarify compares each run with the baseline job's ``analysis.json`` (``post_training_bias_metrics`` for bias,
    ``explanations`` for feature attribution); a Model Monitor ``constraints.json`` holds neither, so no
    violation would ever be found.
    """
    if baseline is None or baseline.constraints is None or baseline.constraints.local_path is None:
        return
    path = baseline.constraints.local_path
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as error:
        errors.add(f"'baseline.constraints' must be a JSON file, got {path!r} ({error})")
        return
    if not isinstance(document, dict) or required_key not in document:
        keys = sorted(document) if isinstance(document, dict) else type(document).__name__
        errors.add(
            f"'baseline.constraints' must be the analysis.json of a Clarify {kind} baselining job (with "
            f"{required_key!r}), got {path!r} with keys {keys}"
        )


def _offset_hours(offset: str | None) -> int | None:
    if offset is None or is_token(offset) or not _OFFSET.fullmatch(offset):
        return None
    days = re.search(r"([0-9]+)D", offset)
    hours = re.search(r"T([0-9]+)H", offset)
    return -((int(days.group(1)) if days else 0) * 24 + (int(hours.group(1)) if hours else 0))


class S3Source(abc.ABC):
    """A file a monitoring job reads: a local file (uploaded as an asset) or an object in S3."""

    @staticmethod
    @checked_arguments
    def from_asset(path: str) -> S3Source:
        """A local file, uploaded to the CDK asset bucket at deploy time."""
        if not os.path.isfile(path):
            raise ValidationError(
                f"'path' must be an existing file, got {path!r} (resolved to {os.path.abspath(path)})"
            )
        return _AssetSource(path)

    @staticmethod
    @checked_arguments
    def from_bucket(bucket: s3.IBucket, key: str) -> S3Source:
        """An object in one of your buckets."""
        bad = not key or key.startswith("/") or key.endswith("/") or any(c in key for c in LINE_BREAKS)
        if not Token.is_unresolved(key) and bad:
            raise ValidationError(
                f"'key' must name an object (no leading or trailing '/', no line breaks), got {key!r}"
            )
        return _BucketSource(bucket, key)

    @abc.abstractmethod
    def bind(self, scope: Construct, construct_id: str, grantee: iam.IGrantable) -> str:
        """Return the ``s3://`` URI and grant ``grantee`` read access to that one object.

        Monitoring jobs read these files as ``S3Prefix`` processing inputs, which SageMaker lists first: the
        grant is ``s3:GetObject`` on the object and ``s3:ListBucket`` on its bucket for exactly its key as
        ``s3:prefix`` (SageMaker developer guide, CreateProcessingJob execution role permissions,
        https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html).
        """

    @property
    def local_path(self) -> str | None:
        """The local file of an asset source (its content can be checked at synth); None for S3 objects."""
        return None


def _grant_read_object(grantee: iam.IGrantable, bucket_arn: str, object_arn: str, key: str) -> None:
    iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"], resource_arns=[object_arn])
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["s3:ListBucket"],
        resource_arns=[bucket_arn],
        conditions={"StringEquals": {"s3:prefix": [key]}},
    )


class _AssetSource(S3Source):
    def __init__(self, path: str) -> None:
        self._path = path

    @property
    def local_path(self) -> str | None:
        return self._path

    def bind(self, scope: Construct, construct_id: str, grantee: iam.IGrantable) -> str:
        return upload_with_tight_grant(scope, construct_id, self._path, grantee, listable=True)


class _BucketSource(S3Source):
    def __init__(self, bucket: s3.IBucket, key: str) -> None:
        self._bucket = bucket
        self._key = key

    def bind(self, scope: Construct, construct_id: str, grantee: iam.IGrantable) -> str:
        _grant_read_object(
            grantee, self._bucket.bucket_arn, self._bucket.arn_for_objects(self._key), self._key
        )
        if self._bucket.encryption_key is not None:
            self._bucket.encryption_key.grant_decrypt(grantee)
        return self._bucket.s3_url_for_object(self._key)


@dataclass(frozen=True, kw_only=True)
class Baseline:
    """What a monitor compares against: ``constraints.json`` and, for data quality, ``statistics.json``. The bias
    and explainability monitors take the ``analysis.json`` of a Clarify baselining job as constraints.

    ``Baseline(constraints=S3Source.from_asset("baselines/constraints.json"), statistics=...)``. Produce them
    with the SageMaker SDK's ``suggest_baseline`` or a SageMaker Pipelines QualityCheck/ClarifyCheck step.
    """

    constraints: S3Source | None = None
    """The constraints the monitor checks. Default: - none; the job only computes statistics."""
    statistics: S3Source | None = None
    """Data quality only: the baseline statistics drift is measured against. Default: - none."""


@dataclass(frozen=True)
class DatasetFormat:
    """The format of batch transform data a monitor reads: ``csv()``, ``json(lines=True)`` or ``parquet()``."""

    kind: str
    header: bool = False
    lines: bool = True

    @staticmethod
    @checked_arguments
    def csv(*, header: bool = False) -> DatasetFormat:
        """CSV, with or without a header row."""
        return DatasetFormat("csv", header=header)

    @staticmethod
    @checked_arguments
    def json(*, lines: bool = True) -> DatasetFormat:
        """JSON, one object per line by default."""
        return DatasetFormat("json", lines=lines)

    @staticmethod
    def parquet() -> DatasetFormat:
        """Parquet."""
        return DatasetFormat("parquet")

    def render(self) -> dict[str, object]:
        """The CloudFormation ``DatasetFormat`` (camelCase for the CDK L1 mapper)."""
        if self.kind == "csv":
            return {"csv": {"header": self.header}}
        if self.kind == "json":
            return {"json": {"line": self.lines}}
        return {"parquet": True}

    @staticmethod
    @checked_arguments
    def for_content_type(content_type: str | None) -> DatasetFormat:
        """The format matching a transform's input content type (CSV unless it is JSON)."""
        if content_type and "json" in content_type:
            return DatasetFormat.json(lines=True)
        return DatasetFormat.csv(header=False)


def whole_seconds(duration: Duration) -> int:
    """A duration as whole seconds."""
    return int(duration.to_seconds())


@dataclass(frozen=True)
class GroundTruth:
    """Where ground truth labels are uploaded: ``s3://<bucket>/<prefix>/yyyy/mm/dd/hh/<file>.jsonl``, one
    ``{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": ...}, "eventVersion": "0"}``
    per line, under the hour the labels were collected."""

    bucket: s3.IBucket
    prefix: str = "ground-truth"

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'ground_truth.*'."""
        if not is_token(self.prefix) and (not self.prefix or self.prefix.strip("/") != self.prefix):
            errors.add(
                f"'ground_truth.prefix' must be a non-empty prefix without leading or trailing '/', got {self.prefix!r}"
            )
        errors.check_s3_key("ground_truth.prefix", self.prefix)
        errors.check_s3_uri_length("ground_truth.prefix", self.prefix, 512)

    @property
    def s3_uri(self) -> str:
        """``s3://bucket/prefix``."""
        return self.bucket.s3_url_for_object(self.prefix)

    def bind(self, grantee: iam.IGrantable) -> str:
        """Grant ``grantee`` read access to the labels and return their ``s3://`` URI."""
        from sagemaker_constructs._internal import nag as _nag

        objects = self.bucket.arn_for_objects(f"{self.prefix}/*")
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"], resource_arns=[objects])
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["s3:ListBucket"],
            resource_arns=[self.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{self.prefix}/*"]}},
        )
        if self.bucket.encryption_key is not None:
            self.bucket.encryption_key.grant_decrypt(grantee)
        principal = grantee.grant_principal
        if isinstance(principal, Construct):
            _nag.acknowledge_resource(
                principal,
                objects,
                "Ground truth files are uploaded hourly under the prefix, named by the uploader.",
            )
        return self.s3_uri


@dataclass(frozen=True, kw_only=True)
class ModelQualityConstraints:
    """Typed model-quality constraints, rendered to the documented ``constraints.json``:

    ``ModelQualityConstraints(problem_type=ProblemType.BINARY_CLASSIFICATION, thresholds={"auc": 0.75})``
    raises a violation when AUC falls below 0.75 (error metrics such as ``rmse`` violate above their threshold).
    Use it as ``Baseline(constraints=constraints.to_source())``.
    """

    problem_type: ProblemType
    """The problem type; decides the metric names and the top-level key."""
    thresholds: Mapping[str, float]
    """Metric name to threshold (at least one)."""

    def validate(self, errors: ValidationErrors, prop: str = "constraints") -> None:
        """Record every problem under ``prop``."""
        allowed = METRICS_BY_PROBLEM[self.problem_type]
        if not self.thresholds:
            errors.add(f"'{prop}.thresholds' must hold at least one metric, got none")
        unknown = sorted(set(self.thresholds) - set(allowed))
        if unknown:
            errors.add(
                f"'{prop}.thresholds' for {self.problem_type.value} must use {list(allowed)}, got {unknown}"
            )

    def to_json(self) -> dict[str, Any]:
        """The documented ``constraints.json`` content (metrics sorted by name)."""
        key = {
            ProblemType.BINARY_CLASSIFICATION: "binary_classification_constraints",
            ProblemType.MULTICLASS_CLASSIFICATION: "multiclass_classification_constraints",
            ProblemType.REGRESSION: "regression_constraints",
        }[self.problem_type]
        return {
            "version": 0.0,
            key: {
                name: {
                    "threshold": float(threshold),
                    "comparison_operator": "GreaterThanThreshold"
                    if name in LOWER_IS_BETTER
                    else "LessThanThreshold",
                }
                for name, threshold in sorted(self.thresholds.items())
            },
        }

    def to_source(self) -> S3Source:
        """The rendered file as an asset (checked first: a bad metric name raises ``ValueError``)."""
        from .clarify_config import write_config_file

        errors = ValidationErrors("ModelQualityConstraints")
        self.validate(errors)
        errors.raise_if_any()
        return S3Source.from_asset(write_config_file(self.to_json(), file_name="constraints.json"))
