"""End to end: a burst of negative mentions arrives through the API, the real worker
stores it, beat's spike check opens alerts, and the open inbox shows the banner live;
the PR contact is e-mailed by the worker, and another client's inbox stays quiet."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from mentions.models import Author, Mention
from reports.models import Alert, AlertSettings
from tests.e2e.conftest import ARTIFACTS, MAIL_DIR
from tests.e2e.test_browser_inbox import browser, logged_in_page  # noqa: F401
from tests.e2e.test_push_to_websocket import signed_push
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_beat_opens_an_alert_on_a_negative_burst_and_the_inbox_shows_it(
    browser,  # noqa: F811
    live_stack,
    live_db,
):
    world = live_db
    started = time.time() - 1
    now = timezone.now()
    with tenant_context(world.acme.client):
        # A little history: a client is alerted only once it has a baseline (7 days).
        author = Author.objects.create(network="test", handle="regular")
        Mention.objects.bulk_create(
            Mention(
                source=world.acme.source,
                external_id=f"history-{i}",
                text="Guter Service heute",
                sentiment="positive",
                published_at=now - timedelta(days=8, minutes=i),
                author=author,
            )
            for i in range(4)
        )
        AlertSettings.objects.create(pr_emails=["pr@acme.test"])
    alice = logged_in_page(browser, live_stack, "acme", world.alice.email)
    bob = logged_in_page(browser, live_stack, "globex", world.bob.email)
    assert alice.locator("#alert-banner").is_hidden()

    burst = [
        mention_item(
            text=f"Furchtbar, schon wieder Verspätung und der Zug fällt aus ({i})",
            published_at=timezone.now().isoformat(),
            author={"handle": f"angry{i}"},
        )
        for i in range(14)
    ]
    burst.append(
        mention_item(
            text="Zug fällt aus, furchtbar. Ich berichte gleich darüber.",
            published_at=timezone.now().isoformat(),
            author={"handle": "bahnblogger", "followers": 250_000, "following": 300},
            engagement={"likes": 4_000, "reposts": 900, "replies": 350},
        )
    )
    assert signed_push(live_stack, world.acme, burst).status_code == 202

    banner = alice.locator("#alert-banner")
    banner.wait_for(state="visible", timeout=30_000)
    alice.locator("#alert-list li", has_text="Negative share").wait_for(timeout=10_000)
    assert "Volume spike" in banner.inner_text()
    alice.screenshot(path=str(ARTIFACTS / "inbox-alert-banner.png"))

    with tenant_context(world.acme.client):
        kinds = set(Alert.objects.filter(closed_at__isnull=True).values_list("kind", flat=True))
        assert kinds == {"volume", "negative_share"}
    with tenant_context(world.globex.client):
        assert not Alert.objects.exists()
    assert bob.locator("#alert-banner").is_hidden()

    # The influencer stands out in the inbox and is found by the segment filter.
    alice.locator("select[name=segment]").select_option("mass_connector")
    alice.wait_for_url("**segment=mass_connector**")
    rows = alice.locator("tr.mention-row")
    assert rows.count() == 1 and "Mass connector" in rows.first.inner_text()
    alice.screenshot(path=str(ARTIFACTS / "inbox-segment-filter.png"))
    rows.first.locator("td.text a").click()
    alice.locator(".author-influence .segment-mass_connector").wait_for(timeout=5_000)
    alice.screenshot(path=str(ARTIFACTS / "mention-influence.png"))

    alice.goto(f"http://{live_stack.host('acme')}/alerts/")
    alice.locator("svg polyline.volume").wait_for(timeout=5_000)
    alice.screenshot(path=str(ARTIFACTS / "alerts-page.png"), full_page=True)
    # The worker e-mailed the PR contact (the live stack's mail files), once per alert
    # however many checks ran meanwhile (the mail task runs after the check: wait for it).
    deadline = time.monotonic() + 30
    while True:
        log = "".join(
            path.read_text(encoding="utf-8", errors="replace")
            for path in MAIL_DIR.glob("*")
            if path.stat().st_mtime >= started
        )
        if "Negative share alert" in log or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert log.count("Subject: [Lotse] Acme Rail: Negative share alert") == 1
    assert "To: pr@acme.test" in log

    # A manager acknowledges both alerts from the banner: it is gone, for everyone.
    alice.goto(f"http://{live_stack.host('acme')}/")
    for _ in range(2):
        alice.locator("#alert-list li button", has_text="Acknowledge").first.click()
        alice.locator(".message.success", has_text="acknowledged").wait_for(timeout=5_000)
    assert alice.locator("#alert-banner").is_hidden()
    alice.screenshot(path=str(ARTIFACTS / "inbox-alert-acknowledged.png"))
    with tenant_context(world.acme.client):
        assert not Alert.objects.filter(acknowledged_at__isnull=True).exists()
