"""Departments, teams and staff members: who works where, with which skills and shifts.

Client admins (and agency admins) change these; every change is written to the audit log.
Validation reports each bad field in one DomainError, so forms and the API show them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.audit.services import audit_record
from accounts.models import Client, Role, User
from accounts.selectors import client_member_get, membership_role_for
from config.errors import Conflict, DomainError
from routing.models import AssignmentMode, Department, StaffMember, Team
from routing.selectors import staff_list
from routing.shifts import shifts_normalize, zone_get
from routing.sla import CalendarError

DEPARTMENT_FIELDS = ("name", "slug", "lead_id")
TEAM_FIELDS = ("name", "slug", "department", "assignment")
STAFF_FIELDS = (
    "user_id",
    "departments",
    "teams",
    "languages",
    "countries",
    "tags",
    "max_open",
    "on_shift",
    "shifts",
    "timezone",
)
MAX_OPEN_LIMIT = 1000
VIEWER_NOT_STAFF = "a viewer only looks on; give them the responder role first"
MAX_LIST = 50


def _member(*, client: Client, user_id: Any) -> User | None:

    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        return None
    return client_member_get(client=client, user_id=user_id)


def _unknown(changes: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, list[str]]:
    return {name: ["unknown field"] for name in sorted(set(changes) - set(allowed))}


def _name(changes: Mapping[str, Any], errors: dict[str, list[str]]) -> str:
    name = str(changes.get("name") or "").strip()
    if not name:
        errors["name"] = ["required"]
    elif len(name) > 100:
        errors["name"] = ["at most 100 characters"]
    return name


def _slug(value: Any, *, name: str, errors: dict[str, list[str]]) -> str:
    slug = slugify(str(value or "")) if value else slugify(name)[:50]
    if value and slug != str(value):
        errors["slug"] = ["use lower-case letters, digits and hyphens"]
    elif not slug and "name" not in errors:
        errors["slug"] = ["required (the name has no letters to make one from)"]
    elif len(slug) > 50:
        errors["slug"] = ["at most 50 characters"]
    return slug


# --- departments ------------------------------------------------------------------------


def _department_snapshot(department: Department) -> dict[str, Any]:
    return {"name": department.name, "slug": department.slug, "lead_id": department.lead_id}


def _department_clean(
    changes: Mapping[str, Any], *, client: Client, creating: bool
) -> dict[str, Any]:
    errors = _unknown(changes, DEPARTMENT_FIELDS)
    clean: dict[str, Any] = {}
    if creating or "name" in changes:
        clean["name"] = _name(changes, errors)
    if creating:
        clean["slug"] = _slug(changes.get("slug"), name=clean["name"], errors=errors)
    elif "slug" in changes:
        errors["slug"] = ["cannot be changed (rules and links refer to it)"]
    if "lead_id" in changes:
        lead = changes["lead_id"]
        if lead is not None and _member(client=client, user_id=lead) is None:
            errors["lead_id"] = ["not a member of this client"]
        clean["lead_id"] = lead
    if errors:
        raise DomainError("The department has invalid fields.", fields=errors)
    return clean


@transaction.atomic
def department_create(*, data: Mapping[str, Any], by: User, client: Client) -> Department:
    clean = _department_clean(data, client=client, creating=True)
    if Department.objects.filter(slug=clean["slug"]).exists():
        raise Conflict("A department with this slug exists.", fields={"slug": ["taken"]})
    department = Department.objects.create(**clean)
    audit_record(
        actor=by,
        action="department.created",
        target_type="department",
        target_id=department.pk,
        summary=f'Created department "{department.name}"',
        after=_department_snapshot(department),
    )
    return department


@transaction.atomic
def department_update(
    *, department: Department, changes: Mapping[str, Any], by: User, client: Client
) -> Department:
    department = Department.objects.select_for_update().get(pk=department.pk)
    clean = _department_clean(changes, client=client, creating=False)
    before = _department_snapshot(department)
    for key, value in clean.items():
        setattr(department, key, value)
    department.save()
    after = _department_snapshot(department)
    if after != before:
        audit_record(
            actor=by,
            action="department.updated",
            target_type="department",
            target_id=department.pk,
            summary=f'Changed department "{department.name}"',
            before=before,
            after=after,
        )
    return department


# --- teams ------------------------------------------------------------------------------


def _team_snapshot(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "slug": team.slug,
        "department_id": team.department_id,
        "assignment": team.assignment,
    }


def _department_ref(value: Any) -> Department | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return Department.objects.filter(pk=value).first()
    if isinstance(value, str) and value:
        return Department.objects.filter(slug=value).first()
    return None


def _team_clean(changes: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    errors = _unknown(changes, TEAM_FIELDS)
    clean: dict[str, Any] = {}
    if creating or "name" in changes:
        clean["name"] = _name(changes, errors)
    if creating:
        clean["slug"] = _slug(changes.get("slug"), name=clean["name"], errors=errors)
    elif "slug" in changes:
        errors["slug"] = ["cannot be changed"]
    if creating or "department" in changes:
        department = _department_ref(changes.get("department"))
        if department is None:
            errors["department"] = ["no such department"]
        clean["department"] = department
    if "assignment" in changes:
        if changes["assignment"] not in AssignmentMode.values:
            errors["assignment"] = [f"one of {', '.join(AssignmentMode.values)}"]
        clean["assignment"] = changes["assignment"]
    if errors:
        raise DomainError("The team has invalid fields.", fields=errors)
    return clean


@transaction.atomic
def team_create(*, data: Mapping[str, Any], by: User) -> Team:
    clean = _team_clean(data, creating=True)
    if Team.objects.filter(department=clean["department"], slug=clean["slug"]).exists():
        raise Conflict(
            "That department already has a team with this slug.", fields={"slug": ["taken"]}
        )
    team = Team.objects.create(**clean)
    audit_record(
        actor=by,
        action="team.created",
        target_type="team",
        target_id=team.pk,
        summary=f'Created team "{team.name}" in {team.department.name}',
        after=_team_snapshot(team),
    )
    return team


@transaction.atomic
def team_update(*, team: Team, changes: Mapping[str, Any], by: User) -> Team:
    team = Team.objects.select_for_update().select_related("department").get(pk=team.pk)
    clean = _team_clean(changes, creating=False)
    before = _team_snapshot(team)
    for key, value in clean.items():
        setattr(team, key, value)
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:
        raise Conflict(
            "That department already has a team with this slug.", fields={"department": ["taken"]}
        ) from exc
    after = _team_snapshot(team)
    if after != before:
        audit_record(
            actor=by,
            action="team.updated",
            target_type="team",
            target_id=team.pk,
            summary=f'Changed team "{team.name}"',
            before=before,
            after=after,
        )
    return team


@transaction.atomic
def team_delete(*, team: Team, by: User) -> None:
    """Rules that targeted the team fall back to its department's queue."""
    before = _team_snapshot(team)
    team_id, name = team.pk, team.name
    team.delete()
    audit_record(
        actor=by,
        action="team.deleted",
        target_type="team",
        target_id=team_id,
        summary=f'Deleted team "{name}"',
        before=before,
    )


# --- staff members ----------------------------------------------------------------------


def staff_snapshot(member: StaffMember) -> dict[str, Any]:
    return {
        "user_id": member.user_id,
        "name": member.name,
        "departments": sorted(d.slug for d in member.departments.all()),
        "teams": sorted(t.pk for t in member.teams.all()),
        "languages": list(member.languages),
        "countries": list(member.countries),
        "tags": list(member.tags),
        "max_open": member.max_open,
        "on_shift": member.on_shift,
        "shifts": member.shifts,
        "timezone": member.timezone,
    }


def _text_list(
    value: Any, *, name: str, errors: dict[str, list[str]], max_length: int
) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors[name] = ["a list of strings"]
        return []
    items = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(items) > MAX_LIST:
        errors[name] = [f"at most {MAX_LIST}"]
    elif any(len(v) > max_length for v in items):
        errors[name] = [f"each at most {max_length} characters"]
    return items


def _staff_clean(changes: Mapping[str, Any], *, client: Client, creating: bool) -> dict[str, Any]:
    errors = _unknown(changes, STAFF_FIELDS)
    clean: dict[str, Any] = {}
    if creating:
        user = _member(client=client, user_id=changes.get("user_id"))
        if user is None:
            errors["user_id"] = ["not a member of this client"]
        elif membership_role_for(user=user, client=client) == Role.VIEWER:
            errors["user_id"] = [VIEWER_NOT_STAFF]
        clean["user"] = user
    elif "user_id" in changes:
        errors["user_id"] = ["cannot be changed"]
    if "departments" in changes:
        slugs = _text_list(changes["departments"], name="departments", errors=errors, max_length=50)
        found = list(Department.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {d.slug for d in found})
        if missing:
            errors["departments"] = [f"no such department: {', '.join(missing)}"]
        clean["departments"] = found
    if "teams" in changes:
        ids = changes["teams"]
        if not isinstance(ids, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in ids
        ):
            errors["teams"] = ["a list of team ids"]
            ids = []
        teams = list(Team.objects.filter(pk__in=ids))
        missing_ids = sorted(set(ids) - {t.pk for t in teams})
        if missing_ids:
            errors["teams"] = [f"no such team: {', '.join(map(str, missing_ids))}"]
        clean["teams"] = teams
    if "languages" in changes:
        languages = [
            v.lower()
            for v in _text_list(changes["languages"], name="languages", errors=errors, max_length=8)
        ]
        if any(not v.replace("-", "").isalpha() for v in languages):
            errors.setdefault("languages", ["use language codes (de, en, fr)"])
        clean["languages"] = languages
    if "countries" in changes:
        countries = [
            v.upper()
            for v in _text_list(changes["countries"], name="countries", errors=errors, max_length=2)
        ]
        if any(len(c) != 2 or not c.isascii() or not c.isalpha() for c in countries):
            errors.setdefault("countries", ["use two-letter country codes (DE, AT, CH)"])
        clean["countries"] = countries
    if "tags" in changes:
        clean["tags"] = [
            v.lower()
            for v in _text_list(changes["tags"], name="tags", errors=errors, max_length=40)
        ]
    if "max_open" in changes:
        value = changes["max_open"]
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not 0 <= value <= MAX_OPEN_LIMIT
        ):
            errors["max_open"] = [f"a whole number from 0 to {MAX_OPEN_LIMIT}"]
        clean["max_open"] = value
    if "on_shift" in changes:
        if not isinstance(changes["on_shift"], bool):
            errors["on_shift"] = ["true or false"]
        clean["on_shift"] = changes["on_shift"]
    if "shifts" in changes:
        try:
            clean["shifts"] = shifts_normalize(changes["shifts"] or {})
        except CalendarError as exc:
            errors["shifts"] = [str(exc)]
    if "timezone" in changes:
        zone = str(changes["timezone"] or "").strip()
        if zone:
            try:
                zone_get(zone)
            except CalendarError as exc:
                errors["timezone"] = [str(exc)]
        clean["timezone"] = zone
    if errors:
        raise DomainError("The staff member has invalid fields.", fields=errors)
    return clean


def staff_place_clean(
    *, departments: Any, teams: Any, languages: Any, client: Client
) -> tuple[list[str], list[int], list[str]]:
    """Check a future staff profile (an invitation's departments, teams and languages)
    the way `staff_create` will: department slugs, team ids and language codes that exist."""
    clean = _staff_clean(
        {"departments": departments, "teams": teams, "languages": languages},
        client=client,
        creating=False,
    )
    return (
        sorted(d.slug for d in clean["departments"]),
        sorted(t.pk for t in clean["teams"]),
        clean["languages"],
    )


def _staff_apply(member: StaffMember, clean: dict[str, Any]) -> None:
    for key in ("languages", "countries", "tags", "max_open", "on_shift", "shifts", "timezone"):
        if key in clean:
            setattr(member, key, clean[key])
    member.save()
    if "departments" in clean:
        member.departments.set(clean["departments"])
    if "teams" in clean:
        member.teams.set(clean["teams"])


def _staff_fresh(member_id: int) -> StaffMember:

    return staff_list().get(pk=member_id)


@transaction.atomic
def staff_create(*, data: Mapping[str, Any], by: User, client: Client) -> StaffMember:
    """Give a member of this client a place in the routing: departments, teams, skills."""
    clean = _staff_clean(data, client=client, creating=True)
    user: User = clean.pop("user")
    if StaffMember.objects.filter(user_id=user.pk).exists():
        raise Conflict(
            f"{user.display_name} is already on the staff list.", fields={"user_id": ["taken"]}
        )
    member = StaffMember(user_id=user.pk, name=user.display_name)
    _staff_apply(member, clean)
    member = _staff_fresh(member.pk)
    audit_record(
        actor=by,
        action="staff.created",
        target_type="staff",
        target_id=member.user_id,
        summary=f"Added {member.name} to the staff",
        after=staff_snapshot(member),
    )
    return member


@transaction.atomic
def staff_update(
    *, member: StaffMember, changes: Mapping[str, Any], by: User, client: Client
) -> StaffMember:
    StaffMember.objects.select_for_update().filter(pk=member.pk).first()
    member = _staff_fresh(member.pk)
    viewer = User.objects.filter(pk=member.user_id).first()
    if viewer is not None and membership_role_for(user=viewer, client=client) == Role.VIEWER:
        raise DomainError(
            f"{member.name} is a viewer and cannot be on the staff.",
            fields={"user_id": [VIEWER_NOT_STAFF]},
        )
    before = staff_snapshot(member)
    clean = _staff_clean(changes, client=client, creating=False)
    _staff_apply(member, clean)
    member = _staff_fresh(member.pk)
    after = staff_snapshot(member)
    if after != before:
        changed = sorted(key for key in after if after[key] != before[key])
        audit_record(
            actor=by,
            action="staff.updated",
            target_type="staff",
            target_id=member.user_id,
            summary=f"Changed {member.name}: {', '.join(changed)}",
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return member


def staff_rename(*, user_id: int, name: str) -> None:
    """Keep the staff list's copy of a person's name in step with their profile."""
    StaffMember.objects.filter(user_id=user_id).exclude(name=name).update(name=name)


@transaction.atomic
def staff_delete(*, member: StaffMember, by: User) -> None:
    """Take someone off the staff list: they keep their login and see the whole client
    again (department limits live on the staff entry), but get no more assignments."""
    before = staff_snapshot(member)
    member.delete()
    audit_record(
        actor=by,
        action="staff.deleted",
        target_type="staff",
        target_id=before["user_id"],
        summary=f"Removed {before['name']} from the staff",
        before=before,
    )
