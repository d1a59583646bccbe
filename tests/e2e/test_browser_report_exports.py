"""In a real headless Chromium: the reports page downloads its PDF and a table's CSV, and
a client admin schedules a report mail, sends it now (the Celery worker renders the PDF
and mails it to the file sink) and sees it in the history. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from mentions.models import Author, Mention
from tests.e2e.conftest import ARTIFACTS, MAIL_DIR
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_browser_reports import DESKTOP, PHONE, _login

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_pdf_csv_and_a_scheduled_mail(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    now = timezone.now()
    with tenant_context(world.acme.client):
        author = Author.objects.create(network="test", handle="pendlerin")
        for i in range(12):
            Mention.objects.create(
                source=world.acme.source,
                external_id=f"export-{i}",
                text="Acme app crashes" if i % 3 == 0 else "Acme staff were great",
                published_at=now - timedelta(days=i % 6, hours=2),
                author=author,
                sentiment="negative" if i % 3 == 0 else "positive",
                aspects=["app"],
            )
    acme = f"http://{live_stack.host('acme')}"
    page = _login(browser, acme, world.alice.email, "/reports/", DESKTOP)
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download PDF").click()
    pdf_path = ARTIFACTS / "report.pdf"
    pdf_download.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    with page.expect_download() as csv_download:
        page.locator("a.table-csv[href*='table=aspects']").click()
    csv_path = ARTIFACTS / "aspects.csv"
    csv_download.value.save_as(csv_path)
    assert csv_path.read_text().startswith("aspect,key,total")

    page.get_by_role("link", name="Scheduled mails").click()
    page.wait_for_url("**/reports/schedules/")
    page.get_by_text("No scheduled reports yet").wait_for()
    page.get_by_label("Name").fill("Weekly for the board")
    page.get_by_label("Recipients").fill("board@example.org")
    page.get_by_role("button", name="Save schedule").click()
    page.get_by_text("Schedule “Weekly for the board” saved.").wait_for()
    before = set(MAIL_DIR.glob("*")) if MAIL_DIR.exists() else set()
    page.get_by_role("button", name="Send now").click()
    page.get_by_text("is being sent now").wait_for()
    deadline = time.monotonic() + 60
    sent: list[Path] = []
    while time.monotonic() < deadline and not sent:
        sent = [
            path
            for path in (set(MAIL_DIR.glob("*")) - before)
            if "Weekly for the board" in path.read_text(errors="replace")
        ]
        time.sleep(0.5)
    assert sent, "the report mail did not arrive in the mail sink"
    body = sent[0].read_text(errors="replace")
    assert "board@example.org" in body and "application/pdf" in body
    assert "/reports/shared/" in body
    page.reload()
    page.locator("td", has_text="sent now").wait_for()
    page.screenshot(path=str(ARTIFACTS / "report-schedules-desktop.png"), full_page=True)

    phone = _login(browser, acme, world.alice.email, "/reports/schedules/", PHONE)
    phone.get_by_role("heading", name="Scheduled reports").wait_for()
    phone.screenshot(path=str(ARTIFACTS / "report-schedules-phone.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
