"""Business-hours SLA arithmetic across weekends, holidays, lunch breaks and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

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
        ({"mon": ["08:00-08:00"]}, "closes when it opens"),
        ({"mon": ["08:00-12:00", "11:00-14:00"]}, "overlap"),
        ({"mon": ["22:00-06:00", "23:00-23:30"]}, "mon: opening hours overlap"),
        ({"mon": ["22:00-06:00"], "tue": ["05:00-09:00"]}, "mon 22:00-06:00 runs into tue"),
        ({"sun": ["22:00-06:00"], "mon": ["00:00-05:00"]}, "sun 22:00-06:00 runs into mon"),
    ],
)
def test_bad_opening_hours_are_refused(hours, message):
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar.build(timezone="Europe/Berlin", hours=hours)


NIGHTS = BusinessCalendar.build(
    timezone="Europe/Berlin",
    hours={d: ["22:00-06:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
)
NIGHT_AND_DAY = BusinessCalendar.build(
    timezone="Europe/Berlin",
    hours={d: ["08:00-12:00", "22:00-02:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
)


@pytest.mark.parametrize(
    ("calendar", "start", "minutes", "due"),
    [
        # Tuesday 24 Nov 2026, 23:00 Berlin (22:00 UTC) + 60 → Wednesday 00:00 Berlin
        (NIGHTS, utc(2026, 11, 24, 22), 60, utc(2026, 11, 24, 23)),
        # Arrives at noon: the night shift opens at 22:00, + 30 → 22:30 Berlin
        (NIGHTS, utc(2026, 11, 24, 11), 30, utc(2026, 11, 24, 21, 30)),
        # Arrives Wednesday 05:30 Berlin, still in Tuesday's shift: 30 min left, then 22:00
        (NIGHTS, utc(2026, 11, 25, 4, 30), 45, utc(2026, 11, 25, 21, 15)),
        # A whole night is 8 hours: from 22:00 to 06:00 of the next morning
        (NIGHTS, utc(2026, 11, 24, 21), 8 * 60, utc(2026, 11, 25, 5)),
        # Daylight saving starts Sunday 29 Mar 2026 at 02:00: Saturday's night is 7 hours;
        # Saturday 22:00 CET (21:00 UTC) + 7 h → Sunday 06:00 CEST (04:00 UTC)
        (NIGHTS, utc(2026, 3, 28, 21), 7 * 60, utc(2026, 3, 29, 4)),
        # … and the eighth hour is Sunday 22:00-23:00 CEST
        (NIGHTS, utc(2026, 3, 28, 21), 8 * 60, utc(2026, 3, 29, 21)),
        # Daylight saving ends Sunday 25 Oct 2026 at 03:00: Saturday's night is 9 hours;
        # Saturday 22:00 CEST (20:00 UTC) + 9 h → Sunday 06:00 CET (05:00 UTC)
        (NIGHTS, utc(2026, 10, 24, 20), 9 * 60, utc(2026, 10, 25, 5)),
        # Friday's late span runs into Saturday 02:00; the next opening is Monday 08:00
        (NIGHT_AND_DAY, utc(2026, 11, 28, 0, 30), 60, utc(2026, 11, 30, 7, 30)),
        # Monday 11:30 Berlin + 60: 30 min before noon, 30 min from 22:00
        (NIGHT_AND_DAY, utc(2026, 11, 23, 10, 30), 60, utc(2026, 11, 23, 21, 30)),
    ],
)
def test_overnight_business_hours_give_due_times_across_midnight(calendar, start, minutes, due):
    assert add_business_minutes(start, minutes, calendar) == due
    assert business_minutes_between(start, due, calendar) == pytest.approx(minutes)


def test_an_overnight_span_is_counted_on_both_days_it_covers():
    # Monday 20:00 to Wednesday 20:00 Berlin: Monday's and Tuesday's nights, 16 hours.
    assert business_minutes_between(utc(2026, 11, 23, 19), utc(2026, 11, 25, 19), NIGHTS) == (
        16 * 60
    )
    # Tuesday 03:00 to 04:00 Berlin lies in Monday's night: all of it is business time.
    assert business_minutes_between(utc(2026, 11, 24, 2), utc(2026, 11, 24, 3), NIGHTS) == 60


def test_overnight_spans_may_touch_the_next_days_hours():
    calendar = BusinessCalendar.build(
        timezone="Europe/Berlin",
        hours={
            "sun": ["22:00-06:00"],
            "mon": ["06:00-14:00", "23:00-01:00"],
            "tue": ["01:00-09:00"],
        },
    )
    assert calendar.hours == {
        6: ((time(22), time(6)),),
        0: ((time(6), time(14)), (time(23), time(1))),
        1: ((time(1), time(9)),),
    }
    # Sunday 22:00 to Tuesday 02:00 Berlin: 8 + 8 + 2 hours, and Tuesday's first hour.
    assert business_minutes_between(utc(2026, 11, 22, 21), utc(2026, 11, 24, 1), calendar) == (
        19 * 60
    )


def test_a_calendar_without_hours_fails_instead_of_looping():
    closed = BusinessCalendar.build(timezone="UTC", hours={})
    with pytest.raises(CalendarError, match="no open hours"):
        add_business_minutes(utc(2026, 1, 1), 5, closed)
    with pytest.raises(CalendarError, match="time zone"):
        BusinessCalendar.build(timezone="Mars/Olympus", hours={})
