"""Scheduled report mails: client admins list, add, pause, delete and send now; everyone
who can read reports sees the schedules and what was sent. The mailed CSV link
(`/reports/shared/<token>/report.csv`) works without a login while its signature holds."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role, User
from accounts.selectors import role_at_least
from config.errors import DomainError
from frontend.access import client_member_required
from frontend.params import form_int
from mentions.models import Aspect, Kind
from reports import figures
from reports.models import ReportFrequency
from reports.scheduling import (
    WEEKDAYS,
    ScheduleInput,
    delivery_for_csv_token,
    delivery_period,
    report_schedule_delete,
    report_schedule_get,
    report_schedule_save,
    report_schedule_send_now,
    schedule_input_of,
    schedule_next_send,
    schedule_slice,
    schedule_when_text,
    schedules_visible_to,
    schedules_with_history,
)
from reports.tables import report_tables_csv
from routing.models import Department
from sources.models import Source


def _forbidden(request: HttpRequest) -> HttpResponse:
    role = request.lotse_role  # type: ignore[attr-defined]
    return render(
        request, "frontend/forbidden.html", {"needs": Role.CLIENT_ADMIN, "role": role}, status=403
    )


def _number(value: str | None) -> int:
    """A form's number, or -1 (refused by the service with a plain message)."""
    found = form_int(value)
    return -1 if found is None else found


def _input(request: HttpRequest) -> ScheduleInput:
    post = request.POST
    return ScheduleInput(
        name=post.get("name", ""),
        frequency=post.get("frequency", ""),
        weekday=_number(post.get("weekday")),
        day_of_month=_number(post.get("day_of_month")),
        hour=_number(post.get("hour")),
        recipients=post.get("recipients", "").replace(",", "\n").replace(";", "\n").splitlines(),
        filters={
            key: post.get(key, "").strip()
            for key in ("source", "language", "department", "aspect", "kind")
        },
    )


def sees_schedules(user: User, role: str | None) -> bool:
    return schedules_visible_to(user=user, role=role)


@client_member_required(allow=sees_schedules, needs=Role.CLIENT_ADMIN)
def report_schedules_page(request: HttpRequest) -> HttpResponse:
    role = request.lotse_role  # type: ignore[attr-defined]
    can_edit = role_at_least(role, Role.CLIENT_ADMIN)
    problems: dict[str, list[str]] = {}
    form = request.POST if request.method == "POST" else None
    if request.method == "POST":
        if not can_edit:
            return _forbidden(request)
        try:
            schedule = report_schedule_save(
                schedule=None,
                data=_input(request),
                actor=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except DomainError as exc:
            problems = exc.fields
            messages.error(request, "The schedule was not saved: see the marked fields.")
        else:
            messages.success(request, f"Schedule “{schedule.name}” saved.")
            return redirect("report-schedules")
    zone = figures.report_zone().key
    schedules = [
        {
            "schedule": schedule,
            "when": schedule_when_text(schedule),
            "next": schedule_next_send(schedule) if schedule.enabled else None,
            "history": history,
        }
        for schedule, history in schedules_with_history()
    ]
    context = {
        "schedules": schedules,
        "can_edit": can_edit,
        "zone": zone,
        "problems": problems,
        "when_problems": [
            m for k in ("weekday", "day_of_month", "hour") for m in problems.get(k, [])
        ],
        "filter_problems": [
            m for k in ("source", "department", "aspect", "kind") for m in problems.get(k, [])
        ],
        "form": form,
        "frequencies": ReportFrequency.choices,
        "weekdays": list(enumerate(WEEKDAYS)),
        "days": range(1, 29),
        "hours": range(24),
        "sources": Source.objects.order_by("name").values_list("pk", "name"),
        "departments": Department.objects.order_by("name"),
        "aspects": Aspect.objects.filter(active=True).order_by("name"),
        "kinds": Kind.choices,
    }
    status = 400 if problems else 200
    return render(request, "frontend/report_schedules.html", context, status=status)


@require_POST
@client_member_required(min_role=Role.CLIENT_ADMIN)
def report_schedule_action(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = report_schedule_get(schedule_id=pk)
    action = request.POST.get("action", "")
    if action == "send":
        report_schedule_send_now(schedule=schedule, actor=request.user)
        messages.success(request, f"“{schedule.name}” is being sent now; it shows below once sent.")
    elif action == "delete":
        report_schedule_delete(schedule=schedule, actor=request.user)
        messages.success(
            request, f"Schedule “{schedule.name}” deleted; its mailed links stop working."
        )
    elif action in ("pause", "resume"):
        data = schedule_input_of(schedule, enabled=action == "resume")
        report_schedule_save(
            schedule=schedule, data=data, actor=request.user, base_url=schedule.base_url
        )
        messages.success(
            request, f"“{schedule.name}” {'resumed' if schedule.enabled else 'paused'}."
        )
    else:
        messages.error(request, "Unknown action.")
    return redirect("report-schedules")


@require_GET
def report_shared_csv(request: HttpRequest, token: str) -> HttpResponse | StreamingHttpResponse:
    """The report's tables as CSV for a mailed link (no login: the signature, the client,
    30 days and the schedule's existence are the check)."""
    delivery = delivery_for_csv_token(token)
    if delivery is None:
        return HttpResponse(
            "This link is not valid (any more). Ask for a new report.",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    period = delivery_period(delivery)
    rows = report_tables_csv(period=period, slice_=schedule_slice(delivery.schedule))
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="report-{period.first}-{period.last}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value
