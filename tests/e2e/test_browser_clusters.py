"""In a real headless Chromium: reports of one problem fold into one live case in the strip
above the list, whose count grows as more people report it; the case page resolves every
report at once; another client's inbox never sees any of it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser, logged_in_page  # noqa: F401 (fixture)
from tests.e2e.test_push_to_websocket import signed_push
from tests.factories import mention_item

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPORTS = [
    "The app login failed again, so annoying",
    "Can't log into the app since this morning, error",
    "Logging in to the app is broken for me",
    "App login error again?! terrible",
    "the app login is broken, can't get in",
]


def push(stack, tenant, texts, handle):
    items = [
        mention_item(text=text, author={"handle": f"{handle}{n}", "followers": 100 + n})
        for n, text in enumerate(texts)
    ]
    response = signed_push(stack, tenant, items)
    assert response.status_code == 202, response.text


def test_problem_cluster_is_one_live_case(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    rita = logged_in_page(browser, live_stack, "acme", world.rita.email)
    bob = logged_in_page(browser, live_stack, "globex", world.bob.email)

    push(live_stack, world.acme, REPORTS[:1], "first")
    rita.locator("tr.mention-row", has_text="login failed again").wait_for(timeout=10_000)
    assert rita.locator("li.case").count() == 0  # one report is no case
    assert rita.locator("#cases-strip").is_hidden()

    push(live_stack, world.acme, REPORTS[1:3], "second")
    case = rita.locator("#case-list li.case")
    case.locator(".cluster-count", has_text="3").wait_for(state="attached", timeout=10_000)
    # The first report's own row folds into the case; the strip shows the counts and the
    # largest case as a chip without expanding.
    rita.locator("tr.mention-row").first.wait_for(state="detached", timeout=5_000)
    assert rita.locator("#cases-total").inner_text() == "1"
    assert rita.locator("#cases-reports").inner_text() == "3"
    assert "login" in rita.locator("#case-chips a").first.inner_text()

    push(live_stack, world.acme, REPORTS[3:], "third")
    case.locator(".cluster-count", has_text="5").wait_for(state="attached", timeout=10_000)
    assert rita.locator("tr.mention-row").count() == 0
    rita.screenshot(path=str(ARTIFACTS / "cluster-inbox-live.png"))

    # After a reload the case expands (keyboard) to its reports.
    rita.reload()
    rita.locator("#live-state.on").wait_for(timeout=10_000)
    summary = rita.locator("#cases-details summary")
    summary.focus()
    rita.keyboard.press("Enter")
    rita.locator("li.case .case-link").wait_for()
    assert rita.locator(".cluster-members li").count() == 3  # the newest reports
    rita.screenshot(path=str(ARTIFACTS / "cluster-inbox-expanded.png"))

    rita.locator("li.case a.cluster-open").click()
    rita.wait_for_url("**/clusters/*/")
    assert rita.locator("table.mentions tr.mention-row").count() == 5
    rita.get_by_role("button", name="Resolve all").click()
    rita.locator(".message.success", has_text="Resolved: 5 mentions").wait_for()
    rita.locator("#cluster-status", has_text="Resolved").wait_for()
    rita.screenshot(path=str(ARTIFACTS / "cluster-resolved.png"))

    rita.goto(f"http://{live_stack.host('acme')}/")
    assert rita.locator("li.case").count() == 0
    assert bob.locator("li.case").count() == 0
    assert bob.locator("tr.mention-row").count() == 0
