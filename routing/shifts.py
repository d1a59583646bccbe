"""Weekly shift schedules: who is on shift at an instant, in wall-clock time of a time zone.

Pure functions. A schedule maps weekdays to spans, `{"mon": ["08:00-16:00"]}`; a span whose
end is not after its start runs past midnight (`"22:00-06:00"` on Friday covers Friday night
until Saturday 06:00). An empty schedule means no schedule: always on shift.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from routing.sla import WEEKDAYS, CalendarError, Span

logger = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Europe/Berlin"
MAX_SPANS_PER_DAY = 6

_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


def _clock(hours: str, minutes: str) -> time | None:
    """08:30 → time(8, 30); 24:00 → the end of the day (only as a shift's end)."""
    if (hours, minutes) == ("24", "00"):
        return time.max
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return time(int(hours), int(minutes))


def shifts_parse(shifts: Mapping[str, Sequence[str]]) -> dict[int, tuple[Span, ...]]:
    """{"mon": ["08:00-12:00", "22:00-06:00"]} → {0: ((08:00, 12:00), (22:00, 06:00))}.

    Raises CalendarError naming the day and span for anything malformed."""
    if not isinstance(shifts, Mapping):
        raise CalendarError('shifts must be an object like {"mon": ["08:00-16:00"]}')
    parsed: dict[int, tuple[Span, ...]] = {}
    for day, spans in shifts.items():
        if day not in WEEKDAYS:
            raise CalendarError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
        if isinstance(spans, str) or not isinstance(spans, Sequence):
            raise CalendarError(f"{day}: give a list of spans like 08:00-16:00")
        if len(spans) > MAX_SPANS_PER_DAY:
            raise CalendarError(f"{day}: at most {MAX_SPANS_PER_DAY} shifts a day")
        day_spans = []
        for span in spans:
            match = _SPAN.fullmatch(str(span).strip())
            if match is None:
                raise CalendarError(f"{day}: {span!r} is not like 08:00-16:00")
            start, end = _clock(match[1], match[2]), _clock(match[3], match[4])
            if start is None or end is None or start == time.max:
                raise CalendarError(f"{day}: {span!r} is not a time of day")
            if start == end:
                raise CalendarError(f"{day}: {span!r} is empty")
            day_spans.append((start, end))
        if day_spans:
            parsed[WEEKDAYS.index(day)] = tuple(sorted(day_spans))
    return parsed


def shifts_normalize(shifts: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The canonical stored form of a valid schedule (days in week order, "HH:MM-HH:MM")."""
    parsed = shifts_parse(shifts)
    return {
        WEEKDAYS[day]: [
            f"{start:%H:%M}-{'24:00' if end == time.max else format(end, '%H:%M')}"
            for start, end in spans
        ]
        for day, spans in sorted(parsed.items())
    }


def zone_get(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise CalendarError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class ShiftSchedule:
    zone: ZoneInfo
    spans: Mapping[int, tuple[Span, ...]]

    @classmethod
    def build(cls, *, timezone: str, shifts: Mapping[str, Sequence[str]]) -> ShiftSchedule:
        return cls(zone=zone_get(timezone), spans=shifts_parse(shifts))

    def covers(self, instant: datetime) -> bool:
        """Whether `instant` (aware) falls inside a shift; no shifts at all means always."""
        if instant.tzinfo is None:
            raise CalendarError("instant must be timezone-aware")
        if not self.spans:
            return True
        local = instant.astimezone(self.zone)
        now = local.time().replace(tzinfo=None)
        today = local.weekday()
        yesterday = (local.date() - timedelta(days=1)).weekday()
        for start, end in self.spans.get(today, ()):
            if (start < end and start <= now < end) or (end < start and now >= start):
                return True
        # Yesterday's overnight shifts reach into this morning.
        return any(end < start and now < end for start, end in self.spans.get(yesterday, ()))


def staff_on_shift(
    *,
    on_shift: bool,
    shifts: Mapping[str, Sequence[str]],
    timezone: str,
    client_timezone: str,
    at: datetime,
) -> bool:
    """On shift now = the manual switch is not off AND (no schedule OR inside a shift)."""
    if not on_shift:
        return False
    if not shifts:
        return True
    try:
        schedule = ShiftSchedule.build(timezone=timezone or client_timezone, shifts=shifts)
    except CalendarError:
        # Stored schedules are validated on save; one that broke later (a time zone gone
        # from the system's database) must not silently take people off every queue.
        logger.warning("Ignoring an invalid shift schedule in %r", timezone or client_timezone)
        return True
    return schedule.covers(at)
