"""SLA clocks: due times at ingest, the pause while waiting on the customer, first
responses, and the periodic check that warns before and escalates on a breach."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from routing.models import Department, SlaPolicy
from routing.sla import BusinessCalendar, add_business_minutes, business_minutes_between

OPEN = ("new", "assigned", "escalated")


@dataclass
class SlaPolicies:
    """The client's policies, their calendars built once (per batch or check)."""

    by_id: dict[int, SlaPolicy] = field(default_factory=dict)
    default: SlaPolicy | None = None
    calendars: dict[int, BusinessCalendar] = field(default_factory=dict)

    def get(self, policy_id: int | None) -> SlaPolicy | None:
        return self.by_id.get(policy_id, self.default) if policy_id else self.default

    def calendar(self, policy: SlaPolicy) -> BusinessCalendar:
        if policy.pk not in self.calendars:
            self.calendars[policy.pk] = BusinessCalendar.build(
                timezone=policy.timezone, hours=policy.hours, holidays=policy.holidays
            )
        return self.calendars[policy.pk]


def sla_policies_load() -> SlaPolicies:
    policies = list(SlaPolicy.objects.all())
    return SlaPolicies(
        by_id={policy.pk: policy for policy in policies},
        default=next((policy for policy in policies if policy.is_default), None),
    )


def sla_policy_ensure_default() -> SlaPolicy:
    policy = SlaPolicy.objects.filter(is_default=True).first()
    if policy is None:
        policy = SlaPolicy.objects.create(name="Business hours", is_default=True)
    return policy


def sla_dues(
    *, policies: SlaPolicies, policy: SlaPolicy, priority: int, start: datetime
) -> tuple[datetime, datetime]:
    calendar = policies.calendar(policy)
    first = int(policy.first_response_minutes.get(str(priority), 240))
    resolution = int(policy.resolution_minutes.get(str(priority), 3 * 540))
    return (
        add_business_minutes(start, first, calendar),
        add_business_minutes(start, resolution, calendar),
    )


def mention_sla_on_status(*, mention: Any, old: str, new: str, now: datetime) -> list[str]:
    """Move the mention's SLA clock for a status change; returns the changed fields.

    Waiting on the customer pauses the clock; leaving it resumes with the business time
    that was left. Responding or resolving stops the first-response clock."""
    changed: list[str] = []
    if mention.sla_policy_id is None and mention.first_response_due is None:
        return changed
    policies = sla_policies_load()
    policy = policies.get(mention.sla_policy_id)
    if new == "waiting" and old != "waiting" and mention.sla_paused_at is None:
        mention.sla_paused_at = now
        changed.append("sla_paused_at")
    elif old == "waiting" and new != "waiting" and mention.sla_paused_at is not None:
        if policy is not None:
            calendar = policies.calendar(policy)
            for name in ("first_response_due", "resolution_due"):
                due = getattr(mention, name)
                if due is not None:
                    left = business_minutes_between(mention.sla_paused_at, due, calendar)
                    setattr(mention, name, add_business_minutes(now, max(left, 0), calendar))
                    changed.append(name)
        mention.sla_paused_at = None
        changed.append("sla_paused_at")
    if new in ("responded", "resolved") and mention.first_response_at is None:
        mention.first_response_at = now
        changed.append("first_response_at")
        due = mention.first_response_due
        if mention.sla_state != "breached" and (due is None or now <= due):
            mention.sla_state = "met"
            changed.append("sla_state")
    return changed


@dataclass
class SlaCheckOutcome:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)


def _notify(user_id: int | None, text: str, link: str) -> None:
    from routing.services.notifications import notification_create

    if user_id is not None:
        notification_create(user_id=user_id, text=text, link=link)


@transaction.atomic
def sla_check(*, now: datetime | None = None) -> SlaCheckOutcome:
    """Warn before first responses fall due; on a breach escalate: status escalated,
    priority raised, assigned to the department's lead, the lead notified. Idempotent."""
    from mentions.events import MENTION_UPDATED, mentions_broadcast
    from mentions.models import Mention

    now = now or timezone.now()
    policies = sla_policies_load()
    longest_warning = max([p.warn_before_minutes for p in policies.by_id.values()] or [0])
    running = Mention.objects.filter(
        first_response_at__isnull=True, sla_paused_at__isnull=True, status__in=OPEN
    ).select_for_update(skip_locked=True, of=("self",))
    outcome = SlaCheckOutcome()
    changed: list[Mention] = []
    leads: dict[int | None, int | None] = dict(Department.objects.values_list("pk", "lead_id"))

    due_soon = running.filter(
        sla_state="ok",
        first_response_due__lte=now + timedelta(minutes=longest_warning),
        first_response_due__gt=now,
    )
    for mention in due_soon.select_related("author", "department", "assignee"):
        policy = policies.get(mention.sla_policy_id)
        warn = timedelta(minutes=policy.warn_before_minutes if policy else longest_warning)
        if mention.first_response_due is None or mention.first_response_due - warn > now:
            continue
        mention.sla_state = "warning"
        mention.updated_at = now
        mention.save(update_fields=["sla_state", "updated_at"])
        _notify(
            mention.assignee_id or leads.get(mention.department_id),
            f"Mention {mention.pk} needs a first response by "
            f"{mention.first_response_due:%Y-%m-%d %H:%M} UTC",
            f"/mentions/{mention.pk}/",
        )
        outcome.warned.append(mention.pk)
        changed.append(mention)

    overdue = (
        Mention.objects.filter(
            status__in=OPEN, sla_paused_at__isnull=True, sla_state__in=["ok", "warning"]
        )
        .filter(models_q_overdue(now))
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("author", "department", "assignee")
    )
    for mention in overdue:
        before = {
            "status": mention.status,
            "priority": mention.priority,
            "assignee_id": mention.assignee_id,
        }
        lead_id = leads.get(mention.department_id)
        mention.sla_state = "breached"
        mention.status = "escalated"
        mention.priority = min(mention.priority + 1, 4)
        mention.escalated_at = now
        if lead_id is not None:
            mention.assignee_id = lead_id
        mention.updated_at = now
        mention.save(
            update_fields=[
                "sla_state",
                "status",
                "priority",
                "escalated_at",
                "assignee",
                "updated_at",
            ]
        )
        which = "first response" if mention.first_response_at is None else "resolution"
        audit_record(
            actor=None,
            action="mention.sla_breached",
            target_type="mention",
            target_id=mention.pk,
            summary=f"SLA breached ({which}); escalated mention {mention.pk}",
            before=before,
            after={
                "status": mention.status,
                "priority": mention.priority,
                "assignee_id": mention.assignee_id,
            },
        )
        _notify(
            lead_id,
            f"SLA breached on mention {mention.pk}: escalated to you",
            f"/mentions/{mention.pk}/",
        )
        outcome.breached.append(mention.pk)
        changed.append(mention)
    if changed:
        fresh = {
            m.pk: m
            for m in Mention.objects.filter(pk__in=[m.pk for m in changed]).select_related(
                "author", "department", "assignee"
            )
        }
        mentions_broadcast(event_type=MENTION_UPDATED, mentions=list(fresh.values()))
    return outcome


def models_q_overdue(now: datetime) -> Any:
    from django.db.models import Q

    return Q(first_response_at__isnull=True, first_response_due__lte=now) | Q(
        resolution_due__lte=now, resolved_at__isnull=True
    )
