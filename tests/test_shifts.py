"""Weekly shift schedules: who is on shift now, and assignment honouring it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from mentions.models import Mention
from routing.models import AssignmentMode, Department, SlaPolicy, StaffMember, Team
from routing.services import rule_create
from routing.services.assignment import assigner_load, staff_upsert
from routing.shifts import ShiftSchedule, shifts_normalize, shifts_parse, staff_on_shift
from routing.sla import CalendarError
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import PASSWORD
from tests.factories import mention_item, responders_create

# Monday 23 November 2026, 14:30 UTC: 15:30 in Berlin, 09:30 in New York, 23:30 in Tokyo.
MONDAY_1430_UTC = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Europe/Berlin", True), ("America/New_York", True), ("Asia/Tokyo", False)],
)
def test_one_schedule_means_different_instants_in_different_time_zones(zone, expected):
    schedule = ShiftSchedule.build(timezone=zone, shifts={"mon": ["09:00-17:00"]})
    assert schedule.covers(MONDAY_1430_UTC) is expected


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-11-27T21:59", False),  # Friday before the night shift
        ("2026-11-27T22:00", True),
        ("2026-11-28T00:30", True),  # past midnight: Saturday, still Friday's shift
        ("2026-11-28T05:59", True),
        ("2026-11-28T06:00", False),
        ("2026-11-29T01:00", False),  # Saturday night has no shift
    ],
)
def test_night_shifts_run_past_midnight_into_the_next_day(local, expected):
    schedule = ShiftSchedule.build(timezone="Europe/Berlin", shifts={"fri": ["22:00-06:00"]})
    at = datetime.fromisoformat(local).replace(tzinfo=schedule.zone)
    assert schedule.covers(at) is expected


def test_sunday_night_shift_reaches_monday_morning():
    schedule = ShiftSchedule.build(timezone="UTC", shifts={"sun": ["20:00-04:00"]})
    assert schedule.covers(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))  # Monday 03:00
    assert not schedule.covers(datetime(2026, 11, 23, 4, 0, tzinfo=UTC))


def test_shift_hours_are_wall_clock_hours_across_daylight_saving():
    schedule = ShiftSchedule.build(timezone="Europe/Berlin", shifts={"mon": ["08:00-09:00"]})
    # 08:30 in Berlin is 07:30 UTC in winter and 06:30 UTC in summer.
    assert schedule.covers(datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    assert schedule.covers(datetime(2026, 6, 22, 6, 30, tzinfo=UTC))
    assert not schedule.covers(datetime(2026, 6, 22, 7, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    "shifts",
    [
        {"monday": ["08:00-16:00"]},
        {"mon": ["8-16"]},
        {"mon": ["08:00-08:00"]},
        {"mon": "08:00-16:00"},
        ["mon"],
        {"mon": ["08:00-16:00"] * 7},
        {"mon": ["25:00-26:00"]},
        {"mon": ["24:00-06:00"]},
    ],
)
def test_malformed_schedules_are_refused(shifts):
    with pytest.raises(CalendarError):
        shifts_parse(shifts)


def test_schedules_are_stored_in_one_canonical_form():
    assert shifts_normalize(
        {"fri": ["22:00-06:00"], "mon": [" 13:00-17:00", "8:00-12:00"], "sun": ["00:00-24:00"]}
    ) == {"mon": ["08:00-12:00", "13:00-17:00"], "fri": ["22:00-06:00"], "sun": ["00:00-24:00"]}


def test_a_whole_day_shift_ends_at_midnight():
    schedule = ShiftSchedule.build(timezone="UTC", shifts={"sun": ["00:00-24:00"]})
    assert schedule.covers(datetime(2026, 11, 22, 0, 0, tzinfo=UTC))
    assert schedule.covers(datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC))
    assert not schedule.covers(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))


def test_the_switch_overrides_the_schedule_and_no_schedule_means_always():
    def check(on_shift: bool, shifts: dict) -> bool:
        return staff_on_shift(
            on_shift=on_shift,
            shifts=shifts,
            timezone="",
            client_timezone="Europe/Berlin",
            at=MONDAY_1430_UTC,
        )

    assert check(True, {}) is True
    assert check(False, {}) is False  # away now
    assert check(True, {"mon": ["15:00-16:00"]}) is True
    assert check(False, {"mon": ["15:00-16:00"]}) is False
    assert check(True, {"tue": ["15:00-16:00"]}) is False


# --- assignment -------------------------------------------------------------------------


@pytest.fixture
def team(world, in_acme):
    tech = Department.objects.get(slug="tech-support")
    team = Team.objects.create(department=tech, name="Shift team", slug="shift-team")
    people = responders_create(client=world.acme.client, count=3, prefix="shift", password=PASSWORD)
    for user in people:
        staff_upsert(user_id=user.pk, name=user.name, teams=[team])
    return team, people


def _schedule(user, shifts: dict, zone: str = "") -> None:
    StaffMember.objects.filter(user_id=user.pk).update(shifts=shifts, timezone=zone)


def _picks(team_id: int, count: int, at: datetime) -> list[int | None]:
    assigner = assigner_load({team_id}, now=at)
    picks = [assigner.pick(team_id=team_id) for _ in range(count)]
    assigner.save()
    return picks


@pytest.mark.django_db
def test_assignment_skips_staff_whose_shift_has_not_started(world, team):
    team_row, people = team
    _schedule(people[0], {"mon": ["16:00-22:00"]})  # Berlin; it is 15:30 there
    _schedule(people[1], {"mon": ["08:00-16:00"]})
    picks = _picks(team_row.pk, 4, MONDAY_1430_UTC)
    assert set(picks) == {people[1].pk, people[2].pk}


@pytest.mark.django_db
def test_assignment_reads_schedules_in_the_client_or_the_persons_time_zone(world, team):
    team_row, people = team
    for user in people:
        _schedule(user, {"mon": ["09:00-10:00"]})
    StaffMember.objects.filter(user_id=people[2].pk).update(timezone="America/New_York")
    SlaPolicy.objects.update_or_create(
        is_default=True, defaults={"name": "Business hours", "timezone": "Europe/Berlin"}
    )
    # 09:30 in New York: only the person working New York hours is on shift.
    assert set(_picks(team_row.pk, 2, MONDAY_1430_UTC)) == {people[2].pk}
    # The client moves to Tokyo time: nobody, as 23:30 there is outside every shift… except
    # the New Yorker, whose own zone still wins.
    SlaPolicy.objects.filter(is_default=True).update(timezone="Asia/Tokyo")
    assert set(_picks(team_row.pk, 2, MONDAY_1430_UTC)) == {people[2].pk}
    # 09:30 in Berlin on that Monday: the other two, not the New Yorker (03:30 there).
    SlaPolicy.objects.filter(is_default=True).update(timezone="Europe/Berlin")
    morning = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert set(_picks(team_row.pk, 4, morning)) == {people[0].pk, people[1].pk}


@pytest.mark.django_db
def test_a_night_shift_takes_mentions_after_midnight_and_not_after_it_ends(world, team):
    team_row, people = team
    for user in people:
        _schedule(user, {"mon": ["08:00-16:00"]})
    _schedule(people[1], {"sun": ["22:00-06:00"]}, zone="UTC")
    assert _picks(team_row.pk, 2, datetime(2026, 11, 23, 1, 0, tzinfo=UTC)) == [people[1].pk] * 2
    assert _picks(team_row.pk, 1, datetime(2026, 11, 23, 6, 0, tzinfo=UTC)) == [None]


@pytest.mark.django_db
def test_away_switch_beats_a_running_shift(world, team):
    team_row, people = team
    for user in people:
        _schedule(user, {"mon": ["08:00-18:00"]})
    StaffMember.objects.filter(user_id=people[0].pk).update(on_shift=False)
    assert people[0].pk not in _picks(team_row.pk, 6, MONDAY_1430_UTC)


@pytest.mark.django_db
def test_round_robin_stays_fair_when_people_go_off_and_come_back(world, team):
    team_row, people = team
    assert team_row.assignment == AssignmentMode.ROUND_ROBIN
    a, b, c = (p.pk for p in people)
    _schedule(people[1], {"mon": ["16:00-22:00"]})  # b starts at 16:00 Berlin
    assert _picks(team_row.pk, 4, MONDAY_1430_UTC) == [a, c, a, c]
    # b's shift begins: the turn continues after the last one (c), and b gets its share.
    later = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    assert _picks(team_row.pk, 6, later) == [a, b, c, a, b, c]


@pytest.mark.django_db
def test_ingested_mentions_go_only_to_people_on_shift_now(world, team):
    team_row, people = team
    rule_create(
        data={
            "name": "Kasse → shift team",
            "department": "tech-support",
            "team": team_row.pk,
            "keywords": ["kasse"],
            "position": 1,
        },
        by=world.alice,
        client=world.acme.client,
    )
    # A shift two days from now (in any time zone it is neither today nor yesterday there).
    later = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(timezone.now().weekday() + 2) % 7]
    _schedule(people[0], {later: ["00:00-24:00"]})
    StaffMember.objects.filter(user_id=people[1].pk).update(on_shift=False)
    result = mentions_submit(
        source=world.acme.source,
        items=[mention_item(text=f"Die Kasse ist kaputt {n}") for n in range(3)],
    )
    ingest_batch_process(batch_id=result.batch_ids[0])
    assert set(Mention.objects.values_list("assignee_id", flat=True)) == {people[2].pk}
