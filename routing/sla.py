"""Business-hours arithmetic for SLA clocks, in the client's own time zone.

Pure functions over a `BusinessCalendar`: add N business minutes to an instant, or count
business minutes between two instants. Daylight-saving changes are handled by doing the
arithmetic on local wall-clock intervals and converting each boundary back to UTC.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3 * 366  # a calendar with no open hours must not loop forever


class CalendarError(ValueError):
    pass


def parse_hours(hours: Mapping[str, Sequence[str]]) -> dict[int, tuple[tuple[time, time], ...]]:
    """{"mon": ["08:00-12:00", "13:00-18:00"], …} → {0: ((08:00, 12:00), (13:00, 18:00))}.

    "24h" means the whole day. Days not named are closed."""
    parsed: dict[int, tuple[tuple[time, time], ...]] = {}
    for day, spans in hours.items():
        if day not in WEEKDAYS:
            raise CalendarError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
        intervals = []
        for span in spans:
            if span.strip() == "24h":
                intervals.append((time(0), time.max))
                continue
            try:
                start_text, end_text = span.split("-")
                start, end = (
                    time.fromisoformat(start_text.strip()),
                    time.fromisoformat(end_text.strip()),
                )
            except ValueError as exc:
                raise CalendarError(f"{day}: {span!r} is not like 08:00-18:00") from exc
            if end == time(0):
                end = time.max
            if end <= start:
                raise CalendarError(f"{day}: {span!r} ends before it starts")
            intervals.append((start, end))
        intervals.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(intervals):
            if second_start < first_end:
                raise CalendarError(f"{day}: opening hours overlap")
        parsed[WEEKDAYS.index(day)] = tuple(intervals)
    return parsed


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    hours: Mapping[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls, *, timezone: str, hours: Mapping[str, Sequence[str]], holidays: Sequence[date] = ()
    ) -> BusinessCalendar:
        try:
            zone = ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:
            raise CalendarError(f"unknown time zone {timezone!r}") from exc
        return cls(zone=zone, hours=parse_hours(hours), holidays=frozenset(holidays))

    def open_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC) that end after `start`, in order, clipped to begin at it."""
        local_day = start.astimezone(self.zone).date()
        for offset in range(MAX_DAYS):
            day = local_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            for opens, closes in self.hours.get(day.weekday(), ()):
                begin = datetime.combine(day, opens, self.zone).astimezone(UTC)
                if closes == time.max:
                    end = datetime.combine(day + timedelta(days=1), time(0), self.zone)
                else:
                    end = datetime.combine(day, closes, self.zone)
                end = end.astimezone(UTC)
                if end <= start:
                    continue
                yield max(begin, start), end


def add_business_minutes(start: datetime, minutes: float, calendar: BusinessCalendar) -> datetime:
    """The instant `minutes` business minutes after `start`."""
    if start.tzinfo is None:
        raise CalendarError("start must be timezone-aware")
    remaining = timedelta(minutes=minutes)
    if remaining <= timedelta(0):
        return start
    for begin, end in calendar.open_intervals(start):
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise CalendarError("the calendar has no open hours in the next three years")


def business_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Business minutes from `start` to `end` (negative if `end` is earlier)."""
    if end < start:
        return -business_minutes_between(end, start, calendar)
    total = timedelta(0)
    for begin, close in calendar.open_intervals(start):
        if begin >= end:
            break
        total += min(close, end) - begin
    return total.total_seconds() / 60


ALWAYS_OPEN = BusinessCalendar(
    zone=ZoneInfo("UTC"), hours={day: ((time(0), time.max),) for day in range(7)}
)
