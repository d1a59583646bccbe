"""Direct messages from Lotse where the network's API allows them (X, Reddit): offered in the
composer, sent by the worker through the connector, audited; elsewhere they are recorded as
answered elsewhere, as before."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from accounts.audit.models import AuditEntry
from mentions.models import Mention, ResponseStatus
from mentions.responses import response_channels, response_create, response_deliver
from sources.services import ingest_batch_process, mentions_submit
from sources.services.polling import source_create_polled
from tests.factories import mention_item
from tests.replay import ReplayServer

pytestmark = pytest.mark.django_db


def ingest(source, **item):
    data = mention_item(**item)
    result = mentions_submit(source=source, items=[data])
    ingest_batch_process(batch_id=result.batch_ids[0])
    return Mention.objects.select_related("author", "source").get(
        source=source, external_id=data["external_id"]
    )


@pytest.fixture
def server():
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def tweet(in_acme, server):
    source = source_create_polled(
        kind="x",
        name="X",
        config={"base_url": server.url, "query": "acme"},
        credentials={"bearer_token": "app", "user_access_token": "user-tok"},
    )
    return ingest(
        source,
        external_id="1860000000000000001",
        text="Wo bleibt meine Erstattung?",
        author={"handle": "jana"},
        raw={"author_id": "1437526312061956097"},
    )


def test_a_direct_message_on_x_is_sent_to_the_author(world, tweet, server):
    server.add(
        "POST",
        "/2/dm_conversations/with/1437526312061956097/messages",
        status=201,
        body={"data": {"dm_conversation_id": "1-2", "dm_event_id": "1582838223937400836"}},
    )
    assert ("dm", "Direct message (sent from Lotse)") in response_channels(tweet)
    response = response_create(
        mention=tweet, text="Schick uns bitte deine Buchungsnummer.", channel="dm", by=world.rita
    )
    assert response.status == ResponseStatus.QUEUED  # private: no approval, no signature
    connection.set_tenant(world.acme.client)
    sent = response_deliver(response_id=response.pk)
    assert sent.status == ResponseStatus.SENT, sent.error
    assert sent.external_id == "1582838223937400836"
    [request] = server.requests
    assert json.loads(request.body) == {"text": "Schick uns bitte deine Buchungsnummer."}
    tweet.refresh_from_db()
    assert tweet.status == "responded" and tweet.first_response_at == sent.sent_at
    assert AuditEntry.objects.filter(
        action="response.sent", summary__startswith="Sent a direct message"
    ).exists()


def test_where_the_network_takes_no_direct_messages_they_are_recorded(world, in_acme):
    pushed = ingest(world.acme.source, text="Wo bleibt meine Erstattung?")
    assert ("dm", "Direct message (answered elsewhere)") in response_channels(pushed)
    response = response_create(mention=pushed, text="Per DM geklärt", channel="dm", by=world.rita)
    assert response.status == ResponseStatus.RECORDED
