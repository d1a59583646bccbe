"""End to end: a worker polls a feed served on loopback; its items reach the inbox live."""

from __future__ import annotations

import asyncio
import json

import pytest
from django_tenants.utils import tenant_context

from sources.services.polling import source_create_polled
from tests.e2e.test_push_to_websocket import open_socket
from tests.replay import ReplayServer

pytestmark = pytest.mark.e2e

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Pendler</title>
<item><guid>p-1</guid><title>Acme-App: Login geht seit heute nicht</title>
<link>https://pendler.example/p-1</link><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_worker_polls_a_feed_and_the_item_arrives_live(live_stack, live_db):
    world = live_db
    with ReplayServer() as server:
        server.add("GET", "/feed", body=FEED, headers={"Content-Type": "application/rss+xml"})
        with tenant_context(world.acme.client):
            source = source_create_polled(
                kind="rss", name="Pendler", config={"url": f"{server.url}/feed"}
            )

        async def scenario():
            sock = await open_socket(live_stack, "acme", world.acme.token)
            from sources.tasks import poll_due_all_clients

            await asyncio.to_thread(poll_due_all_clients.delay)
            event = json.loads(await asyncio.wait_for(sock.recv(), timeout=15))
            await sock.close()
            return event

        event = asyncio.run(scenario())
        assert server.requests, "the worker never fetched the feed"
    mention = event["mention"]
    assert mention["external_id"] == "p-1"
    assert mention["source_id"] == source.pk
    assert mention["department"]["slug"] == "tech-support"
