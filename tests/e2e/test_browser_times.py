"""In a real Chromium whose own clock is in New York: a responder without a profile zone
reads every inbox time in the client's zone (Europe/Berlin), labelled, recent ones relative,
also for a mention that arrives live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401 (the module's Chromium)
from tests.e2e.test_push_to_websocket import signed_push
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_inbox_times_are_in_the_clients_zone_not_the_browsers(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    recent = datetime.now(UTC) - timedelta(minutes=12, seconds=10)
    pushed = signed_push(
        live_stack,
        world.acme,
        [
            mention_item(text="Alte Beschwerde", published_at="2026-01-10T13:05:00+00:00"),
            mention_item(text="Frische Beschwerde", published_at=recent.isoformat()),
        ],
    )
    assert pushed.status_code == 202
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, timezone_id="America/New_York"
    )
    page = context.new_page()
    host = live_stack.host("acme")
    page.goto(f"http://{host}/login/?next=/?status=all")
    page.get_by_label("E-mail").fill(world.rita.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"http://{host}/?status=all")
    old = page.locator("tr.mention-row", has_text="Alte Beschwerde").locator("td.when time")
    old.wait_for(timeout=10_000)
    assert old.inner_text() == "10 Jan 14:05 CET"  # not 08:05 New York time
    assert old.get_attribute("title").endswith("14:05 CET (Europe/Berlin)")
    fresh = page.locator("tr.mention-row", has_text="Frische Beschwerde").locator("td.when time")
    assert fresh.inner_text() in ("12 min ago", "13 min ago")
    assert page.locator("footer.zone-note").inner_text().startswith("Times are in Europe/Berlin")

    page.locator("#live-state.on").wait_for(timeout=10_000)
    signed_push(live_stack, world.acme, [mention_item(text="Gerade eben live")])
    live = page.locator("tr.mention-row", has_text="Gerade eben live").locator("td.when time")
    live.wait_for(timeout=10_000)
    assert "(Europe/Berlin)" in live.get_attribute("title")
    page.screenshot(path=str(ARTIFACTS / "times-inbox-desktop.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "times-inbox-phone.png"), full_page=True)
    context.close()
