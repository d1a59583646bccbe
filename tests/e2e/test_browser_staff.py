"""In a real headless Chromium: the teams and staff page shows who is on shift now; a client
admin sets a night shift with the keyboard; an @mention lights up the unread badge live on a
page without an inbox, for that person only."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from routing.sla import WEEKDAYS
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _login(browser, stack, slug: str, email: str, path: str):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"http://{stack.host(slug)}/login/?next={path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"http://{stack.host(slug)}{path}")
    return page


def note(stack, world, mention_id: int, text: str) -> None:
    """Rita writes a note through the REST API of the running server, with her token."""
    response = httpx.post(
        f"{stack.base_url}/api/v1/mentions/{mention_id}/notes",
        json={"text": text},
        headers={"Host": stack.host("acme"), "Authorization": f"Token {world.acme.token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def _wait_connected(page) -> None:
    page.wait_for_function("window.LotseLive && window.LotseLive.connected", timeout=10_000)
    page.wait_for_timeout(300)  # the socket joined its groups


def test_staff_page_shifts_and_a_live_unread_badge(browser, live_stack, live_db):  # noqa: F811
    from mentions.models import Mention
    from mentions.pipeline import mentions_store
    from routing.models import Department, Notification, Team
    from routing.services.assignment import staff_upsert
    from sources.formats import mention_item_validate

    world = live_db
    acme = world.acme.client
    tomorrow = WEEKDAYS[(timezone.now() + timedelta(days=1)).weekday()]
    with tenant_context(acme):
        team = Team.objects.create(
            department=Department.objects.get(slug="tech-support"), name="App support", slug="app"
        )
        staff_upsert(
            user_id=world.rita.pk,
            name=world.rita.name,
            departments=["tech-support"],
            teams=[team],
            languages=["de", "en"],
            tags=["ios"],
        )
        staff_upsert(user_id=world.vera.pk, name=world.vera.name, teams=[team])
        from routing.models import StaffMember

        StaffMember.objects.filter(user_id=world.vera.pk).update(shifts={tomorrow: ["09:00-17:00"]})
        item, _ = mention_item_validate(mention_item(text="Die App hängt beim Bezahlen"))
        with transaction.atomic():
            mentions_store(source=world.acme.source, items=[item])
        mention = Mention.objects.get()

    try:
        alice = _login(browser, live_stack, "acme", world.alice.email, "/staff/")
        bob = _login(browser, live_stack, "globex", world.bob.email, "/notifications/")
        rows = alice.locator("tr.staff-row")
        assert rows.count() == 2
        rita_row = alice.locator("tr.staff-row", has_text="Rita Responder")
        vera_row = alice.locator("tr.staff-row", has_text="Vera Viewer")
        assert rita_row.locator(".badge.shift-on").inner_text() == "on shift"
        assert vera_row.locator(".badge.shift-off").inner_text() == "off shift"
        teams_card = alice.locator(
            "section.card", has=alice.get_by_role("heading", name="Teams", exact=True)
        )
        assert "App support" in teams_card.inner_text()
        alice.screenshot(path=str(ARTIFACTS / "staff-page.png"), full_page=True)

        # Keyboard only: open Rita's entry, give her a Friday night shift, save.
        alice.get_by_role("link", name="Edit Rita Responder").focus()
        alice.keyboard.press("Enter")
        alice.wait_for_url(f"**/staff/{world.rita.pk}/")
        alice.get_by_label("Fri").fill("22:00-06:00")
        alice.get_by_label("Fri").press("Enter")
        alice.wait_for_url("**/staff/")
        assert "Fri 22:00-06:00" in rita_row.inner_text()

        # Rita @mentions Alice on a mention: Alice's badge lights up, on the staff page.
        _wait_connected(alice)
        _wait_connected(bob)
        assert alice.locator(".notifications-link .count.unread").count() == 0
        note(live_stack, world, mention.pk, "@alice kannst du übernehmen?")
        badge = alice.locator(".notifications-link .count.unread")
        badge.wait_for(timeout=5_000)
        assert badge.inner_text() == "1"
        alice.screenshot(path=str(ARTIFACTS / "staff-page-badge.png"))
        assert bob.locator(".notifications-link .count.unread").count() == 0

        # On the notifications page the new notice appears at the top, live too.
        alice.goto(f"http://{live_stack.host('acme')}/notifications/")
        _wait_connected(alice)
        note(live_stack, world, mention.pk, "@alice noch eine Frage")
        alice.locator("ul.notifications li.unread", has_text="noch eine Frage").wait_for(
            timeout=5_000
        )
        assert alice.locator(".notifications-link .count.unread").inner_text() == "2"
        alice.screenshot(path=str(ARTIFACTS / "notifications-live.png"))
        alice.get_by_role("button", name="Mark all read").click()
        alice.wait_for_url("**/notifications/")
        assert alice.locator(".notifications-link .count.unread").count() == 0
    finally:
        with tenant_context(acme):
            Notification.objects.all().delete()
            Team.objects.filter(slug="app").delete()
