"""Dedupe holds when workers race on the same mentions."""

from __future__ import annotations

import threading

from django.db import connection, transaction
from django_tenants.utils import tenant_context

from mentions.models import Author, Mention
from mentions.pipeline import mentions_store
from tests.factories import mention_item


def test_racing_workers_store_each_mention_once(live_db):
    world = live_db
    shared = [
        mention_item(external_id=f"race-{n}", author={"handle": f"h{n % 7}"}) for n in range(300)
    ]
    batches = [
        shared[:200] + [mention_item() for _ in range(20)],
        shared[100:] + [mention_item() for _ in range(20)],
        list(reversed(shared)),
        shared[::2],
    ]
    barrier = threading.Barrier(len(batches))
    outcomes: list = []
    errors: list = []

    def worker(items):
        try:
            with tenant_context(world.acme.client):
                barrier.wait()
                with transaction.atomic():
                    outcomes.append(mentions_store(source=world.acme.source, items=items))
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
        assert Mention.objects.filter(external_id__startswith="race-").count() == 300
        assert Mention.objects.count() == 340
        assert sum(outcome.stored for outcome in outcomes) == 340
        assert sum(Author.objects.values_list("mention_count", flat=True)) == 340
