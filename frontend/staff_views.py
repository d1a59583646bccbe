"""The teams and staff page: departments, teams, staff members and who is on shift now.

Everyone in the client may look; client admins (and agency admins) change things, through
the same services as the API, so every change is validated the same way and audited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.audit.selectors import audit_list
from accounts.models import Role, User
from accounts.selectors import client_members, membership_role_for, role_at_least
from config.errors import DomainError
from config.tenancy import current_client
from frontend.access import client_member_required
from frontend.params import form_int
from frontend.people_views import people_context
from routing.models import AssignmentMode, StaffMember
from routing.selectors import (
    client_timezone,
    department_get,
    department_list,
    staff_get,
    staff_list,
    staff_on_shift_now,
    team_get,
    team_list,
)
from routing.services.staff import (
    department_create,
    department_update,
    staff_create,
    staff_delete,
    staff_update,
    team_create,
    team_delete,
    team_update,
)
from routing.sla import WEEKDAYS

FORM_FIELDS = {
    "departments",
    "teams",
    "languages",
    "countries",
    "tags",
    "max_open",
    "shifts",
    "timezone",
}
DAY_LABELS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _error_text(exc: DomainError) -> str:
    details = "; ".join(f"{field}: {', '.join(problems)}" for field, problems in exc.fields.items())
    return f"{exc.message} {details}".strip()


def _shift_text(member: StaffMember) -> str:
    # jsonb keeps its own key order; show the week in order.
    return " · ".join(
        f"{DAY_LABELS[day]} {', '.join(member.shifts[day])}"
        for day in WEEKDAYS
        if member.shifts.get(day)
    )


@client_member_required(Role.VIEWER)
def staff_page(request: HttpRequest) -> HttpResponse:
    members = list(staff_list())
    now = staff_on_shift_now(members)
    zone = client_timezone()
    rows = [
        {
            "member": member,
            "on_shift_now": now[member.user_id],
            "shifts": _shift_text(member),
            "zone": member.timezone or zone,
        }
        for member in members
    ]
    teams = list(team_list())
    team_sizes: dict[int, int] = {}
    for member in members:
        for team in member.teams.all():
            team_sizes[team.pk] = team_sizes.get(team.pk, 0) + 1
    can_edit = role_at_least(request.lotse_role, Role.CLIENT_ADMIN)  # type: ignore[attr-defined]
    people = client_members(client=current_client())
    on_staff = {member.user_id for member in members}
    people_by_id = {person.pk: person for person in people}
    departments = list(department_list())
    context = {
        "rows": rows,
        "on_shift_count": sum(1 for row in rows if row["on_shift_now"]),
        "departments": departments,
        "department_rows": [
            {
                "department": d,
                "lead": people_by_id[d.lead_id].display_name if d.lead_id in people_by_id else "",
            }
            for d in departments
        ],
        "teams": [{"team": team, "size": team_sizes.get(team.pk, 0)} for team in teams],
        "modes": AssignmentMode.choices,
        "can_edit": can_edit,
        "people": people if can_edit else [],
        "addable": [
            person
            for person in people
            if person.pk not in on_staff
            and membership_role_for(user=person, client=current_client()) != Role.VIEWER
        ],
        "client_timezone": zone,
        "teams_all": teams,
    }
    if can_edit:
        context.update(people_context(me=_user(request)))
    return render(request, "frontend/staff.html", context)


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def staff_add(request: HttpRequest) -> HttpResponse:
    try:
        member = staff_create(
            data={"user_id": form_int(request.POST.get("user_id", ""))},
            by=_user(request),
            client=current_client(),
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("staff")
    messages.success(request, f"Added {member.name}. Now give them departments, teams, shifts.")
    return redirect("staff-edit", user_id=member.user_id)


def _split(text: str, *, upper: bool = False) -> list[str]:
    parts = [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
    return [part.upper() if upper else part for part in parts]


def _staff_form_data(post: Any) -> dict[str, Any]:
    max_open = form_int(post.get("max_open", ""))
    return {
        "departments": post.getlist("departments"),
        "teams": [v for v in (form_int(t) for t in post.getlist("teams")) if v is not None],
        "languages": _split(post.get("languages", "")),
        "countries": _split(post.get("countries", ""), upper=True),
        "tags": _split(post.get("tags", "")),
        "max_open": max_open if max_open is not None else -1,
        "on_shift": post.get("on_shift") == "on",
        "timezone": post.get("timezone", "").strip(),
        "shifts": {
            day: _split(post.get(f"shift_{day}", ""))
            for day in WEEKDAYS
            if post.get(f"shift_{day}", "").strip()
        },
    }


@client_member_required(Role.CLIENT_ADMIN)
def staff_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    member = staff_get(user_id=user_id)
    if member is None:
        raise Http404("No such staff member")
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] | None = None
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            staff_delete(member=member, by=_user(request))
            messages.success(request, f"Removed {member.name} from the staff.")
            return redirect("staff")
        values = _staff_form_data(request.POST)
        try:
            member = staff_update(
                member=member, changes=values, by=_user(request), client=current_client()
            )
        except DomainError as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        else:
            messages.success(request, f"Saved {member.name}.")
            return redirect("staff")
    form = values or {
        "departments": [d.slug for d in member.departments.all()],
        "teams": [t.pk for t in member.teams.all()],
        "languages": member.languages,
        "countries": member.countries,
        "tags": member.tags,
        "max_open": member.max_open,
        "on_shift": member.on_shift,
        "timezone": member.timezone,
        "shifts": member.shifts,
    }
    shifts = form.get("shifts") or {}
    context = {
        "member": member,
        "form": {
            **form,
            "languages": ", ".join(form["languages"]),
            "countries": ", ".join(form["countries"]),
            "tags": ", ".join(form["tags"]),
        },
        "days": [
            {"key": day, "label": DAY_LABELS[day], "value": ", ".join(shifts.get(day, []))}
            for day in WEEKDAYS
        ],
        "errors": errors,
        "general_errors": errors.get("__all__", [])
        + [
            f"{field}: {', '.join(problems)}"
            for field, problems in errors.items()
            if field not in FORM_FIELDS | {"__all__"}
        ],
        "departments": department_list(),
        "teams": team_list(),
        "on_shift_now": staff_on_shift_now([member])[member.user_id],
        "client_timezone": client_timezone(),
        "history": audit_list(target_type="staff", target_id=member.user_id)[:20],
    }
    return render(request, "frontend/staff_edit.html", context, status=400 if errors else 200)


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def staff_switch(request: HttpRequest, user_id: int) -> HttpResponse:
    """The "away now" / "back" switch on the staff list."""
    member = staff_get(user_id=user_id)
    if member is None:
        raise Http404("No such staff member")
    away = request.POST.get("on_shift") != "1"
    staff_update(
        member=member, changes={"on_shift": not away}, by=_user(request), client=current_client()
    )
    messages.success(
        request, f"{member.name} is {'away now' if away else 'back (shifts apply again)'}."
    )
    return redirect("staff")


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def department_save(request: HttpRequest) -> HttpResponse:
    lead = request.POST.get("lead_id", "")
    data: dict[str, Any] = {"name": request.POST.get("name", ""), "lead_id": form_int(lead)}
    department_id = form_int(request.POST.get("department_id", ""))
    try:
        if department_id is None:
            department = department_create(data=data, by=_user(request), client=current_client())
        else:
            found = department_get(department_id=department_id)
            if found is None:
                raise Http404("No such department")
            department = department_update(
                department=found, changes=data, by=_user(request), client=current_client()
            )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Saved department {department.name}.")
    return redirect("staff")


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def team_save(request: HttpRequest) -> HttpResponse:
    team_id = form_int(request.POST.get("team_id", ""))
    try:
        if team_id is None:
            team = team_create(
                data={
                    "name": request.POST.get("name", ""),
                    "department": request.POST.get("department", ""),
                    "assignment": request.POST.get("assignment", AssignmentMode.ROUND_ROBIN),
                },
                by=_user(request),
            )
            messages.success(request, f"Added team {team.name}.")
        else:
            found = team_get(team_id=team_id)
            if found is None:
                raise Http404("No such team")
            if request.POST.get("action") == "delete":
                team_delete(team=found, by=_user(request))
                messages.success(request, f"Deleted team {found.name}.")
            else:
                team = team_update(
                    team=found,
                    changes={
                        "name": request.POST.get("name", found.name),
                        "assignment": request.POST.get("assignment", ""),
                    },
                    by=_user(request),
                )
                messages.success(request, f"Saved team {team.name}.")
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("staff")
