"""Celery entry points for reports: the spike check, per client, run by beat."""

from __future__ import annotations

from config.celery import app, tenant_task
from config.tenancy import client_schemas_serving
from reports.services import spike_check


@tenant_task(name="reports.spike_check", queue="reports")
def spike_check_task() -> None:
    spike_check()


@app.task(name="reports.spike_check_all_clients", queue="reports")
def spike_check_all_clients() -> None:
    for schema_name in client_schemas_serving():
        spike_check_task.delay(schema_name)
