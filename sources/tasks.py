"""Celery entry points for ingestion: load by id, call a service, idempotent."""

from __future__ import annotations

from django.db import OperationalError
from django_tenants.utils import get_tenant_model

from config.celery import app, tenant_task
from sources.services import ingest_batch_process, ingest_batches_requeue_stalled


@tenant_task(
    name="sources.ingest_batch",
    queue="ingest",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def ingest_batch_task(batch_id: int) -> None:
    ingest_batch_process(batch_id=batch_id)


@tenant_task(name="sources.requeue_stalled_batches", queue="ingest")
def requeue_stalled_batches_task() -> int:
    return ingest_batches_requeue_stalled()


@app.task(name="sources.requeue_stalled_batches_all_clients", queue="ingest")
def requeue_stalled_batches_all_clients() -> None:
    """Beat entry point: fan out to one task per client."""
    for client in get_tenant_model().objects.exclude(schema_name="public"):
        requeue_stalled_batches_task.delay(client.schema_name)
