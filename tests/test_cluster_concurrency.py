"""Workers storing reports of one problem at the same time end with one cluster."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django_tenants.utils import tenant_context

from mentions.models import Mention, ProblemCluster
from mentions.services import mentions_store
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
