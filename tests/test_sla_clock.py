"""Business-hours SLA arithmetic across weekends, holidays, lunch breaks and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from routing.sla import (
    ALWAYS_OPEN,
    BusinessCalendar,
    CalendarError,
    add_business_minutes,
    business_minutes_between,
)

BERLIN = BusinessCalendar.build(
    timezone="Europe/Berlin",
    hours={d: ["08:00-12:00", "13:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    holidays=[date(2026, 12, 25)],
)
NEW_YORK = BusinessCalendar.build(
    timezone="America/New_York",
    hours={d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("calendar", "start", "minutes", "due"),
    [
        # Monday 23 Nov 2026, 10:00 Berlin (09:00 UTC) + 30 min
        (BERLIN, utc(2026, 11, 23, 9, 0), 30, utc(2026, 11, 23, 9, 30)),
        # Across the lunch break: 11:45 Berlin + 30 → 13:15 Berlin
        (BERLIN, utc(2026, 11, 23, 10, 45), 30, utc(2026, 11, 23, 12, 15)),
        # Friday 17:30 Berlin + 60 → Monday 08:30 Berlin
        (BERLIN, utc(2026, 11, 27, 16, 30), 60, utc(2026, 11, 30, 7, 30)),
        # Arrives on Saturday: the clock starts Monday 08:00
        (BERLIN, utc(2026, 11, 28, 12, 0), 15, utc(2026, 11, 30, 7, 15)),
        # Christmas Day (a Friday) is a holiday: Thursday 17:50 + 20 → Monday 08:10
        (BERLIN, utc(2026, 12, 24, 16, 50), 20, utc(2026, 12, 28, 7, 10)),
        # A whole business day is 9 hours
        (BERLIN, utc(2026, 11, 23, 7, 0), 9 * 60, utc(2026, 11, 23, 17, 0)),
        # New York: 16:30 local (21:30 UTC) + 60 → next day 09:30 local (14:30 UTC)
        (NEW_YORK, utc(2026, 11, 23, 21, 30), 60, utc(2026, 11, 24, 14, 30)),
        # The same instant is 22:30 in Berlin: closed there too, next day 08:00 + 60
        (BERLIN, utc(2026, 11, 23, 21, 30), 60, utc(2026, 11, 24, 8, 0)),
        # Daylight saving ends 25 Oct 2026 in Berlin: Friday 17:00 CEST + 90 → Monday 08:30 CET
        (BERLIN, utc(2026, 10, 23, 15, 0), 90, utc(2026, 10, 26, 7, 30)),
        (ALWAYS_OPEN, utc(2026, 11, 28, 23, 50), 20, utc(2026, 11, 29, 0, 10)),
    ],
)
def test_due_times_follow_business_hours(calendar, start, minutes, due):
    assert add_business_minutes(start, minutes, calendar) == due
    assert business_minutes_between(start, due, calendar) == pytest.approx(minutes)


def test_minutes_between_skip_closed_time_and_can_be_negative():
    friday_evening, monday_morning = utc(2026, 11, 27, 16, 0), utc(2026, 11, 30, 8, 0)
    assert business_minutes_between(friday_evening, monday_morning, BERLIN) == 60 + 60
    assert business_minutes_between(monday_morning, friday_evening, BERLIN) == -120


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"monday": ["08:00-18:00"]}, "unknown weekday"),
        ({"mon": ["8 to 6"]}, "not like"),
        ({"mon": ["18:00-08:00"]}, "ends before"),
        ({"mon": ["08:00-12:00", "11:00-14:00"]}, "overlap"),
    ],
)
def test_bad_opening_hours_are_refused(hours, message):
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar.build(timezone="Europe/Berlin", hours=hours)


def test_a_calendar_without_hours_fails_instead_of_looping():
    closed = BusinessCalendar.build(timezone="UTC", hours={})
    with pytest.raises(CalendarError, match="no open hours"):
        add_business_minutes(utc(2026, 1, 1), 5, closed)
    with pytest.raises(CalendarError, match="time zone"):
        BusinessCalendar.build(timezone="Mars/Olympus", hours={})
