"""End to end: celery beat runs the SLA check, the worker escalates an overdue mention, and
the inbox hears about it."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from mentions.models import Mention
from mentions.pipeline import mentions_store
from sources.formats import mention_item_validate
from tests.e2e.test_push_to_websocket import open_socket
from tests.factories import mention_item

pytestmark = pytest.mark.e2e


def test_beat_and_worker_escalate_an_overdue_mention(live_stack, live_db):
    world = live_db
    with tenant_context(world.acme.client):
        item, _ = mention_item_validate(mention_item(text="Frage?"))
        with transaction.atomic():  # stored here, not via a batch the live worker would race for
            mentions_store(source=world.acme.source, items=[item])
        mention = Mention.objects.get()
        Mention.objects.filter(pk=mention.pk).update(
            first_response_due=timezone.now() - timedelta(minutes=1)
        )

    async def scenario():
        sock = await open_socket(live_stack, "acme", world.acme.token)
        deadline = asyncio.get_running_loop().time() + 20
        while asyncio.get_running_loop().time() < deadline:
            event = json.loads(await asyncio.wait_for(sock.recv(), timeout=20))
            if (
                event.get("mention", {}).get("id") == mention.pk
                and event["mention"]["status"] == "escalated"
            ):
                await sock.close()
                return event
        raise AssertionError("no escalation event")

    event = asyncio.run(scenario())
    assert event["type"] == "mention.updated"
    assert event["mention"]["sla"]["state"] == "breached"
    assert event["mention"]["priority"] == 3
