"""SLA clocks: due times at ingest, the pause while waiting on the customer, first
responses, and the periodic check that warns before and escalates on a breach."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from config.celery import task_send
from config.errors import DomainError
from config.stamps import SLA, StampedCache, Stamps
from config.tenancy import current_schema
from routing.models import SlaPolicy
from routing.shifts import DEFAULT_TIMEZONE
from routing.sla import (
    BusinessCalendar,
    CalendarError,
    add_business_minutes,
    business_minutes_between,
)


@dataclass
class SlaPolicies:
    """The client's policies, their calendars built once (per batch or check)."""

    by_id: dict[int, SlaPolicy] = field(default_factory=dict)
    default: SlaPolicy | None = None
    calendars: dict[int, BusinessCalendar] = field(default_factory=dict)
    # Due times by (policy, priority, start): a batch starts every clock at the same instant,
    # so it works out each pair once (about a fifth of a worker's CPU per mention was here).
    dues: dict[tuple[int, int, datetime], tuple[datetime, datetime]] = field(default_factory=dict)

    def get(self, policy_id: int | None) -> SlaPolicy | None:
        return self.by_id.get(policy_id, self.default) if policy_id else self.default

    def calendar(self, policy: SlaPolicy) -> BusinessCalendar:
        if policy.pk not in self.calendars:
            self.calendars[policy.pk] = BusinessCalendar.build(
                timezone=policy.timezone, hours=policy.hours, holidays=policy.holidays
            )
        return self.calendars[policy.pk]


# The client's policies and their calendars, kept per process while its 'sla' stamp holds
# (`config.stamps`; a trigger on the policies table bumps it). Each load hands out its own
# `SlaPolicies` around them: the due times it works out belong to one batch or check.
_compiled: StampedCache[SlaPolicies] = StampedCache(SLA)


def sla_policies_load(*, stamps: Stamps | None = None) -> SlaPolicies:
    """The current client's SLA policies (`stamps`: read once by the caller's batch); read
    again only after they changed. Read them, never change the policies handed out."""
    held = _compiled.get(stamps=stamps, build=_sla_policies_build)
    return SlaPolicies(by_id=held.by_id, default=held.default, calendars=held.calendars)


def _sla_policies_build() -> SlaPolicies:
    policies = list(SlaPolicy.objects.all())
    return SlaPolicies(
        by_id={policy.pk: policy for policy in policies},
        default=next((policy for policy in policies if policy.is_default), None),
    )


def sla_policies_timezone(policies: SlaPolicies) -> str:
    """The client's time zone: its default policy's (business hours live there), else its
    oldest policy's, else Europe/Berlin."""
    oldest = policies.by_id[min(policies.by_id)] if policies.by_id else None
    zone = (policies.default.timezone if policies.default else "") or (
        oldest.timezone if oldest else ""
    )
    return zone or DEFAULT_TIMEZONE


def sla_policy_ensure_default() -> SlaPolicy:
    policy = SlaPolicy.objects.filter(is_default=True).first()
    if policy is None:
        policy = SlaPolicy.objects.create(name="Business hours", is_default=True)
    return policy


def sla_calendar_problems(
    *, timezone: str, hours: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """What is wrong with a time zone and opening hours, by field, in plain words."""
    problems: dict[str, list[str]] = {}
    try:
        BusinessCalendar.build(timezone=timezone, hours={})
    except CalendarError:
        problems["time_zone"] = [f"{timezone!r} is not a time zone; use one like Europe/Berlin."]
    try:
        BusinessCalendar.build(timezone="UTC", hours=hours)
    except CalendarError as exc:
        problems["business_hours"] = [f"Opening hours: {exc}."]
    else:
        if not any(hours.values()):
            problems["business_hours"] = ["Open on at least one day, or SLA clocks never run."]
    return problems


def sla_policy_default_configure(*, timezone: str, hours: Mapping[str, Sequence[str]]) -> SlaPolicy:
    """Set the default policy's time zone and business hours (created when missing)."""
    problems = sla_calendar_problems(timezone=timezone, hours=hours)
    if problems:
        raise DomainError("The business hours are not valid.", fields=problems)
    policy = sla_policy_ensure_default()
    before = (policy.timezone, policy.hours)
    policy.timezone = timezone
    policy.hours = {day: list(spans) for day, spans in hours.items() if spans}
    policy.save(update_fields=["timezone", "hours"])
    if (policy.timezone, policy.hours) != before:
        # Every stopped care clock was measured in the old hours: measure them again.
        schema = current_schema()
        transaction.on_commit(lambda: task_send("mentions.clocks_restamp", schema), robust=True)
    return policy


def sla_dues(
    *, policies: SlaPolicies, policy: SlaPolicy, priority: int, start: datetime
) -> tuple[datetime, datetime]:
    key = (policy.pk, priority, start)
    found = policies.dues.get(key)
    if found is None:
        calendar = policies.calendar(policy)
        first = int(policy.first_response_minutes.get(str(priority), 240))
        resolution = int(policy.resolution_minutes.get(str(priority), 3 * 540))
        found = policies.dues[key] = (
            add_business_minutes(start, first, calendar),
            add_business_minutes(start, resolution, calendar),
        )
    return found


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
