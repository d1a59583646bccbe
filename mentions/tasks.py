"""Celery entry points for triage learning: every client's models retrained from its labels."""

from __future__ import annotations

from django_tenants.utils import get_tenant_model

from config.celery import app, tenant_task
from mentions.triage.learn import triage_learn


@tenant_task(name="mentions.triage_learn", queue="reports")
def triage_learn_task() -> None:
    triage_learn()


@app.task(name="mentions.triage_learn_all_clients", queue="reports")
def triage_learn_all_clients() -> None:
    for client in get_tenant_model().objects.exclude(schema_name="public"):
        triage_learn_task.delay(client.schema_name)
