"""Celery entry points for mentions: triage learning (every client's models retrained from
its labels) and delivering responses through the source's connector."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import worker_process_init
from django.conf import settings

from config.celery import app, tenant_task
from config.tenancy import client_schemas_serving
from mentions.clocks import RestampProgress, mentions_clocks_restamp
from mentions.queries import RematchProgress, mentions_queries_rematch
from mentions.responses import response_deliver
from mentions.triage.encoder import encoder_warm_start
from mentions.triage.learn import triage_learn

log = logging.getLogger(__name__)


@worker_process_init.connect
def _encoder_warm(**kwargs: Any) -> None:
    # Each pool process (prefork) loads the sentence encoder of learned aspects while it
    # waits for work; never in the parent, whose children could fork mid-load.
    if settings.LOTSE_ENCODER_WARM:
        encoder_warm_start()


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
    def report(progress: RematchProgress) -> None:
        log.info(
            "queries rematch: %d of %d mentions checked, %d changed",
            progress["done"],
            progress["total"],
            progress["changed"],
        )

    mentions_queries_rematch(report=report)


@tenant_task(name="mentions.clocks_restamp", queue="reports")
def clocks_restamp_task() -> None:
    """Business hours changed: measure every stopped care clock of the client again."""

    def report(progress: RestampProgress) -> None:
        log.info("clocks restamp: %d of %d mentions", progress["done"], progress["total"])

    mentions_clocks_restamp(report=report)
