"""Celery entry points for training: expiry notices, per client, run by beat."""

from __future__ import annotations

from config.celery import app, tenant_task
from config.tenancy import client_schemas_serving
from routing.training.services import certificates_expiry_notify


@tenant_task(name="training.expiry_notify", queue="notify")
def expiry_notify_task() -> None:
    certificates_expiry_notify()


@app.task(name="training.expiry_notify_all_clients", queue="notify")
def expiry_notify_all_clients() -> None:
    for schema_name in client_schemas_serving():
        expiry_notify_task.delay(schema_name)
