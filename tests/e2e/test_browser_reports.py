"""In a real headless Chromium: the reports page tells a month's story with charts, a bar
drills down into the inbox, and the agency overview puts the client that needs attention
first. Screenshots at desktop and phone width go to test-artifacts/."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from mentions.models import Author, Mention, ProblemCluster
from reports.models import Alert
from routing.models import Department
from sources.models import ListeningQuery
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def _login(browser, base: str, email: str, path: str, viewport: dict):  # noqa: F811
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{base}/login/?next={path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{base}{path}")
    return page


def _seed_month(world) -> None:
    ids = itertools.count(1)
    now = timezone.now()
    with tenant_context(world.acme.client):
        departments = list(Department.objects.order_by("pk")[:3])
        authors = [
            Author.objects.create(network="test", handle=f"pendler{i}", followers=10 * i)
            for i in range(1, 6)
        ]
        ListeningQuery.objects.create(name="Acme", expression="acme", role="brand")
        ListeningQuery.objects.create(name="Rival", expression="rival", role="competitor")
        rows = []
        for day in range(30):
            # Negative share falls over the month: care got organised.
            for n in range(4 + day % 5):
                negative = n < max(1, 4 - (29 - day) // 8)
                published = now - timedelta(days=day, hours=n * 3 + 1)
                rows.append(
                    Mention(
                        source=world.acme.source,
                        external_id=f"story-{next(ids)}",
                        text=(
                            "Acme app crashes at checkout"
                            if negative
                            else ("rival is cheaper" if n % 3 == 0 else "Acme staff were great")
                        ),
                        published_at=published,
                        received_at=published,
                        author=authors[n % 5],
                        sentiment="negative" if negative else ("positive" if n % 2 else "neutral"),
                        kind="complaint" if negative else ("idea" if n == 5 else "praise"),
                        language="de" if n % 3 else "en",
                        aspects=["app"] if negative else (["staff"] if n % 2 else []),
                        department=departments[n % 3],
                        status="resolved",
                        first_response_at=published + timedelta(minutes=20 + 10 * n),
                        first_response_due=published + timedelta(minutes=60),
                    )
                )
        Mention.objects.bulk_create(rows)
        ProblemCluster.objects.create(
            title="App crashes at checkout",
            aspect="app",
            first_seen=now - timedelta(days=3),
            last_seen=now,
            member_count=7,
        )
        opened = now - timedelta(days=10, hours=2)
        Alert.objects.create(  # a crisis ten days ago, over and acknowledged
            kind="negative_share",
            opened_at=opened,
            closed_at=opened + timedelta(hours=5),
            acknowledged_at=opened + timedelta(minutes=25),
            acknowledged_by_name="Alice Admin",
            window_minutes=60,
            volume=12,
            negative=9,
            baseline_volume=3,
            baseline_share=0.2,
            basis="test",
            peak_volume=14,
            peak_share=0.8,
        )
    with tenant_context(world.globex.client):
        Alert.objects.create(
            kind="volume",
            window_minutes=15,
            volume=40,
            negative=30,
            baseline_volume=3,
            baseline_share=0.1,
            basis="test",
            peak_volume=40,
            peak_share=0.75,
        )


def test_reports_page_and_agency_overview(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    _seed_month(world)
    acme = f"http://{live_stack.host('acme')}"

    page = _login(browser, acme, world.alice.email, "/reports/", DESKTOP)
    page.get_by_role("heading", name="Reports").wait_for()
    assert page.locator(".kpi").count() == 6
    assert page.locator("svg .seg.negative").count() > 10
    # Tooltips: every bar says its day, the time zone and its counts.
    title = page.locator("a.bar-link title").first.text_content()
    assert "mentions" in title and "negative" in title and "(" in title
    assert page.get_by_text("Aspects by sentiment").is_visible()
    assert page.get_by_text("App crashes at checkout").is_visible()
    page.screenshot(path=str(ARTIFACTS / "reports-desktop.png"), full_page=True)
    crisis = page.locator("section.crisis")
    assert "Negative share" in crisis.text_content() and "Alice Admin" in crisis.text_content()
    crisis.screenshot(path=str(ARTIFACTS / "reports-crisis-desktop.png"))
    clocks = page.locator("table.care-clocks")
    assert "First response, business hours" in clocks.text_content()
    clocks.screenshot(path=str(ARTIFACTS / "reports-care-clocks-desktop.png"))
    # The first-response distribution: each bucket one row, label, bar and value side by
    # side, no row over another.
    distribution = page.locator("section.card", has=page.locator(".bars-share"))
    rows = [r.bounding_box() for r in distribution.locator(".bar-row").all()]
    assert len(rows) == 5
    for above, below in itertools.pairwise(rows):
        assert above["y"] + above["height"] <= below["y"] + 0.5, (above, below)
    for row in distribution.locator(".bar-row").all():
        label, track, value = (
            row.locator(part).bounding_box() for part in (".bar-label", ".bar-track", ".bar-value")
        )
        assert label["x"] + label["width"] <= track["x"] <= value["x"] - track["width"]
    distribution.screenshot(path=str(ARTIFACTS / "reports-first-response-desktop.png"))

    # Choose the 7-day preset by keyboard-reachable controls.
    page.get_by_label("7 days").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/reports/?range=7**")
    assert "7 days" in page.locator("input[name=range]:checked").evaluate(
        "e => e.parentNode.textContent"
    )

    # A row of "By kind" opens the inbox filtered to exactly that slice.
    page.locator(".bars a", has_text="Complaint").first.click()
    page.wait_for_url("**/?status=all**kind=complaint**")
    page.get_by_text("From a report").wait_for()
    texts = page.locator("#mention-rows tr").all_text_contents()
    assert texts and all("crashes" in text for text in texts)

    # The mentions around the alert open the inbox on the alert's days.
    page.goto(f"{acme}/reports/")
    page.locator("section.crisis td.num a").first.click()
    page.wait_for_url("**/?status=all&from=**")
    page.get_by_text("From a report").wait_for()

    phone = _login(browser, acme, world.alice.email, "/reports/", PHONE)
    phone.get_by_role("heading", name="Reports").wait_for()
    phone.screenshot(path=str(ARTIFACTS / "reports-phone.png"), full_page=True)
    phone.locator("section.crisis").screenshot(path=str(ARTIFACTS / "reports-crisis-phone.png"))
    # Report tables keep their column labels on a phone: a table scrolling sideways in its
    # card, the header row and each row's name staying in view.
    departments = phone.locator("table.report-table", has_text="Customer care")
    header = departments.locator("thead th", has_text="SLA met")
    assert header.is_visible()
    first = departments.locator("tbody td").first
    assert first.evaluate("e => getComputedStyle(e).position") == "sticky"
    cell = departments.locator("tbody tr").first.locator("td").nth(6)
    assert abs(cell.bounding_box()["x"] - header.bounding_box()["x"]) < 2  # one column
    scroller = departments.locator("xpath=..")
    scroller.screenshot(path=str(ARTIFACTS / "reports-table-phone.png"))
    scroller.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    assert first.bounding_box()["x"] >= scroller.bounding_box()["x"] - 1  # still in view
    assert header.bounding_box()["x"] < PHONE["width"]  # scrolled into view
    scroller.screenshot(path=str(ARTIFACTS / "reports-table-phone-scrolled.png"))
    phone.locator("section.card", has=phone.locator(".bars-share")).screenshot(
        path=str(ARTIFACTS / "reports-first-response-phone.png")
    )
    wide = phone.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                         && !e.closest('.table-scroll'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    assert not wide, f"wider than a phone: {wide}"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"

    agency = f"http://localhost:{live_stack.port}"
    overview = _login(browser, agency, world.ada.email, "/", DESKTOP)
    rows = overview.locator("table.overview tbody tr")
    assert rows.count() == 2
    # Globex has an open alert: it needs attention first.
    assert "Globex Mobile" in rows.nth(0).text_content()
    assert overview.locator("svg.spark").count() == 2
    overview.screenshot(path=str(ARTIFACTS / "agency-overview-desktop.png"), full_page=True)
    phone_overview = _login(browser, agency, world.ada.email, "/", PHONE)
    phone_overview.screenshot(path=str(ARTIFACTS / "agency-overview-phone.png"), full_page=True)
