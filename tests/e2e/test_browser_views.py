"""Saved views in a real Chromium: search and sort, save it as the default from the sidebar,
and the inbox opens with it next time (desktop and phone screenshots)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_browser_login import log_in
from tests.e2e.test_browser_shortcuts import PHONE, _ready, _store

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"]
)
def test_save_a_view_and_open_the_inbox_with_it(browser, live_stack, live_db, viewport):  # noqa: F811
    world = live_db
    _store(world)
    host = f"http://{live_stack.host('acme')}"
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    log_in(page, live_stack, "acme", world.rita.email)
    page.goto(f"{host}/?status=all&sort=priority&q=Verspätung")
    _ready(page)
    assert page.locator("#mention-rows tr.mention-row").count() == 1
    page.locator(".view-save summary").click()
    page.get_by_label("Name").fill("Verspätungen")
    page.get_by_label("Open it when I open the inbox").check()
    page.get_by_role("button", name="Save view").click()
    page.locator(".views a", has_text="Verspätungen").wait_for()
    page.goto(f"{host}/")
    page.wait_for_url("**view=*")
    _ready(page)
    assert page.locator("#search").input_value() == "Verspätung"
    assert page.locator("select[name=sort]").input_value() == "priority"
    assert page.locator(".views a[aria-current=page]").inner_text() == "Verspätungen"
    name = "desktop" if viewport["width"] > 800 else "phone"
    page.screenshot(path=str(ARTIFACTS / f"saved-view-{name}.png"), full_page=True)
    context.close()
