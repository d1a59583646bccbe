"""In a real Chromium with the real stack: a demo mention (from the demo network, as
`demo_stream` makes them) is answered by an uncertified responder, approved by a manager,
delivered by the worker to the demo network, and read there, threaded under the post."""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime

import pytest
from django_tenants.utils import tenant_context

from mentions.models import Mention
from sources.demo_content import demo_mention
from sources.demo_network import DemoNetworkServer, DemoNetworkStore
from sources.services import demo_source_ensure, ingest_batch_process, mentions_submit
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser_inbox import browser, logged_in_page  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_demo_mention_is_answered_approved_and_shown_on_the_demo_network(
    browser,  # noqa: F811
    live_stack,
    live_db,
    tmp_path,
):
    world = live_db
    store = DemoNetworkStore(tmp_path / "demo-network.jsonl")
    with DemoNetworkServer(store, port=live_stack.demo_network_port) as network:
        item = demo_mention(client_slug="nordbahn", rng=random.Random(11), now=datetime.now(UTC))
        handle = item["author"]["handle"]
        item["url"] = f"{network.url}/@{handle}/{item['external_id']}"
        store.post_add(
            post_id=item["external_id"],
            handle=handle,
            name=item["author"]["name"],
            text=item["text"],
            at=datetime.now(UTC),
        )
        with tenant_context(world.acme.client):
            source, _ = demo_source_ensure(name="Demo stream", account="acme")
            result = mentions_submit(source=source, items=[item])
            # The live worker gets the batch too, on commit, and whoever claims it first
            # stores the mention (the other returns at once): wait until it is there.
            ingest_batch_process(batch_id=result.batch_ids[0])
            stored = Mention.objects.filter(source=source, external_id=item["external_id"])
            deadline = time.monotonic() + 40
            while not stored.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            mention = stored.get()

        path = f"/mentions/{mention.pk}/"
        rita = logged_in_page(browser, live_stack, "acme", world.rita.email, path)
        assert "Public reply on the network" in rita.locator("#response-channel").inner_text()
        rita.locator("#response-text").fill("Danke für den Hinweis, wir kümmern uns darum.")
        # Rita has no valid certificate: the composer says the reply waits for approval.
        rita.locator(".finding-approval", has_text=re.compile("certif")).wait_for(timeout=5_000)
        rita.get_by_role("button", name="Send for approval").click()
        rita.locator(".response .response-status", has_text="Waiting for approval").wait_for()

        alice = logged_in_page(
            browser, live_stack, "acme", world.alice.email, "/responses/approvals/"
        )
        row = alice.locator("tr", has_text="Danke für den Hinweis")
        row.get_by_role("button", name="Approve and send").click()
        alice.locator(".empty", has_text="Nothing waits for approval.").wait_for()

        rita.locator(".response .response-status", has_text="Sent").wait_for(timeout=20_000)
        link = rita.locator(".response a.on-network")
        href = link.get_attribute("href") or ""
        assert href.startswith(f"{network.url}/@acme/")
        rita.screenshot(path=str(ARTIFACTS / "demo-reply-sent.png"), full_page=True)

        rita.goto(item["url"])
        rita.locator("article.reply", has_text="Danke für den Hinweis").wait_for()
        assert "Rita Responder" in rita.locator("article.reply").inner_text()
        rita.screenshot(path=str(ARTIFACTS / "demo-network-thread.png"), full_page=True)
        rita.set_viewport_size({"width": 390, "height": 844})
        rita.goto(network.url + "/")
        rita.locator("article.reply", has_text="Danke für den Hinweis").wait_for()
        assert rita.evaluate("document.documentElement.scrollWidth <= innerWidth")
        rita.screenshot(path=str(ARTIFACTS / "demo-network-phone.png"), full_page=True)
