"""In a real headless Chromium: the agency admin creates a client in the wizard, by keyboard,
on a desktop and on a phone; a mistake is explained in plain words; the new client's first
pushed mention is routed, by the worker, with a reason; the client is deactivated (its host
says so) and deleted after typing its slug."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from django_tenants.utils import tenant_context

from accounts.models import Client
from mentions.models import Mention
from sources.services import signature_compute, source_create
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def agency_page(browser, stack, viewport):  # noqa: F811
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"http://localhost:{stack.port}/login/")
    page.get_by_label("E-mail").fill("ada@agency.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"http://localhost:{stack.port}/")
    return page


def fill_wizard(page, *, name: str, slug: str, brands: str) -> None:
    """Keyboard only: type into the focused field, Tab to the next."""
    page.locator("#id_name").wait_for()
    page.locator("#id_name").focus()  # autofocus does it too, once the page has settled
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(slug)
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # industry: general → retail
    page.keyboard.press("ArrowDown")  # → telecom
    page.keyboard.press("ArrowDown")  # → transport
    page.get_by_label("Brands").focus()
    page.keyboard.type(brands)
    page.keyboard.press("Tab")  # to the competitors
    page.keyboard.type("Globex Rail")


def test_agency_admin_onboards_a_client_in_the_wizard(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    made = []
    try:
        # Phone: a mistake first, explained next to the field, what was typed kept.
        phone = agency_page(browser, live_stack, PHONE)
        phone.get_by_role("link", name="New client").click()
        phone.wait_for_url("**/clients/new")
        fill_wizard(phone, name="Phone Rail", slug="acme", brands="Phone Rail = phone AND (")
        phone.get_by_role("button", name="Create client").click()
        phone.wait_for_selector("#form-errors")
        assert "A client 'acme' exists already." in phone.inner_text("#err-slug")
        assert "expected a term" in phone.inner_text("#err-brands")
        assert phone.input_value("#id_name") == "Phone Rail"
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the form is wider than the phone: {width}px"
        phone.screenshot(path=str(ARTIFACTS / "onboarding-phone-errors.png"), full_page=True)

        # Desktop: the whole wizard by keyboard, Enter on the button.
        page = agency_page(browser, live_stack, DESKTOP)
        page.goto(f"http://localhost:{live_stack.port}/clients/new")
        page.screenshot(path=str(ARTIFACTS / "onboarding-desktop-form.png"), full_page=True)
        fill_wizard(page, name="Nordbahn Regio", slug="nordbahn-regio", brands="Nordbahn")
        page.get_by_role("button", name="Create client").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Nordbahn Regio is ready")
        made.append("nordbahn-regio")
        # The page says how long it took; the 2 s promise is measured by bench/onboarding.py
        # (timings in a test flake on a loaded machine).
        text = page.inner_text("main")
        assert float(re.search(r"Created in ([0-9.]+) s", text).group(1)) > 0
        assert "Transport (rail, bus) preset" in text
        assert "routing rules, one of them the default" in text
        page.screenshot(path=str(ARTIFACTS / "onboarding-desktop-done.png"), full_page=True)
        phone.goto(f"http://localhost:{live_stack.port}/")
        assert "Nordbahn Regio" in phone.inner_text("main")
        phone.screenshot(path=str(ARTIFACTS / "onboarding-phone-overview.png"), full_page=True)

        # The new client's first mention, pushed to its own host, is routed with a reason.
        client = Client.objects.get(slug="nordbahn-regio")
        with tenant_context(client):
            source = source_create(kind="webhook", name="Push", network="test")
        item = mention_item(text="Nordbahn: mein Zug ist ausgefallen, wie komme ich heim?")
        body = json.dumps({"mentions": [item]}).encode()
        response = httpx.post(
            f"{live_stack.base_url}/api/v1/sources/{source.pk}/mentions",
            content=body,
            headers={
                "Host": f"nordbahn-regio.localhost:{live_stack.port}",
                "Content-Type": "application/json",
                "X-Lotse-Signature": signature_compute(secret=source.secret, body=body),
            },
            timeout=10,
        )
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + 20
        mention = None
        while mention is None and time.monotonic() < deadline:
            with tenant_context(client):
                mention = Mention.objects.select_related("department").first()
            time.sleep(0.2)
        assert mention is not None, "the worker did not store the mention"
        assert mention.department is not None and mention.routing_reason

        # Life cycle on the phone: deactivate (the client's host says so), then delete.
        phone.get_by_role("link", name="Manage").last.click()
        phone.wait_for_url("**/clients/nordbahn-regio/")
        phone.get_by_role("button", name="Deactivate Nordbahn Regio").click()
        phone.wait_for_selector("text=is deactivated; its data is kept")
        phone.screenshot(path=str(ARTIFACTS / "onboarding-phone-manage.png"), full_page=True)
        visitor = browser.new_context(viewport=PHONE).new_page()
        visitor.goto(f"http://nordbahn-regio.localhost:{live_stack.port}/login/")
        assert "Nordbahn Regio is deactivated" in visitor.inner_text("main")
        visitor.screenshot(path=str(ARTIFACTS / "onboarding-phone-deactivated.png"))
        phone.get_by_label("Type nordbahn-regio to confirm").fill("nordbahn-regio")
        phone.get_by_role("button", name="Delete Nordbahn Regio for good").click()
        phone.wait_for_selector("text=and all its data are deleted")
        made.clear()
        assert not Client.objects.filter(slug="nordbahn-regio").exists()
        assert world.ada.email  # the agency admin did all of this
    finally:
        for slug in made:
            Client.objects.get(slug=slug).delete(force_drop=True)
