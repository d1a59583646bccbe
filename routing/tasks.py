"""Celery entry points for routing: the SLA check, per client, run by beat."""

from __future__ import annotations

from config.celery import app, tenant_task
from config.tenancy import client_schemas_serving
from mentions.sla import sla_check


@tenant_task(name="routing.sla_check", queue="notify")
def sla_check_task() -> None:
    sla_check()


@app.task(name="routing.sla_check_all_clients", queue="notify")
def sla_check_all_clients() -> None:
    for schema_name in client_schemas_serving():
        sla_check_task.delay(schema_name)
