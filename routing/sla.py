"""Business-hours arithmetic for SLA clocks, in the client's own time zone.

Pure functions over a `BusinessCalendar`: add N business minutes to an instant, or count
business minutes between two instants. Daylight-saving changes are handled by doing the
arithmetic on local wall-clock intervals and converting each boundary back to UTC.

`business_intervals` is the one generator of open intervals from weekly hours: the SLA
clock here and the report's business time (`reports.business_time`) both read it.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Span = tuple[time, time]
WeeklyHours = Mapping[int, Sequence[Span]]  # weekday (Monday 0) -> open spans, local time

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3 * 366  # a calendar with no open hours must not loop forever


class CalendarError(ValueError):
    pass


def parse_hours(hours: Mapping[str, Sequence[str]]) -> dict[int, tuple[tuple[time, time], ...]]:
    """{"mon": ["08:00-12:00", "13:00-18:00"], …} → {0: ((08:00, 12:00), (13:00, 18:00))}.

    "24h" means the whole day. Days not named are closed. A span that closes before it
    opens ("22:00-06:00", a night shift) runs overnight into the next day; a span that
    closes when it opens is refused (empty or all day: say "24h"). No two spans may
    overlap, overnight ones included (Monday 22:00-06:00 and Tuesday 05:00-09:00)."""
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
            if end == start:
                raise CalendarError(
                    f"{day}: {span!r} closes when it opens; for the whole day say 24h"
                )
            intervals.append((start, end))
        parsed[WEEKDAYS.index(day)] = tuple(sorted(intervals))
    _overlap_check(parsed)
    return parsed


def _minute(moment: time) -> int:
    return 24 * 60 if moment == time.max else moment.hour * 60 + moment.minute


def _overlap_check(parsed: Mapping[int, Sequence[Span]]) -> None:
    """Refuse spans that overlap, as minutes of the week (an overnight span's end lies on
    the next day; Sunday night runs into Monday morning)."""
    day, week = 24 * 60, 7 * 24 * 60
    pieces = []
    for weekday, spans in parsed.items():
        for opens, closes in spans:
            begin = weekday * day + _minute(opens)
            length = (_minute(closes) - _minute(opens)) % day or day
            pieces.append((begin, begin + length, weekday, opens, closes))
            if begin + length > week:
                pieces.append((begin - week, begin + length - week, weekday, opens, closes))
    pieces.sort()
    for first, second in itertools.pairwise(pieces):
        if second[0] < first[1]:
            if first[2] == second[2]:
                raise CalendarError(f"{WEEKDAYS[first[2]]}: opening hours overlap")
            raise CalendarError(
                f"opening hours overlap: {_label(first[2], first[3], first[4])} runs into "
                f"{_label(second[2], second[3], second[4])}"
            )


def _label(weekday: int, opens: time, closes: time) -> str:
    end = "24:00" if closes == time.max else f"{closes:%H:%M}"
    return f"{WEEKDAYS[weekday]} {opens:%H:%M}-{end}"


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
        # From the day before: a span of that day may run overnight past `start`.
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        for begin, end in business_intervals(
            first=first,
            last=first + timedelta(days=MAX_DAYS),
            hours=self.hours,
            zone=self.zone,
            holidays=self.holidays,
        ):
            if end > start:
                yield max(begin, start), end


def _span_interval(day: date, span: Span, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """One span of one local day as a UTC interval. `time.max` as the end, or an end not
    after the start (22:00-06:00), runs into the next day."""
    opens, closes = span
    begin = datetime.combine(day, opens, zone)
    if closes == time.max:
        end = datetime.combine(day + timedelta(days=1), time(0), zone)
    elif closes <= opens:
        end = datetime.combine(day + timedelta(days=1), closes, zone)
    else:
        end = datetime.combine(day, closes, zone)
    return begin.astimezone(UTC), end.astimezone(UTC)


def business_intervals(
    *,
    first: date,
    last: date,
    hours: WeeklyHours,
    zone: ZoneInfo,
    holidays: Collection[date] = (),
    join_touching: bool = False,
) -> Iterator[tuple[datetime, datetime]]:
    """The open intervals (UTC, in order, overlaps merged) of the spans that begin on the
    local days `first`..`last`, lazily (the SLA clock stops as soon as it has its answer).
    `join_touching` also joins intervals that only touch (09:00-12:00 and 12:00-17:00): for
    a finite range read at once; a lazy reader of a week open around the clock would
    otherwise get nothing until the end of the range.

    Each span of each local day becomes one UTC interval, so a day across a daylight-saving
    change is open for its real length; a span whose end is not after its start runs
    overnight into the next day; a holiday closes the spans that begin on it. Wall-clock
    times that do not exist (the hour skipped in spring) count from the same instant as the
    hour after it."""
    pending: tuple[datetime, datetime] | None = None
    day = first
    while day <= last:
        if day not in holidays:
            spans = hours.get(day.weekday(), ())
            for begin, end in sorted(_span_interval(day, span, zone) for span in spans):
                if end <= begin:
                    continue
                if pending is not None and (
                    begin < pending[1] or (join_touching and begin == pending[1])
                ):
                    pending = (min(pending[0], begin), max(pending[1], end))
                    continue
                if pending is not None:
                    yield pending
                pending = (begin, end)
        day += timedelta(days=1)
    if pending is not None:
        yield pending


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
