"""Source services, split by sub-domain: `ingest` (pushes, imports, batches), `polling`
(connectors, cursors, health, backfills) and `queries` (the client's listening queries)."""

from sources.services.ingest import (
    SIGNATURE_HEADER,
    SubmitResult,
    demo_source_ensure,
    ingest_batch_create,
    ingest_batch_process,
    ingest_batches_requeue_stalled,
    mentions_submit,
    signature_compute,
    signature_is_valid,
    source_create,
)

__all__ = [
    "SIGNATURE_HEADER",
    "SubmitResult",
    "demo_source_ensure",
    "ingest_batch_create",
    "ingest_batch_process",
    "ingest_batches_requeue_stalled",
    "mentions_submit",
    "signature_compute",
    "signature_is_valid",
    "source_create",
]
