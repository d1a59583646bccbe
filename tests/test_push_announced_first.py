"""A pushed mention reaches the inbox in the commit that stores it; its problem case settles
in the next one, in the same task, and is never lost or counted twice when the worker dies
in between."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from config import live
from config.live import client_group
from mentions.clusters import CLUSTER_UPDATED
from mentions.events import MENTION_CREATED
from mentions.models import Mention, ProblemCluster
from routing.services import rule_create
from sources.models import BatchStatus, IngestBatch, Source
from sources.services import (
    ingest,
    ingest_batch_process,
    ingest_batches_requeue_stalled,
    mentions_submit,
)
from tests.factories import mention_item

LOGIN = [
    "The app login fails again, so annoying",
    "Can't log into the app since this morning, keeps showing an error",
    "Logging in to the app is broken for me",
]
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, list[dict[str, Any]]]]:
    """What reached the channel layer, one entry per trip (one per commit)."""
    sent: list[dict[str, list[dict[str, Any]]]] = []
    monkeypatch.setattr(live, "_send", sent.append)
    return sent


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batches sent to the broker; the test runs them itself, as the worker would."""
    sent: list[int] = []
    monkeypatch.setattr(ingest, "_enqueue", lambda schema_name, batch_id: sent.append(batch_id))
    return sent


def push(world: Any, text: str, *, minute: int) -> int:
    item = mention_item(text=text, published_at=(T0 + timedelta(minutes=minute)).isoformat())
    [batch_id] = mentions_submit(source=world.acme.source, items=[item]).batch_ids
    return batch_id


def types(trip: dict[str, list[dict[str, Any]]], world: Any) -> list[str]:
    return [event["type"] for event in trip[client_group(world.acme.client.pk)]]


def test_a_pushed_mention_is_announced_before_its_case_settles(
    live_db: Any, trips: list[Any], queued: list[int]
) -> None:
    world = live_db
    connection.set_tenant(world.acme.client)
    first = push(world, LOGIN[0], minute=0)
    ingest_batch_process(batch_id=first)
    second = push(world, LOGIN[1], minute=1)
    ingest_batch_process(batch_id=second)

    # The first report alone is no case; the second forms one with it, one commit later.
    assert [types(trip, world) for trip in trips] == [
        [MENTION_CREATED],
        [MENTION_CREATED],
        [CLUSTER_UPDATED],
    ]
    announced = trips[1][client_group(world.acme.client.pk)][0]["mention"]
    assert announced["cluster_id"] is None
    cluster = ProblemCluster.objects.get()
    assert cluster.member_count == 2
    reports = list(Mention.objects.order_by("id").values_list("id", "cluster_id"))
    assert [cluster_id for _, cluster_id in reports] == [cluster.pk, cluster.pk]
    case = trips[2][client_group(world.acme.client.pk)][0]["cluster"]
    # The inbox folds both rows into the case: the second report and the first it joined.
    assert (case["count"], sorted(case["joined_ids"])) == (2, [pk for pk, _ in reports])
    batches = IngestBatch.objects.filter(pk__in=[first, second])
    assert {(b.status, tuple(b.settle_ids), b.stored) for b in batches} == {
        (BatchStatus.DONE, (), 1)
    }


def test_a_batch_whose_worker_died_after_announcing_is_settled_once(
    live_db: Any, trips: list[Any], queued: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = live_db
    connection.set_tenant(world.acme.client)
    ingest_batch_process(batch_id=push(world, LOGIN[0], minute=0))
    batch_id = push(world, LOGIN[1], minute=1)
    counted = Source.objects.get(pk=world.acme.source.pk).items_stored
    # kill -9 after the commit that stored and announced the mention, before its case.
    real_settle = ingest.ingest_batch_settle
    monkeypatch.setattr(ingest, "ingest_batch_settle", lambda *, batch_id: None)
    ingest_batch_process(batch_id=batch_id)
    monkeypatch.setattr(ingest, "ingest_batch_settle", real_settle)
    batch = IngestBatch.objects.get(pk=batch_id)
    [stored] = Mention.objects.filter(cluster_id__isnull=True).order_by("-id")[:1]
    assert (batch.status, batch.settle_ids) == (BatchStatus.SETTLING, [stored.pk])
    assert not ProblemCluster.objects.exists()

    queued.clear()
    # Within the orphan grace it may still be its worker's: left alone.
    assert ingest_batches_requeue_stalled() == 0
    IngestBatch.objects.filter(pk=batch_id).update(
        started_at=timezone.now() - timedelta(seconds=30),
        enqueued_at=timezone.now() - timedelta(seconds=30),
    )
    assert ingest_batches_requeue_stalled() == 1
    assert queued == [batch_id]
    assert IngestBatch.objects.get(pk=batch_id).status == BatchStatus.SETTLING
    # Queued once: the next sweep does not queue it again.
    assert ingest_batches_requeue_stalled() == 0

    # The message settles it, once, however often it comes.
    announced = len(trips)
    ingest_batch_process(batch_id=batch_id)
    ingest_batch_process(batch_id=batch_id)
    assert [types(trip, world) for trip in trips[announced:]] == [[CLUSTER_UPDATED]]
    assert ProblemCluster.objects.get().member_count == 2
    assert Mention.objects.filter(cluster_id__isnull=True).count() == 0
    batch = IngestBatch.objects.get(pk=batch_id)
    assert (batch.status, batch.settle_ids, batch.stored) == (BatchStatus.DONE, [], 1)
    assert Source.objects.get(pk=world.acme.source.pk).items_stored == counted + 1


def test_a_settling_batch_whose_follow_ups_failed_stays_settling_for_the_retry(
    live_db: Any, trips: list[Any], queued: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = live_db
    connection.set_tenant(world.acme.client)
    ingest_batch_process(batch_id=push(world, LOGIN[0], minute=0))
    batch_id = push(world, LOGIN[1], minute=1)
    real = ingest.mentions_settle

    def fails(**kwargs: Any) -> None:
        real(**kwargs)
        raise RuntimeError("the worker lost its database")

    monkeypatch.setattr(ingest, "mentions_settle", fails)
    with pytest.raises(RuntimeError):
        ingest_batch_process(batch_id=batch_id)
    monkeypatch.setattr(ingest, "mentions_settle", real)
    batch = IngestBatch.objects.get(pk=batch_id)
    # Rolled back: no case yet, and the batch still knows what to settle.
    assert (batch.status, batch.attempts) == (BatchStatus.SETTLING, 2)
    assert not ProblemCluster.objects.exists()
    ingest_batch_process(batch_id=batch_id)
    assert ProblemCluster.objects.get().member_count == 2
    assert IngestBatch.objects.get(pk=batch_id).status == BatchStatus.DONE


@pytest.mark.django_db
def test_a_routing_rule_on_the_case_size_keeps_routing_after_clustering(
    world: Any,
    in_acme: Any,
    trips: list[Any],
    queued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    rule_create(
        data={
            "name": "Many reports → tech lead",
            "department": "tech-support",
            "kinds": ["complaint", "question"],
            "min_cluster_size": 3,
            "escalate": True,
            "priority": 4,
            "position": 0,
        },
        by=world.alice,
        client=world.acme.client,
    )
    connection.set_tenant(world.acme.client)
    for minute, text in enumerate(LOGIN):
        with django_capture_on_commit_callbacks(execute=True):
            ingest_batch_process(batch_id=push(world, text, minute=minute))

    stored = list(Mention.objects.order_by("id"))
    assert [m.status == "escalated" for m in stored] == [False, False, True]
    assert "3 reports of the same problem ≥ 3" in stored[2].routing_reason
    # Each push was stored with its case in one commit, as before.
    assert types(trips[-1], world) == [CLUSTER_UPDATED, MENTION_CREATED]
    assert not IngestBatch.objects.exclude(status=BatchStatus.DONE).exists()


def test_a_pushed_mention_is_announced_after_a_handful_of_queries(
    live_db: Any, queued: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted from the worker's claim to the event (the case's statements come after)."""
    world = live_db
    connection.set_tenant(world.acme.client)
    ingest_batch_process(batch_id=push(world, LOGIN[0], minute=0))  # caches warm
    batch_id = push(world, LOGIN[1], minute=1)
    announced_after: list[int] = []
    with CaptureQueriesContext(connection) as queries:
        monkeypatch.setattr(
            live, "_send", lambda by_group: announced_after.append(len(queries.captured_queries))
        )
        ingest_batch_process(batch_id=batch_id)
    # The claim (BEGIN, SET LOCAL, UPDATE, COMMIT), then the store: the batch row, pages
    # seen elsewhere, the author upsert, the matrix version, SLA policies, listening
    # queries, the client's triage (3), SET LOCAL, the insert, the authors' counts, the
    # read for the event, the batch, COMMIT. The case, webhooks and the source's counter
    # (about 20 more) come after the event.
    assert announced_after[0] <= 20
    assert len(announced_after) == 2
    assert len(queries) <= 42


def test_a_push_is_stored_and_settled_while_its_source_row_is_shared_elsewhere(
    live_db: Any, trips: list[Any], queued: list[int]
) -> None:
    """Another batch of the same source, committing its rows, shares the source row (the
    foreign key check's FOR KEY SHARE). Storing and settling lock the batch row, not the
    source: before, the store waited for that transaction and the settling skipped the
    batch (left to the sweep)."""
    world = live_db
    connection.set_tenant(world.acme.client)
    ingest_batch_process(batch_id=push(world, LOGIN[0], minute=0))
    batch_id = push(world, LOGIN[1], minute=1)
    holding, release = threading.Event(), threading.Event()

    def other_batch() -> None:
        try:
            with tenant_context(world.acme.client), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT 1 FROM sources_source WHERE id = %s FOR KEY SHARE",
                        [world.acme.source.pk],
                    )
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_batch)
    thread.start()
    assert holding.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")
        ingest_batch_process(batch_id=batch_id)
    finally:
        release.set()
        thread.join(30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert IngestBatch.objects.get(pk=batch_id).status == BatchStatus.DONE
    assert ProblemCluster.objects.get().member_count == 2
