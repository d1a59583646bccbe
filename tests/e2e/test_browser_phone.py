"""The pages staff use all day fit a phone: nothing sticks out sideways at 390 px."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from mentions.models import Mention
from mentions.pipeline import mentions_store
from sources.formats import mention_item_validate
from sources.models import Source
from sources.services.polling import source_create_polled
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_browser_login import log_in
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
PAGES = ["/", "/?status=all", "/reports/", "/alerts/", "/staff/", "/routing/", "/sources/"]


def test_daily_pages_fit_a_phone(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    texts = [
        "Die App stürzt beim Login ab, Fehler 500, schon wieder seit heute Morgen!!",
        "Thanks a lot for the quick help with my ticket refund, great service",
    ]
    with tenant_context(world.acme.client), transaction.atomic():
        items = [mention_item_validate(mention_item(text=text))[0] for text in texts]
        mentions_store(source=world.acme.source, items=items)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, live_stack, "acme", world.alice.email)
    for path in PAGES:
        page.goto(f"http://{live_stack.host('acme')}{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a {PHONE['width']}px phone"
    page.goto(f"http://{live_stack.host('acme')}/?status=all")
    assert page.locator("tr.mention-row").count() == 2
    page.screenshot(path=str(ARTIFACTS / "inbox-phone.png"), full_page=True)
    context.close()


SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": PHONE}
LONG_WORD = "Verspätungsentschädigungsantragsformular" * 3
LONG_URL = "https://www.example-bahn.de/service/fahrgastrechte/" + "a1b2c3d4" * 20


def _wide(page) -> int:
    """How far the page reaches past the viewport's width (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_CLIPPED_CARDS = """
[...document.querySelectorAll('main .card')]
  .filter(card => card.scrollWidth > card.clientWidth + 1)
  .map(card => card.id || card.className)
"""


def test_inbox_mention_with_composer_and_sources_fit_a_phone(browser, live_stack, live_db):  # noqa: F811
    """Hostile content (a long unbroken word, a long link, a long source error) must not push
    the inbox, the mention page with its composer open, or the sources page sideways."""
    world = live_db
    with tenant_context(world.acme.client):
        with transaction.atomic():
            stored = mentions_store(
                source=world.acme.source,
                items=[
                    mention_item_validate(
                        mention_item(
                            text=f"Die App stürzt ab {LONG_WORD} siehe {LONG_URL} #{LONG_WORD}",
                            author={
                                "handle": "pendler_" + "x" * 40,
                                "name": "Paula " + LONG_WORD,
                                "followers": 12,
                            },
                        )
                    )[0]
                ],
            )
        assert stored.stored == 1
        dead = source_create_polled(kind="rss", name="Feed " + LONG_WORD, config={"url": LONG_URL})
        # Not polled during the test (beat runs); it shows a past failure instead.
        Source.objects.filter(pk=dead.pk).update(
            next_poll_at=timezone.now() + timedelta(days=1),
            consecutive_failures=3,
            last_error_at=timezone.now(),
            last_error="The address www.example-bahn.de does not exist.",
            last_error_detail=f"{LONG_URL} failed: [Errno -2] Name or service not known",
        )
        closed_port = _closed_port()
        closed = source_create_polled(
            kind="rss", name="Closed port", config={"url": f"http://127.0.0.1:{closed_port}/feed"}
        )
        Source.objects.filter(pk=closed.pk).update(next_poll_at=timezone.now() + timedelta(days=1))
        mention_id = Mention.objects.get().pk
    host = f"http://{live_stack.host('acme')}"
    pages = {
        "inbox": "/?status=all",
        "mention": f"/mentions/{mention_id}/",
        "sources": "/sources/",
        "source-edit": f"/sources/{dead.pk}/edit",
    }
    too_wide: list[str] = []
    for label, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        log_in(page, live_stack, "acme", world.alice.email)
        for name, path in pages.items():
            page.goto(host + path)
            page.wait_for_load_state("networkidle")
            if name == "mention":
                composer = page.locator("#composer")
                composer.scroll_into_view_if_needed()
                page.locator("#response-text").fill(f"Hallo Paula, {LONG_WORD} {LONG_URL}")
                page.locator("#response-text").focus()
            if name == "sources":
                page.locator(".error-detail summary").first.click()
                assert page.locator(".source-error").first.inner_text() == (
                    "The address www.example-bahn.de does not exist."
                )
            overflow = _wide(page)
            if overflow > 0:
                too_wide.append(f"{name} at {label}: {overflow}px wider than the screen")
            # Cards scroll sideways on a phone rather than widen the page; on these pages
            # nothing should need to (a clipped composer or heading is no fit either).
            clipped = page.evaluate(_CLIPPED_CARDS)
            too_wide += [f"{name} at {label}: {card} is cut off" for card in clipped]
            page.screenshot(path=str(ARTIFACTS / f"fit-{name}-{label}.png"), full_page=True)
        context.close()
    assert not too_wide, too_wide

    # At phone width, a client admin renames the dead feed, then deletes it.
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, live_stack, "acme", world.alice.email)
    page.goto(host + "/sources/")
    # A connection test runs on the worker; its answer arrives in plain language.
    page.locator("#live-state.on").wait_for(timeout=10_000)
    page.locator(f"#source-{closed.pk}").get_by_role("button", name="Test connection").click()
    result = page.locator(f"#test-{closed.pk}")
    result.filter(has_text="refused the connection").wait_for(timeout=20_000)
    assert result.inner_text().startswith("✖ The server 127.0.0.1 refused the connection.")
    result.locator("summary", has_text="Details").click()
    assert "Connection refused" in result.locator("code").inner_text()
    page.screenshot(path=str(ARTIFACTS / "source-test-phone.png"), full_page=True)
    page.get_by_role("link", name=f"Edit Feed {LONG_WORD}").click()
    page.get_by_label("Name").fill("Pendlerblog")
    page.get_by_label("Poll every (seconds)").fill("600")
    page.get_by_role("button", name="Save").click()
    page.locator(".message.success", has_text="Saved Pendlerblog.").wait_for()
    assert page.locator(f"#source-{dead.pk} strong").inner_text() == "Pendlerblog"
    page.get_by_role("link", name="Edit Pendlerblog").click()
    page.get_by_role("button", name="Delete Pendlerblog").click()
    page.locator(".message.success", has_text="its mentions are kept").wait_for()
    assert page.locator(f"#source-{dead.pk}").count() == 0
    # Measured once the page has loaded (its stylesheet included): one CI run measured it
    # 109 px too wide right after the message appeared; it fit on every other run.
    page.wait_for_load_state("load")
    page.screenshot(path=str(ARTIFACTS / "source-deleted-phone.png"), full_page=True)
    assert _wide(page) <= 0, _wide(page)
    context.close()
    with tenant_context(world.acme.client):
        gone = Source.all_objects.get(pk=dead.pk)
        assert gone.deleted_at is not None and gone.poll_interval_seconds == 600
