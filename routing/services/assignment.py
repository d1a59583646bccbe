"""Who in a team gets a newly routed mention: round robin or least open load, among the
members on shift who have the skills it needs (language, country, specialist tags)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from accounts.selectors import client_user_ids_assignable
from config.memo import request_memoized
from config.stamps import STAFF, StampedCache, Stamps, stamps_read
from config.tenancy import current_client
from routing.models import AssignmentMode, Department, StaffMember, Team
from routing.selectors import client_timezone
from routing.services.sla import sla_policies_load, sla_policies_timezone
from routing.shifts import staff_on_shift


@dataclass(frozen=True)
class Candidate:
    user_id: int
    languages: frozenset[str]
    countries: frozenset[str]
    tags: frozenset[str]
    max_open: int


@dataclass(frozen=True)
class StaffEntry:
    """A staff member with the switch on, as assignment reads them."""

    candidate: Candidate
    shifts: Mapping[str, Sequence[str]]
    timezone: str
    team_ids: frozenset[int]


# The client's staff with the switch on, kept per process while its 'staff' stamp holds
# (`config.stamps`; triggers on staff members and their teams bump it, routing 0009).
# Whether each is on shift is worked out per batch, at its own time.
_roster: StampedCache[tuple[StaffEntry, ...]] = StampedCache(STAFF)


def _roster_build() -> tuple[StaffEntry, ...]:
    members = (
        StaffMember.objects.filter(on_shift=True).prefetch_related("teams").order_by("user_id")
    )
    return tuple(
        StaffEntry(
            candidate=Candidate(
                user_id=member.user_id,
                languages=frozenset(v.lower() for v in member.languages),
                countries=frozenset(v.upper() for v in member.countries),
                tags=frozenset(member.tags),
                max_open=member.max_open,
            ),
            shifts=member.shifts,
            timezone=member.timezone,
            team_ids=frozenset(team.pk for team in member.teams.all()),
        )
        for member in members
    )


@dataclass
class TeamState:
    team_id: int
    mode: str
    members: list[Candidate]
    last_assigned_id: int | None


@dataclass
class Assigner:
    """Assignment state for one batch: teams locked, loads counted once, updated in memory."""

    teams: dict[int, TeamState] = field(default_factory=dict)
    # Open mentions per person: counted by the caller, who owns mentions (`user_ids` says
    # whose counts are needed).
    load: Counter[int] = field(default_factory=Counter)
    user_ids: set[int] = field(default_factory=set)
    changed_teams: set[int] = field(default_factory=set)

    def pick(
        self,
        *,
        team_id: int,
        language: str = "",
        country: str = "",
        tags: tuple[str, ...] = (),
    ) -> int | None:
        state = self.teams.get(team_id)
        if state is None or state.mode == AssignmentMode.MANUAL:
            return None
        language = language.lower().split("-")[0]
        eligible = [
            member
            for member in state.members
            if (not member.languages or not language or language in member.languages)
            and (not member.countries or not country or country.upper() in member.countries)
            and set(tags) <= member.tags
            and self.load[member.user_id] < member.max_open
        ]
        if not eligible:
            return None
        if state.mode == AssignmentMode.LEAST_LOAD:
            chosen = min(eligible, key=lambda m: (self.load[m.user_id], m.user_id))
        else:
            after = [
                m
                for m in eligible
                if state.last_assigned_id is None or m.user_id > state.last_assigned_id
            ]
            chosen = after[0] if after else eligible[0]
        state.last_assigned_id = chosen.user_id
        self.load[chosen.user_id] += 1
        self.changed_teams.add(team_id)
        return chosen.user_id

    def save(self) -> None:
        for team_id in self.changed_teams:
            Team.objects.filter(pk=team_id).update(
                last_assigned_id=self.teams[team_id].last_assigned_id
            )


def assigner_load(
    team_ids: set[int], *, now: datetime | None = None, stamps: Stamps | None = None
) -> Assigner:
    """Lock the teams (so concurrent batches take turns fairly) and find their members on
    shift now (switch not off, and inside a scheduled shift if they have a schedule). The
    caller adds their open load (`Assigner.load` for `Assigner.user_ids`). Call inside the
    storing transaction; `stamps`: read once by the caller's batch (the staff and the
    client's time zone are compiled once per change, `config.stamps`)."""
    assigner = Assigner()
    if not team_ids:
        return assigner
    now = now or timezone.now()
    stamps = stamps if stamps is not None else stamps_read()
    teams = list(Team.objects.filter(pk__in=team_ids).select_for_update().order_by("pk"))
    members = [
        member
        for member in _roster.get(stamps=stamps, build=_roster_build)
        if member.team_ids & team_ids
    ]
    # Viewers and people deactivated in this client never get mentions, whatever their
    # staff entry says (one query for the whole batch).
    allowed = client_user_ids_assignable(
        client=current_client(), user_ids={member.candidate.user_id for member in members}
    )
    by_team: dict[int, list[Candidate]] = {team.pk: [] for team in teams}
    user_ids = set()
    zone = sla_policies_timezone(sla_policies_load(stamps=stamps))
    for member in members:
        candidate = member.candidate
        if candidate.user_id not in allowed or not staff_on_shift(
            on_shift=True,
            shifts=member.shifts,
            timezone=member.timezone,
            client_timezone=zone,
            at=now,
        ):
            continue
        user_ids.add(candidate.user_id)
        for team_id in member.team_ids:
            if team_id in by_team:
                by_team[team_id].append(candidate)
    for team in teams:
        assigner.teams[team.pk] = TeamState(
            team_id=team.pk,
            mode=team.assignment,
            members=by_team[team.pk],
            last_assigned_id=team.last_assigned_id,
        )
    assigner.user_ids = user_ids
    return assigner


def staff_upsert(
    *,
    user_id: int,
    name: str,
    departments: list[str] | None = None,
    teams: list[Team] | None = None,
    languages: list[str] | None = None,
    tags: list[str] | None = None,
    on_shift: bool = True,
) -> StaffMember:
    member, _ = StaffMember.objects.update_or_create(
        user_id=user_id,
        defaults={
            "name": name,
            "languages": languages or [],
            "tags": tags or [],
            "on_shift": on_shift,
        },
    )
    if departments is not None:
        member.departments.set(Department.objects.filter(slug__in=departments))
    if teams is not None:
        member.teams.set(teams)
    return member


def visible_department_ids(*, user_id: int) -> set[int] | None:
    """The departments a staff member is limited to, or None for "all of them" (no staff
    entry, or one without departments). One query, once per page (`config.memo`): the
    access check, the visibility filter, the navigation and the training badge all ask."""

    def read() -> frozenset[int]:
        return frozenset(
            Department.objects.filter(staff__user_id=user_id).values_list("pk", flat=True)
        )

    ids = request_memoized(("visible_department_ids", user_id), read)
    return set(ids) or None


@dataclass(frozen=True)
class StaffState:
    """What choosing a person by hand needs to know: where they work, whether they are on
    shift now, and how much they take."""

    departments: frozenset[int] | None  # None: every department
    on_shift: bool
    max_open: int


def staff_states(*, user_ids: set[int], now: datetime | None = None) -> dict[int, StaffState]:
    """For those of `user_ids` with a staff entry (two queries); others have none."""
    if not user_ids:
        return {}
    now = now or timezone.now()
    zone = client_timezone()
    members = StaffMember.objects.filter(user_id__in=user_ids).prefetch_related("departments")
    states = {}
    for member in members:
        departments = frozenset(d.pk for d in member.departments.all())
        states[member.user_id] = StaffState(
            departments=departments or None,
            on_shift=staff_on_shift(
                on_shift=member.on_shift,
                shifts=member.shifts,
                timezone=member.timezone,
                client_timezone=zone,
                at=now,
            ),
            max_open=member.max_open,
        )
    return states
