"""Business seconds between two instants: weekly opening hours in the client's zone, across
weekends, daylight-saving changes, overnight spans, closed days and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.business_time import BusinessClock, business_seconds_between, open_intervals
from routing.sla import (
    ALWAYS_OPEN,
    BusinessCalendar,
    add_business_minutes,
    business_intervals,
    business_minutes_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_17 = {day: [(time(9), time(17))] for day in range(5)}
HOUR = 3600


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def seconds(start: datetime, end: datetime, hours=None, zone=BERLIN, holidays=()) -> float:
    return business_seconds_between(
        start=start,
        end=end,
        hours=WEEKDAYS_9_TO_17 if hours is None else hours,
        zone=zone,
        holidays=holidays,
    )


def test_within_one_open_span_is_the_plain_difference():
    # Monday 23 Nov 2026
    assert seconds(berlin(2026, 11, 23, 10), berlin(2026, 11, 23, 11, 30)) == 1.5 * HOUR


def test_start_and_end_outside_hours_count_only_the_open_part():
    # Before opening to after closing on a Monday: the whole 8-hour day.
    assert seconds(berlin(2026, 11, 23, 6), berlin(2026, 11, 23, 21)) == 8 * HOUR
    # Both in the evening closure: nothing.
    assert seconds(berlin(2026, 11, 23, 18), berlin(2026, 11, 23, 23)) == 0


def test_across_a_weekend_skips_saturday_and_sunday():
    # Friday 16:00 to Monday 10:00: one hour on Friday, one on Monday.
    assert seconds(berlin(2026, 11, 27, 16), berlin(2026, 11, 30, 10)) == 2 * HOUR
    # Arrived on Saturday, answered on Sunday: no business time at all.
    assert seconds(berlin(2026, 11, 28, 12), berlin(2026, 11, 29, 15)) == 0


def test_over_several_days_adds_each_open_day():
    # Monday 12:00 to Thursday 12:00: 5 + 8 + 8 + 3 hours.
    assert seconds(berlin(2026, 11, 23, 12), berlin(2026, 11, 26, 12)) == 24 * HOUR
    # Two whole weeks from Monday midnight: ten working days.
    assert seconds(berlin(2026, 11, 23), berlin(2026, 12, 7)) == 80 * HOUR


def test_daylight_saving_end_gives_the_sunday_an_extra_hour_when_open_at_night():
    # 25 Oct 2026 clocks go back 03:00 CEST -> 02:00 CET: that Sunday has 25 hours.
    always = {day: [(time(0), time.max)] for day in range(7)}
    assert seconds(berlin(2026, 10, 25), berlin(2026, 10, 26), hours=always) == 25 * HOUR
    # Friday 16:00 CEST to Monday 10:00 CET: still one hour each side.
    assert seconds(berlin(2026, 10, 23, 16), berlin(2026, 10, 26, 10)) == 2 * HOUR


def test_daylight_saving_start_counts_the_real_hours_of_a_night_span():
    # 29 Mar 2026 clocks go forward 02:00 -> 03:00 in Berlin: 00:00-06:00 lasts 5 hours.
    night = {6: [(time(0), time(6))]}  # Sundays 00:00-06:00
    assert seconds(berlin(2026, 3, 29), berlin(2026, 3, 29, 12), hours=night) == 5 * HOUR
    # In UTC instants: opening 23:00 UTC Saturday, closing 04:00 UTC Sunday.
    start = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    end = datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    assert seconds(start, end, hours=night) == 5 * HOUR


def test_office_hours_keep_their_local_length_across_the_change():
    # The week of 29 Mar 2026: Friday 16:00 CET to Monday 10:00 CEST, one hour each side.
    assert seconds(berlin(2026, 3, 27, 16), berlin(2026, 3, 30, 10)) == 2 * HOUR
    # Mon-Fri 09-17 over that whole week: 40 hours whatever the offset.
    assert seconds(berlin(2026, 3, 23), berlin(2026, 3, 30)) == 40 * HOUR


def test_overnight_span_runs_into_the_next_day():
    # Open Monday 22:00 to Tuesday 06:00 (a night shift): 8 hours.
    night = {0: [(time(22), time(6))]}
    assert seconds(berlin(2026, 11, 23, 20), berlin(2026, 11, 24, 12), hours=night) == 8 * HOUR
    # Arrived at 04:00 on Tuesday, answered 05:30: inside Monday's span.
    assert seconds(berlin(2026, 11, 24, 4), berlin(2026, 11, 24, 5, 30), hours=night) == 1.5 * HOUR


def test_closed_days_and_holidays_count_nothing():
    saturday_only = {5: [(time(10), time(14))]}
    # Monday to Friday: the calendar is closed.
    assert seconds(berlin(2026, 11, 23), berlin(2026, 11, 28), hours=saturday_only) == 0
    # Christmas Day 2026 is a Friday: Thursday 16:00 to Monday 10:00 is 1 + 1 hours.
    assert (
        seconds(berlin(2026, 12, 24, 16), berlin(2026, 12, 28, 10), holidays={date(2026, 12, 25)})
        == 2 * HOUR
    )


def test_end_before_start_is_zero_and_naive_instants_are_refused():
    assert seconds(berlin(2026, 11, 23, 12), berlin(2026, 11, 23, 10)) == 0
    with pytest.raises(ValueError, match="aware"):
        business_seconds_between(
            start=datetime(2026, 11, 23, 10),  # noqa: DTZ001 - the point of the test
            end=berlin(2026, 11, 23, 12),
            hours=WEEKDAYS_9_TO_17,
            zone=BERLIN,
        )


def test_zones_differ_for_the_same_instants():
    # 15:00-18:00 UTC on a Monday: New York (10-13 local) is open all three hours, Berlin
    # (16-19 local) only one.
    start = datetime(2026, 11, 23, 15, tzinfo=UTC)
    end = datetime(2026, 11, 23, 18, tzinfo=UTC)
    assert seconds(start, end, zone=ZoneInfo("America/New_York")) == 3 * HOUR
    assert seconds(start, end) == 1 * HOUR


def test_adjacent_spans_merge_into_one_interval():
    split = {0: [(time(9), time(12)), (time(12), time(17))]}
    day = date(2026, 11, 23)
    found = open_intervals(first=day, last=day, hours=split, zone=BERLIN)
    assert found == [(berlin(2026, 11, 23, 9), berlin(2026, 11, 23, 17))]


def test_one_clock_measures_many_pairs_like_the_single_function():
    clock = BusinessClock.for_range(
        start=berlin(2026, 11, 1), end=berlin(2026, 12, 31), hours=WEEKDAYS_9_TO_17, zone=BERLIN
    )
    pairs = [
        (berlin(2026, 11, 23, 10), berlin(2026, 11, 23, 11)),
        (berlin(2026, 11, 27, 16), berlin(2026, 11, 30, 10)),
        (berlin(2026, 12, 4, 8), berlin(2026, 12, 18, 20)),
    ]
    for start, end in pairs:
        assert clock.seconds_between(start, end) == seconds(start, end)


instants = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=150, deadline=None)
@given(start=instants, length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)))
def test_agrees_with_the_sla_clock_arithmetic(start, length):
    """The SLA clock (routing.sla) walks the calendar day by day; both must agree."""
    hours = {"mon": ["08:00-12:00", "13:00-18:00"], "sat": ["10:00-14:00"], "sun": ["24h"]}
    calendar = BusinessCalendar.build(timezone="Europe/Berlin", hours=hours)
    end = start + length
    expected = business_minutes_between(start, end, calendar) * 60
    found = business_seconds_between(start=start, end=end, hours=calendar.hours, zone=calendar.zone)
    assert found == pytest.approx(expected, abs=1e-3)


def test_the_sla_clock_counts_an_overnight_span_from_the_day_before():
    # One interval generator serves both clocks: a night span that began on Monday is still
    # open when an SLA clock starts on Tuesday at 04:00, and due times run into it.
    calendar = BusinessCalendar(zone=BERLIN, hours={0: ((time(22), time(6)),)})
    start = berlin(2026, 11, 24, 4)
    assert business_minutes_between(start, berlin(2026, 11, 24, 12), calendar) == 120
    assert add_business_minutes(start, 90, calendar) == berlin(2026, 11, 24, 5, 30)
    # Past the span's end, the next one opens a week later.
    assert add_business_minutes(start, 180, calendar) == berlin(2026, 11, 30, 23)


def test_a_week_open_around_the_clock_gives_the_sla_clock_its_answer_at_once():
    # Touching days are not joined for the lazy SLA reader (it would wait three years for
    # the end of an always-open calendar); the report joins them for its finite range.
    intervals = business_intervals(
        first=date(2026, 11, 23), last=date(2029, 11, 23), hours=ALWAYS_OPEN.hours, zone=BERLIN
    )
    first = next(intervals)
    assert first == (berlin(2026, 11, 23), berlin(2026, 11, 24))
    assert add_business_minutes(berlin(2026, 11, 23, 10), 60, ALWAYS_OPEN) == berlin(
        2026, 11, 23, 11
    )
