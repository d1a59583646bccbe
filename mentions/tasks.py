"""Celery entry points for mentions: delivering responses through the source's connector."""

from __future__ import annotations

from config.celery import tenant_task
from mentions.responses import response_deliver


@tenant_task(name="mentions.response_deliver", queue="notify")
def response_deliver_task(response_id: int) -> None:
    response_deliver(response_id=response_id)
