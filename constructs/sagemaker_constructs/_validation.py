"""Synth-time validation helpers shared by every construct.

Constructs collect every problem with their props first and raise one ``ValueError`` at the end, so a user
fixes all of them in one go. Values that are unresolved CDK tokens are skipped: they are only known at deploy
time, and CloudFormation validates them then.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from aws_cdk import Duration, Size, SizeRoundingBehavior, Token

# SageMaker name patterns (SageMaker API reference; aws-facts §1.1).
ENDPOINT_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MODEL_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")
INSTANCE_TYPE_PATTERN = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
ENV_KEY_PATTERN = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
LINE_BREAKS = ("\n", "\r", "\u0085", "\u2028", "\u2029")
"""Characters that ``.`` in the AWS APIs' (Java) patterns does not match."""
MAX_BUCKET_NAME = 63
"""S3 bucket names have at most 63 characters."""
INT32_MAX = 2**31 - 1
"""The largest integer CloudFormation and the SageMaker APIs take (JSON numbers beyond 2**53 also lose digits)."""


@functools.cache
def sagemaker_enum(shape: str) -> frozenset[str] | None:
    """The values botocore's SageMaker model allows for ``shape``, e.g. an instance type (None without botocore)."""
    try:
        import botocore.session
    except ImportError:  # pragma: no cover - botocore ships with boto3, a dependency of the reference app
        return None
    model = botocore.session.get_session().get_service_model("sagemaker")
    values: list[str] = getattr(model.shape_for(shape), "enum", [])
    return frozenset(values)


def is_token(value: Any) -> bool:
    """Return True when ``value`` (or, for a sequence, any item) is an unresolved CDK token."""
    if value is None:
        return False
    if isinstance(value, Duration | Size):
        # Durations and sizes built from tokens cannot be converted at synth time.
        return Token.is_unresolved(value.to_string())
    if isinstance(value, float) and not math.isfinite(value):
        # Never a token; and jsii cannot even send NaN or an infinity to ask (its kernel dies on them).
        return False
    if isinstance(value, str | int | float):
        return Token.is_unresolved(value)
    return False


class ValidationErrors:
    """Collects prop problems of one construct and raises them together."""

    def __init__(self, construct_description: str) -> None:
        self._description = construct_description
        self._problems: list[str] = []

    @property
    def problems(self) -> Sequence[str]:
        """The problems found so far."""
        return tuple(self._problems)

    def add(self, message: str) -> None:
        """Record one problem. The message names the prop, what is allowed and what was received."""
        self._problems.append(message)

    def extend(self, messages: Iterable[str]) -> None:
        """Record several problems."""
        self._problems.extend(messages)

    def check_range(
        self,
        prop: str,
        value: float | None,
        minimum: float | None = None,
        maximum: float | None = None,
        *,
        unit: str = "",
        integer: bool = False,
    ) -> None:
        """Check that a number lies in ``[minimum, maximum]`` (either bound optional)."""
        if value is None or is_token(value):
            return
        suffix = f" {unit}" if unit else ""
        if isinstance(value, float) and not math.isfinite(value):
            self.add(f"'{prop}' must be a finite number, got {value!r}")
            return
        is_whole = isinstance(value, int) and not isinstance(value, bool)
        if integer and not is_whole and not (isinstance(value, float) and value.is_integer()):
            self.add(f"'{prop}' must be a whole number, got {value!r}")
            return
        if integer and (maximum is None or maximum > INT32_MAX) and value > INT32_MAX:
            self.add(f"'{prop}' must be at most {INT32_MAX}{suffix} (a 32-bit integer), got {value!r}")
            return
        if minimum is not None and maximum is not None:
            if not minimum <= value <= maximum:
                self.add(
                    f"'{prop}' must be between {_fmt(minimum)} and {_fmt(maximum)}{suffix}, got {value!r}"
                )
        elif minimum is not None and value < minimum:
            self.add(f"'{prop}' must be at least {_fmt(minimum)}{suffix}, got {value!r}")
        elif maximum is not None and value > maximum:
            self.add(f"'{prop}' must be at most {_fmt(maximum)}{suffix}, got {value!r}")

    def check_seconds(
        self, prop: str, value: Duration | None, minimum: int | None = None, maximum: int | None = None
    ) -> None:
        """Check a Duration converted to whole seconds against bounds."""
        if value is None or is_token(value):
            return
        try:
            seconds = value.to_seconds()
        except Exception:  # jsii raises when the duration is not a whole number of seconds
            self.add(f"'{prop}' must be a whole number of seconds, got {value.to_human_string()}")
            return
        self.check_range(prop, seconds, minimum, maximum, unit="seconds")

    def check_days(
        self, prop: str, value: Duration | None, minimum: int | None = None, maximum: int | None = None
    ) -> None:
        """Check a Duration converted to whole days against bounds (S3 lifecycle rules count in days)."""
        if value is None or is_token(value):
            return
        days = value.to_days(integral=False)
        if not float(days).is_integer():
            self.add(f"'{prop}' must be a whole number of days, got {value.to_human_string()}")
            return
        self.check_range(prop, int(days), minimum, maximum, unit="days")

    def check_size(
        self, prop: str, value: Size | None, unit: str, minimum: int | None = None, maximum: int | None = None
    ) -> None:
        """Check a Size converted to a whole number of ``unit`` (``"MiB"`` or ``"GiB"``) against bounds."""
        if value is None or is_token(value):
            return
        amount = whole_size(value, unit)
        if amount is None:
            exact = size_in(value, unit)
            self.add(
                f"'{prop}' must be a whole number of {unit}, got {exact:g} {unit} ({value.to_human_string()})"
            )
            return
        self.check_range(prop, amount, minimum, maximum, unit=unit)

    def check_s3_key(self, prop: str, value: str | None) -> None:
        """Check an S3 key or prefix for line breaks: SageMaker's S3 URI patterns (``s3://bucket/(.*)``) exclude
        them, so a job or endpoint given such a location fails at run time."""
        if value is None or is_token(value):
            return
        if any(c in value for c in LINE_BREAKS):
            self.add(
                f"'{prop}' must not contain line breaks (SageMaker's S3 URIs exclude them), got {value!r}"
            )

    def check_s3_uri_length(
        self, prop: str, prefix: str | None, max_uri: int, *, reserve: int = 0, reserved_for: str = ""
    ) -> None:
        """Check that ``s3://<bucket>/<prefix>`` fits in ``max_uri`` characters with any bucket name (at most
        63 characters), as the SageMaker API requires (``DestinationS3Uri``, ``MonitoringS3Uri``: 512;
        transform locations: 1024), leaving ``reserve`` characters for what is appended at run time."""
        if prefix is None or is_token(prefix):
            return
        longest = max_uri - len("s3://") - MAX_BUCKET_NAME - len("/") - reserve
        if len(prefix) > longest:
            extra = f" and {reserved_for} adds up to {reserve}" if reserve else ""
            self.add(
                f"'{prop}' must be at most {longest} characters (SageMaker takes S3 URIs of at most {max_uri} "
                f"characters, and a bucket name may have {MAX_BUCKET_NAME}{extra}), got {len(prefix)} characters"
            )

    def check_name(self, prop: str, value: str | None, pattern: re.Pattern[str], max_length: int) -> None:
        """Check a SageMaker resource name against its API pattern and length."""
        if value is None or is_token(value):
            return
        if len(value) > max_length or not pattern.fullmatch(value):
            self.add(
                f"'{prop}' must be 1-{max_length} characters of letters, digits and hyphens, starting and "
                f"ending with a letter or digit (pattern {pattern.pattern}), got {value!r}"
            )

    def raise_if_any(self) -> None:
        """Raise one ValueError listing every problem, if there are any."""
        if self._problems:
            lines = "\n".join(f"  - {p}" for p in self._problems)
            raise ValueError(f"Invalid props for {self._description}:\n{lines}")


def size_in(value: Size, unit: str) -> float:
    """A Size in ``unit`` (``"MiB"`` or ``"GiB"``), unrounded (jsii raises for fractions with the default)."""
    convert = value.to_gibibytes if unit == "GiB" else value.to_mebibytes
    return float(convert(rounding=SizeRoundingBehavior.NONE))


def whole_size(value: Size, unit: str) -> int | None:
    """A Size as a whole number of ``unit``, or None when it is not one."""
    exact = size_in(value, unit)
    return int(exact) if exact.is_integer() else None


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
