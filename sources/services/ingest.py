"""Sources and ingestion: accept batches of mentions and hand them to the workers."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.celery import queue_waiting, task_send
from config.errors import DomainError
from config.metrics import BATCH_LAG, INGEST_CPU, metric_inc, metric_observe
from config.tenancy import current_schema
from mentions.pipeline import commit_without_flush, mentions_settle, mentions_store
from sources.credentials import credentials_encrypt
from sources.formats import mention_item_validate
from sources.models import (
    PUSH_KINDS,
    SIGNED_KINDS,
    BatchStatus,
    IngestBatch,
    Source,
    SourceKind,
)

SIGNATURE_HEADER = "X-Lotse-Signature"

logger = logging.getLogger(__name__)


def source_create(*, kind: str, name: str, network: str = "web") -> Source:
    """A push source (webhook or import). Polled sources: `source_create_polled`."""
    if kind not in PUSH_KINDS:
        raise DomainError(f"{kind!r} is not a push source kind", fields={"kind": ["invalid"]})
    secret = secrets.token_hex(32) if kind in SIGNED_KINDS else ""
    return Source.objects.create(kind=kind, name=name, network=network, secret=secret)


def demo_source_ensure(*, name: str, account: str) -> tuple[Source, bool]:
    """The client's demo source (kind `demo`: pushed by `demo_stream`, answered on the demo
    network as `account`), created or, when an older demo made it a webhook source, turned
    into one. Its mentions and secret stay. Returns the source and whether it changed."""
    source = Source.objects.filter(name=name).order_by("id").first()
    credentials = credentials_encrypt({"access_token": account})
    if source is None:
        source = source_create(kind=SourceKind.DEMO, name=name, network=SourceKind.DEMO)
    elif source.kind == SourceKind.DEMO and source.credentials_encrypted:
        return source, False
    elif source.kind not in (SourceKind.WEBHOOK, SourceKind.DEMO):
        raise DomainError(f"{name!r} is a {source.kind} source, not the demo's")
    source.kind = source.network = SourceKind.DEMO
    source.secret = source.secret or secrets.token_hex(32)
    source.credentials_encrypted = credentials
    source.save(update_fields=["kind", "network", "secret", "credentials_encrypted"])
    return source, True


# A push that carries X-Lotse-Timestamp signs "<timestamp>.<body>" and is refused when the
# timestamp is further than this from now: a captured push cannot be replayed later.
TIMESTAMP_HEADER = "X-Lotse-Timestamp"
TIMESTAMP_TOLERANCE_SECONDS = 300


def signature_compute(*, secret: str, body: bytes, timestamp: str | None = None) -> str:
    signed = body if timestamp is None else timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_is_valid(
    *,
    source: Source,
    body: bytes,
    header: str | None,
    timestamp: str | None = None,
    now: float | None = None,
) -> bool:
    """The push is signed with the source's secret (and, with a timestamp, is fresh)."""
    if not source.secret or not header:
        return False
    if timestamp is not None:
        timestamp = timestamp.strip()
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return False
        current = time.time() if now is None else now
        if abs(current - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
            return False
    expected = signature_compute(secret=source.secret, body=body, timestamp=timestamp).encode()
    # Bytes, not str: compare_digest refuses non-ASCII strings, and headers are hostile input.
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "surrogateescape"))


@dataclass
class SubmitResult:
    batch_ids: list[int] = field(default_factory=list)
    accepted: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def mentions_submit(*, source: Source, items: list[Any], first_index: int = 0) -> SubmitResult:
    """Validate `items`, keep the valid ones in a batch and queue it for ingestion.

    Invalid items are reported by index (offset by `first_index`) and never block the others.
    """
    result = SubmitResult()
    valid: list[dict[str, Any]] = []
    for offset, item in enumerate(items):
        data, errors = mention_item_validate(item)
        if data is None:
            result.errors.append({"index": first_index + offset, "errors": errors})
        else:
            valid.append(data)
    result.accepted = len(valid)
    if valid:
        result.batch_ids.append(ingest_batch_create(source=source, items=valid).pk)
    return result


MAX_BATCH_ATTEMPTS = 5


def ingest_batch_create(*, source: Source, items: list[dict[str, Any]]) -> IngestBatch:
    schema_name = current_schema()
    with transaction.atomic():
        batch = IngestBatch.objects.create(
            source=source, items=items, received=len(items), enqueued_at=timezone.now()
        )
        # robust: the batch is safe in PostgreSQL; if the broker is down, the stalled-batch
        # job queues it later and the pusher still gets its 202.
        transaction.on_commit(lambda: _enqueue(schema_name, batch.pk), robust=True)
    return batch


def _enqueue(schema_name: str, batch_id: int) -> None:
    try:
        task_send("sources.ingest_batch", schema_name, batch_id)
    except Exception:
        # The broker is away: the batch is safe in PostgreSQL. Marked as never queued, the
        # first sweep after the broker returns queues it (not a stall period later).
        IngestBatch.objects.filter(pk=batch_id).update(enqueued_at=None)
        raise


def ingest_batch_process(*, batch_id: int) -> IngestBatch | None:
    """Store a batch's mentions (deduplicated, triaged, routed). Idempotent: a batch that is
    done, failed, or being processed by another worker is left alone.

    A small batch (a push) is announced first: the commit that stores its mentions sends
    them to the inbox and leaves the batch `settling` with the ids stored; its problem
    clusters and webhooks follow in a second transaction (`ingest_batch_settle`), at once,
    in this call. A batch left `settling` (its worker was killed between the two) is
    settled by the next message for it, which the stalled-batch sweep sends."""
    cpu = time.process_time()
    stall = timedelta(seconds=settings.LOTSE_BATCH_STALL_SECONDS)
    now = timezone.now()
    with transaction.atomic():
        # The claim is bookkeeping: a database crash that loses it leaves the batch pending,
        # and the sweep queues it again. Its commit need not wait for the WAL flush (one
        # fsync, 8-14 ms on a busy machine, on the way to every pushed mention's event).
        commit_without_flush()
        # One statement: UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED). SKIP
        # LOCKED: a duplicate message for a batch another worker holds returns at once
        # instead of waiting on its row lock.
        claimable = (
            IngestBatch.objects.filter(pk=batch_id)
            .filter(_batch_claimable_q(now=now, stall=stall))
            .select_for_update(skip_locked=True)
            .values("pk")
        )
        claimed = IngestBatch.objects.filter(pk__in=claimable).update(
            status=BatchStatus.PROCESSING, started_at=now, attempts=F("attempts") + 1
        )
        if not claimed:
            return ingest_batch_settle(batch_id=batch_id)
    try:
        with transaction.atomic():
            # The batch row only (`of`): without it FOR UPDATE also locks the joined source
            # row, so every batch of a source ran one at a time, and a file import's next
            # batch (whose foreign key check at commit shares that row) waited for the
            # running one to commit.
            batch = (
                IngestBatch.objects.select_related("source")
                .select_for_update(of=("self",))
                .get(pk=batch_id)
            )
            outcome = mentions_store(source=batch.source, items=batch.items, announce_first=True)
            batch.stored = outcome.stored
            batch.duplicates = outcome.duplicates
            batch.items = []
            if outcome.settle_ids:
                batch.status = BatchStatus.SETTLING
                batch.settle_ids = outcome.settle_ids
            else:
                _batch_done(batch)
            batch.save(
                update_fields=[
                    "stored",
                    "duplicates",
                    "status",
                    "finished_at",
                    "items",
                    "settle_ids",
                ]
            )
    except Exception as exc:
        _batch_hand_back(batch_id=batch_id, exc=exc)
        raise
    if batch.status == BatchStatus.SETTLING:
        batch = ingest_batch_settle(batch_id=batch_id) or batch
    # The worker's CPU for the batch, its commit, what ran on commit (live sends) and, for
    # a batch announced first, its settling.
    metric_inc(INGEST_CPU, time.process_time() - cpu)
    return batch


def ingest_batch_settle(*, batch_id: int) -> IngestBatch | None:
    """The follow-ups of a batch stored and announced (`settling`): its mentions' problem
    clusters and webhooks (`mentions.pipeline.mentions_settle`), then `done`, in one
    transaction that holds the batch row, so they happen once: a killed worker's batch
    stays `settling` and is settled by the next message (the sweep sends one), a batch
    another worker holds is left to it. Returns the batch, or None when nothing was due."""
    try:
        with transaction.atomic():
            batch = (
                IngestBatch.objects.select_related("source")
                # The batch row only: SKIP LOCKED over the joined source row skipped the
                # settling whenever another batch of the source was being stored.
                .select_for_update(skip_locked=True, of=("self",))
                .filter(pk=batch_id, status=BatchStatus.SETTLING)
                .first()
            )
            if batch is None:
                return None
            mentions_settle(source=batch.source, mention_ids=batch.settle_ids)
            _batch_done(batch)
            batch.settle_ids = []
            batch.save(update_fields=["status", "finished_at", "settle_ids"])
    except Exception as exc:
        _batch_hand_back(batch_id=batch_id, exc=exc, status=BatchStatus.SETTLING)
        raise
    return batch


def _batch_done(batch: IngestBatch) -> None:
    """Mark the batch done (the caller saves it) and count its lag once committed."""
    batch.status = BatchStatus.DONE
    batch.finished_at = timezone.now()
    received = batch.enqueued_at or batch.created_at
    lag = (batch.finished_at - received).total_seconds()
    transaction.on_commit(lambda: metric_observe(BATCH_LAG, max(0.0, lag)), robust=True)


# How long the hand-back keeps trying while the database comes back (a restart takes
# seconds); after that the stalled-batch sweep takes over.
HAND_BACK_WAITS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0)


def _batch_hand_back(
    *, batch_id: int, exc: Exception, status: str = BatchStatus.PROCESSING
) -> None:
    """Hand the batch back for a retry (deadlocks and lost connections are worth one), or
    give up after a few attempts so one poisoned batch cannot loop forever.

    A `processing` batch goes back to `pending`; a `settling` one (its mentions are stored)
    stays `settling`, one attempt more, so the retry settles it.

    When the failure was the database itself going away, the connection that failed is
    useless: it is dropped and the hand-back retried on a new one, so the task's own retry
    finds the batch pending within seconds of the database answering again, instead of
    `processing` until the stalled-batch sweep."""
    failed = Q(attempts__gte=MAX_BATCH_ATTEMPTS)
    for wait in HAND_BACK_WAITS:
        time.sleep(wait)
        try:
            if not connection.is_usable():
                connection.close()
            base = IngestBatch.objects.filter(pk=batch_id, status=status)
            base.filter(failed).update(
                status=BatchStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            if status == BatchStatus.SETTLING:
                base.exclude(failed).update(attempts=F("attempts") + 1)
            else:
                base.exclude(failed).update(status=BatchStatus.PENDING, started_at=None)
            return
        except (OperationalError, InterfaceError):
            connection.close()


def _batch_claimable_q(*, now: datetime, stall: timedelta) -> Q:
    return Q(status=BatchStatus.PENDING) | Q(
        status=BatchStatus.PROCESSING, started_at__lt=now - stall
    )


def ingest_batches_requeue_stalled() -> int:
    """Queue again the batches whose message was lost or whose worker died.

    - A *lost* batch is pending and was queued more than the stall period ago (the broker
      lost its message), or more than `LOTSE_BATCH_ORPHAN_SECONDS` ago while the ingest
      queue is empty (the worker that had reserved its message died): queued again at most
      once per period, so a backlog is not flooded with duplicate messages.
    - An *orphan* is `processing` but nobody holds its row any more: the worker keeps the
      row locked for the whole store, so a free row means its transaction ended without
      finishing (a worker killed with `kill -9`, or its database connection cut). It is
      handed back and queued within seconds (`LOTSE_BATCH_ORPHAN_SECONDS`), not after the
      stall period. Rows a live worker holds are skipped, never waited for.
    - A `settling` batch nobody holds (its worker died after storing and announcing it,
      before its clusters settled) is queued again as it is: the message settles it.
    """
    stall = timedelta(seconds=settings.LOTSE_BATCH_STALL_SECONDS)
    grace = timedelta(seconds=settings.LOTSE_BATCH_ORPHAN_SECONDS)
    now = timezone.now()
    # With nothing waiting in the ingest queue, a batch queued more than the grace period
    # ago has lost its message: a worker took it and died before starting it (kill -9 of a
    # worker that had reserved it). With a backlog, it may just be waiting its turn.
    lost_after = grace if queue_waiting("ingest") == 0 else stall
    with transaction.atomic():
        lost = list(
            IngestBatch.objects.filter(status=BatchStatus.PENDING)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - lost_after))
            .values_list("pk", flat=True)[:500]
        )
        orphans = list(
            IngestBatch.objects.filter(
                status__in=(BatchStatus.PROCESSING, BatchStatus.SETTLING),
                started_at__lt=now - grace,
            )
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - grace))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:500]
        )
        IngestBatch.objects.filter(pk__in=orphans, status=BatchStatus.PROCESSING).update(
            status=BatchStatus.PENDING, started_at=None
        )
        IngestBatch.objects.filter(pk__in=lost + orphans).update(enqueued_at=now)
    schema_name = current_schema()
    queue = lost + orphans
    for index, batch_id in enumerate(queue):
        try:
            _enqueue(schema_name, batch_id)
        except Exception:
            # The broker went away mid-way: the rest are queued by the first sweep after.
            IngestBatch.objects.filter(pk__in=queue[index:]).update(enqueued_at=None)
            raise
    if orphans:
        logger.warning("ingest: handed back %d orphaned batches", len(orphans))
    return len(lost) + len(orphans)
