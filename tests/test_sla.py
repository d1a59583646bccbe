"""SLA clocks on mentions: due at ingest, paused while waiting, warnings and escalation."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.audit.models import AuditEntry
from mentions.models import Mention
from mentions.services import mention_set_status
from mentions.sla import sla_check
from routing.admin import SlaPolicyForm
from routing.models import Department, Notification, SlaPolicy
from routing.services.sla import sla_dues, sla_policies_load
from sources.services import ingest_batch_process, mentions_submit
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

ALWAYS = {day: ["24h"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def always_open(in_acme):
    """Make the default policy run around the clock so tests do not depend on the weekday."""
    policy = SlaPolicy.objects.get(is_default=True)
    policy.hours = ALWAYS
    policy.timezone = "Europe/Berlin"
    policy.save()
    return policy


def ingest(world, **fields) -> Mention:
    result = mentions_submit(source=world.acme.source, items=[mention_item(**fields)])
    ingest_batch_process(batch_id=result.batch_ids[0])
    return Mention.objects.order_by("-id").first()


def test_routed_mentions_get_due_times_by_priority(world, always_open):
    normal = ingest(world, text="Wie spät ist es?")  # question → default rule, normal
    urgent = ingest(world, text="Feuer im Zug! Rauch überall, evakuiert!")  # crisis → urgent
    assert normal.sla_policy_id == always_open.pk
    assert normal.first_response_due - normal.received_at == timedelta(minutes=240)
    assert urgent.first_response_due - urgent.received_at == timedelta(minutes=15)
    assert urgent.resolution_due > urgent.first_response_due
    ignored = ingest(world, text="crypto giveaway, free followers")
    assert ignored.status == "ignored" and ignored.first_response_due is None


def test_waiting_on_the_customer_pauses_the_clock(world, always_open, monkeypatch):
    mention = ingest(world, text="Frage zum Ticket?")
    due = mention.first_response_due
    start = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: start)
    mention_set_status(mention=mention, status="waiting", by=world.rita)
    monkeypatch.setattr("django.utils.timezone.now", lambda: start + timedelta(hours=2))
    mention = Mention.objects.get(pk=mention.pk)
    mention_set_status(mention=mention, status="assigned", by=world.rita)
    mention.refresh_from_db()
    assert mention.sla_paused_at is None
    shift = mention.first_response_due - due
    assert timedelta(hours=2) - timedelta(seconds=2) <= shift <= timedelta(hours=2, seconds=2)


def test_responding_in_time_meets_the_sla(world, always_open):
    mention = ingest(world, text="Frage?")
    mention_set_status(mention=mention, status="responded", by=world.rita)
    mention.refresh_from_db()
    assert mention.first_response_at is not None and mention.sla_state == "met"
    assert mention.pk not in sla_check(now=timezone.now() + timedelta(days=1)).breached


def test_check_warns_before_and_escalates_on_breach(world, always_open):
    care = Department.objects.get(slug="customer-care")
    care.lead_id = world.alice.pk
    care.save()
    mention = ingest(world, text="Frage zur Rechnung?")
    due = mention.first_response_due
    assert sla_check(now=due - timedelta(minutes=30)).warned == []
    assert sla_check(now=due - timedelta(minutes=10)).warned == [mention.pk]
    assert sla_check(now=due - timedelta(minutes=5)).warned == []  # warned once
    outcome = sla_check(now=due + timedelta(minutes=1))
    assert outcome.breached == [mention.pk]
    mention.refresh_from_db()
    assert (mention.status, mention.sla_state, mention.priority) == ("escalated", "breached", 3)
    assert mention.assignee_id == world.alice.pk
    assert Notification.objects.filter(user_id=world.alice.pk, text__contains="breached").exists()
    assert AuditEntry.objects.filter(action="mention.sla_breached", target_id=mention.pk).exists()
    assert sla_check(now=due + timedelta(minutes=2)).breached == []  # escalated once


def test_paused_mentions_do_not_breach(world, always_open):
    mention = ingest(world, text="Frage?")
    mention_set_status(mention=mention, status="waiting", by=world.rita)
    assert sla_check(now=timezone.now() + timedelta(days=3)).breached == []


def test_a_night_shift_policy_sets_due_times_inside_the_night(in_acme):
    # Open 22:00-06:00 Berlin every night; normal priority answers within 240 business
    # minutes. Arriving Tuesday 05:00 (an hour before Monday night's shift ends): one hour
    # that morning, three more from Tuesday 22:00, so due Wednesday 01:00.
    policy = SlaPolicy.objects.get(is_default=True)
    policy.hours = {day: ["22:00-06:00"] for day in ALWAYS}
    policy.timezone = "Europe/Berlin"
    policy.first_response_minutes = {"2": 240}
    policy.resolution_minutes = {"2": 8 * 60}
    policy.save()
    berlin = ZoneInfo("Europe/Berlin")
    first, resolution = sla_dues(
        policies=sla_policies_load(),
        policy=policy,
        priority=2,
        start=datetime(2026, 11, 24, 5, tzinfo=berlin),
    )
    assert first == datetime(2026, 11, 25, 1, tzinfo=berlin)
    assert resolution == datetime(2026, 11, 25, 5, tzinfo=berlin)


@pytest.mark.parametrize(
    ("hours", "error"),
    [
        ('{"mon": ["22:00-06:00"], "tue": ["22:00-06:00"]}', None),
        ('{"mon": ["22:00-06:00"], "tue": ["05:00-09:00"]}', "mon 22:00-06:00 runs into tue"),
        ('{"mon": ["08:00-08:00"]}', "closes when it opens"),
        ('["mon"]', "Like {"),
    ],
)
def test_the_policy_form_checks_opening_hours_as_the_clock_reads_them(in_acme, hours, error):
    form = SlaPolicyForm(
        data={
            "name": "Nights",
            "timezone": "Europe/Berlin",
            "hours": hours,
            "holidays": "",
            "first_response_minutes": '{"2": 240}',
            "resolution_minutes": '{"2": 480}',
            "warn_before_minutes": 15,
        }
    )
    assert form.is_valid() is (error is None), form.errors
    if error:
        assert error in " ".join(form.errors["hours"])
