"""Sources and ingestion: accept batches of mentions and hand them to the workers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.errors import DomainError
from config.tenancy import current_schema
from sources.formats import mention_item_validate
from sources.models import BatchStatus, IngestBatch, Source, SourceKind

SIGNATURE_HEADER = "X-Lotse-Signature"


def source_create(*, kind: str, name: str, network: str = "web") -> Source:
    if kind not in SourceKind.values:
        raise DomainError(f"Unknown source kind {kind!r}", fields={"kind": ["invalid"]})
    secret = secrets.token_hex(32) if kind == SourceKind.WEBHOOK else ""
    return Source.objects.create(kind=kind, name=name, network=network, secret=secret)


def signature_compute(*, secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(*, source: Source, body: bytes, header: str | None) -> bool:
    if not source.secret or not header:
        return False
    return hmac.compare_digest(signature_compute(secret=source.secret, body=body), header.strip())


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


def ingest_batch_create(*, source: Source, items: list[dict[str, Any]]) -> IngestBatch:
    from sources.tasks import ingest_batch_task

    schema_name = current_schema()
    with transaction.atomic():
        batch = IngestBatch.objects.create(source=source, items=items, received=len(items))
        transaction.on_commit(lambda: ingest_batch_task.delay(schema_name, batch.pk))
    return batch


def ingest_batch_process(*, batch_id: int) -> IngestBatch | None:
    """Store a batch's mentions (deduplicated, triaged, routed). Idempotent: a batch that is
    done, or being processed by another worker, is left alone."""
    from mentions.services import mentions_store

    stall = timedelta(seconds=settings.LOTSE_BATCH_STALL_SECONDS)
    now = timezone.now()
    claimed = (
        IngestBatch.objects.filter(pk=batch_id)
        .filter(_batch_claimable_q(now=now, stall=stall))
        .update(status=BatchStatus.PROCESSING, started_at=now)
    )
    if not claimed:
        return None
    with transaction.atomic():
        batch = IngestBatch.objects.select_related("source").select_for_update().get(pk=batch_id)
        outcome = mentions_store(source=batch.source, items=batch.items)
        batch.stored = outcome.stored
        batch.duplicates = outcome.duplicates
        batch.status = BatchStatus.DONE
        batch.finished_at = timezone.now()
        batch.attempts += 1
        batch.items = []
        batch.save(
            update_fields=["stored", "duplicates", "status", "finished_at", "attempts", "items"]
        )
    return batch


def _batch_claimable_q(*, now: datetime, stall: timedelta) -> Q:
    return Q(status=BatchStatus.PENDING) | Q(
        status=BatchStatus.PROCESSING, started_at__lt=now - stall
    )


def ingest_batches_requeue_stalled() -> int:
    """Queue again the batches whose message was lost or whose worker died."""
    from sources.tasks import ingest_batch_task

    stall = timedelta(seconds=settings.LOTSE_BATCH_STALL_SECONDS)
    now = timezone.now()
    stalled = list(
        IngestBatch.objects.filter(_batch_claimable_q(now=now, stall=stall))
        .filter(created_at__lt=now - stall)
        .values_list("pk", flat=True)[:500]
    )
    for batch_id in stalled:
        ingest_batch_task.delay(current_schema(), batch_id)
    return len(stalled)
