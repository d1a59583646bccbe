"""Celery entry points for ingestion: load by id, call a service, idempotent."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

from config.celery import app, tenant_task
from config.tenancy import client_schemas_serving, current_schema
from sources.services import ingest_batch_process, ingest_batches_requeue_stalled
from sources.services.polling import (
    backfill_run,
    source_ids_due,
    source_poll,
    source_test_record,
)


@tenant_task(
    name="sources.ingest_batch",
    queue="ingest",
    autoretry_for=(OperationalError, InterfaceError),
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
    for schema_name in client_schemas_serving():
        requeue_stalled_batches_task.delay(schema_name)


@tenant_task(name="sources.poll_source", queue="ingest")
def poll_source_task(source_id: int) -> None:
    source_poll(source_id=source_id)


@tenant_task(name="sources.poll_due_sources", queue="ingest")
def poll_due_sources_task() -> int:
    due = source_ids_due()
    for source_id in due:
        poll_source_task.delay(current_schema(), source_id)
    return len(due)


@app.task(name="sources.poll_due_all_clients", queue="ingest")
def poll_due_all_clients() -> None:
    """Beat entry point: each client looks for its due sources."""
    for schema_name in client_schemas_serving():
        poll_due_sources_task.delay(schema_name)


@tenant_task(name="sources.backfill_run", queue="ingest")
def backfill_run_task(job_id: int) -> None:
    job = backfill_run(job_id=job_id)
    retry_after = getattr(job, "retry_after", None)
    if job is not None and retry_after is not None:
        backfill_run_task.apply_async(
            (current_schema(), job_id), countdown=min(max(retry_after, 1), 3600)
        )


@tenant_task(name="sources.test_connection", queue="ingest")
def source_test_task(source_id: int) -> None:
    source_test_record(source_id=source_id)
