"""Celery entry points for outbound webhooks: deliver what is due, per client."""

from __future__ import annotations

from config.celery import app, tenant_task
from config.tenancy import client_schemas_serving
from webhooks.services import webhook_deliveries_send_due


@tenant_task(name="webhooks.deliver_due", queue="notify")
def deliver_due_task() -> None:
    webhook_deliveries_send_due()


@app.task(name="webhooks.deliver_due_all_clients", queue="notify")
def deliver_due_all_clients() -> None:
    for schema_name in client_schemas_serving():
        deliver_due_task.delay(schema_name)
