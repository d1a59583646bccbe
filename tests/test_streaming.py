"""Streaming listeners: the SSE parser, Mastodon's streaming API and Bluesky's Jetstream
against real local servers, the address guard, and the `listen_streams` command."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import tenant_context
from websockets.asyncio.server import ServerConnection, serve

from mentions.models import Mention
from sources.connectors.bluesky import jetstream_event_item
from sources.models import ListeningQuery, Source
from sources.services.polling import source_create_polled
from sources.services.queries import listening_query_save
from sources.streaming import (
    JetstreamListener,
    MastodonStreamListener,
    SseEvent,
    SseParser,
    StreamListener,
    _streaming_base,
    jetstream_url,
    mastodon_event_item,
    mastodon_stream_urls,
    sse_events,
)
from tests.replay import RECORDINGS, ReplayServer, vcr_interactions

needs_recordings = pytest.mark.skipif(
    not RECORDINGS.exists(), reason="../shared/data/recordings is not here"
)
FAST = {"flush_seconds": 0.05, "backoff_base": 0.05, "backoff_max": 0.2}
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


def recorded_stream(name: str) -> bytes:
    for interaction in vcr_interactions(RECORDINGS / "mastodon" / name):
        headers = {name.lower(): value for name, value in interaction["headers"].items()}
        if "event-stream" in headers.get("content-type", ""):
            return interaction["body"]
    raise AssertionError(f"no event stream in {name}")


def status(number: int, text: str, acct: str = "jana@bahn.social") -> dict:
    return {
        "id": str(110000000000000000 + number),
        "created_at": "2026-11-23T10:00:00.000Z",
        "content": f"<p>{text}</p>",
        "url": f"https://bahn.social/@jana/{number}",
        "language": "de",
        "tags": [{"name": "lotse"}],
        "account": {
            "id": "7",
            "acct": acct,
            "display_name": "Jana",
            "followers_count": 42,
        },
    }


def event_stream(*blocks: str, newline: str = "\n") -> bytes:
    return newline.join(blocks).replace("\n", newline).encode()


INLINE_STREAM = event_stream(
    ":)\n",
    "event: update\ndata: " + json.dumps(status(1, "Der Zug nach Kiel fällt aus")) + "\n\n",
    ":thump\n",
    "event: delete\ndata: 109999\n\n",
    "event: notification\ndata: {}\n\n",
    'event: update\ndata: {"id": "broken"\n\n',
    "event: update\ndata: " + json.dumps(status(2, "Danke fürs Warten", acct="olaf")) + "\n\n",
)


# -- the parser ------------------------------------------------------------------------
def test_the_parser_reads_events_comments_multiline_data_and_ids():
    body = (
        "\ufeff:hello\r\n"
        "event: update\r\n"
        "data: line one\r\n"
        "data:line two\r\n"
        "id: 7\r\n"
        "retry: 1500\r\n"
        "unknown: ignored\r\n"
        "\r\n"
        "data\n"
        "\n"
        "event: only-a-name\n"
        "\n"
        ":thump\r"
        "data: cr only\r"
        "\r"
        "event: cut off at the end\n"
        "data: never dispatched"
    )
    parser = SseParser()
    events = parser.feed(body.encode())
    assert events == [
        SseEvent("update", "line one\nline two", "7"),
        SseEvent("message", "", "7"),
        SseEvent("message", "cr only", "7"),
    ]
    assert parser.comments == 2
    assert parser.retry_ms == 1500


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_chunk_boundaries_anywhere_give_the_same_events(newline):
    body = INLINE_STREAM.decode().replace("\n", newline).encode()
    whole = sse_events([body])
    assert [event.event for event in whole] == [
        "update",
        "delete",
        "notification",
        "update",
        "update",
    ]
    for cut in range(len(body) + 1):  # every split, inside CRLF and UTF-8 sequences too
        assert sse_events([body[:cut], body[cut:]]) == whole, cut
    assert sse_events([body[i : i + 1] for i in range(len(body))]) == whole


def test_oversized_events_are_dropped_and_the_stream_goes_on():
    parser = SseParser(max_event_chars=100)
    events = parser.feed(b"event: update\ndata: " + b"x" * 60)
    events += parser.feed(b"x" * 80 + b"\ndata: more\n\nevent: update\ndata: small\n\n")
    assert events == [SseEvent("update", "small")]
    assert parser.dropped == 1
    long_data = SseParser(max_event_chars=100)
    assert long_data.feed(b"data: aaaaa\n" * 30 + b"\ndata: ok\n\n") == [SseEvent("message", "ok")]


def test_update_events_become_items_and_other_events_are_skipped():
    events = sse_events([INLINE_STREAM])
    item = mastodon_event_item(events[0])
    assert item is not None
    assert item["external_id"] == "110000000000000001"
    assert item["text"] == "Der Zug nach Kiel fällt aus"
    assert item["author"] == {"handle": "jana@bahn.social", "name": "Jana", "followers": 42}
    assert mastodon_event_item(events[1]) is None  # delete
    assert mastodon_event_item(events[2]) is None  # notification
    with pytest.raises(ValueError, match="unreadable JSON"):
        mastodon_event_item(events[3])


@needs_recordings
@pytest.mark.shared_data
def test_recorded_event_streams_parse_at_any_chunk_boundary():
    user = recorded_stream("test_stream_user_local.yaml")
    direct = recorded_stream("test_stream_direct.yaml")
    for body in (user, direct):
        whole = sse_events([body])
        step = 7
        assert sse_events([body[i : i + step] for i in range(0, len(body), step)]) == whole
        for cut in range(0, len(body), 13):
            assert sse_events([body[:cut], body[cut:]]) == whole
    parser = SseParser()
    updates = parser.feed(user)
    assert [event.event for event in updates] == ["update"]
    assert parser.comments == 1  # the ":)" greeting
    item = mastodon_event_item(updates[0])
    assert item is not None
    assert item["external_id"] == "117024248092393661"
    assert item["author"]["handle"] == "mastodonpy_test"
    conversations = sse_events([direct])
    assert {event.event for event in conversations} == {"conversation"}
    assert all(mastodon_event_item(event) is None for event in conversations)


def test_stream_addresses():
    assert mastodon_stream_urls("https://m.example", ["bahn", "zug"]) == [
        "https://m.example/api/v1/streaming/hashtag?tag=bahn",
        "https://m.example/api/v1/streaming/hashtag?tag=zug",
    ]
    assert mastodon_stream_urls("https://m.example", []) == [
        "https://m.example/api/v1/streaming/public"
    ]
    instance = "https://m.example"
    assert _streaming_base("wss://streaming.m.example/", instance=instance) == (
        "https://streaming.m.example"
    )
    assert _streaming_base("ws://streaming.m.example", instance=instance) == ""  # downgrade
    assert _streaming_base("ftp://x", instance=instance) == ""
    url = jetstream_url("wss://js.example?wantedCollections=x&wantedDids=did:plc:a", cursor=17)
    parts = urlsplit(url)
    assert (parts.scheme, parts.path) == ("wss", "/subscribe")
    assert parse_qs(parts.query) == {
        "wantedDids": ["did:plc:a"],
        "wantedCollections": ["app.bsky.feed.post"],
        "cursor": ["17"],
    }
    with pytest.raises(Exception, match="ws:// or wss://"):
        jetstream_url("https://js.example/subscribe")


# -- listeners against local servers ---------------------------------------------------
@pytest.fixture
def acme_live(live_db):
    """Committed data in acme; the sources and queries made here are removed afterwards."""
    world = live_db
    yield world
    with tenant_context(world.acme.client):
        with connection.cursor() as cursor:  # mentions protect their sources
            cursor.execute("TRUNCATE mentions_mention, mentions_author CASCADE")
        Source.objects.exclude(pk=world.acme.source.pk).delete()
        ListeningQuery.objects.all().delete()


@pytest.fixture
def server():
    with ReplayServer() as replay:
        yield replay


def run_listener(
    listener: StreamListener,
    until: Callable[[], bool],
    *,
    timeout: float = 8.0,
) -> None:
    """Run the listener until `until()` holds (or the timeout), then stop it."""

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(stop))
        deadline = time.monotonic() + timeout
        while not until() and not task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())


def mastodon_source(server: ReplayServer, **config) -> Source:
    return source_create_polled(
        kind="mastodon",
        name="Mastodon live",
        config={"instance": server.url, "hashtags": ["lotse"], "streaming": True, **config},
        credentials={"access_token": "secret-token"},
    )


def test_mastodon_updates_are_stored_with_their_authors(acme_live, server):
    world = acme_live
    server.add("GET", "/api/v1/streaming/hashtag", body=INLINE_STREAM, headers=SSE_HEADERS)
    with tenant_context(world.acme.client):
        source = mastodon_source(server)
    listener = MastodonStreamListener(client=world.acme.client, source_id=source.pk, **FAST)
    run_listener(listener, lambda: listener.stats.stored >= 2 and listener.stats.connects >= 2)

    assert listener.stats.stored == 2
    assert listener.stats.connects >= 2  # the server closed after the body: it reconnected
    stream_requests = [r for r in server.requests if r.path.startswith("/api/v1/streaming")]
    assert stream_requests[0].query == {"tag": "lotse"}
    assert stream_requests[0].headers["Authorization"] == "Bearer secret-token"
    assert stream_requests[0].headers["Accept"] == "text/event-stream"
    with tenant_context(world.acme.client):
        mentions = {
            m.external_id: m for m in Mention.objects.select_related("author").filter(source=source)
        }
        assert set(mentions) == {"110000000000000001", "110000000000000002"}
        first = mentions["110000000000000001"]
        assert first.text == "Der Zug nach Kiel fällt aus"
        assert (first.author.network, first.author.handle) == ("mastodon", "jana@bahn.social")
        assert first.author.followers == 42
        assert mentions["110000000000000002"].author.handle == "olaf"
        source.refresh_from_db()
        assert source.last_success_at is not None
        assert source.consecutive_failures == 0
        assert source.items_stored == 2
        assert any("broken" in error for error in source.last_item_errors)


@needs_recordings
@pytest.mark.shared_data
def test_a_recorded_mastodon_stream_is_stored_via_the_announced_streaming_server(acme_live, server):
    world = acme_live
    body = recorded_stream("test_stream_user_local.yaml")
    # The instance announces its streaming server (here: the same local server, as ws://).
    server.add(
        "GET",
        "/api/v2/instance",
        body={"configuration": {"urls": {"streaming": server.url.replace("http", "ws")}}},
    )
    server.add("GET", "/api/v1/streaming/public", body=body, headers=SSE_HEADERS)
    with tenant_context(world.acme.client):
        listening_query_save(name="Cool", expression="cool")
        source = mastodon_source(server, hashtags=[])
    listener = MastodonStreamListener(client=world.acme.client, source_id=source.pk, **FAST)
    run_listener(listener, lambda: listener.stats.stored >= 1)

    assert [r.path for r in server.requests][:2] == [
        "/api/v2/instance",
        "/api/v1/streaming/public",
    ]
    with tenant_context(world.acme.client):
        mention = Mention.objects.select_related("author").get(source=source)
        assert mention.external_id == "117024248092393661"
        assert mention.text == "it's cool guy"
        assert mention.author.handle == "mastodonpy_test"


def test_streaming_the_public_timeline_needs_listening_queries(acme_live, server):
    world = acme_live
    with tenant_context(world.acme.client):
        source = mastodon_source(server, hashtags=[])
    listener = MastodonStreamListener(client=world.acme.client, source_id=source.pk, **FAST)
    run_listener(listener, lambda: listener.stats.failures >= 1)
    assert server.requests == []
    with tenant_context(world.acme.client):
        source.refresh_from_db()
        assert "unfiltered" in source.last_error


def test_loopback_stream_addresses_are_refused(acme_live, server, settings):
    settings.LOTSE_ALLOW_PRIVATE_NETWORKS = False
    world = acme_live
    with tenant_context(world.acme.client):
        listening_query_save(name="Bahn", expression="bahn")
        mastodon = mastodon_source(server)
        jetstream = Source.objects.create(
            kind="bluesky",
            name="Jetstream",
            network="bluesky",
            config={"jetstream": server.url.replace("http", "ws") + "/subscribe"},
        )
    classes: list[tuple[Source, type[StreamListener]]] = [
        (mastodon, MastodonStreamListener),
        (jetstream, JetstreamListener),
    ]
    for source, cls in classes:
        listener = cls(client=world.acme.client, source_id=source.pk, **FAST)

        def failed(listener: StreamListener = listener) -> bool:
            return listener.stats.failures >= 1

        run_listener(listener, failed)
        assert "private or local address" in listener.stats.last_error
        with tenant_context(world.acme.client):
            source.refresh_from_db()
            assert "private or local network" in source.last_error
            assert "private or local address" in source.last_error_detail
            assert source.consecutive_failures >= 1
            assert source.last_error_at is not None
    assert server.requests == []  # nothing ever reached the loopback server


# -- Jetstream ---------------------------------------------------------------------------
def jetstream_post(did: str, rkey: str, text: str, time_us: int) -> str:
    return json.dumps(
        {
            "did": did,
            "time_us": time_us,
            "kind": "commit",
            "commit": {
                "rev": "3l3qo2vutsw2b",
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
                "record": {
                    "$type": "app.bsky.feed.post",
                    "createdAt": "2026-11-23T10:00:00.000Z",
                    "langs": ["de"],
                    "text": text,
                },
                "cid": "bafyreib2rxk3rh6kzwq",
            },
        }
    )


def jetstream_like(did: str, time_us: int) -> str:
    return json.dumps(
        {
            "did": did,
            "time_us": time_us,
            "kind": "commit",
            "commit": {
                "operation": "create",
                "collection": "app.bsky.feed.like",
                "rkey": "3l3qo2vuowo2b",
                "record": {"$type": "app.bsky.feed.like", "createdAt": "2026-11-23T10:00:00Z"},
            },
        }
    )


def jetstream_source(world, port: int, *, close: bool = False) -> Source:
    try:
        with tenant_context(world.acme.client):
            return Source.objects.create(
                kind="bluesky",
                name="Jetstream",
                network="bluesky",
                config={"jetstream": f"ws://127.0.0.1:{port}/subscribe"},
            )
    finally:
        if close:  # called on a helper thread
            connection.close()


def run_with_jetstream(world, lines: list[str], *, connections: list[int]):
    """Serve `lines` on the first websocket connection (then close it normally), keep later
    connections open. Runs one listener per entry of `connections`, one after the other,
    each until that many connections were made in all. Returns the query strings the
    listeners connected with, and the listeners."""
    seen: list[dict[str, list[str]]] = []

    async def handler(ws: ServerConnection) -> None:
        seen.append(parse_qs(urlsplit(ws.request.path).query))
        if len(seen) == 1:
            for line in lines:
                await ws.send(line)
            await ws.close()
        else:
            await ws.wait_closed()

    async def main() -> list[JetstreamListener]:
        used = []
        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            source = await asyncio.to_thread(jetstream_source, world, port, close=True)
            for wanted in connections:
                listener = JetstreamListener(client=world.acme.client, source_id=source.pk, **FAST)
                used.append(listener)
                stop = asyncio.Event()
                task = asyncio.create_task(listener.run(stop))
                # Generous: the first batch of a worker process loads the triage models, and
                # the suite runs on both cores; the wait ends as soon as the connections came.
                deadline = time.monotonic() + 30
                while len(seen) < wanted and not task.done() and time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
                stop.set()
                await asyncio.wait_for(task, 10)
        return used

    used = asyncio.run(main())
    return seen, used


def test_jetstream_posts_are_stored_and_the_cursor_resumes(acme_live):
    world = acme_live
    did_a, did_b = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"
    lines = [
        json.dumps(
            {
                "did": did_a,
                "time_us": 1,
                "kind": "identity",
                "identity": {"did": did_a, "handle": "jana.bsky.social"},
            }
        ),
        jetstream_post(did_a, "3kaaa", "Die Nordbahn ist heute pünktlich", 1_700_000_000_000_001),
        jetstream_like(did_b, 1_700_000_000_000_002),
        "not json",
        jetstream_post(did_b, "3kbbb", "Nordbahn? Nie wieder.", 1_700_000_000_000_003),
        jetstream_post(did_b, "3kccc", "Wetter in Kiel", 1_700_000_000_000_004),
    ]
    with tenant_context(world.acme.client):
        listening_query_save(name="Brand", expression="nordbahn")
    # The first listener reads the lines, stores, reconnects with its cursor; a second
    # listener (a restart) resumes from the cursor stored in the database.
    seen, (first, second) = run_with_jetstream(world, lines, connections=[2, 3])

    assert seen[0] == {"wantedCollections": ["app.bsky.feed.post"]}
    assert seen[1]["cursor"] == ["1700000000000004"]
    assert seen[2]["cursor"] == ["1700000000000004"]
    assert first.stats.stored == 2
    assert (first.stats.connects, second.stats.connects) == (2, 1)
    with tenant_context(world.acme.client):
        source = Source.objects.get(name="Jetstream")
        assert source.cursor["jetstream_time_us"] == 1_700_000_000_000_004
        mentions = {m.external_id: m for m in Mention.objects.select_related("author")}
        assert set(mentions) == {
            f"at://{did_a}/app.bsky.feed.post/3kaaa",
            f"at://{did_b}/app.bsky.feed.post/3kbbb",
        }
        assert mentions[f"at://{did_a}/app.bsky.feed.post/3kaaa"].author.handle == (
            "jana.bsky.social"  # learnt from the identity event
        )
        assert mentions[f"at://{did_b}/app.bsky.feed.post/3kbbb"].author.handle == did_b
        assert "unreadable Jetstream message" in source.last_item_errors


@needs_recordings
@pytest.mark.shared_data
def test_recorded_jetstream_frames_are_filtered_by_the_listening_queries(acme_live):
    world = acme_live
    path = RECORDINGS / "bluesky" / "expected_v1.jsonl"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = set()
    for line in lines:
        event = json.loads(line)
        commit = event.get("commit") or {}
        text = (commit.get("record") or {}).get("text", "")
        if (
            commit.get("collection") == "app.bsky.feed.post"
            and commit.get("operation") == "create"
            and re.search(r"\b(government|show)\b", text, re.IGNORECASE)
        ):
            expected.add(f"at://{event['did']}/app.bsky.feed.post/{commit['rkey']}")
    assert len(expected) >= 2
    with tenant_context(world.acme.client):
        listening_query_save(name="Politics", expression="government OR show")
    seen, (listener,) = run_with_jetstream(world, lines, connections=[2])

    assert listener.stats.stored == len(expected)
    last_time_us = json.loads(lines[-1])["time_us"]
    assert seen[1]["cursor"] == [str(last_time_us)]
    with tenant_context(world.acme.client):
        assert set(Mention.objects.values_list("external_id", flat=True)) == expected
        source = Source.objects.get(name="Jetstream")
        assert source.cursor["jetstream_time_us"] == last_time_us
        # Every post in the recording was read, and only the matching ones kept.
        assert source.items_fetched == sum(1 for line in lines if jetstream_event_item(line))


def test_jetstream_refuses_the_unfiltered_firehose(acme_live):
    world = acme_live
    source = jetstream_source(world, 9)
    listener = JetstreamListener(client=world.acme.client, source_id=source.pk, **FAST)
    run_listener(listener, lambda: listener.stats.failures >= 1)
    assert "unfiltered" in listener.stats.last_error
    assert listener.stats.connects == 0


# -- the command -----------------------------------------------------------------------
def test_listen_streams_runs_for_a_fixed_time(acme_live, server):
    world = acme_live
    server.add("GET", "/api/v1/streaming/hashtag", body=INLINE_STREAM, headers=SSE_HEADERS)
    with tenant_context(world.acme.client):
        source = mastodon_source(server)
        Source.objects.create(kind="bluesky", name="Polled only", network="bluesky")
    out = StringIO()
    call_command(
        "listen_streams",
        "--client",
        "acme",
        "--once-for",
        "1.2",
        "--flush-seconds",
        "0.05",
        stdout=out,
    )
    output = out.getvalue()
    assert f"acme source {source.pk} ('Mastodon live'): starting Mastodon streaming" in output
    assert "connected to http://127.0.0.1" in output
    assert "2 new stored" in output
    assert "Polled only" not in output
    assert "Stopped: 1 listener(s), 2 new mention(s) stored" in output
    with tenant_context(world.acme.client):
        assert Mention.objects.filter(source=source).count() == 2
    with pytest.raises(CommandError, match="No client"):
        call_command("listen_streams", "--client", "nobody", "--once-for", "1")
