"""In a real headless Chromium: a client admin uploads the client's logo on the Settings
page; the page previews it and the header shows it next to the client's name, at desktop
and phone width, without pushing the header's links off screen. Screenshots go to
test-artifacts/ (logo-settings-desktop.png, logo-header-desktop.png, logo-header-phone.png)."""

from __future__ import annotations

import io

import pytest
from django_tenants.utils import tenant_context
from PIL import Image, ImageDraw

from accounts.models import ClientLogo
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_browser_reports import DESKTOP, PHONE, _login

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _dark_wordmark() -> bytes:
    """A wide, dark logo on a transparent background: the hard case on a dark header."""
    image = Image.new("RGBA", (480, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 20, 100, 100), fill=(15, 27, 51, 255))
    draw.text((120, 45), "ACME RAIL", fill=(15, 27, 51, 255), font_size=40)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_a_client_admin_uploads_a_logo_and_the_header_shows_it(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    acme = f"http://{live_stack.host('acme')}"
    try:
        page = _login(browser, acme, world.alice.email, "/settings/", DESKTOP)
        assert page.get_by_text("No logo yet.").is_visible()
        page.get_by_label("Upload a PNG, JPEG or WebP image").set_input_files(
            {"name": "logo.png", "mimeType": "image/png", "buffer": _dark_wordmark()}
        )
        page.get_by_role("button", name="Upload the logo").click()
        page.wait_for_url(f"{acme}/settings/")
        assert page.get_by_text("The logo is saved.").is_visible()
        preview = page.locator(".logo-preview img")
        assert preview.evaluate("img => img.complete && img.naturalWidth") == 480
        page.locator(".logo-settings").screenshot(path=str(ARTIFACTS / "logo-settings-desktop.png"))

        header_logo = page.locator("header .header-logo")
        assert header_logo.evaluate("img => img.complete && img.naturalWidth") == 480
        box = header_logo.bounding_box()
        assert box["height"] <= 30 and box["width"] <= 110  # a chip, not a banner
        name = page.locator("header .client-name").first.bounding_box()
        assert box["x"] + box["width"] <= name["x"]  # before the client's name, not over it
        page.locator("header.topbar").screenshot(path=str(ARTIFACTS / "logo-header-desktop.png"))

        phone = _login(browser, acme, world.vera.email, "/", PHONE)
        logo = phone.locator("header .header-logo")
        assert logo.evaluate("img => img.complete && img.naturalWidth") == 480
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width  # nothing pushed sideways
        phone.locator("header.topbar").screenshot(path=str(ARTIFACTS / "logo-header-phone.png"))
    finally:
        with tenant_context(world.acme.client):
            ClientLogo.objects.filter(client=world.acme.client).delete()
