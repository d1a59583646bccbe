"""In a real headless Chromium: log in once on one client, move to another client through
the header's switcher with the keyboard (no second login), and be refused where the person
has no membership; at desktop and phone width."""

from __future__ import annotations

import pytest

from accounts.models import Role, User
from accounts.services import user_create_or_update
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

EMAIL = "max.switch@both.test"


@pytest.fixture
def max_user(live_db):
    world = live_db
    user_create_or_update(
        email=EMAIL,
        password=PASSWORD,
        name="Max Both",
        client=world.acme.client,
        role=Role.RESPONDER,
    )
    user = user_create_or_update(
        email=EMAIL, password=None, client=world.globex.client, role=Role.RESPONDER
    )
    yield user
    User.objects.filter(pk=user.pk).delete()


def log_in(page, stack, slug: str, email: str) -> None:
    page.goto(f"http://{stack.host(slug)}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"http://{stack.host(slug)}/")


@pytest.mark.parametrize(
    ("label", "viewport"),
    [("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})],
)
def test_one_login_and_the_client_switcher(browser, live_stack, max_user, label, viewport):  # noqa: F811
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    log_in(page, live_stack, "acme", EMAIL)
    switcher = page.locator(".switcher summary")
    assert "Acme Rail" in switcher.inner_text()

    # Keyboard only: focus the switcher, open it, walk to Globex, follow the link.
    switcher.focus()
    page.keyboard.press("Enter")
    menu = page.locator(".switcher-menu")
    menu.wait_for(state="visible")
    assert menu.locator("a").all_inner_texts() == ["Agency overview", "Acme Rail", "Globex Mobile"]
    box = menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    page.screenshot(path=str(ARTIFACTS / f"switcher-open-{label}.png"))
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Globex Mobile"
    page.keyboard.press("Enter")
    # Local hosts under `localhost` are separate sites: the first visit asks, by keyboard too.
    confirm = page.get_by_role("button", name=f"Continue as {EMAIL}")
    confirm.wait_for()
    page.screenshot(path=str(ARTIFACTS / f"switch-confirm-{label}.png"))
    page.keyboard.press("Enter")  # the button has the focus
    page.wait_for_url(f"http://{live_stack.host('globex')}/")
    assert "Globex Mobile" in page.locator(".switcher summary").inner_text()
    assert page.locator("form input[name=password]").count() == 0  # no second login
    page.screenshot(path=str(ARTIFACTS / f"switched-to-globex-{label}.png"))

    # And to the agency overview, through the same menu.
    page.locator(".switcher summary").click()
    page.get_by_role("link", name="Agency overview").click()
    page.get_by_role("button", name=f"Continue as {EMAIL}").click()
    page.wait_for_url(f"http://localhost:{live_stack.port}/")
    assert page.get_by_role("heading", name="Your clients").is_visible()
    page.locator(".switcher summary").click()
    page.screenshot(path=str(ARTIFACTS / f"agency-overview-switcher-{label}.png"))
    context.close()


def test_switcher_refuses_a_client_without_membership(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_stack, "acme", world.rita.email)
    page.locator(".switcher summary").click()
    assert page.locator(".switcher-menu a").all_inner_texts() == ["Agency overview", "Acme Rail"]
    refused = page.goto(f"http://{live_stack.host('acme')}/switch/globex/")
    assert refused is not None and refused.status == 404
    assert "Globex" not in page.content()
    page.goto(f"http://{live_stack.host('globex')}/")
    page.wait_for_url("**/login/?next=/")  # no session on globex was made
    page.screenshot(path=str(ARTIFACTS / "switch-refused-phone.png"))
    context.close()


def test_two_factor_enrolment_login_code_and_lockout_message(browser, live_stack, live_db):  # noqa: F811
    from axes.models import AccessAttempt
    from django_otp.oath import totp
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    world = live_db
    host = live_stack.host("acme")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        log_in(page, live_stack, "acme", world.rita.email)
        page.goto(f"http://{host}/account/2fa/")
        assert page.locator(".qr svg").is_visible()
        page.screenshot(path=str(ARTIFACTS / "two-factor-enrol-desktop.png"))
        device = TOTPDevice.objects.get(user=world.rita, confirmed=False)
        code = str(totp(device.bin_key)).zfill(6)
        page.get_by_role("textbox", name="Code").fill(code)
        page.get_by_role("button", name="Turn on two-factor login").click()
        assert page.get_by_text("Keep these recovery codes").is_visible()
        assert page.locator(".codes li").count() == 10

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url("**/login/")
        page.get_by_label("E-mail").fill(world.rita.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        page.wait_for_url("**/login/code/**")
        # The next 30-second step: the code used to turn it on cannot be used twice.
        page.get_by_role("textbox", name="Code").fill(str(totp(device.bin_key, drift=1)).zfill(6))
        page.get_by_role("textbox", name="Code").press("Enter")
        page.wait_for_url(f"http://{host}/")

        other = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        other.goto(f"http://{host}/login/")
        for _ in range(5):
            other.get_by_label("E-mail").fill(world.vera.email)
            other.get_by_label("Password").fill("not the password")
            other.get_by_label("Password").press("Enter")
            other.wait_for_load_state()
        assert other.get_by_text("try again in 15 minutes").is_visible()
        other.screenshot(path=str(ARTIFACTS / "login-locked-phone.png"))
    finally:
        AccessAttempt.objects.all().delete()
        TOTPDevice.objects.filter(user=world.rita).delete()
        StaticDevice.objects.filter(user=world.rita).delete()
        context.close()
