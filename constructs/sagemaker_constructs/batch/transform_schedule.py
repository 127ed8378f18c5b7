"""When a ``BatchTransform`` runs: EventBridge Scheduler cron or rate expressions, with a time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Duration, TimeZone
from aws_cdk import aws_scheduler as scheduler

from sagemaker_constructs._internal.validation import ValidationErrors, checked_arguments, is_token

# EventBridge Scheduler cron: minutes hours day-of-month month day-of-week year.
_CRON_FIELDS = (
    ("minutes", re.compile(r"^[0-9,\-*/]+$")),
    ("hours", re.compile(r"^[0-9,\-*/]+$")),
    ("day-of-month", re.compile(r"^[0-9,\-*/?LW]+$")),
    ("month", re.compile(r"^[0-9A-Za-z,\-*/]+$")),
    ("day-of-week", re.compile(r"^[0-9A-Za-z,\-*?L#]+$")),
    ("year", re.compile(r"^[0-9,\-*/]+$")),
)
_RATE = re.compile(r"^rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)$")
ACCEPTED_FORMS = (
    "cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) with '?' in exactly one of "
    "day-of-month and day-of-week, or rate(<n> minute[s]|hour[s]|day[s])"
)


@dataclass(frozen=True)
class TransformSchedule:
    """A recurring schedule (EventBridge Scheduler). Use the named constructors:

    ``TransformSchedule.daily(hour=2)``, ``TransformSchedule.cron("cron(0 6 ? * MON-FRI *)")``,
    ``TransformSchedule.rate(Duration.hours(6))``.
    """

    expression: str
    time_zone: TimeZone
    flexible_window: Duration | None

    @staticmethod
    @checked_arguments
    def daily(
        *,
        hour: int,
        minute: int = 0,
        time_zone: TimeZone = TimeZone.ETC_UTC,
        flexible_window: Duration | None = None,
    ) -> TransformSchedule:
        """Every day at ``hour``:``minute`` in ``time_zone``.

        :param flexible_window: let Scheduler start up to this much later, to spread load. Default: - exact.
        """
        errors = ValidationErrors("TransformSchedule.daily")
        errors.check_range("hour", hour, 0, 23, integer=True)
        errors.check_range("minute", minute, 0, 59, integer=True)
        errors.raise_if_any()
        return TransformSchedule(f"cron({minute} {hour} * * ? *)", time_zone, flexible_window)

    @staticmethod
    @checked_arguments
    def cron(
        expression: str, *, time_zone: TimeZone = TimeZone.ETC_UTC, flexible_window: Duration | None = None
    ) -> TransformSchedule:
        """A Scheduler cron expression, e.g. ``cron(0 6 ? * MON-FRI *)`` (6 fields, '?' in day-of-month or
        day-of-week)."""
        return TransformSchedule(expression, time_zone, flexible_window)

    @staticmethod
    @checked_arguments
    def rate(interval: Duration, *, flexible_window: Duration | None = None) -> TransformSchedule:
        """Every ``interval`` (whole minutes, at least 1 minute)."""
        errors = ValidationErrors("TransformSchedule.rate")
        if is_token(interval):
            errors.add("'interval' must be known at synth time, got a token")
            errors.raise_if_any()
        minutes = interval.to_minutes(integral=False)
        if minutes < 1 or not float(minutes).is_integer():
            errors.add(
                f"'interval' must be a whole number of minutes, at least 1, got {interval.to_human_string()}"
            )
        errors.raise_if_any()
        whole = int(minutes)
        if whole % 1440 == 0:
            amount, unit = whole // 1440, "day"
        elif whole % 60 == 0:
            amount, unit = whole // 60, "hour"
        else:
            amount, unit = whole, "minute"
        return TransformSchedule(
            f"rate({amount} {unit}{'' if amount == 1 else 's'})", TimeZone.ETC_UTC, flexible_window
        )

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'schedule.*'."""
        for problem in expression_problems(self.expression):
            errors.add(f"'schedule' {problem}")
        if self.flexible_window is not None and not is_token(self.flexible_window):
            # Scheduler takes the window in whole minutes (MaximumWindowInMinutes, 1-1440).
            minutes = self.flexible_window.to_minutes(integral=False)
            if not float(minutes).is_integer():
                errors.add(
                    "'schedule.flexible_window' must be a whole number of minutes, got "
                    f"{self.flexible_window.to_human_string()}"
                )
            else:
                errors.check_range("schedule.flexible_window", minutes, 1, 1440, unit="minutes")

    def to_expression(self) -> scheduler.ScheduleExpression:
        """The Scheduler expression."""
        return scheduler.ScheduleExpression.expression(self.expression, self.time_zone)

    def to_time_window(self) -> scheduler.TimeWindow:
        """The Scheduler flexible time window."""
        if self.flexible_window is None:
            return scheduler.TimeWindow.off()
        return scheduler.TimeWindow.flexible(self.flexible_window)


def expression_problems(expression: str) -> list[str]:
    """What is wrong with a Scheduler cron or rate expression (empty when it is valid)."""
    if is_token(expression):
        return []
    rate = _RATE.fullmatch(expression)
    if rate:
        amount, unit = int(rate.group(1)), rate.group(2)
        if amount < 1:
            return [f"rate must be at least 1, got {expression!r}"]
        if (amount == 1) != (not unit.endswith("s")):
            return [f"rate unit must be singular for 1 and plural otherwise, got {expression!r}"]
        return []
    if not (expression.startswith("cron(") and expression.endswith(")")):
        return [f"must be {ACCEPTED_FORMS}, got {expression!r}"]
    fields = expression[5:-1].split()
    if len(fields) != 6:
        return [f"must be {ACCEPTED_FORMS}; got {len(fields)} cron fields in {expression!r}"]
    problems = []
    for (name, pattern), value in zip(_CRON_FIELDS, fields, strict=True):
        if not pattern.fullmatch(value):
            problems.append(f"cron field {name} is not valid: got {value!r} in {expression!r}")
            continue
        problem = _cron_field_problem(name, value)
        if problem:
            problems.append(f"cron field {name} {problem}: got {value!r} in {expression!r}")
    if (fields[2] == "?") == (fields[4] == "?"):
        problems.append(
            f"cron needs '?' in exactly one of day-of-month and day-of-week, got {fields[2]!r} and {fields[4]!r}"
        )
    return problems


# Values of each cron field (EventBridge cron expressions reference: minutes 0-59, hours 0-23, day-of-month
# 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT, year 1970-2199).
_CRON_RANGES = {
    "minutes": (0, 59),
    "hours": (0, 23),
    "day-of-month": (1, 31),
    "month": (1, 12),
    "day-of-week": (1, 7),
    "year": (1970, 2199),
}
_CRON_NAMES = {
    "month": {
        m: i + 1
        for i, m in enumerate(
            ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        )
    },
    "day-of-week": {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])},
}
_ITEM = re.compile(r"^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/([0-9]+))?$")


def _cron_field_problem(name: str, value: str) -> str | None:
    """What is out of range in one cron field whose characters are allowed (None when it is valid)."""
    low, high = _CRON_RANGES[name]
    names = _CRON_NAMES.get(name, {})

    def number(token: str) -> int | None:
        if token.upper() in names:
            return names[token.upper()]
        if token.isascii() and token.isdigit():
            return int(token)
        return None

    def in_range(token: str) -> bool:
        n = number(token)
        return n is not None and low <= n <= high

    allowed = f"values {low}-{high}" + {"month": " or JAN-DEC", "day-of-week": " or SUN-SAT"}.get(name, "")
    items = value.split(",")
    if name == "day-of-week" and "#" in value and len(items) > 1:
        return "may hold only one expression with '#'"
    for item in items:
        if item in ("*", "?"):
            continue
        if name == "day-of-month" and (item in ("L", "LW") or (item.endswith("W") and in_range(item[:-1]))):
            continue
        if name == "day-of-week":
            if item == "L" or (item.endswith("L") and in_range(item[:-1])):
                continue
            if "#" in item:
                day, _, nth = item.partition("#")
                if in_range(day) and nth.isascii() and nth.isdigit() and 1 <= int(nth) <= 5:
                    continue
                return f"'#' needs a day {low}-{high} and an occurrence 1-5"
        match = _ITEM.fullmatch(item)
        if match is None:
            return f"must be lists of values, ranges and increments ({allowed})"
        base, step = match.group(1), match.group(2)
        if base != "*" and not all(in_range(part) for part in base.split("-")):
            return f"must use {allowed}"
        if step is not None and int(step) < 1:
            return "increments must be at least 1"
    return None
