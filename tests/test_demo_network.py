"""The demo network: the demo stream's mentions live there, their replies go there through
the demo sources' connector, and people can read them there, threaded."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest
from django.db import connection

from config.errors import DomainError
from mentions.models import Mention, ResponseStatus
from mentions.responses import response_channels, response_create, response_deliver
from sources.connectors import connector_class, connector_kinds
from sources.connectors.base import ConnectorError, ReplyNotSupported
from sources.connectors.demo import DemoConnector
from sources.connectors.http import SafeHttpClient
from sources.demo_content import demo_mention
from sources.demo_network import DemoNetworkServer, DemoNetworkStore
from sources.models import Source, SourceKind
from sources.services import (
    demo_source_ensure,
    ingest_batch_process,
    mentions_submit,
    source_create,
)
from sources.services.polling import source_create_polled

AT = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


@pytest.fixture
def network(tmp_path, settings):
    store = DemoNetworkStore(tmp_path / "demo-network.jsonl")
    with DemoNetworkServer(store) as server:
        settings.LOTSE_DEMO_NETWORK_URL = server.url
        yield server


def connector(token: str = "nordbahn") -> DemoConnector:  # noqa: S107 - an account name
    return DemoConnector(
        config={},
        credentials={"access_token": token} if token else {},
        http=SafeHttpClient(allow_private=False),  # the demo network is reached regardless
    )


def test_a_reply_lands_under_its_post_once_and_survives_a_restart(network, tmp_path):
    network.store.post_add(
        post_id="demo-1", handle="jana_p", name="Jana P.", text="RE 4 <fällt> aus", at=AT
    )
    first = connector().post_reply(in_reply_to="demo-1", text="Tut uns leid!\n— Kai")
    again = connector().post_reply(in_reply_to="demo-1", text="Tut uns leid!\n— Kai")
    assert again == first  # same Idempotency-Key: the network keeps one reply
    assert first.url == f"{network.url}/@nordbahn/{first.external_id}"

    thread = httpx.get(f"{network.url}/@jana_p/demo-1").text
    assert "RE 4 &lt;fällt&gt; aus" in thread and "<fällt>" not in thread
    assert thread.count("Tut uns leid!") == 1 and "@nordbahn" in thread
    home = httpx.get(network.url + "/").text
    assert "1 post, 1 reply." in home and "Tut uns leid!" in home
    api = httpx.get(f"{network.url}/api/v1/statuses/{first.external_id}").json()
    assert api["in_reply_to_id"] == "demo-1"

    reloaded = DemoNetworkStore(tmp_path / "demo-network.jsonl")
    assert [reply.text for reply in reloaded.replies_to("demo-1")] == ["Tut uns leid!\n— Kai"]


def test_a_reply_to_a_post_from_the_back_history_gets_a_stand_in_thread(network):
    posted = connector().post_reply(in_reply_to="hist-42", text="Spät, aber: danke!")
    thread = httpx.get(posted.url).text
    assert "back history" in thread and "Spät, aber: danke!" in thread


def test_replies_the_network_refuses_say_so(network):
    with pytest.raises(ConnectorError, match="demo_stream"):
        connector().post_reply(in_reply_to="no/such post", text="Hallo")
    with pytest.raises(ReplyNotSupported):
        connector(token="").post_reply(in_reply_to="demo-1", text="Hallo")
    with pytest.raises(ConnectorError, match="not take the reply"):
        connector(token="bad token!").post_reply(in_reply_to="demo-1", text="Hallo")
    assert "No replies yet" in httpx.get(network.url + "/").text


@pytest.mark.django_db
def test_the_demo_kind_is_pushed_not_polled(in_acme):
    assert "demo" not in connector_kinds()
    assert connector_class("demo").supports_reply()
    with pytest.raises(DomainError, match="not polled"):
        source_create_polled(kind="demo", name="Demo", config={})


@pytest.mark.django_db
def test_an_older_webhook_demo_source_becomes_a_demo_source(in_acme):
    old = source_create(kind=SourceKind.WEBHOOK, name="Demo stream (test)", network="demo")
    source, changed = demo_source_ensure(name="Demo stream (test)", account="acme")
    assert changed and source.pk == old.pk and source.secret == old.secret
    assert (source.kind, source.network) == ("demo", "demo")
    assert demo_source_ensure(name="Demo stream (test)", account="acme") == (source, False)
    source_create_polled(kind="rss", name="Blog", config={"url": "https://blog.example/feed.xml"})
    with pytest.raises(DomainError):
        demo_source_ensure(name="Blog", account="acme")


@pytest.mark.django_db
def test_a_demo_mention_is_answered_publicly_and_the_reply_is_on_the_network(
    world, in_acme, network
):
    source, _ = demo_source_ensure(name="Demo stream (test)", account="acme")
    item = demo_mention(client_slug="nordbahn", rng=random.Random(4), now=AT)
    network.store.post_add(
        post_id=item["external_id"],
        handle=item["author"]["handle"],
        name=item["author"]["name"],
        text=item["text"],
        at=AT,
    )
    result = mentions_submit(source=source, items=[item])
    ingest_batch_process(batch_id=result.batch_ids[0])
    mention = Mention.objects.select_related("source", "author").get(
        source=source, external_id=item["external_id"]
    )
    assert "public" in [value for value, _label in response_channels(mention)]

    # A manager's reply needs no approval; the worker's part posts it to the network.
    response = response_create(
        mention=mention, text="Danke, wir kümmern uns.", channel="public", by=world.alice
    )
    assert response.status == ResponseStatus.QUEUED
    connection.set_tenant(world.acme.client)
    sent = response_deliver(response_id=response.pk)
    assert sent.status == ResponseStatus.SENT, sent.error
    assert sent.external_url.startswith(f"{network.url}/@acme/")
    thread = httpx.get(f"{network.url}/@{item['author']['handle']}/{item['external_id']}").text
    assert "Danke, wir kümmern uns." in thread and "Alice Admin" in thread
    mention.refresh_from_db()
    assert mention.status == "responded"


@pytest.mark.django_db
def test_when_the_demo_network_is_away_the_reply_fails_with_a_reason(world, in_acme, settings):
    settings.LOTSE_DEMO_NETWORK_URL = "http://127.0.0.1:9"  # nothing listens there
    source, _ = demo_source_ensure(name="Demo stream (test)", account="acme")
    item = demo_mention(client_slug="nordbahn", rng=random.Random(5), now=AT)
    result = mentions_submit(source=source, items=[item])
    ingest_batch_process(batch_id=result.batch_ids[0])
    mention = Mention.objects.get(source=source, external_id=item["external_id"])
    response = response_create(mention=mention, text="Hallo", channel="public", by=world.alice)
    connection.set_tenant(world.acme.client)
    failed = response_deliver(response_id=response.pk)
    assert failed.status == ResponseStatus.FAILED
    assert "demo_stream" in failed.error
    assert Source.objects.filter(pk=source.pk, kind="demo").exists()
