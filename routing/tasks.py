"""Celery entry points for routing: the SLA check, per client, run by beat."""

from __future__ import annotations

from django_tenants.utils import get_tenant_model

from config.celery import app, tenant_task
from mentions.sla import sla_check


@tenant_task(name="routing.sla_check", queue="notify")
def sla_check_task() -> None:
    sla_check()


@app.task(name="routing.sla_check_all_clients", queue="notify")
def sla_check_all_clients() -> None:
    for client in get_tenant_model().objects.exclude(schema_name="public"):
        sla_check_task.delay(client.schema_name)
