"""Spike and crisis alerts: detection against the client's own baseline, hysteresis, and
what happens when an alert opens (stored, notified, e-mailed once, shown), per client."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.audit.models import AuditEntry
from mentions.models import Author, Mention
from reports.models import Alert, AlertSettings
from reports.services import alert_settings_update, spike_check
from reports.spikes import (
    CALM_MINUTES,
    NEGATIVE_SHARE,
    VOLUME,
    Counts,
    baseline_recent,
    baseline_weekly,
    verdict,
)
from routing.models import Notification
from tests.conftest import web_client

# A recent minute, so pages (which chart the last 48 hours from the real clock) show it.
NOW = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)


def weekly(*per_hour: int, negative: float = 0.1) -> list[Counts]:
    return [Counts(total=n, negative=round(n * negative)) for n in per_hour]


def opens(kind: str, window: Counts, samples: list[Counts]) -> bool:
    baseline = baseline_weekly(samples, bucket_minutes=60)
    found = verdict(kind, window, baseline, is_open=False, calm_since=None, now=NOW)
    return found.action == "open"


# -- detection on synthetic series -------------------------------------------------------
def test_a_spike_opens_a_volume_alert():
    usual = weekly(8, 10, 9, 11, 10, 12)  # about 2.5 mentions per 15 minutes
    assert opens(VOLUME, Counts(30, 3), usual)
    assert not opens(VOLUME, Counts(6, 0), usual)


def test_slow_growth_moves_the_baseline_and_opens_nothing():
    growing = weekly(20, 22, 24, 26, 28, 30)  # +10 % a week
    assert not opens(VOLUME, Counts(9, 1), growing)  # this week's 36/h, a little more again
    assert not opens(NEGATIVE_SHARE, Counts(9, 1), growing)


def test_the_same_burst_is_a_spike_at_night_and_normal_by_day():
    night = weekly(3, 4, 5, 4, 3, 4)
    day = weekly(380, 420, 400, 410, 395, 405)
    burst = Counts(25, 3)
    assert opens(VOLUME, burst, night)
    assert not opens(VOLUME, burst, day)


def test_too_few_mentions_never_open_an_alert():
    assert not opens(VOLUME, Counts(9, 9), weekly(0, 0, 0, 0))
    assert not opens(NEGATIVE_SHARE, Counts(9, 9), weekly(0, 0, 0, 0))


def test_negative_share_against_the_usual_share():
    usual = weekly(40, 40, 40, 40, negative=0.2)
    assert opens(NEGATIVE_SHARE, Counts(12, 7), usual)  # 58 % where 20 % is usual
    assert not opens(NEGATIVE_SHARE, Counts(12, 4), usual)  # 33 %
    grumpy = weekly(40, 40, 40, 40, negative=0.5)  # a client people always complain to
    assert not opens(NEGATIVE_SHARE, Counts(12, 7), grumpy)


def test_cold_start_compares_with_the_last_day():
    quiet_day = baseline_recent(Counts(48, 5), minutes=24 * 60)  # 2 an hour
    assert quiet_day.volume == pytest.approx(0.5, rel=0.01)
    assert verdict(VOLUME, Counts(12, 1), quiet_day, is_open=False, calm_since=None, now=NOW)
    assert quiet_day.share == pytest.approx(5 / 48)


def test_hysteresis_gives_one_alert_for_an_oscillating_series():
    usual = baseline_weekly(weekly(8, 10, 9, 11, 10, 12), bucket_minutes=60)
    # Up and down around the opening threshold for an hour, then quiet.
    series = [30, 7, 30, 6, 28, 7, 31, 8] * 8 + [2] * (CALM_MINUTES + 5)
    is_open, calm_since, opened, closed_at = False, None, 0, None
    for minute, total in enumerate(series):
        now = NOW + timedelta(minutes=minute)
        found = verdict(
            VOLUME, Counts(total, 0), usual, is_open=is_open, calm_since=calm_since, now=now
        )
        if found.action == "open":
            is_open, opened = True, opened + 1
        elif found.action == "close":
            is_open, closed_at = False, minute
        calm_since = found.calm_since
    assert opened == 1
    # Closed only after CALM_MINUTES of calm, counted from the first quiet minute.
    assert closed_at == 64 + CALM_MINUTES


# -- the check in a client's schema ------------------------------------------------------
_ids = itertools.count(1)


def seed(world, *, at: datetime, count: int, negative: int = 0) -> None:
    """`count` mentions published at `at` (spread over the minute before it)."""
    author, _ = Author.objects.get_or_create(network="test", handle="crowd")
    Mention.objects.bulk_create(
        Mention(
            source=world.acme.source,
            external_id=f"synthetic-{next(_ids)}",
            text="Zug fällt aus" if i < negative else "Ganz normaler Kommentar",
            sentiment="negative" if i < negative else "neutral",
            published_at=at - timedelta(seconds=i % 60),
            author=author,
        )
        for i in range(count)
    )


def history(world, *, weeks: int = 6, per_hour: int = 8, now: datetime = NOW) -> None:
    """`per_hour` mentions at this hour of the week in each past week, 10 % negative."""
    for week in range(1, weeks + 1):
        for quarter in range(4):
            at = (
                now
                - timedelta(weeks=week)
                - timedelta(minutes=30)
                + timedelta(minutes=15 * quarter + 14)
            )
            seed(world, at=at, count=per_hour // 4, negative=1 if quarter == 0 else 0)


@pytest.fixture
def acme_alerts(world, in_acme, mail_worker, django_capture_on_commit_callbacks):
    AlertSettings.objects.create(pr_emails=["pr@acme.test", "ceo@acme.test"])

    def check(now: datetime = NOW):
        with django_capture_on_commit_callbacks(execute=True):
            return spike_check(now=now)

    yield check
    connection.set_schema_to_public()


@pytest.mark.django_db
def test_a_burst_opens_one_alert_notifies_managers_and_mails_pr_once(world, acme_alerts):
    history(world)
    seed(world, at=NOW, count=30, negative=20)
    outcome = acme_alerts()
    assert {alert.kind for alert in outcome.opened} == {VOLUME, NEGATIVE_SHARE}
    volume = Alert.objects.get(kind=VOLUME)
    assert (volume.volume, volume.negative) == (30, 20)
    assert volume.baseline_volume == pytest.approx(2.0)
    assert "same hour of the week, last 6 weeks" in volume.basis
    assert len(mail.outbox) == 2  # one per alert
    assert mail.outbox[0].to == ["pr@acme.test", "ceo@acme.test"]
    assert "Acme Rail" in mail.outbox[0].subject
    # Managers and admins get an in-app notice; responders and viewers do not.
    notified = set(Notification.objects.values_list("user_id", flat=True))
    assert world.alice.pk in notified and world.rita.pk not in notified
    assert AuditEntry.objects.filter(action="alert.opened").count() == 2

    # Still elevated a minute later: the same alerts, no second mail.
    seed(world, at=NOW + timedelta(minutes=1), count=10, negative=8)
    again = acme_alerts(NOW + timedelta(minutes=1))
    assert again.opened == [] and again.closed == []
    assert Alert.objects.count() == 2 and len(mail.outbox) == 2
    assert Alert.objects.get(kind=VOLUME).peak_volume == 40


@pytest.mark.django_db
def test_an_alert_closes_after_calm_and_a_new_spike_opens_a_new_one(world, acme_alerts):
    history(world)
    seed(world, at=NOW, count=30)
    acme_alerts()
    alert = Alert.objects.get(kind=VOLUME)
    quiet = NOW + timedelta(minutes=20)  # the burst has left the 15-minute window
    acme_alerts(quiet)
    alert.refresh_from_db()
    assert alert.closed_at is None and alert.calm_since == quiet
    acme_alerts(quiet + timedelta(minutes=CALM_MINUTES))
    alert.refresh_from_db()
    assert alert.closed_at == quiet + timedelta(minutes=CALM_MINUTES)
    later = quiet + timedelta(minutes=CALM_MINUTES + 10)
    seed(world, at=later, count=30)
    assert [a.kind for a in acme_alerts(later).opened] == [VOLUME]
    assert Alert.objects.filter(kind=VOLUME).count() == 2


@pytest.mark.django_db
def test_a_new_client_is_not_alerted_in_its_first_hour(world, acme_alerts):
    seed(world, at=NOW, count=50, negative=50)
    assert acme_alerts().opened == []
    assert Alert.objects.count() == 0


@pytest.mark.django_db
def test_old_posts_arriving_now_are_not_a_spike(world, acme_alerts):
    history(world)
    seed(world, at=NOW - timedelta(days=3), count=200, negative=150)  # a backfill
    assert acme_alerts().opened == []


@pytest.mark.django_db
def test_another_client_never_sees_the_alert(world, acme_alerts):
    history(world)
    seed(world, at=NOW, count=30, negative=25)
    acme_alerts()
    assert Alert.objects.filter(closed_at__isnull=True).count() == 2
    connection.set_schema_to_public()
    with tenant_context(world.globex.client):
        assert Alert.objects.count() == 0
        spike_check(now=NOW)  # globex's own check sees none of acme's mentions
        assert Alert.objects.count() == 0
    bob = web_client(world.globex, world.bob)
    assert "data-alert=" not in bob.get("/").content.decode()  # the banner is empty
    assert "No alerts yet" in bob.get("/alerts/").content.decode()
    # Nobody gets acme's alerts page without logging in there.
    assert web_client(world.acme).get("/alerts/").status_code == 302
    alice = web_client(world.acme, world.alice)
    inbox = alice.get("/").content.decode()
    assert inbox.count("data-alert=") == 2 and "Negative share" in inbox
    page = alice.get("/alerts/").content.decode()
    assert "<svg" in page and "pr@acme.test" in page


# -- settings and pages ------------------------------------------------------------------
@pytest.mark.django_db
def test_client_admins_set_pr_contacts_others_cannot(world, in_acme):
    connection.set_schema_to_public()
    alice = web_client(world.acme, world.alice)
    response = alice.post("/alerts/", {"pr_emails": "PR@acme.test\npress@acme.test, pr@acme.test"})
    assert response.status_code == 302
    with tenant_context(world.acme.client):
        assert AlertSettings.objects.get().pr_emails == ["pr@acme.test", "press@acme.test"]
        assert AuditEntry.objects.filter(action="alerts.contacts").exists()
    bad = alice.post("/alerts/", {"pr_emails": "not-an-address\n<script>x</script>"}, follow=True)
    page = bad.content.decode()
    assert bad.status_code == 200 and "not an e-mail address" in page and "<script>x" not in page
    with tenant_context(world.acme.client):
        assert AlertSettings.objects.get().pr_emails == ["pr@acme.test", "press@acme.test"]
    rita = web_client(world.acme, world.rita)
    assert rita.post("/alerts/", {"pr_emails": "me@evil.test"}).status_code == 403
    assert "press@acme.test" in rita.get("/alerts/").content.decode()


@pytest.mark.django_db
def test_settings_service_refuses_too_many_contacts(world, in_acme):
    from config.errors import DomainError

    with pytest.raises(DomainError):
        alert_settings_update(pr_emails=[f"p{i}@acme.test" for i in range(21)], by=world.alice)


@pytest.mark.django_db
def test_alerts_page_explains_an_empty_state(world):
    page = web_client(world.acme, world.vera).get("/alerts/").content.decode()
    assert "No alerts yet" in page and "No mentions in the last 48 hours" in page
    assert "Client admins change this" in page


def test_the_opened_alert_is_pushed_to_its_clients_sockets_only(live_db):
    """The real ASGI app and channels-redis: acme's socket hears the alert, globex's not."""
    import asyncio

    from asgiref.sync import async_to_sync

    from tests.test_websocket import communicator

    world = live_db
    with tenant_context(world.acme.client):
        history(world)
        seed(world, at=NOW, count=30, negative=2)

    def check() -> None:
        with tenant_context(world.acme.client):
            spike_check(now=NOW)

    async def scenario():
        acme = communicator(world.acme.host, token=world.acme.token)
        globex = communicator(world.globex.host, token=world.globex.token)
        for comm in (acme, globex):
            connected, _ = await comm.connect(timeout=5)
            assert connected
        await asyncio.to_thread(check)
        event = await acme.receive_json_from(5)
        leaked = await globex.receive_nothing(timeout=0.5)
        for comm in (acme, globex):
            await comm.disconnect()
        return event, leaked

    event, nothing_for_globex = async_to_sync(scenario)()
    assert event["type"] == "alert.opened"
    assert set(event["alert"]) == {
        "id",
        "kind",
        "label",
        "summary",
        "opened_at",
        "closed_at",
        "volume",
        "negative",
        "baseline_volume",
        "baseline_share",
        "acknowledged_at",
        "acknowledged_by",
    }
    assert (event["alert"]["kind"], event["alert"]["volume"]) == ("volume", 30)
    assert nothing_for_globex
