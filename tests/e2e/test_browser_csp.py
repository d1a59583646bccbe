"""In a real headless Chromium, under the Content-Security-Policy: the pages staff use every
day run without a single policy violation, and what inline handlers used to do still works
(a filter submits itself when changed; a destructive button asks first)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_browser_login import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PAGES = ["/", "/routing/", "/staff/", "/sources/", "/triage/", "/alerts/", "/responses/policy/"]


def test_daily_pages_run_without_policy_violations(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, live_stack, "acme", world.alice.email)
    for path in PAGES:
        page.goto(f"http://{live_stack.host('acme')}{path}")
        page.wait_for_load_state("networkidle")
    assert violations == []

    # The status filter submits itself (page.js), as the inline handler did.
    page.goto(f"http://{live_stack.host('acme')}/")
    page.locator("select[name=status]").select_option("all")
    page.wait_for_url("**/?*status=all*")
    # A destructive action asks first; dismissing the question keeps everything.
    page.goto(f"http://{live_stack.host('acme')}/routing/")
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.locator("form[data-confirm] button").first.click()
    assert asked and "Replace all rules" in asked[0]
    assert page.url.endswith("/routing/")
    page.screenshot(path=str(ARTIFACTS / "csp-routing.png"))
    assert violations == []
    context.close()
