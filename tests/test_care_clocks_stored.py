"""Care clocks are measured in business hours when they stop and stored on the mention:
answering and resolving store them, reopening clears the resolution, a raw write that moves
a clock leaves it unmeasured (and the report still counts it exactly), new business hours
measure every stopped clock again, and daylight-saving days and time zones count their real
length. The report's medians, p90 and means are exact over all of them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mentions.clocks import (
    clock_calendar_for,
    clocks_measure,
    mentions_clocks_restamp,
    restamp_progress,
)
from mentions.models import Author, Mention
from reports.care_figures import care_clocks, durations_of
from reports.figures import Period, Slice
from routing.models import Department, SlaPolicy
from routing.services.sla import SlaPolicies, sla_policy_default_configure
from routing.sla import BusinessCalendar, business_minutes_between
from tests.conftest import api_client

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
_ids = itertools.count(1)


def add(source, *, at: datetime, answered=None, resolved=None, **fields) -> Mention:
    author, _ = Author.objects.get_or_create(network="test", handle="clocks")
    return Mention.objects.create(
        source=source,
        external_id=f"clk-{next(_ids)}",
        text="About the brand",
        published_at=at,
        received_at=at,
        first_response_at=answered,
        resolved_at=resolved,
        author=author,
        **fields,
    )


def office(zone: str = "Europe/Berlin") -> SlaPolicy:
    SlaPolicy.objects.filter(is_default=True).update(timezone=zone, hours=OFFICE, holidays=[])
    return SlaPolicy.objects.get(is_default=True)


def sla_seconds(start: datetime, end: datetime, policy: SlaPolicy) -> float:
    """The SLA clock's own arithmetic (a different walk over the same open intervals)."""
    calendar = BusinessCalendar.build(
        timezone=policy.timezone, hours=policy.hours, holidays=policy.holidays
    )
    return max(0.0, business_minutes_between(start, end, calendar) * 60)


@pytest.mark.django_db
def test_resolving_through_the_api_stores_both_clocks_in_business_seconds(world, in_acme):
    policy = office()
    # Arrived last Friday 16:00 Berlin, more than a week ago: closed nights and a weekend.
    friday = datetime.now(BERLIN).replace(hour=16, minute=0, second=0, microsecond=0)
    friday -= timedelta(days=(friday.weekday() - 4) % 7 + 7)
    mention = add(world.acme.source, at=friday, sla_policy=policy)
    api = api_client(world.acme, world.acme.token)
    answer = api.patch(f"/api/v1/mentions/{mention.pk}/", {"status": "resolved"}, format="json")
    assert answer.status_code == 200
    mention.refresh_from_db()
    assert mention.first_response_at is not None and mention.resolved_at is not None
    assert mention.first_response_business_seconds == pytest.approx(
        sla_seconds(friday, mention.first_response_at, policy)
    )
    assert mention.resolution_business_seconds == pytest.approx(
        sla_seconds(friday, mention.resolved_at, policy)
    )
    # An hour on Friday and at least four open days since: far less than calendar time.
    assert mention.resolution_business_seconds >= 3600 + 4 * 8 * 3600
    assert mention.resolution_business_seconds < (mention.resolved_at - friday).total_seconds()
    # Reopening clears the resolution clock; the first response stays.
    api.patch(f"/api/v1/mentions/{mention.pk}/", {"status": "assigned"}, format="json")
    mention.refresh_from_db()
    assert mention.resolved_at is None and mention.resolution_business_seconds is None
    assert mention.first_response_business_seconds is not None


@pytest.mark.django_db
def test_a_raw_write_that_moves_a_clock_leaves_it_unmeasured_and_the_report_exact(world, in_acme):
    policy = office()
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    mention = add(world.acme.source, at=monday, answered=monday + timedelta(minutes=30))
    mentions_clocks_restamp(only_unstamped=True)
    mention.refresh_from_db()
    assert mention.first_response_business_seconds == 1800
    # Answered on Saturday instead: the old stamp no longer holds, so it is cleared.
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN)
    Mention.objects.filter(pk=mention.pk).update(first_response_at=saturday)
    mention.refresh_from_db()
    assert mention.first_response_business_seconds is None
    # The report measures it as it reads: Monday 10:00 to Friday 17:00 is 39 open hours.
    week = Period(monday.date(), saturday.date(), BERLIN)
    found = care_clocks(period=week, slice_=Slice())
    assert found.first_response_business.median_seconds == 39 * 3600
    assert found.first_response_business.median_seconds == sla_seconds(monday, saturday, policy)
    assert mentions_clocks_restamp(only_unstamped=True) == 1
    mention.refresh_from_db()
    assert mention.first_response_business_seconds == 39 * 3600


@pytest.mark.django_db
def test_new_business_hours_measure_every_stopped_clock_again(
    world, in_acme, monkeypatch, django_capture_on_commit_callbacks
):
    office()
    queued = []
    monkeypatch.setattr(
        "routing.services.sla.task_send", lambda name, *args: queued.append((name, *args))
    )
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN)
    add(world.acme.source, at=saturday, answered=saturday + timedelta(hours=1))
    mentions_clocks_restamp(only_unstamped=True)
    assert Mention.objects.get().first_response_business_seconds == 0  # closed on Saturday
    with django_capture_on_commit_callbacks(execute=True):
        sla_policy_default_configure(timezone="Europe/Berlin", hours=OFFICE)
    assert queued == []  # the same hours: nothing to measure again
    with django_capture_on_commit_callbacks(execute=True):
        sla_policy_default_configure(
            timezone="Europe/Berlin", hours={**OFFICE, "sat": ["10:00-14:00"]}
        )
    assert queued == [("mentions.clocks_restamp", "c_acme")]
    seen = []
    assert mentions_clocks_restamp(report=lambda progress: seen.append(dict(progress))) == 1
    assert seen == [{"done": 1, "total": 1}] and restamp_progress() is None
    assert Mention.objects.get().first_response_business_seconds == 3600


@pytest.mark.parametrize(
    ("zone", "hours", "start", "end", "business_hours"),
    [
        # Open around the clock in Berlin: the night summer time ends (25 Oct 2026) has 25
        # hours, so Saturday noon to Sunday noon is 25 business hours.
        (
            "Europe/Berlin",
            {day: ["24h"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN),
            datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN),
            25,
        ),
        # ... and the night it begins (29 Mar 2026) has 23.
        (
            "Europe/Berlin",
            {day: ["24h"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN),
            datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN),
            23,
        ),
        # Office hours across the change: Friday 16:00 CEST to Monday 10:00 CET is 2 hours.
        (
            "Europe/Berlin",
            OFFICE,
            datetime(2026, 10, 23, 16, 0, tzinfo=BERLIN),
            datetime(2026, 10, 26, 10, 0, tzinfo=BERLIN),
            2,
        ),
        # The same instants in New York's office hours (09-17 there, 15-23 in Berlin, and
        # New York leaves summer time a week later): Friday 10:00 to 17:00 and Monday's
        # 09:00 to 10:00 is not reached yet (10:00 Berlin is 05:00 in New York).
        (
            "America/New_York",
            OFFICE,
            datetime(2026, 10, 23, 16, 0, tzinfo=BERLIN),
            datetime(2026, 10, 26, 10, 0, tzinfo=BERLIN),
            7,
        ),
    ],
)
def test_clocks_count_the_real_length_of_days_in_the_policys_zone(
    zone, hours, start, end, business_hours
):
    policy = SlaPolicy(pk=1, timezone=zone, hours=hours, holidays=[], is_default=True)
    calendar_for = clock_calendar_for(SlaPolicies(by_id={1: policy}, default=policy))
    ((_, first, resolution),) = clocks_measure(
        [(7, start.astimezone(UTC), end.astimezone(UTC), None, 1)], calendar_for=calendar_for
    )
    assert first == business_hours * 3600
    assert resolution is None
    assert first == sla_seconds(start, end, policy)


@pytest.mark.django_db
def test_care_clocks_are_exact_over_every_answer_with_filters_and_departments(world, in_acme):
    policy = office()
    departments = list(Department.objects.order_by("pk")[:2])
    start = datetime(2026, 11, 2, 0, 0, tzinfo=BERLIN)
    made = []
    for i in range(120):
        at = start + timedelta(minutes=97 * i)
        answered = at + timedelta(minutes=(i * 53) % 3000) if i % 4 else None
        resolved = at + timedelta(minutes=(i * 211) % 9000) if i % 3 else None
        made.append(
            add(
                world.acme.source,
                at=at,
                answered=answered,
                resolved=resolved,
                language="de" if i % 2 else "en",
                department=departments[i % 2],
            )
        )
    # Half of them stored (as the app does), half left for the report to measure.
    mentions_clocks_restamp(ids=[m.pk for m in made[::2]])
    period = Period(start.date(), (start + timedelta(days=9)).date(), BERLIN)
    for slice_, keep in (
        (Slice(), lambda m: True),
        (Slice(language="de"), lambda m: m.language == "de"),
        (
            Slice(departments=frozenset({departments[0].pk})),
            lambda m: m.department_id == departments[0].pk,
        ),
    ):
        kept = [m for m in made if keep(m)]
        found = care_clocks(period=period, slice_=slice_)
        for got, end, business in (
            (found.first_response, "first_response_at", False),
            (found.first_response_business, "first_response_at", True),
            (found.resolution, "resolved_at", False),
            (found.resolution_business, "resolved_at", True),
        ):
            values = [
                sla_seconds(m.received_at, getattr(m, end), policy)
                if business
                else max(0.0, (getattr(m, end) - m.received_at).total_seconds())
                for m in kept
                if getattr(m, end) is not None
            ]
            want = durations_of(values)
            assert got.count == want.count
            for name in ("median_seconds", "p90_seconds", "mean_seconds"):
                assert getattr(got, name) == pytest.approx(getattr(want, name))
