"""The pages staff use all day fit a phone: nothing sticks out sideways at 390 px."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from mentions.pipeline import mentions_store
from sources.formats import mention_item_validate
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
