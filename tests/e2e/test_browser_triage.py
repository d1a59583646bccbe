"""In a real headless Chromium: a responder corrects a mention's triage with the keyboard
(the correction becomes a label), and a client admin applies an industry template and sees
the learning progress on the Triage page."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_browser_staff import _login
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_correcting_triage_and_the_triage_page(browser, live_stack, live_db):  # noqa: F811
    from mentions.models import Aspect, Mention, TriageLabel
    from mentions.pipeline import mentions_store
    from sources.formats import mention_item_validate

    world = live_db
    with tenant_context(world.acme.client), transaction.atomic():
        Aspect.objects.update_or_create(
            slug="billing", defaults={"name": "Billing", "keywords": ["rechnung*"]}
        )
        item, _ = mention_item_validate(
            mention_item(text="Meine Rechnung ist schon wieder falsch!! <b>bold</b>")
        )
        mentions_store(source=world.acme.source, items=[item])
        mention = Mention.objects.get()
    assert mention.aspects == ["billing"]

    page = _login(browser, live_stack, "acme", world.rita.email, f"/mentions/{mention.pk}/")
    panel = page.locator(".triage-panel")
    assert "Billing" in panel.inner_text()
    page.get_by_text("Correct triage or move to another department").click()
    page.locator("select[name=kind]").select_option("question")
    page.locator("select[name=relevant]").select_option("no")
    page.get_by_role("button", name="Save correction").press("Enter")
    page.wait_for_selector(".message.success")
    page.screenshot(path=str(ARTIFACTS / "triage-corrected.png"), full_page=True)
    with tenant_context(world.acme.client):
        fields = set(TriageLabel.objects.values_list("field", flat=True))
    assert {"kind", "relevant"} <= fields
    page.context.close()

    admin = _login(browser, live_stack, "acme", world.alice.email, "/triage/")
    admin.get_by_label("Industry").select_option("telecom")
    admin.get_by_role("button", name="Apply template").click()
    admin.wait_for_selector(".message.success")
    assert "Network and coverage" in admin.content()
    assert admin.locator("progress").count() >= 5
    admin.screenshot(path=str(ARTIFACTS / "triage-page.png"), full_page=True)
    admin.context.close()
