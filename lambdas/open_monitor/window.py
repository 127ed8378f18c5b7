"""The analysis window of one execution: ISO-8601 offsets from the scheduled time, and the hour folders in it.

SageMaker Model Monitor expresses windows as negative ISO-8601 durations from the scheduled time: ``-PT#H`` and
``-P#D`` (SageMaker API Reference, ``ScheduleConfig.DataAnalysisStartTime`` and ``EndpointInput.StartTimeOffset``;
developer guide, "Schedule model quality monitoring jobs"); the library also accepts ``-P#DT#H``. Only these forms
are read here: anything else (minutes, months, a positive offset) is refused rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_OFFSET = re.compile(r"^-P(?:(?P<days>[0-9]{1,4})D)?(?:T(?P<hours>[0-9]{1,5})H)?$")
MAX_DATA_WINDOW = timedelta(hours=24)
"""The longest capture window: "The start time that you specify must not precede the end time that you specify
by more than 24 hours" (SageMaker API Reference, ``ScheduleConfig.DataAnalysisStartTime``)."""
MAX_GROUND_TRUTH_WINDOW = timedelta(days=31)
"""The longest ground-truth window this planner lists (labels may arrive days after the inference)."""


def parse_offset(text: str) -> timedelta:
    """A negative (or zero) offset ``-PT#H``, ``-P#D`` or ``-P#DT#H`` as a timedelta (<= 0).

    :raises ValueError: naming the text and the accepted forms.
    """
    match = _OFFSET.fullmatch(text) if isinstance(text, str) else None
    if match is None or (match["days"] is None and match["hours"] is None):
        raise ValueError(
            f"must be an ISO-8601 offset -PT#H, -P#D or -P#DT#H (e.g. -PT1H, -P1D, -PT0H), got {text!r}"
        )
    return -timedelta(days=int(match["days"] or 0), hours=int(match["hours"] or 0))


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant (``Z`` or an offset; a naive time is taken as UTC), in UTC.

    :raises ValueError: naming the text.
    """
    if not isinstance(text, str):
        raise ValueError(f"must be an ISO-8601 timestamp string, got {text!r}")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"must be an ISO-8601 timestamp, got {text!r}") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def iso(when: datetime) -> str:
    """UTC, whole seconds, ``Z``."""
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_folder(when: datetime) -> str:
    """``yyyy/mm/dd/hh`` of an instant's UTC hour: SageMaker's capture layout ("Data capture": captured files are
    organised by the hour of the invocation) and the run prefix's."""
    return when.astimezone(UTC).strftime("%Y/%m/%d/%H")


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC, both on the hour."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, scheduled: datetime, start_offset: str, end_offset: str, *, limit: timedelta) -> Window:
        """The window ``start_offset``..``end_offset`` from the scheduled time's hour.

        The scheduled time is taken to its hour: Model Monitor's schedules fire on the hour (``cron(0 ...)``), and a
        late delivery must see the same data. :raises ValueError: for a bad offset, an end not after the start, or
        a window longer than ``limit``.
        """
        anchor = scheduled.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        start, end = anchor + parse_offset(start_offset), anchor + parse_offset(end_offset)
        if end <= start:
            raise ValueError(
                f"the window must end after it starts, got start {start_offset} and end {end_offset} "
                f"({iso(start)} to {iso(end)})"
            )
        if end - start > limit:
            raise ValueError(
                f"the window may span at most {int(limit.total_seconds() // 3600)} hours, got "
                f"{int((end - start).total_seconds() // 3600)} hours ({start_offset} to {end_offset})"
            )
        return cls(start, end)

    def hours(self) -> Iterator[datetime]:
        """Every hour whose folder falls in the window, oldest first."""
        hour = self.start
        while hour < self.end:
            yield hour
            hour += timedelta(hours=1)

    def as_dict(self) -> dict[str, str]:
        """``{"start", "end"}`` as ISO-8601 UTC instants."""
        return {"start": iso(self.start), "end": iso(self.end)}
