"""Scheduled report mails: client admins keep schedules; beat sends each period once, on
time in the client's time zone (`reports.schedules` says when); "send now" sends at once.
Each mail has the PDF attached, the key figures in its text and a signed link (valid 30
days, no login) to the report's tables as CSV, so recipients outside Lotse can read it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import Role, User
from accounts.selectors import role_at_least
from config.celery import task_send
from config.errors import DomainError
from config.tenancy import current_schema
from mentions.models import Aspect, Kind
from reports import figures
from reports.document import report_document
from reports.formatting import NO_FIGURE
from reports.models import ReportDelivery, ReportFrequency, ReportSchedule
from reports.pdf import letterhead_for, report_pdf
from reports.schedules import When, due_period, next_occurrence
from routing.models import Department
from sources.models import Source

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 50
LINK_DAYS = 30
_LINK_SALT = "lotse.report-csv"
FILTER_KEYS = ("source", "language", "department", "aspect", "kind")


@dataclass(frozen=True)
class ScheduleInput:
    name: str
    frequency: str
    weekday: int
    day_of_month: int
    hour: int
    recipients: list[str]
    filters: dict[str, str]
    enabled: bool = True


def _recipients(raw: list[str]) -> tuple[list[str], str | None]:
    found: list[str] = []
    for address in raw:
        address = address.strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except Exception:
            return [], f"{address} is not an e-mail address."
        if address not in found:
            found.append(address)
    if not found:
        return [], "Add at least one recipient."
    if len(found) > MAX_RECIPIENTS:
        return [], f"At most {MAX_RECIPIENTS} recipients."
    return found, None


def schedule_problems(data: ScheduleInput) -> tuple[dict[str, str], list[str]]:
    """Every problem with the input, by field, and the cleaned recipients."""
    problems: dict[str, str] = {}
    if not data.name.strip():
        problems["name"] = "Give the schedule a name."
    elif len(data.name.strip()) > 120:
        problems["name"] = "At most 120 characters."
    if data.frequency not in ReportFrequency.values:
        problems["frequency"] = "Choose weekly or monthly."
    if not 0 <= data.weekday <= 6:
        problems["weekday"] = "Choose a day of the week."
    if not 1 <= data.day_of_month <= 28:
        problems["day_of_month"] = "Choose a day from 1 to 28 (every month has it)."
    if not 0 <= data.hour <= 23:
        problems["hour"] = "Choose an hour from 0 to 23."
    recipients, problem = _recipients(data.recipients)
    if problem:
        problems["recipients"] = problem
    filters = data.filters
    source = str(filters.get("source") or "")
    if source and not (source.isdigit() and Source.objects.filter(pk=int(source)).exists()):
        problems["source"] = "No such source."
    if (
        filters.get("department")
        and not Department.objects.filter(slug=filters["department"]).exists()
    ):
        problems["department"] = "No such department."
    if filters.get("aspect") and not Aspect.objects.filter(slug=filters["aspect"]).exists():
        problems["aspect"] = "No such aspect."
    if filters.get("kind") and filters["kind"] not in Kind.values:
        problems["kind"] = "No such kind."
    return problems, recipients


def report_schedule_save(
    *, schedule: ReportSchedule | None, data: ScheduleInput, actor: Any, base_url: str
) -> ReportSchedule:
    """Create or change a schedule (client admins; the view checks the role). Raises
    ValidationFailed with every problem by field."""
    problems, recipients = schedule_problems(data)
    if problems:
        raise DomainError(
            "The schedule has invalid fields.",
            fields={key: [text] for key, text in problems.items()},
        )
    filters = {
        key: str(value) for key, value in data.filters.items() if key in FILTER_KEYS and value
    }
    fields = {
        "name": data.name.strip(),
        "frequency": data.frequency,
        "weekday": data.weekday,
        "day_of_month": data.day_of_month,
        "hour": data.hour,
        "recipients": recipients,
        "filters": filters,
        "enabled": data.enabled,
        "base_url": base_url.rstrip("/"),
    }
    with transaction.atomic():
        if schedule is None:
            schedule = ReportSchedule.objects.create(created_by_id=actor.pk, **fields)
            action = "report_schedule.created"
        else:
            for key, value in fields.items():
                setattr(schedule, key, value)
            schedule.save()
            action = "report_schedule.changed"
        audit_record(
            actor=actor,
            action=action,
            target_type="report_schedule",
            target_id=schedule.pk,
            summary=f"Report schedule {schedule.name}: {schedule.get_frequency_display()} "
            f"to {len(recipients)} recipient(s)",
            after={
                "recipients": recipients,
                "filters": filters,
                "when": schedule_when_text(schedule),
            },
        )
    return schedule


def report_schedule_delete(*, schedule: ReportSchedule, actor: Any) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="report_schedule.deleted",
            target_type="report_schedule",
            target_id=schedule.pk,
            summary=f"Report schedule {schedule.name} deleted",
        )
        schedule.delete()


def report_schedule_get(*, schedule_id: int) -> ReportSchedule:
    """One of this client's schedules (the schema is the client's), or 404."""
    schedule = ReportSchedule.objects.filter(pk=schedule_id).first()
    if schedule is None:
        raise Http404("No such schedule")
    return schedule


def schedules_visible_to(*, user: User, role: str | None) -> bool:
    """Whether this person may read the client's report schedules and what they sent (the
    Schedules page and the API ask the same). Schedules mail the whole client's figures: not
    for staff limited to departments; client admins, who set them up, always."""
    if role is None:
        return False
    if role_at_least(role, Role.CLIENT_ADMIN):
        return True
    return figures.report_scope_for_user(user=user) is None


def report_schedule_list() -> QuerySet[ReportSchedule]:
    return ReportSchedule.objects.order_by("name", "id")


def report_deliveries_of(*, schedule: ReportSchedule) -> QuerySet[ReportDelivery]:
    """What was sent for `schedule`, newest first."""
    return ReportDelivery.objects.filter(schedule=schedule).order_by("-id")


def schedule_input_of(schedule: ReportSchedule, **changes: Any) -> ScheduleInput:
    """The schedule as it is, with `changes` (a pause, a partial update) applied."""
    current = ScheduleInput(
        name=schedule.name,
        frequency=schedule.frequency,
        weekday=schedule.weekday,
        day_of_month=schedule.day_of_month,
        hour=schedule.hour,
        recipients=list(schedule.recipients),
        filters=dict(schedule.filters or {}),
        enabled=schedule.enabled,
    )
    return replace(current, **changes)


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def schedule_when(schedule: ReportSchedule) -> When:
    return When(
        frequency=schedule.frequency,
        weekday=schedule.weekday,
        day_of_month=schedule.day_of_month,
        hour=schedule.hour,
    )


def schedule_when_text(schedule: ReportSchedule) -> str:
    at = f"{schedule.hour:02d}:00"
    if schedule.frequency == ReportFrequency.WEEKLY:
        return f"every {WEEKDAYS[schedule.weekday]} at {at}, the past 7 days"
    return f"on day {schedule.day_of_month} of every month at {at}, the past month"


def schedule_next_send(schedule: ReportSchedule, *, now: datetime | None = None) -> datetime:
    zone = figures.report_zone()
    return next_occurrence(when=schedule_when(schedule), zone=zone, now=now or timezone.now())


def schedule_slice(schedule: ReportSchedule) -> figures.Slice:
    """The schedule's filters as a slice of the whole client (its creator is an admin)."""
    filters = schedule.filters or {}
    department = (
        Department.objects.filter(slug=filters.get("department", ""))
        .values_list("pk", flat=True)
        .first()
        if filters.get("department")
        else None
    )
    source = filters.get("source", "")
    return figures.Slice(
        source_id=int(source) if str(source).isdigit() else None,
        language=str(filters.get("language", ""))[:3],
        department_id=department,
        aspect=str(filters.get("aspect", "")),
        kind=str(filters.get("kind", "")),
    )


# --- sending --------------------------------------------------------------------------------


def report_schedules_send_due(*, now: datetime | None = None) -> list[ReportDelivery]:
    """Send every enabled schedule whose latest firing has no delivery yet (beat calls this
    every few minutes; each period is claimed once by the unique constraint)."""
    now = now or timezone.now()
    zone = figures.report_zone()
    sent = []
    for schedule in ReportSchedule.objects.filter(enabled=True).order_by("pk"):
        period = due_period(
            when=schedule_when(schedule), zone=zone, now=now, since=schedule.created_at
        )
        if period is None:
            continue
        try:
            with transaction.atomic():
                delivery = ReportDelivery.objects.create(
                    schedule=schedule,
                    period_first=period[0],
                    period_last=period[1],
                    recipients=schedule.recipients,
                )
        except IntegrityError:
            continue  # this period went out already (or another worker is sending it)
        sent.append(report_delivery_send(delivery_id=delivery.pk))
    return sent


def report_schedule_send_now(*, schedule: ReportSchedule, actor: Any) -> ReportDelivery:
    """Queue a mail of the schedule's latest full period (the last 7 days or the last
    calendar month up to yesterday) at once; the worker sends it."""
    zone = figures.report_zone()
    today = timezone.now().astimezone(zone).date()
    if schedule.frequency == ReportFrequency.WEEKLY:
        first, last = today - timedelta(days=7), today - timedelta(days=1)
    else:
        last = today.replace(day=1) - timedelta(days=1)
        first = last.replace(day=1)
    with transaction.atomic():
        delivery = ReportDelivery.objects.create(
            schedule=schedule,
            period_first=first,
            period_last=last,
            recipients=schedule.recipients,
            manual=True,
            requested_by_id=actor.pk,
        )
        audit_record(
            actor=actor,
            action="report_schedule.sent_now",
            target_type="report_schedule",
            target_id=schedule.pk,
            summary=f"Report {schedule.name} sent now ({first} to {last})",
        )
        schema = current_schema()
        transaction.on_commit(
            lambda: task_send("reports.report_delivery_send", schema, delivery.pk), robust=True
        )
    return delivery


def report_delivery_send(*, delivery_id: int) -> ReportDelivery:
    """Render the PDF and mail it; the delivery says sent or failed (and why)."""
    delivery = ReportDelivery.objects.select_related("schedule").get(pk=delivery_id)
    if delivery.status == ReportDelivery.Status.SENT:
        return delivery  # a retried task: sent already
    schedule = delivery.schedule
    zone = figures.report_zone()
    period = figures.Period(delivery.period_first, delivery.period_last, zone)
    slice_ = schedule_slice(schedule)
    try:
        document = report_document(period=period, slice_=slice_)
        letterhead = letterhead_for(slice_=slice_, zone=zone)
        pdf = report_pdf(document=document, letterhead=letterhead)
        message = EmailMessage(
            subject=f"[Lotse] {letterhead.client}: {schedule.name}, {_days(period)}",
            body=_mail_text(schedule=schedule, delivery=delivery, document=document),
            to=delivery.recipients,
        )
        message.attach(f"report-{period.first}-{period.last}.pdf", pdf, "application/pdf")
        message.send()
    except Exception as error:
        logger.exception("report delivery %s failed", delivery.pk)
        delivery.status = ReportDelivery.Status.FAILED
        delivery.error = f"{type(error).__name__}: {error}"[:300]
        delivery.save(update_fields=["status", "error"])
        return delivery
    delivery.status = ReportDelivery.Status.SENT
    delivery.sent_at = timezone.now()
    delivery.error = ""
    delivery.save(update_fields=["status", "sent_at", "error"])
    return delivery


def _days(period: figures.Period) -> str:
    return f"{period.first:%d %b %Y} to {period.last:%d %b %Y}"


def _mail_text(*, schedule: ReportSchedule, delivery: ReportDelivery, document: Any) -> str:
    figures_text = "\n".join(
        f"- {k.label}: {k.value}" + (f" ({k.delta} against the period before)" if k.delta else "")
        for k in document.kpis
    )
    link = f"{schedule.base_url}/reports/shared/{delivery_csv_token(delivery)}/report.csv"
    return (
        f"{schedule.name}: the report for {_days(document.period)} "
        f"({document.zone}), compared with {_days(document.previous)}.\n\n"
        f"{figures_text}\n\n"
        "The full report with its charts is the attached PDF.\n"
        f"Its tables as CSV (the link works for {LINK_DAYS} days, without a login):\n{link}\n\n"
        f"You get this mail {schedule_when_text(schedule)} "
        f"({document.zone}). A client admin can change or stop it under Reports, Schedules.\n"
    ).replace("None", NO_FIGURE)


# --- the CSV link ---------------------------------------------------------------------------


def delivery_csv_token(delivery: ReportDelivery) -> str:
    return signing.dumps({"s": current_schema(), "d": delivery.pk}, salt=_LINK_SALT)


def delivery_for_csv_token(token: str) -> ReportDelivery | None:
    """The delivery a mailed link names, if the link is genuine, for this client, less than
    LINK_DAYS old, and its schedule still exists (deleting it revokes the links)."""
    try:
        data = signing.loads(token, salt=_LINK_SALT, max_age=timedelta(days=LINK_DAYS))
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != current_schema():
        return None
    delivery_id = data.get("d")
    if not isinstance(delivery_id, int):
        return None
    return ReportDelivery.objects.select_related("schedule").filter(pk=delivery_id).first()


def delivery_period(delivery: ReportDelivery) -> figures.Period:
    return figures.Period(delivery.period_first, delivery.period_last, figures.report_zone())


def schedules_with_history(*, limit: int = 10) -> list[tuple[ReportSchedule, list[ReportDelivery]]]:
    schedules = list(ReportSchedule.objects.order_by("name", "id"))
    history: dict[int, list[ReportDelivery]] = {s.pk: [] for s in schedules}
    for delivery in ReportDelivery.objects.filter(schedule__in=schedules).order_by(
        "-created_at", "-id"
    )[: limit * max(len(schedules), 1)]:
        if len(history[delivery.schedule_id]) < limit:
            history[delivery.schedule_id].append(delivery)
    return [(s, history[s.pk]) for s in schedules]
