"""In a real headless Chromium: a client admin invites someone from the staff page; the
invitee opens the link from the mail file, on a phone, sets a name and a password and lands
in the inbox logged in; the used link then says so in plain words. Screenshots at desktop
and phone width go to test-artifacts/."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, MAIL_DIR
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _login(browser, stack, email: str, path: str):  # noqa: F811
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(f"http://{stack.host('acme')}/login/?next={path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"http://{stack.host('acme')}{path}")
    return page


def _mailed_link(address: str, timeout: float = 30) -> str:
    """The invitation link mailed to `address`: the worker writes the mail file shortly after
    the page answered (mail leaves through the `lotse.mail_send` task)."""
    deadline = time.monotonic() + timeout
    while True:
        files = sorted(MAIL_DIR.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
        for path in files:
            text = path.read_text()
            found = re.search(r"http://\S+/invitations/\S+/", text)
            if f"To: {address}" in text and found:  # (a file being written has no link yet)
                return found.group(0)
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail to {address} in {MAIL_DIR} after {timeout} s")
        time.sleep(0.2)


def test_invite_accept_on_a_phone_and_land_in_the_inbox(browser, live_stack, live_db):  # noqa: F811
    from accounts.models import Invitation, User

    world = live_db
    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    email = "nina.browser@acme.test"
    try:
        admin = _login(browser, live_stack, world.alice.email, "/staff/")
        admin.get_by_label("E-mail", exact=True).fill(email)
        admin.get_by_label("Role", exact=True).select_option("responder")
        admin.get_by_label("Tech support", exact=True).check()
        admin.get_by_label("Languages").fill("de, en")
        admin.get_by_role("button", name="Send invitation").click()
        admin.wait_for_selector("text=Invited nina.browser@acme.test")
        row = admin.locator(".invitation-row", has_text=email)
        assert row.count() == 1
        assert "valid until" in row.inner_text()
        admin.locator("#people").screenshot(path=str(ARTIFACTS / "people-staff-page.png"))

        link = _mailed_link(email)
        assert link.startswith(f"http://{live_stack.host('acme')}/invitations/")

        desktop = browser.new_context(viewport=DESKTOP).new_page()
        desktop.goto(link)
        assert desktop.get_by_role("heading", name="Join Acme Rail").is_visible()
        desktop.screenshot(path=str(ARTIFACTS / "invitation-accept-desktop.png"), full_page=True)
        desktop.context.close()

        phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        phone.goto(link)
        phone.get_by_label("Your name").fill("Nina Browser")
        phone.get_by_label("Choose a password").fill("short")
        phone.get_by_role("button", name="Set password and open the inbox").click()
        phone.wait_for_selector("#password-error")
        assert "too short" in phone.locator("#password-error").inner_text()
        # Nothing sticks out sideways on a phone.
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        phone.screenshot(path=str(ARTIFACTS / "invitation-accept-phone-error.png"), full_page=True)
        phone.get_by_label("Choose a password").fill("a long and fine secret")
        phone.get_by_label("Choose a password").press("Enter")
        phone.wait_for_url(f"http://{live_stack.host('acme')}/")
        assert phone.locator(".who").inner_text() == "Nina Browser"
        assert phone.locator("text=Welcome to Acme Rail").is_visible()
        phone.screenshot(path=str(ARTIFACTS / "invitation-inbox-phone.png"))

        used = browser.new_context(viewport=PHONE).new_page()
        used.goto(link)
        assert used.get_by_role("heading", name="This invitation was used already").is_visible()
        used.screenshot(path=str(ARTIFACTS / "invitation-used-phone.png"), full_page=True)
    finally:
        Invitation.objects.filter(email=email).delete()
        User.objects.filter(email=email).delete()
