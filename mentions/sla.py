"""SLA escalation, applied to mentions: the periodic check warns before first responses
fall due and escalates on a breach. Routing owns the policies and the clock arithmetic
(`routing.services.sla`); the part that owns mentions applies them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit.services import audit_record
from config.metrics import SLA_BREACHES, metric_inc
from mentions.events import MENTION_UPDATED, mentions_broadcast
from mentions.models import Mention
from routing.models import Department
from routing.services.notifications import notification_create
from routing.services.sla import sla_policies_load

# The statuses whose SLA clocks run.
OPEN = ("new", "assigned", "escalated")


@dataclass
class SlaCheckOutcome:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)


def _notify(user_id: int | None, text: str, link: str) -> None:
    if user_id is not None:
        notification_create(user_id=user_id, text=text, link=link)


@transaction.atomic
def sla_check(*, now: datetime | None = None) -> SlaCheckOutcome:
    """Warn before first responses fall due; on a breach escalate: status escalated,
    priority raised, assigned to the department's lead, the lead notified. Idempotent."""
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
    if outcome.breached:
        breaches = len(outcome.breached)
        transaction.on_commit(lambda: metric_inc(SLA_BREACHES, breaches), robust=True)
    return outcome


def models_q_overdue(now: datetime) -> Any:
    return Q(first_response_at__isnull=True, first_response_due__lte=now) | Q(
        resolution_due__lte=now, resolved_at__isnull=True
    )
