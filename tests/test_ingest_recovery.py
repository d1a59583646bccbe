"""A batch interrupted by the database going away is handed back within seconds of it
returning, not left `processing` until the stalled-batch sweep."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import psycopg
import psycopg.sql
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from mentions.models import Mention
from sources.models import BatchStatus, IngestBatch
from sources.services import (
    ingest,
    ingest_batch_process,
    ingest_batches_requeue_stalled,
    mentions_submit,
)
from tests.factories import mention_item


def _side_connection() -> psycopg.Connection[Any]:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    )


def _wait_for_backend_exit(pid: int, *, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    with _side_connection() as side:
        while side.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, f"backend {pid} still there"
            time.sleep(0.02)


def test_a_batch_cut_off_by_a_database_outage_is_pending_again_once_it_answers(
    live_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = live_db
    connection.set_tenant(world.acme.client)
    result = mentions_submit(
        source=world.acme.source, items=[mention_item(text=f"Zug {n} fällt aus") for n in range(5)]
    )
    batch_id = result.batch_ids[0]
    name = connection.settings_dict["NAME"]
    real_store = ingest.mentions_store
    reopen: list[threading.Timer] = []

    def allow(flag: bool) -> None:
        with _side_connection() as side:
            side.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(flag).lower()}')

    def store_during_outage(**kwargs: Any) -> Any:
        # The database goes away under the worker: its connection is cut and, for a
        # second and a half, nobody can connect.
        allow(False)
        with _side_connection() as side:
            side.execute(
                "SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid]
            )
        timer = threading.Timer(1.5, allow, args=[True])
        timer.start()
        reopen.append(timer)
        return real_store(**kwargs)

    monkeypatch.setattr(ingest, "mentions_store", store_during_outage)
    try:
        with pytest.raises(OperationalError):
            ingest_batch_process(batch_id=batch_id)
    finally:
        for timer in reopen:
            timer.join()
        allow(True)
    monkeypatch.setattr(ingest, "mentions_store", real_store)

    batch = IngestBatch.objects.get(pk=batch_id)
    assert batch.status == BatchStatus.PENDING  # the task's own retry can take it at once
    ingest_batch_process(batch_id=batch_id)
    assert IngestBatch.objects.get(pk=batch_id).status == BatchStatus.DONE
    assert Mention.objects.count() == 5


def test_a_batch_whose_worker_was_killed_is_handed_back_by_the_next_sweep(
    live_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = live_db
    connection.set_tenant(world.acme.client)
    result = mentions_submit(
        source=world.acme.source, items=[mention_item(text=f"Zug {n} fällt aus") for n in range(3)]
    )
    [batch_id] = result.batch_ids
    queued: list[int] = []
    monkeypatch.setattr(ingest, "_enqueue", lambda schema_name, batch_id: queued.append(batch_id))
    # A worker claimed it 30 s ago (past the orphan grace, far short of the stall period)…
    claimed = timezone.now() - timedelta(seconds=30)
    IngestBatch.objects.filter(pk=batch_id).update(
        status=BatchStatus.PROCESSING, started_at=claimed, enqueued_at=claimed
    )
    db = settings.DATABASES["default"]
    worker = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=connection.settings_dict["NAME"]
    )
    # …and is still storing it: it holds the row, so the sweep leaves it alone.
    worker.execute(
        psycopg.sql.SQL("SELECT id FROM {}.sources_ingestbatch WHERE id = %s FOR UPDATE").format(
            psycopg.sql.Identifier(world.acme.client.schema_name)
        ),
        [batch_id],
    )
    assert ingest_batches_requeue_stalled() == 0
    assert IngestBatch.objects.get(pk=batch_id).status == BatchStatus.PROCESSING
    # kill -9: its transaction ends with its connection, the row is free (once PostgreSQL
    # has noticed: on a busy machine the backend outlives the closed socket for a moment).
    pid = worker.info.backend_pid
    worker.close()
    _wait_for_backend_exit(pid)
    assert ingest_batches_requeue_stalled() == 1
    assert queued == [batch_id]
    assert IngestBatch.objects.get(pk=batch_id).status == BatchStatus.PENDING
    # Handed back once: the next sweep does not queue it again.
    assert ingest_batches_requeue_stalled() == 0
    ingest_batch_process(batch_id=batch_id)
    assert IngestBatch.objects.get(pk=batch_id).status == BatchStatus.DONE
    assert Mention.objects.count() == 3


@pytest.mark.django_db
def test_a_batch_the_broker_could_not_take_is_queued_by_the_first_sweep_after_it_returns(
    world: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    connection.set_tenant(world.acme.client)
    sent: list[tuple[Any, ...]] = []

    def broker_down(name: str, *args: Any) -> None:
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(ingest, "task_send", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        result = mentions_submit(
            source=world.acme.source, items=[mention_item(text="Zug fällt aus")]
        )
    [batch_id] = result.batch_ids  # accepted: the pusher got its 202
    batch = IngestBatch.objects.get(pk=batch_id)
    assert (batch.status, batch.enqueued_at) == (BatchStatus.PENDING, None)

    monkeypatch.setattr(ingest, "task_send", lambda name, *args: sent.append((name, *args)))
    assert ingest_batches_requeue_stalled() == 1  # at once, not a stall period later
    assert sent == [("sources.ingest_batch", world.acme.client.schema_name, batch_id)]


@pytest.mark.django_db
@pytest.mark.parametrize(("waiting", "queued_again"), [(0, True), (5, False)])
def test_a_pending_batch_whose_message_a_dead_worker_took_is_queued_again_when_nothing_waits(
    world: Any, monkeypatch: pytest.MonkeyPatch, waiting: int, queued_again: bool
) -> None:
    connection.set_tenant(world.acme.client)
    sent: list[int] = []
    monkeypatch.setattr(ingest, "_enqueue", lambda schema_name, batch_id: sent.append(batch_id))
    result = mentions_submit(source=world.acme.source, items=[mention_item(text="Zug fällt aus")])
    [batch_id] = result.batch_ids
    # Queued 30 s ago; a worker reserved the message and was killed before starting it.
    IngestBatch.objects.filter(pk=batch_id).update(
        enqueued_at=timezone.now() - timedelta(seconds=30)
    )
    monkeypatch.setattr(ingest, "queue_waiting", lambda queue: waiting)
    ingest_batches_requeue_stalled()
    # An empty queue means the message is gone; a backlog means it may be waiting its turn.
    assert sent == ([batch_id] if queued_again else [])
