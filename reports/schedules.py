"""When a scheduled report is due and which days it covers: pure date arithmetic in the
client's time zone (no database), so time zones and DST are tested on their own.

A weekly schedule fires on its weekday at its hour (local wall-clock time) and covers the
7 days before that day; a monthly one fires on its day of the month and covers the whole
previous calendar month. An hour that does not exist on a spring-forward day fires at the
same wall-clock reading after the change (zoneinfo's rule for a gap, fold=0); an hour that
exists twice on a fall-back day fires the first time. Each period is sent once (the
delivery's unique constraint), so the beat may look as often as it likes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKLY = "weekly"
MONTHLY = "monthly"


@dataclass(frozen=True)
class When:
    frequency: str  # WEEKLY or MONTHLY
    weekday: int = 0  # Monday 0 .. Sunday 6
    day_of_month: int = 1  # 1..28
    hour: int = 8  # local hour 0..23


def _fire_at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """The instant of `hour` on local `day` (normalised through UTC, so a time in a DST gap
    becomes the real instant after the change)."""
    return datetime.combine(day, time(hour), zone).astimezone(UTC)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month(day: date) -> date:
    return _month_start(_month_start(day) - timedelta(days=1))


def last_occurrence(*, when: When, zone: ZoneInfo, now: datetime) -> tuple[datetime, date]:
    """The latest firing at or before `now` (aware, UTC) and the local day it fired on."""
    today = now.astimezone(zone).date()
    if when.frequency == WEEKLY:
        day = today - timedelta(days=(today.weekday() - when.weekday) % 7)
        if _fire_at(day, when.hour, zone) > now:
            day -= timedelta(days=7)
    else:
        day = _month_start(today).replace(day=when.day_of_month)
        if _fire_at(day, when.hour, zone) > now:
            day = _previous_month(day).replace(day=when.day_of_month)
    return _fire_at(day, when.hour, zone), day


def next_occurrence(*, when: When, zone: ZoneInfo, now: datetime) -> datetime:
    """The first firing after `now` (aware, UTC)."""
    _, day = last_occurrence(when=when, zone=zone, now=now)
    if when.frequency == WEEKLY:
        following = day + timedelta(days=7)
    else:
        following = (_month_start(day) + timedelta(days=32)).replace(day=when.day_of_month)
    return _fire_at(following, when.hour, zone)


def period_covered(*, frequency: str, fired_on: date) -> tuple[date, date]:
    """The days (first, last, inclusive) the report fired on local `fired_on` covers."""
    if frequency == WEEKLY:
        return fired_on - timedelta(days=7), fired_on - timedelta(days=1)
    last = _month_start(fired_on) - timedelta(days=1)
    return _month_start(last), last


def due_period(
    *, when: When, zone: ZoneInfo, now: datetime, since: datetime
) -> tuple[date, date] | None:
    """The period to send now: that of the latest firing, if it happened after `since`
    (the schedule's creation: a new schedule does not mail what was due before it)."""
    fired_at, fired_on = last_occurrence(when=when, zone=zone, now=now)
    if fired_at < since:
        return None
    return period_covered(frequency=when.frequency, fired_on=fired_on)
