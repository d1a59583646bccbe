"""The RSS/Atom connector against real feed files served from loopback."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from sources.connectors.base import ConnectorError, FetchWindow, RateLimited
from sources.connectors.http import SafeHttpClient, _address_is_public
from sources.connectors.rss import RssConnector
from tests.replay import RECORDINGS, ReplayServer

needs_recordings = pytest.mark.skipif(
    not RECORDINGS.exists(), reason="../shared/data/recordings is not here"
)

OWN_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>Pendler-Blog</title><link>https://blog.example/</link>
<atom:link rel="next" href="/feed?page=2"/>
<item><title>Nordbahn wieder zu sp\xc3\xa4t</title><link>https://blog.example/a?utm_source=x</link>
<guid>a-1</guid><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate>
<description>&lt;p&gt;Der RE 4 &lt;b&gt;f\xc3\xa4llt aus&lt;/b&gt;
&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description>
<author>pendlerin@blog.example (Jana)</author></item>
<item><title>Older post</title><link>https://blog.example/b</link><guid>a-0</guid>
<pubDate>Sun, 22 Nov 2026 08:00:00 GMT</pubDate></item>
</channel></rss>"""


def connector(url: str) -> RssConnector:
    return RssConnector(
        config={"url": url}, credentials={}, http=SafeHttpClient(allow_private=True)
    )


def test_own_feed_is_normalized_to_mentions():
    with ReplayServer() as server:
        server.add(
            "GET",
            "/feed",
            body=OWN_FEED,
            headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'},
        )
        page = connector(f"{server.url}/feed").fetch({})
    first = page.items[0]
    assert first["external_id"] == "a-1"
    assert first["text"] == "Nordbahn wieder zu spät\n\nDer RE 4 fällt aus"
    assert first["url"] == "https://blog.example/a?utm_source=x"
    assert first["published_at"] == datetime(2026, 11, 23, 8, tzinfo=UTC).isoformat()
    assert first["author"]["handle"]
    assert page.cursor["etag"] == '"v1"'
    assert page.cursor["newest"] == datetime(2026, 11, 23, 8, tzinfo=UTC).isoformat()
    assert not page.has_more  # regular polls do not page through archives


def test_second_poll_is_conditional_and_skips_seen_entries():
    with ReplayServer() as server:
        server.add("GET", "/feed", body=OWN_FEED)
        server.add("GET", "/feed", status=304)
        rss = connector(f"{server.url}/feed")
        first = rss.fetch({})
        second = rss.fetch({**first.cursor, "etag": '"v1"'})
        assert server.requests[1].headers.get("If-None-Match") == '"v1"'
    assert second.items == []
    assert second.cursor["newest"] == first.cursor["newest"]


def test_entries_older_than_the_cursor_are_not_fetched_twice():
    with ReplayServer() as server:
        server.add("GET", "/feed", body=OWN_FEED)
        page = connector(f"{server.url}/feed").fetch(
            {"newest": datetime(2026, 11, 22, 12, tzinfo=UTC).isoformat()}
        )
    assert [item["external_id"] for item in page.items] == ["a-1"]


def test_backfill_follows_next_links():
    with ReplayServer() as server:
        server.add("GET", "/feed", body=OWN_FEED)
        page = connector(f"{server.url}/feed").fetch({}, FetchWindow())
    assert page.has_more
    assert page.cursor["next_url"].endswith("/feed?page=2")


def test_rate_limit_raises_with_retry_after():
    with ReplayServer() as server:
        server.add("GET", "/feed", status=429, headers={"Retry-After": "120"})
        with pytest.raises(RateLimited) as info:
            connector(f"{server.url}/feed").fetch({})
    assert info.value.retry_after == 120


def test_server_errors_and_garbage_raise_connector_errors():
    with ReplayServer() as server:
        server.add("GET", "/down", status=500)
        server.add("GET", "/garbage", body=b"\x00\x01 definitely not a feed <<<")
        with pytest.raises(ConnectorError, match="500"):
            connector(f"{server.url}/down").fetch({})
        with pytest.raises(ConnectorError, match="not a readable feed"):
            connector(f"{server.url}/garbage").fetch({})


def test_loopback_urls_are_refused_unless_allowed(settings):
    settings.LOTSE_ALLOW_PRIVATE_NETWORKS = False
    with ReplayServer() as server:
        server.add("GET", "/feed", body=OWN_FEED)
        rss = RssConnector(
            config={"url": f"{server.url}/feed"}, credentials={}, http=SafeHttpClient()
        )
        with pytest.raises(ConnectorError, match="private or local"):
            rss.fetch({})
        assert server.requests == []


def test_oversized_feeds_are_cut_off():
    with ReplayServer() as server:
        server.add("GET", "/huge", body=b"<rss>" + b" " * 200_000 + b"</rss>")
        rss = RssConnector(
            config={"url": f"{server.url}/huge"},
            credentials={},
            http=SafeHttpClient(allow_private=True, max_bytes=100_000),
        )
        with pytest.raises(ConnectorError, match="more than 100000 bytes"):
            rss.fetch({})


@needs_recordings
@pytest.mark.parametrize(
    "name",
    sorted(path.name for path in (RECORDINGS / "rss").glob("*")) if RECORDINGS.exists() else [],
)
def test_every_recorded_feed_is_read_or_refused_cleanly(name):
    """Real-world feeds (encodings, broken XML, JSON): items come out in the mention format
    or the feed is refused with a ConnectorError; nothing else escapes."""
    from sources.formats import json_make_storable, mention_item_validate

    path = RECORDINGS / "rss" / name
    with ReplayServer() as server:
        server.add("GET", "/feed", body=path.read_bytes())
        try:
            page = connector(f"{server.url}/feed").fetch({})
        except ConnectorError:
            return
    for item in page.items:
        _, errors = mention_item_validate(json_make_storable(item))
        assert errors is None, (item, errors)


@needs_recordings
def test_recorded_guardian_feed_yields_real_articles():
    with ReplayServer() as server:
        server.add("GET", "/feed", body=(RECORDINGS / "rss" / "guardian.rss").read_bytes())
        page = connector(f"{server.url}/feed").fetch({})
    assert len(page.items) > 10
    assert all(item["url"].startswith("https://www.theguardian.com/") for item in page.items)
    assert len({item["external_id"] for item in page.items}) == len(page.items)


def test_retry_after_understands_seconds_dates_epochs_and_iso():
    from datetime import timedelta

    import httpx

    from sources.connectors.http import retry_after_seconds

    soon = datetime.now(UTC) + timedelta(seconds=90)
    assert retry_after_seconds(httpx.Headers({"Retry-After": "30"})) == 30
    http_date = soon.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 80 <= retry_after_seconds(httpx.Headers({"Retry-After": http_date})) <= 90
    epoch = str(int(soon.timestamp()))
    assert 80 <= retry_after_seconds(httpx.Headers({"x-rate-limit-reset": epoch})) <= 90
    iso = soon.isoformat()
    assert 80 <= retry_after_seconds(httpx.Headers({"X-RateLimit-Reset": iso})) <= 90
    assert retry_after_seconds(httpx.Headers({})) == 60


def test_every_connector_kind_is_registered():
    from sources.connectors import connector_class, connector_kinds
    from sources.models import PUSH_KINDS, SourceKind

    polled = {kind for kind in SourceKind.values if kind not in PUSH_KINDS}
    assert set(connector_kinds()) == polled
    for kind in polled:
        assert connector_class(kind).kind == kind


def test_a_name_that_rebinds_to_loopback_after_the_check_never_reaches_it(settings, monkeypatch):
    """DNS rebinding: the first answer is public, later ones point inside. The connection
    goes to the address that was checked, so the loopback server is never reached."""
    settings.LOTSE_ALLOW_PRIVATE_NETWORKS = False
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with ReplayServer() as server:
        server.add("GET", "/feed", body=OWN_FEED)
        port = server.url.rsplit(":", 1)[1]
        rss = RssConnector(
            config={"url": f"http://rebind.example:{port}/feed"},
            credentials={},
            http=SafeHttpClient(timeout=2),
        )
        with pytest.raises(ConnectorError):
            rss.fetch({})
        assert server.requests == []


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::7f00:1", "64:ff9b:1::a00:1", "2002:7f00:1::1", "::7f00:1", "::ffff:10.0.0.1"],
)
def test_ipv6_addresses_that_carry_an_ipv4_address_are_refused(address):
    assert not _address_is_public(address)


def test_ordinary_public_addresses_are_allowed():
    assert _address_is_public("93.184.216.34")
    assert _address_is_public("2606:2800:220:1:248:1893:25c8:1946")
