"""In a real headless Chromium: a client admin creates an API token with the keyboard, copies
it from the page (shown once), an integrator uses it, the list shows when it was last used,
and the admin revokes it; the page fits a phone."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_browser_login import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def _mentions(stack, key: str) -> int:
    return httpx.get(
        f"{stack.base_url}/api/v1/mentions/",
        headers={"Host": stack.host("acme"), "Authorization": f"Token {key}"},
        timeout=10,
    ).status_code


def test_admin_creates_uses_and_revokes_a_token(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    log_in(page, live_stack, "acme", world.alice.email)
    page.goto(f"http://{live_stack.host('acme')}/staff/")
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/api/tokens/")
    assert "No tokens yet" not in page.content()  # the suite's own tokens are listed

    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Access").select_option("write")
    page.get_by_label("Expires").select_option("90")
    page.get_by_label("Name").press("Enter")
    page.wait_for_selector(".new-token")
    key = page.get_by_label("Token", exact=True).input_value()
    assert key.startswith("lts_")
    page.screenshot(path=str(ARTIFACTS / "api-tokens-created.png"), full_page=True)

    assert _mentions(live_stack, key) == 200
    page.reload()
    assert page.locator(".new-token").count() == 0  # shown once
    row = page.locator("tr.token-row", has_text="CRM sync")
    assert "never" not in row.locator("td[data-label='Last used']").inner_text()

    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke CRM sync").click()
    page.wait_for_selector("text=it no longer works")
    assert "revoked" in page.locator("tr.token-row", has_text="CRM sync").inner_text()
    assert _mentions(live_stack, key) == 401
    page.screenshot(path=str(ARTIFACTS / "api-tokens-desktop.png"), full_page=True)

    phone = browser.new_context(viewport=PHONE).new_page()
    log_in(phone, live_stack, "acme", world.alice.email)
    phone.goto(f"http://{live_stack.host('acme')}/api/tokens/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    phone.screenshot(path=str(ARTIFACTS / "api-tokens-phone.png"), full_page=True)
    assert width <= PHONE["width"], f"/api/tokens/ is {width}px wide on a phone"
