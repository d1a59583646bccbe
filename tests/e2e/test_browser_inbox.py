"""In a real headless Chromium: log in, see a pushed mention appear live, assign and resolve
it, and watch a colleague's inbox follow, while another client's inbox stays untouched."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_push_to_websocket import signed_push
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs the Debian package chromium")
    # Playwright's sync API runs an event loop in this thread; our ORM use here is only setup.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def logged_in_page(browser, stack, slug: str, email: str, path: str = "/"):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"http://{stack.host(slug)}/login/?next={path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")  # keyboard only
    page.wait_for_url(f"http://{stack.host(slug)}{path}")
    page.locator("#live-state.on").wait_for(timeout=10_000)
    return page


def test_live_inbox_assign_and_resolve(browser, live_stack, live_db):
    world = live_db
    rita = logged_in_page(browser, live_stack, "acme", world.rita.email)
    alice = logged_in_page(browser, live_stack, "acme", world.alice.email, "/?status=all")
    bob = logged_in_page(browser, live_stack, "globex", world.bob.email)
    rita.screenshot(path=str(ARTIFACTS / "inbox-empty.png"))

    text = "Die App stürzt beim Login ab <script>window.pwned=1</script> 😡"
    response = signed_push(
        live_stack,
        world.acme,
        [
            mention_item(text=text, author={"handle": "pendlerin", "followers": 4200}),
        ],
    )
    assert response.status_code == 202

    row = rita.locator("tr.mention-row", has_text="Die App stürzt beim Login ab")
    row.wait_for(timeout=5_000)
    assert rita.evaluate("window.pwned") is None
    assert "<script>" in row.locator("td.text").inner_text()  # shown as text, not run
    alice.locator("tr.mention-row", has_text="Die App stürzt").wait_for(timeout=5_000)
    rita.screenshot(path=str(ARTIFACTS / "inbox-live.png"))

    row.locator("td.text a").click()
    rita.wait_for_url("**/mentions/*/")
    assert "Tech support" in rita.locator(".facts").first.inner_text()
    # Collision detection: a colleague opening the same mention shows up live.
    alice.goto(rita.url)
    rita.locator("#presence", has_text="Alice Admin is viewing").wait_for(timeout=5_000)
    assert rita.locator("#changed-meanwhile").is_hidden()  # viewing is not changing
    rita.screenshot(path=str(ARTIFACTS / "presence.png"))
    alice.goto(f"http://{live_stack.host('acme')}/?status=all")
    alice.locator("#live-state.on").wait_for(timeout=10_000)
    rita.get_by_role("button", name="Assign to me").click()
    rita.locator("#detail-assignee", has_text="Rita Responder").wait_for()
    alice_row = alice.locator("tr.mention-row", has_text="Die App stürzt")
    alice_row.locator("td.assignee", has_text="Rita Responder").wait_for(timeout=5_000)

    rita.get_by_role("button", name="Resolve").click()
    rita.locator("#detail-status", has_text="Resolved").wait_for()
    alice_row.locator("td.status", has_text="Resolved").wait_for(timeout=5_000)
    rita.screenshot(path=str(ARTIFACTS / "mention-resolved.png"))
    alice.screenshot(path=str(ARTIFACTS / "colleague-inbox.png"))

    # Rita's open inbox drops the resolved mention; Globex never saw any of it.
    rita.goto(f"http://{live_stack.host('acme')}/")
    assert rita.locator("tr.mention-row").count() == 0
    assert bob.locator("tr.mention-row").count() == 0
    assert "Nothing here yet" in bob.locator("#empty-state").inner_text()
    bob.screenshot(path=str(ARTIFACTS / "other-client-inbox.png"))


def test_two_staff_in_two_browsers_see_only_their_departments(browser, live_stack, live_db):
    from django_tenants.utils import tenant_context

    from accounts.models import Role
    from accounts.services import user_create_or_update
    from routing.services.assignment import staff_upsert

    world = live_db
    people = {}
    for email, name, department in (
        ("tom@acme.test", "Tom Tech", "tech-support"),
        ("cara@acme.test", "Cara Care", "customer-care"),
    ):
        user = user_create_or_update(
            email=email, password=PASSWORD, name=name, client=world.acme.client, role=Role.RESPONDER
        )
        with tenant_context(world.acme.client):
            staff_upsert(user_id=user.pk, name=name, departments=[department])
        people[department] = user

    tom = logged_in_page(browser, live_stack, "acme", "tom@acme.test")
    cara = logged_in_page(browser, live_stack, "acme", "cara@acme.test")
    response = signed_push(
        live_stack,
        world.acme,
        [
            mention_item(text="Die App stürzt beim Login ab, schon wieder"),
        ],
    )
    assert response.status_code == 202
    tom.locator("tr.mention-row", has_text="Die App stürzt").wait_for(timeout=5_000)
    signed_push(live_stack, world.acme, [mention_item(text="Wo finde ich den neuen Fahrplan?")])
    cara.locator("tr.mention-row", has_text="Fahrplan").wait_for(timeout=5_000)
    tom.wait_for_timeout(500)
    assert tom.locator("tr.mention-row", has_text="Fahrplan").count() == 0
    assert cara.locator("tr.mention-row", has_text="Die App").count() == 0
    tom.screenshot(path=str(ARTIFACTS / "tech-inbox.png"))
    cara.screenshot(path=str(ARTIFACTS / "care-inbox.png"))
    # Even after a reload, the other department's mention is not there.
    cara.reload()
    assert cara.locator("tr.mention-row", has_text="Die App").count() == 0
