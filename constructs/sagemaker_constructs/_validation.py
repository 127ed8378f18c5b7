"""Synth-time validation helpers shared by every construct.

Constructs collect every problem with their props first and raise one ``ValueError`` at the end, so a user
fixes all of them in one go. Values that are unresolved CDK tokens are skipped: they are only known at deploy
time, and CloudFormation validates them then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from aws_cdk import Duration, Size, Token

# SageMaker name patterns (SageMaker API reference; aws-facts §1.1).
ENDPOINT_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MODEL_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")
INSTANCE_TYPE_PATTERN = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
ENV_KEY_PATTERN = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def is_token(value: Any) -> bool:
    """Return True when ``value`` (or, for a sequence, any item) is an unresolved CDK token."""
    if value is None:
        return False
    if isinstance(value, Duration | Size):
        # Durations and sizes built from tokens cannot be converted at synth time.
        return Token.is_unresolved(value.to_string())
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
        is_whole = isinstance(value, int) and not isinstance(value, bool)
        if integer and not is_whole and not (isinstance(value, float) and value.is_integer()):
            self.add(f"'{prop}' must be a whole number, got {value!r}")
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

    def check_name(self, prop: str, value: str | None, pattern: re.Pattern[str], max_length: int) -> None:
        """Check a SageMaker resource name against its API pattern and length."""
        if value is None or is_token(value):
            return
        if len(value) > max_length or not pattern.match(value):
            self.add(
                f"'{prop}' must be 1-{max_length} characters of letters, digits and hyphens, starting and "
                f"ending with a letter or digit (pattern {pattern.pattern}), got {value!r}"
            )

    def raise_if_any(self) -> None:
        """Raise one ValueError listing every problem, if there are any."""
        if self._problems:
            lines = "\n".join(f"  - {p}" for p in self._problems)
            raise ValueError(f"Invalid props for {self._description}:\n{lines}")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
