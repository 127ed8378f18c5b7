"""Schedule expressions of EventBridge Scheduler and EventBridge rules, as runs a day.

``cost_report.py`` multiplies what a scheduled job costs per run by how often its schedule starts it: this module
reads ``rate(...)``, ``cron(...)`` and ``at(...)`` expressions into an average count of runs a day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

DAYS_PER_MONTH = 30
"""A month is 30 days, in a cron day-of-month share and in the cost report's monthly prices."""


class ScheduleExpressionError(ValueError):
    """A schedule expression that this module does not understand."""


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {
    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
    "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
}  # fmt: skip


def _cron_field(text: str, low: int, high: int, names: Mapping[str, int] | None = None) -> set[int]:
    """The values a cron field matches: ``*``, ``?``, numbers, names, lists, ranges and ``/`` steps."""
    values: set[int] = set()
    for part in text.upper().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _cron_value(first, names), _cron_value(last, names)
        else:
            start = _cron_value(part, names)
            end = high if step > 1 else start
        if not low <= start <= end <= high:
            raise ScheduleExpressionError(f"cron field {text!r}: values must be between {low} and {high}")
        values.update(range(start, end + 1, step))
    return values


def _cron_value(text: str, names: Mapping[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise ScheduleExpressionError(f"cron value {text!r} is not understood (L, W and # are not supported)")
    return int(text)


def runs_per_day(expression: str) -> float:
    """Average runs a day of an EventBridge (Scheduler or rule) schedule expression.

    ``rate(1 hour)`` -> 24, ``cron(0 * ? * * *)`` -> 24, ``cron(0 3 * * ? *)`` -> 1, ``cron(0 2 ? * SUN *)`` -> 1/7.
    A day-of-month list counts against a 30-day month, a month list against 12 months. ``at(...)`` (one run) is 0
    a day.
    """
    text = expression.strip()
    if text.startswith("at("):
        return 0.0
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        return {"minute": 24 * 60, "hour": 24, "day": 1}[unit] / value
    cron = _CRON.match(text)
    if not cron:
        raise ScheduleExpressionError(
            f"schedule expression {expression!r} is neither rate(...), cron(...) nor at(...)"
        )
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ScheduleExpressionError(f"cron expression {expression!r} needs 6 fields, got {len(fields)}")
    minutes, hours, day_of_month, month, day_of_week, _year = fields
    per_day = len(_cron_field(minutes, 0, 59)) * len(_cron_field(hours, 0, 23))
    day_share = 1.0
    if day_of_week not in ("*", "?"):
        day_share = len(_cron_field(day_of_week, 1, 7, _WEEKDAYS)) / 7
    elif day_of_month not in ("*", "?"):
        day_share = min(len(_cron_field(day_of_month, 1, 31)), DAYS_PER_MONTH) / DAYS_PER_MONTH
    month_share = 1.0 if month in ("*", "?") else len(_cron_field(month, 1, 12, _MONTHS)) / 12
    return per_day * day_share * month_share
