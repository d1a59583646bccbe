"""Workers storing reports of one problem at the same time end with one cluster."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django_tenants.utils import tenant_context

from mentions.models import Mention, ProblemCluster
from mentions.pipeline import mentions_store
from tests.factories import mention_item

T0 = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
WORDINGS = [
    "The app login failed again",
    "Can't log into the app, error",
    "Logging in to the app is broken",
    "app login not working??",
]


def test_racing_workers_make_one_cluster_per_problem(live_db):
    world = live_db
    batches = [
        [
            mention_item(
                text=WORDINGS[(worker + n) % len(WORDINGS)],
                published_at=(T0 + timedelta(seconds=worker * 10 + n)).isoformat(),
            )
            for n in range(3 if worker % 2 else 1)
        ]
        for worker in range(6)
    ]
    barrier = threading.Barrier(len(batches))
    errors: list = []

    def worker(items):
        try:
            with tenant_context(world.acme.client):
                barrier.wait()
                with transaction.atomic():
                    mentions_store(source=world.acme.source, items=items)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    with tenant_context(world.acme.client):
        cluster = ProblemCluster.objects.get()
        assert cluster.member_count == 12 == Mention.objects.filter(cluster=cluster).count()
        assert not Mention.objects.filter(cluster__isnull=True).exists()


def test_cluster_counts_are_pushed_live_to_the_owning_client_only(live_db):
    import asyncio

    from asgiref.sync import async_to_sync, sync_to_async
    from channels import DEFAULT_CHANNEL_LAYER
    from channels.layers import channel_layers

    from config.live import client_group

    world = live_db

    def store(texts, minutes):
        with tenant_context(world.acme.client), transaction.atomic():
            mentions_store(
                source=world.acme.source,
                items=[
                    mention_item(
                        text=text, published_at=(T0 + timedelta(minutes=minutes)).isoformat()
                    )
                    for text in texts
                ],
            )

    async def scenario():
        # A layer of our own: receiving must not tie the shared one to this event loop.
        layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        acme = await layer.new_channel()
        globex = await layer.new_channel()
        await layer.group_add(client_group(world.acme.client.pk), acme)
        await layer.group_add(client_group(world.globex.client.pk), globex)

        async def events():
            return (await asyncio.wait_for(layer.receive(acme), timeout=5))["events"]

        await sync_to_async(store)(WORDINGS[:1], 0)
        first = await events()
        await sync_to_async(store)(WORDINGS[1:3], 5)
        # One message per stored batch: the case the reports formed, then the new rows.
        batch = await events()
        formed, created = batch[:1], batch[1:]
        await sync_to_async(store)(WORDINGS[3:], 10)
        grown = await events()
        # Globex's group got nothing but the marker sent to it now.
        await layer.group_send(client_group(world.globex.client.pk), {"type": "marker"})
        leaked = await asyncio.wait_for(layer.receive(globex), timeout=5)
        await layer.flush()
        return first, formed, created, grown, leaked

    first, formed, created, grown, leaked = async_to_sync(scenario)()
    assert [e["type"] for e in first] == ["mention.created"]
    assert first[0]["mention"]["cluster_id"] is None
    assert [e["type"] for e in formed] == ["cluster.updated"]
    pushed = formed[0]["cluster"]
    assert pushed["count"] == 3 and "login" in pushed["title"]
    # The first report joins too: inboxes fold its row into the case.
    assert first[0]["mention"]["id"] in pushed["joined_ids"]
    assert len(pushed["joined_ids"]) == 3
    assert [e["type"] for e in created] == ["mention.created"] * 2
    assert {e["mention"]["cluster_id"] for e in created} == {pushed["id"]}
    assert grown[0]["cluster"]["count"] == 4
    assert leaked == {"type": "marker"}
    with tenant_context(world.acme.client):
        assert ProblemCluster.objects.get().member_count == 4
