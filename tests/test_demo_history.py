"""The demo's back history: a story the reports can tell (care set up, a crisis week)."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Q, Sum

from accounts.models import Client
from mentions.clocks import clock_calendar_for, clocks_measure
from mentions.models import Mention, ProblemCluster, Response
from reports.models import Alert, MentionHour
from routing.services.sla import sla_policies_load
from sources.demo_content import DEMO_DAILY_VOLUME, demo_hourly_rate
from sources.services.demo_history import (
    CARE_SETTLED,
    CARE_START,
    demo_history_write,
    history_needed,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
DAYS = 30


def _write(world: World) -> object:
    return demo_history_write(
        source=world.acme.source,
        client_slug="nordbahn",
        time_zone="Europe/Berlin",
        responders=[(world.rita.pk, "Rita"), (world.alice.pk, "Alice")],
        now=NOW,
        days=DAYS,
        seed=7,
    )


def _negative_share(mentions: list[Mention]) -> float:
    relevant = [m for m in mentions if m.relevant]
    return sum(m.sentiment == "negative" for m in relevant) / len(relevant)


def _history_covers_the_days_before_today_at_the_demo_level(history: object) -> None:
    mentions = Mention.objects.all()
    first = mentions.order_by("published_at").first()
    last = mentions.order_by("-published_at").first()
    assert first is not None and last is not None
    assert first.published_at >= NOW - timedelta(days=DAYS + 1)
    assert last.published_at < NOW
    # Growth from under half of today's level to all of it; weekends quieter.
    assert 0.4 * DAYS * DEMO_DAILY_VOLUME < mentions.count() < 1.1 * DAYS * DEMO_DAILY_VOLUME
    assert all(
        m.received_at >= m.published_at for m in mentions.only("published_at", "received_at")[:500]
    )


def _negative_share_falls_and_answers_come_faster_after_care_was_set_up(
    history: object,
) -> None:
    start = NOW - timedelta(days=DAYS)
    before = list(
        Mention.objects.filter(published_at__lt=start + timedelta(days=CARE_START * DAYS - 1))
    )
    after = list(
        Mention.objects.filter(published_at__gte=start + timedelta(days=CARE_SETTLED * DAYS + 1))
    )
    assert _negative_share(after) < _negative_share(before) - 0.1

    def answered(mentions: list[Mention]) -> list[float]:
        return [
            (m.first_response_at - m.received_at).total_seconds()
            for m in mentions
            if m.first_response_at is not None
        ]

    def needing(mentions: list[Mention]) -> list[Mention]:
        return [m for m in mentions if m.relevant and m.status != "ignored" and m.kind != "spam"]

    assert len(answered(before)) / len(needing(before)) < 0.6
    assert len(answered(after)) / len(needing(after)) > 0.8
    assert statistics.median(answered(after)) * 3 < statistics.median(answered(before))


def _history_is_settled_and_the_crisis_week_left_a_closed_alert(history: object) -> None:
    assert not Mention.objects.exclude(status__in=["resolved", "ignored"]).exists()
    assert not ProblemCluster.objects.exclude(status="resolved").exists()
    alert = Alert.objects.get()
    assert alert.closed_at is not None
    assert alert.volume > alert.baseline_volume * 2


def _report_rollups_hold_the_history(history: object) -> None:
    totals = MentionHour.objects.aggregate(mentions=Sum("mentions"), responded=Sum("responded"))
    relevant = Mention.objects.filter(relevant=True)
    assert totals["mentions"] == relevant.count()
    assert totals["responded"] == relevant.filter(~Q(first_response_at=None)).count()
    # Each answer has its first response, by one of the responders (workload per person).
    firsts = Response.objects.filter(is_first=True)
    assert firsts.count() == Mention.objects.filter(~Q(first_response_at=None)).count()
    assert set(firsts.values_list("author_name", flat=True)) == {"Rita", "Alice"}


def _care_clocks_are_measured_and_slas_judged_as_answers_would_be(history: object) -> None:
    stopped = list(
        Mention.objects.exclude(first_response_at=None, resolved_at=None).values_list(
            "id",
            "received_at",
            "first_response_at",
            "resolved_at",
            "sla_policy_id",
            "first_response_business_seconds",
            "resolution_business_seconds",
        )
    )
    assert stopped
    measured = clocks_measure(
        [row[:5] for row in stopped], calendar_for=clock_calendar_for(sla_policies_load())
    )
    assert [(row[0], row[5], row[6]) for row in stopped] == measured
    assert any(first is not None for _, first, _ in measured)
    judged = (
        Mention.objects.filter(relevant=True, status="resolved")
        .exclude(kind="spam")
        .exclude(first_response_due=None)
    )
    assert judged.exists()
    for answered_at, due, state in judged.values_list(
        "first_response_at", "first_response_due", "sla_state"
    ):
        met = answered_at is not None and answered_at <= due
        assert state == ("met" if met else "breached")


def test_demo_history_tells_the_story_once(world: World, in_acme: Client) -> None:
    """One history (about ten seconds to write), read for each part of the story."""
    assert history_needed(source=world.acme.source, now=NOW)
    history = _write(world)
    _history_covers_the_days_before_today_at_the_demo_level(history)
    _negative_share_falls_and_answers_come_faster_after_care_was_set_up(history)
    _history_is_settled_and_the_crisis_week_left_a_closed_alert(history)
    _report_rollups_hold_the_history(history)
    _care_clocks_are_measured_and_slas_judged_as_answers_would_be(history)
    assert not history_needed(source=world.acme.source, now=NOW)


def test_the_live_stream_keeps_the_level_the_history_ends_at() -> None:
    week = [datetime(2026, 11, 23, tzinfo=UTC) + timedelta(hours=h) for h in range(7 * 24)]
    per_day = sum(demo_hourly_rate(moment) for moment in week) / 7
    assert per_day == pytest.approx(DEMO_DAILY_VOLUME, rel=0.05)
    # Nights are quiet, commute hours busy.
    assert demo_hourly_rate(week[3]) * 10 < demo_hourly_rate(week[8])
