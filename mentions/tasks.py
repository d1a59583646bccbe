"""Celery entry points for mentions: triage learning (every client's models retrained from
its labels) and delivering responses through the source's connector."""

from __future__ import annotations

from config.celery import app, tenant_task
from config.tenancy import client_schemas_serving
from mentions.queries import mentions_queries_rematch
from mentions.responses import response_deliver
from mentions.triage.learn import triage_learn


@tenant_task(name="mentions.triage_learn", queue="reports")
def triage_learn_task() -> None:
    triage_learn()


@app.task(name="mentions.triage_learn_all_clients", queue="reports")
def triage_learn_all_clients() -> None:
    for schema_name in client_schemas_serving():
        triage_learn_task.delay(schema_name)


@tenant_task(name="mentions.response_deliver", queue="notify")
def response_deliver_task(response_id: int) -> None:
    response_deliver(response_id=response_id)


@tenant_task(name="mentions.queries_rematch", queue="reports")
def queries_rematch_task() -> None:
    mentions_queries_rematch()
