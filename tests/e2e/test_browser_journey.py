"""The agency's whole journey in a real headless Chromium, with the real worker:
1. the agency admin creates a client in the wizard;
2. a mention pushed to the new client is routed there with a reason;
3. the admin, switched into the new client without logging in again, invites a responder;
4. the responder opens the link from the mail file and sets a password;
5. the responder lands in the inbox, switches to a second client they belong to without
   logging in again, and is refused on a third."""

from __future__ import annotations

import json
import shutil
import time

import httpx
import pytest
from django_tenants.utils import tenant_context

from accounts.models import Client, Invitation, Role, User
from accounts.services import user_create_or_update
from mentions.models import Mention
from sources.services import signature_compute, source_create
from tests.e2e.conftest import ARTIFACTS, MAIL_DIR
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_browser_invitation import _mailed_link
from tests.e2e.test_browser_onboarding import DESKTOP, agency_page, fill_wizard
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

RESPONDER = "jo.journey@journey.test"


def _push(stack, client: Client, text: str) -> Mention:
    with tenant_context(client):
        source = source_create(kind="webhook", name="Push", network="test")
    body = json.dumps({"mentions": [mention_item(text=text)]}).encode()
    response = httpx.post(
        f"{stack.base_url}/api/v1/sources/{source.pk}/mentions",
        content=body,
        headers={
            "Host": f"{client.slug}.localhost:{stack.port}",
            "Content-Type": "application/json",
            "X-Lotse-Signature": signature_compute(secret=source.secret, body=body),
        },
        timeout=10,
    )
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with tenant_context(client):
            mention = Mention.objects.select_related("department").first()
        if mention is not None:
            return mention
        time.sleep(0.2)
    raise AssertionError("the worker did not store the mention")


def _switch(page, stack, slug: str, name: str) -> None:
    """Pick a client in the header's menu; local hosts are separate sites, so the first
    visit asks to continue (one click, no password)."""
    page.locator(".switcher summary").click()
    page.locator(".switcher-menu").get_by_role("link", name=name).click()
    page.get_by_role("button", name="Continue as").click()
    page.wait_for_url(f"http://{stack.host(slug)}/")


def test_the_agency_journey_from_wizard_to_a_second_client(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    try:
        # 1. The wizard.
        admin = agency_page(browser, live_stack, DESKTOP)
        admin.get_by_role("link", name="New client").click()
        admin.wait_for_url("**/clients/new")
        fill_wizard(admin, name="Journey Rail", slug="journey", brands="Journey Rail")
        admin.get_by_role("button", name="Create client").click()
        try:
            admin.wait_for_selector("text=Journey Rail is ready")
        finally:
            admin.screenshot(path=str(ARTIFACTS / "journey-wizard.png"), full_page=True)
        client = Client.objects.get(slug="journey")

        # 2. The first mention is routed there, with a reason.
        mention = _push(live_stack, client, "Journey Rail: mein Zug ist ausgefallen, was nun?")
        assert mention.department is not None and mention.routing_reason

        # 3. Into the new client through the switcher, and an invitation from its staff page.
        admin.goto(f"http://localhost:{live_stack.port}/")
        _switch(admin, live_stack, "journey", "Journey Rail")
        admin.goto(f"http://{live_stack.host('journey')}/staff/")
        admin.get_by_label("E-mail", exact=True).fill(RESPONDER)
        admin.get_by_label("Role", exact=True).select_option("responder")
        admin.get_by_role("button", name="Send invitation").click()
        admin.wait_for_selector(f"text=Invited {RESPONDER}")

        # 4. The responder opens the link from the mail file and sets a password.
        link = _mailed_link(RESPONDER)
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(link)
        page.get_by_label("Your name").fill("Jo Journey")
        page.get_by_label("Choose a password").fill("a long and fine secret")
        page.get_by_label("Choose a password").press("Enter")

        # 5. The inbox; a second client without a second login; refused on a third.
        page.wait_for_url(f"http://{live_stack.host('journey')}/")
        assert page.locator(".who").inner_text() == "Jo Journey"
        user_create_or_update(
            email=RESPONDER, password=None, client=world.acme.client, role=Role.RESPONDER
        )
        page.reload()
        _switch(page, live_stack, "acme", "Acme Rail")
        assert page.locator("form input[name=password]").count() == 0
        assert "Acme Rail" in page.locator(".switcher summary").inner_text()
        page.screenshot(path=str(ARTIFACTS / "journey-second-client.png"))
        refused = page.goto(f"http://{live_stack.host('acme')}/switch/globex/")
        assert refused is not None and refused.status == 404
        page.goto(f"http://{live_stack.host('globex')}/")
        page.wait_for_url("**/login/?next=/")
    finally:
        Invitation.objects.filter(email=RESPONDER).delete()
        User.objects.filter(email=RESPONDER).delete()
        for made in Client.objects.filter(slug="journey"):
            made.delete(force_drop=True)
