"""A responder's morning, driven by the keyboard in a real Chromium: search, open, assign to
me, reply, resolve, with the shortcut list on `?`; shortcuts never fire while typing.
Screenshots at desktop and phone width land in test-artifacts/."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from mentions.models import Mention
from mentions.pipeline import mentions_store
from sources.formats import mention_item_validate
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_browser_login import log_in
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
TEXTS = [
    "Die App zeigt beim Login nur eine Fehlermeldung, seit dem Update komme ich nicht rein",
    "Schon wieder 20 Minuten Verspätung ab Uelzen #nordbahn",
    "Danke für die schnelle Hilfe am Schalter in Lüneburg!",
]


def _store(world) -> None:
    with tenant_context(world.acme.client), transaction.atomic():
        items = [mention_item_validate(mention_item(text=text, language="de"))[0] for text in TEXTS]
        mentions_store(source=world.acme.source, items=items)


def _ready(page) -> None:
    """The page has loaded and its shortcuts listen."""
    page.locator("html[data-shortcuts=ready]").wait_for(state="attached")


def _active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_responders_morning_by_keyboard(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    _store(world)
    host = f"http://{live_stack.host('acme')}"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, live_stack, "acme", world.rita.email)
    page.goto(f"{host}/?status=all")
    page.wait_for_load_state("networkidle")
    _ready(page)

    # ? shows the list of shortcuts; Escape closes it.
    page.keyboard.press("?")
    dialog = page.locator("#shortcuts-help")
    dialog.wait_for(state="visible")
    assert "Assign to me" in dialog.inner_text()
    page.screenshot(path=str(ARTIFACTS / "shortcuts-help.png"))
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    # / goes to the search box; typing j and k there types, it does not move.
    page.keyboard.press("/")
    assert _active_id(page) == "search"
    page.keyboard.type("jk")
    assert page.locator("#search").input_value() == "jk"
    assert page.locator("tr.kb-current").count() == 0
    page.keyboard.press("Control+a")
    page.keyboard.type("Login Fehlermeldung")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=Login*")
    _ready(page)
    rows = page.locator("#mention-rows tr.mention-row")
    assert rows.count() == 1
    assert "Fehlermeldung" in rows.first.inner_text()

    # Escape leaves the search box; j picks the first mention, Enter opens it.
    page.locator("#search").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    assert page.locator("tr.kb-current").count() == 1
    page.screenshot(path=str(ARTIFACTS / "morning-search.png"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/mentions/*/")
    _ready(page)
    mention_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # a assigns it to me.
    page.keyboard.press("a")
    page.locator("#detail-assignee", has_text="Rita Responder").wait_for()
    _ready(page)

    # r goes to the reply box; letters typed there (a, e, r, j) do nothing else.
    page.keyboard.press("r")
    assert _active_id(page) == "response-text"
    page.keyboard.type("Hallo, das tut uns leid: bitte App neu starten, dann geht es wieder.")
    assert "Offen" not in page.locator("#detail-status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "morning-reply.png"))
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**/mentions/{mention_id}/#response-*")
    page.locator(".responses, #responses", has_text="bitte App neu starten").first.wait_for()
    _ready(page)

    # e resolves it.
    page.locator("body").focus()
    page.keyboard.press("e")
    page.locator("#detail-status", has_text="Resolved").wait_for()
    page.screenshot(path=str(ARTIFACTS / "morning-resolved.png"), full_page=True)
    with tenant_context(world.acme.client):
        mention = Mention.objects.get(pk=mention_id)
        assert mention.status == "resolved"
        assert mention.assignee_id == world.rita.pk
    context.close()


def test_the_morning_on_a_phone(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    _store(world)
    host = f"http://{live_stack.host('acme')}"
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, live_stack, "acme", world.rita.email)
    page.goto(f"{host}/?status=all")
    page.wait_for_load_state("networkidle")
    _ready(page)
    page.keyboard.press("/")
    page.keyboard.type("#nordbahn")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=%23nordbahn*")
    _ready(page)
    assert page.locator("#mention-rows tr.mention-row").count() == 1
    page.locator("#search").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.screenshot(path=str(ARTIFACTS / "morning-phone-search.png"), full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/mentions/*/")
    _ready(page)
    page.keyboard.press("a")
    page.locator("#detail-assignee", has_text="Rita Responder").wait_for()
    _ready(page)
    page.screenshot(path=str(ARTIFACTS / "morning-phone-mention.png"), full_page=True)
    context.close()


def test_inbox_rows_are_assigned_and_resolved_by_keyboard(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    _store(world)
    host = f"http://{live_stack.host('acme')}"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, live_stack, "acme", world.rita.email)
    page.goto(f"{host}/?status=all")
    page.wait_for_load_state("networkidle")
    _ready(page)
    page.keyboard.press("j")
    page.keyboard.press("j")
    chosen = page.locator("tr.kb-current")
    row_id = chosen.get_attribute("id")
    assert row_id == page.locator("#mention-rows tr.mention-row").nth(1).get_attribute("id")
    page.keyboard.press("k")
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_load_state("networkidle")
    _ready(page)
    # The page came back with the same mention chosen, now mine.
    row = page.locator(f"#{row_id}")
    row.locator("td.assignee", has_text="Rita Responder").wait_for()
    _ready(page)
    assert page.locator("tr.kb-current").get_attribute("id") == row_id
    page.keyboard.press("e")
    page.wait_for_load_state("networkidle")
    _ready(page)
    page.locator(f"#{row_id} td.status", has_text="Resolved").wait_for()
    page.screenshot(path=str(ARTIFACTS / "inbox-keyboard-resolved.png"))
    context.close()
