"""Celery entry points for reports: the spike check, per client, run by beat."""

from __future__ import annotations

from django_tenants.utils import get_tenant_model

from config.celery import app, tenant_task
from reports.services import spike_check


@tenant_task(name="reports.spike_check", queue="reports")
def spike_check_task() -> None:
    spike_check()


@app.task(name="reports.spike_check_all_clients", queue="reports")
def spike_check_all_clients() -> None:
    for client in get_tenant_model().objects.exclude(schema_name="public"):
        spike_check_task.delay(client.schema_name)
