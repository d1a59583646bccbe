"""Business time between instants, for the report's care figures: how many seconds of a
client's opening hours lie between a mention's arrival and its first response or its
resolution.

Pure and typed. Opening hours are weekly wall-clock spans in the client's time zone; each
span of each local day becomes one UTC interval (so a day across a daylight-saving change
is open for its real length), a span whose end is not after its start runs overnight into
the next day, and closed days and holidays simply have no span (the intervals come from
`routing.sla.business_intervals`, which the SLA clock reads too). A `BusinessClock` holds
the open intervals of a range with their running totals, so that many pairs of instants
are measured with two binary searches each (the report measures thousands at once).
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from routing.sla import WeeklyHours, business_intervals


def open_intervals(
    *,
    first: date,
    last: date,
    hours: WeeklyHours,
    zone: ZoneInfo,
    holidays: Collection[date] = (),
) -> list[tuple[datetime, datetime]]:
    """The open intervals (UTC, sorted, merged, touching ones joined) of the local days
    `first`..`last`: `routing.sla.business_intervals`, the one generator the SLA clock
    uses too (overnight spans, holidays and daylight-saving days are handled there)."""
    return list(
        business_intervals(
            first=first, last=last, hours=hours, zone=zone, holidays=holidays, join_touching=True
        )
    )


@dataclass(frozen=True)
class BusinessClock:
    """Open intervals with the open seconds before each: `elapsed(t)` is the business
    time from the clock's start up to `t`. Instants outside the range are clamped to it.
    Instants are kept as POSIX seconds (the report reads them so from the database:
    decoding 40,000 timestamps cost more than measuring them)."""

    starts: tuple[float, ...]
    ends: tuple[float, ...]
    before: tuple[float, ...]  # open seconds before each interval

    @classmethod
    def over(cls, intervals: Iterable[tuple[datetime, datetime]]) -> BusinessClock:
        starts, ends, before = [], [], []
        total = 0.0
        for begin, end in intervals:
            starts.append(begin.timestamp())
            ends.append(end.timestamp())
            before.append(total)
            total += ends[-1] - starts[-1]
        return cls(tuple(starts), tuple(ends), tuple(before))

    @classmethod
    def for_range(
        cls,
        *,
        start: datetime,
        end: datetime,
        hours: WeeklyHours,
        zone: ZoneInfo,
        holidays: Collection[date] = (),
    ) -> BusinessClock:
        """A clock for instants from `start` to `end` (the local days around them, one
        more on each side for overnight spans and zone offsets)."""
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        return cls.over(
            open_intervals(first=first, last=last, hours=hours, zone=zone, holidays=holidays)
        )

    def elapsed(self, at: float) -> float:
        """Open seconds from the first interval up to `at` (POSIX seconds)."""
        i = bisect.bisect_right(self.starts, at) - 1
        if i < 0:
            return 0.0
        return self.before[i] + max(min(at, self.ends[i]) - self.starts[i], 0.0)

    def seconds_between_epochs(self, start: float, end: float) -> float:
        """Open seconds from `start` to `end`, POSIX seconds (0 unless `end` is later)."""
        if end <= start:
            return 0.0
        return self.elapsed(end) - self.elapsed(start)

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Open seconds from `start` to `end` (0 when `end` is not after `start`)."""
        return self.seconds_between_epochs(start.timestamp(), end.timestamp())


def business_seconds_between(
    *,
    start: datetime,
    end: datetime,
    hours: WeeklyHours,
    zone: ZoneInfo,
    holidays: Collection[date] = (),
) -> float:
    """Seconds of opening hours from `start` to `end` (aware instants; 0 when `end` is
    not after `start`), with the weekly `hours` read in `zone`."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        return 0.0
    clock = BusinessClock.for_range(start=start, end=end, hours=hours, zone=zone, holidays=holidays)
    return clock.seconds_between(start, end)
