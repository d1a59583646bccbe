"""A big batch (an import, a backfill) is announced once; small ones mention by mention."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync, sync_to_async
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers
from django.db import transaction
from django_tenants.utils import tenant_context

from config.live import client_group
from mentions.events import LIVE_EVENTS_PER_BATCH
from mentions.pipeline import mentions_store
from tests.factories import mention_item


def test_a_big_batch_sends_one_reload_event_and_a_small_one_sends_rows(live_db):
    world = live_db

    def store(count: int) -> None:
        with tenant_context(world.acme.client), transaction.atomic():
            mentions_store(
                source=world.acme.source,
                items=[mention_item(text=f"Hinweis {n}") for n in range(count)],
            )

    async def scenario():
        layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        inbox = await layer.new_channel()
        await layer.group_add(client_group(world.acme.client.pk), inbox)
        received = []
        for count in (LIVE_EVENTS_PER_BATCH + 1, 3):
            await sync_to_async(store)(count)
            events: list[dict] = []
            while len(events) < (1 if count > LIVE_EVENTS_PER_BATCH else count):
                message = await asyncio.wait_for(layer.receive(inbox), timeout=5)
                events.extend(message["events"])
            received.append(events)
        await layer.flush()
        return received

    big, small = async_to_sync(scenario)()
    assert big == [{"type": "mentions.arrived"}]
    assert [event["type"] for event in small] == ["mention.created"] * 3
