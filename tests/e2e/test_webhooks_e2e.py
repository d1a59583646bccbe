"""The integrator's path on the running stack (uvicorn, Celery worker and beat): subscribe
over the API, push a mention, receive it signed on a loopback receiver; then, in headless
Chromium, the client admin sees the delivery log (desktop and phone width) and redelivers."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from accounts.services import api_token_create
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_push_to_websocket import signed_push
from tests.factories import mention_item
from tests.webhook_receiver import webhook_receiver
from webhooks.services import webhook_signature_verify

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _wait(check, what: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_an_integrator_subscribes_receives_signed_events_and_redelivers(
    browser,  # noqa: F811
    live_stack,
    live_db,
):
    world = live_db
    _, admin_token = api_token_create(client=world.acme.client, user=world.alice)
    host = live_stack.host("acme")
    with webhook_receiver() as receiver:
        created = httpx.post(
            f"{live_stack.base_url}/api/v1/webhooks/",
            json={"url": receiver.url, "events": ["mention.created", "mention.routed"]},
            headers={"Host": host, "Authorization": f"Token {admin_token}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        hook = created.json()
        assert signed_push(live_stack, world.acme, [mention_item(external_id="wh-1")]).is_success
        _wait(lambda: len(receiver.received) >= 2, "mention.created and mention.routed")
        got = {r.headers["X-Lotse-Event"]: r for r in receiver.received}
        created_event = got["mention.created"]
        assert webhook_signature_verify(
            secrets_=[hook["secret"]],
            timestamp=created_event.headers["X-Lotse-Timestamp"],
            body=created_event.body,
            header=created_event.headers["X-Lotse-Signature"],
        )
        assert json.loads(created_event.body)["data"]["mention"]["external_id"] == "wh-1"

        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        path = f"/webhooks/{hook['id']}/"
        page.goto(f"http://{host}/login/?next={path}")
        page.get_by_label("E-mail").fill(world.alice.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        page.wait_for_url(f"http://{host}{path}")
        assert page.locator("table.deliveries tbody tr").count() == 2
        page.screenshot(path=str(ARTIFACTS / "webhooks-log-desktop.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "webhooks-log-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        page.set_viewport_size({"width": 1400, "height": 900})
        before = len(receiver.received)
        page.get_by_role("button", name="Redeliver").first.click()
        page.wait_for_load_state()
        _wait(lambda: len(receiver.received) > before, "the redelivery")
        again = receiver.received[-1]
        assert again.headers["X-Lotse-Delivery"] in {
            r.headers["X-Lotse-Delivery"] for r in receiver.received[:before]
        }
        page.goto(f"http://{host}/webhooks/")
        page.screenshot(path=str(ARTIFACTS / "webhooks-list-desktop.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "webhooks-list-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        context.close()
