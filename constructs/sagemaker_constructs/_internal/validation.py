"""Synth-time validation helpers shared by every construct.

Constructs collect every problem with their props first and raise one ``ValidationError`` (a ``ValueError``) at
the end, so a user fixes all of them in one go. Types are checked first, against the props' annotations
(``check_arguments``, ``check_fields``): a construct given a prop of the wrong type reports every such prop and
stops there, since its value rules cannot be judged on the wrong type. Values that are unresolved CDK tokens are
skipped: they are only known at deploy time, and CloudFormation validates them then.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from aws_cdk import Duration, Size, SizeRoundingBehavior

from .sagemaker_enums import sagemaker_enum as sagemaker_enum
from .type_checks import (
    argument_hints,
    conforms,
    field_hints,
    is_own_value_class,
    noun,
    sequence_item,
)
from .type_checks import is_token as is_token

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
_MAX_SHOWN = 80
"""Longest repr of a received value quoted in a message."""


class ValidationError(ValueError):
    """Props given to a construct or value class are invalid.

    The message names each prop, what is allowed and what was received; ``problems`` holds them one by one.
    A subclass of ``ValueError``, so ``except ValueError`` catches it.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


def received(value: Any) -> str:
    """How a received value is quoted in a message: ``str '80'``, ``int 60``, ``Duration``."""
    name = type(value).__name__
    if value is None or isinstance(value, str | int | float | bool | list | tuple | dict):
        shown = repr(value)
        if len(shown) > _MAX_SHOWN:
            shown = shown[: _MAX_SHOWN - 3] + "..."
        return f"{name} {shown}"
    return name


class ValidationErrors:
    """Collects prop problems of one construct and raises them together."""

    def __init__(self, construct_description: str) -> None:
        self._description = construct_description
        self._problems: list[str] = []
        self._mistyped: set[str] = set()

    @property
    def mistyped(self) -> frozenset[str]:
        """The props found to have the wrong type so far."""
        return frozenset(self._mistyped)

    def check_type(self, prop: str, value: Any, hint: Any) -> bool:
        """Check that ``value`` has the type ``hint`` (an annotation); record a problem naming ``prop`` if not.

        Values of the library's own option classes (frozen dataclasses) are checked field by field, under
        ``prop.field``. Returns whether the value (with its fields) has the right type.
        """
        if prop in self._mistyped:
            return False
        if not conforms(value, hint):
            self._mistyped.add(prop)
            item = sequence_item(hint)
            if item is not None and not isinstance(value, str) and conforms(value, item):
                self.add(f"'{prop}' must be {noun(hint)}, got a single {received(value)}; wrap it in [...]")
            else:
                self.add(f"'{prop}' must be {noun(hint)}, got {received(value)}")
            return False
        return self._check_nested(prop, value)

    def _check_nested(self, prop: str, value: Any) -> bool:
        if is_own_value_class(value):
            return self.check_fields(value, prop)
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            results = [self._check_nested(f"{prop}[{i}]", v) for i, v in enumerate(value)]
            return all(results)
        return True

    def check_fields(self, value: Any, prop: str) -> bool:
        """Check every field of one of the library's option classes against its annotation."""
        cls: type = type(value)
        results = [
            self.check_type(f"{prop}.{name}", getattr(value, name), hint) for name, hint in field_hints(cls)
        ]
        return all(results)

    def check_arguments(
        self, function: Callable[..., Any], arguments: Mapping[str, Any], *, prefix: str = ""
    ) -> bool:
        """Check the arguments a public function or constructor received against its annotations.

        ``arguments`` maps parameter names to values (``locals()`` at the top of the function); ``self``,
        ``scope`` and ``construct_id`` are skipped. Returns whether every argument has the right type.
        """
        results = [
            self.check_type(f"{prefix}{name}", arguments[name], hint)
            for name, hint in argument_hints(function).items()
            if name not in ("self", "scope", "construct_id") and name in arguments
        ]
        return all(results)

    def raise_if_mistyped(self) -> None:
        """Raise now if any prop has the wrong type: the value rules that follow assume the right types."""
        if self._mistyped:
            self.raise_if_any()

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
        if value is None or is_token(value) or not self.check_type(prop, value, float):
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
        if value is None or is_token(value) or not self.check_type(prop, value, Duration):
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
        if value is None or is_token(value) or not self.check_type(prop, value, Duration):
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
        if value is None or is_token(value) or not self.check_type(prop, value, Size):
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
        """Check an S3 key or prefix inside a bucket the construct is given separately.

        An ``s3://`` URI is refused: the construct prepends ``s3://<bucket>/`` itself, so it would render
        ``s3://bucket/s3://bucket/...``. Line breaks are refused too: SageMaker's S3 URI patterns
        (``s3://bucket/(.*)``) exclude them, so a job or endpoint given such a location fails at run time."""
        if value is None or is_token(value) or not self.check_type(prop, value, str):
            return
        if value[:5].lower() == "s3://" or value[:6].lower() == "s3a://":
            bucket, _, key = value.partition("://")[2].partition("/")
            self.add(
                f"'{prop}' must be a key prefix inside the bucket, not an S3 URI (the bucket is a separate prop), "
                f"got {value!r}; pass {key.strip('/')!r} and the bucket {bucket!r} as an s3.IBucket"
            )
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
        if prefix is None or is_token(prefix) or not self.check_type(prop, prefix, str):
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
        if value is None or is_token(value) or not self.check_type(prop, value, str):
            return
        if len(value) > max_length or not pattern.fullmatch(value):
            self.add(
                f"'{prop}' must be 1-{max_length} characters of letters, digits and hyphens, starting and "
                f"ending with a letter or digit (pattern {pattern.pattern}), got {value!r}"
            )

    def check_instance_type(self, prop: str, value: str | None, shape: str, what: str, examples: str) -> None:
        """Check an instance type name: the ``ml.<family>.<size>`` form, then the API's enum ``shape``
        (``ProductionVariantInstanceType``, ``TransformInstanceType``, ``ProcessingInstanceType``)."""
        if value is None or is_token(value) or not self.check_type(prop, value, str):
            return
        if not INSTANCE_TYPE_PATTERN.fullmatch(value):
            example = examples.split(", ")[0]
            self.add(f"'{prop}' must look like 'ml.<family>.<size>' (e.g. {example}), got {value!r}")
            return
        allowed = sagemaker_enum(shape)
        if value not in allowed:
            near = sorted(t for t in allowed if t.split(".")[1] == value.split(".")[1])[:6]
            hint = f"; the {value.split('.')[1]} family has {', '.join(near)}" if near else ""
            self.add(
                f"'{prop}' must be {what} instance type (SageMaker's API lists {len(allowed)} as {shape}, e.g. "
                f"{examples}{hint}), got {value!r}"
            )

    def raise_if_any(self) -> None:
        """Raise one ValidationError listing every problem, if there are any."""
        if self._problems:
            lines = "\n".join(f"  - {p}" for p in self._problems)
            raise ValidationError(f"Invalid props for {self._description}:\n{lines}", self._problems)


def construct_path(scope: Any, construct_id: str, class_name: str) -> str:
    """How a construct being built is named in messages: ``Endpoint 'Stack/Id'`` (usable before ``super().__init__``)."""
    parent = scope.node.path if hasattr(scope, "node") else ""
    return f"{class_name} '{parent}/{construct_id}'" if parent else f"{class_name} '{construct_id}'"


def check_argument_types(
    description: str, function: Callable[..., Any], arguments: Mapping[str, Any]
) -> None:
    """Raise one ValidationError naming every argument of ``function`` whose type does not match its annotation
    (with the fields of the library's option classes), before any value rule runs.

    Call it first thing, with ``locals()``: ``check_argument_types(f"Endpoint '{path}'", Endpoint.__init__,
    locals())``.
    """
    errors = ValidationErrors(description)
    errors.check_arguments(function, arguments)
    errors.raise_if_any()


P = typing.ParamSpec("P")
R = typing.TypeVar("R")


def checked_arguments(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a public method so that its arguments are type-checked (``check_argument_types``) on each call,
    before it runs: ``'target' must be a number, got str '70'`` instead of a JavaScript error from jsii."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = signature.bind(*args, **kwargs)
        check_argument_types(f"{function.__qualname__}(...)", function, bound.arguments)
        return function(*args, **kwargs)

    return wrapper


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
