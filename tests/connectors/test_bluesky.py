"""The Bluesky connector against recorded AT Protocol responses served from loopback."""

from __future__ import annotations

import base64
import itertools
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from sources.connectors.base import ConfigError, ConnectorError, FetchWindow, RateLimited
from sources.connectors.bluesky import (
    BlueskyConnector,
    jetstream_event_item,
    post_view_item,
    thread_view_items,
)
from sources.connectors.http import SafeHttpClient
from sources.formats import json_make_storable, mention_item_validate
from tests.replay import RECORDINGS, ReplayServer

needs_recordings = pytest.mark.skipif(
    not RECORDINGS.exists(), reason="../shared/data/recordings is not here"
)
BLUESKY = RECORDINGS / "bluesky"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
THREAD = "/xrpc/app.bsky.feed.getPostThread"


def connector(
    url: str,
    *,
    query: str = "nordbahn",
    profiles: bool = False,
    credentials: dict[str, str] | None = None,
    native_query: str | None = None,
    terms: list[str] | None = None,
    pds: str | None = None,
) -> BlueskyConnector:
    return BlueskyConnector(
        config={"service": url, "pds": pds or url, "query": query, "profiles": profiles},
        credentials=credentials or {},
        http=SafeHttpClient(allow_private=True),
        search_terms=terms,
        native_query=native_query,
    )


def assert_valid(items: list[dict[str, Any]]) -> None:
    for item in items:
        _data, errors = mention_item_validate(json_make_storable(item))
        assert errors is None, (item, errors)


def load(name: str) -> Any:
    return json.loads((BLUESKY / name).read_text(encoding="utf-8"))


# -- inline payloads (run without ../shared) ---------------------------------------------
DID = "did:plc:abcdefghijklmnopqrstuvwx"


def post(rkey: str, text: str, *, indexed: str, **record: Any) -> dict[str, Any]:
    return {
        "uri": f"at://{DID}/app.bsky.feed.post/{rkey}",
        "cid": f"bafy{rkey}",
        "author": {"did": DID, "handle": "jana.bsky.social", "displayName": "Jana"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": indexed.replace(":01.", ":00."),
            **record,
        },
        "replyCount": 1,
        "repostCount": 2,
        "likeCount": 3,
        "indexedAt": indexed,
    }


INLINE_SEARCH = {
    "posts": [
        post(
            "3new",
            "Der RE 4 fällt schon wieder aus",
            indexed="2026-11-23T10:00:01.000Z",
            langs=["de"],
            reply={
                "parent": {"uri": f"at://{DID}/app.bsky.feed.post/3par"},
                "root": {"uri": f"at://{DID}/app.bsky.feed.post/3par"},
            },
        ),
        {
            **post(
                "3old",
                "",
                indexed="2026-11-23T09:00:01.000Z",
                embed={
                    "$type": "app.bsky.embed.images",
                    "images": [{"alt": "Anzeigetafel: Zug fällt aus"}, {"alt": ""}],
                },
            ),
            "author": {"did": DID, "handle": "handle.invalid", "followersCount": 42},
        },
        {"uri": f"at://{DID}/app.bsky.feed.post/3bad", "author": {"did": DID}},
        {"uri": "https://not-an-at-uri", "record": {}, "author": {}},
        "garbage",
    ],
    "cursor": "25",
}


def test_inline_search_is_normalized_with_broken_posts_as_errors():
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=INLINE_SEARCH)
        page = connector(server.url).fetch({})
        assert server.requests[0].query == {"q": "nordbahn", "limit": "100", "sort": "latest"}
    new, old = page.items
    assert new["external_id"] == f"at://{DID}/app.bsky.feed.post/3new"
    assert new["url"] == "https://bsky.app/profile/jana.bsky.social/post/3new"
    assert new["text"] == "Der RE 4 fällt schon wieder aus"
    assert new["published_at"] == datetime(2026, 11, 23, 10, tzinfo=UTC).isoformat()
    # No follower count in the post view: unknown, so it cannot erase a known one.
    assert new["author"] == {"handle": "jana.bsky.social", "name": "Jana", "followers": None}
    assert new["engagement"] == {"likes": 3, "reposts": 2, "replies": 1}
    assert new["language"] == "de"
    assert new["in_reply_to"] == f"at://{DID}/app.bsky.feed.post/3par"
    assert new["raw"] == {
        "cid": "bafy3new",
        "likeCount": 3,
        "repostCount": 2,
        "replyCount": 1,
        "did": DID,
    }
    # An image-only post by an author whose handle does not verify.
    assert old["text"] == "Anzeigetafel: Zug fällt aus\n[image]"
    assert old["author"] == {"handle": DID, "name": "", "followers": 42}
    assert old["url"] == f"https://bsky.app/profile/{DID}/post/3old"
    assert len(page.errors) == 3
    assert "3bad" in page.errors[0] and "no record" in page.errors[0]
    assert page.cursor == {"cursor": "", "newest": "2026-11-23T10:00:01+00:00"}
    assert not page.has_more  # regular polls never page
    assert_valid(page.items)


def test_inline_second_poll_drops_seen_posts():
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=INLINE_SEARCH)
        bsky = connector(server.url)
        first = bsky.fetch({})
        second = bsky.fetch({**first.cursor, "newest": "2026-11-23T09:30:00+00:00"})
        third = bsky.fetch(first.cursor)
        assert "cursor" not in server.requests[1].query
    assert [item["external_id"][-4:] for item in second.items] == ["3new"]
    assert third.items == []
    assert third.cursor["newest"] == first.cursor["newest"]


def test_query_comes_from_config_native_query_or_terms():
    with ReplayServer() as server:
        server.add("GET", SEARCH, body={"posts": []})
        connector(server.url, native_query="bahn lang:de").fetch({})
        connector(server.url, query="", native_query="bahn lang:de").fetch({})
        connector(server.url, query="", terms=["RE 4", "nordbahn", ""]).fetch({})
        with pytest.raises(ConnectorError, match="Nothing to search for"):
            connector(server.url, query="").fetch({})
        assert [request.query["q"] for request in server.requests] == [
            "nordbahn",
            "bahn lang:de",
            '"RE 4" nordbahn',
        ]


def test_config_is_validated():
    assert BlueskyConnector.validate_config({}) == {
        "service": "https://public.api.bsky.app",
        "pds": "https://bsky.social",
        "query": "",
        "profiles": True,
    }
    assert BlueskyConnector.validate_config(
        {"service": "https://api.bsky.app/", "query": " bahn ", "profiles": "no"}
    ) == {
        "service": "https://api.bsky.app",
        "pds": "https://bsky.social",
        "query": "bahn",
        "profiles": False,
    }
    with pytest.raises(ConfigError) as info:
        BlueskyConnector.validate_config({"service": "bsky.app", "query": 5, "profiles": "?"})
    assert set(info.value.fields) == {"service", "query", "profiles"}
    broken = BlueskyConnector(
        config={"service": "nope"}, credentials={}, http=SafeHttpClient(allow_private=True)
    )
    with pytest.raises(ConnectorError, match="Invalid Bluesky configuration"):
        broken.fetch({})


def test_rate_limit_raises_with_retry_after():
    with ReplayServer() as server:
        server.add(
            "GET",
            SEARCH,
            status=429,
            headers={"Retry-After": "30"},
            body={"error": "RateLimitExceeded"},
        )
        with pytest.raises(RateLimited) as info:
            connector(server.url).fetch({})
    assert info.value.retry_after == 30


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, {"error": "InternalServerError", "message": "boom"}, "500 \\(InternalServerError"),
        (403, b"<html>403 Forbidden</html>", "app password"),
        (400, {"error": "InvalidRequest", "message": "q is required"}, "q is required"),
        (200, b"<html>not json</html>", "did not send JSON"),
        (200, b"\xff\xfe{", "did not send JSON"),
        (200, {"posts": {"uri": "x"}}, "list of posts"),
        (200, [1, 2, 3], "list of posts"),
        (200, {"feed": []}, "list of posts"),
    ],
)
def test_errors_and_garbage_raise_connector_errors(status, body, message):
    with ReplayServer() as server:
        server.add("GET", SEARCH, status=status, body=body)
        with pytest.raises(ConnectorError, match=message):
            connector(server.url).fetch({})


def _jwt(expires_in: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part({'exp': int(time.time() + expires_in)})}.sig"


def test_sign_in_is_cached_and_renewed_on_401():
    token, renewed = _jwt(7200), _jwt(7200) + "2"
    with ReplayServer() as service, ReplayServer() as pds:
        service.add("GET", SEARCH, status=403)
        pds.add(
            "POST",
            "/xrpc/com.atproto.server.createSession",
            body={"did": DID, "handle": "jana.bsky.social", "accessJwt": token, "refreshJwt": "r"},
        )
        pds.add(
            "POST",
            "/xrpc/com.atproto.server.createSession",
            body={"did": DID, "accessJwt": renewed},
        )
        pds.add("GET", SEARCH, body=INLINE_SEARCH)
        pds.add("GET", SEARCH, status=401, body={"error": "ExpiredToken"})
        pds.add("GET", SEARCH, body=INLINE_SEARCH)
        login = {"identifier": "jana.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"}
        first = connector(service.url, pds=pds.url, credentials=login).fetch({})
        again = connector(service.url, pds=pds.url, credentials=login).fetch({})
        assert service.requests == []  # signed in, everything goes through the PDS
        calls = [(request.method, request.path) for request in pds.requests]
        assert calls == [
            ("POST", "/xrpc/com.atproto.server.createSession"),
            ("GET", SEARCH),
            ("GET", SEARCH),  # 401: the cached token expired early
            ("POST", "/xrpc/com.atproto.server.createSession"),
            ("GET", SEARCH),
        ]
        assert json.loads(pds.requests[0].body) == {
            "identifier": "jana.bsky.social",
            "password": "abcd-efgh-ijkl-mnop",
        }
        assert pds.requests[1].headers["Authorization"] == f"Bearer {token}"
        assert pds.requests[4].headers["Authorization"] == f"Bearer {renewed}"
    assert len(first.items) == len(again.items) == 2


def test_refused_sign_in_is_a_connector_error():
    with ReplayServer() as pds:
        pds.add(
            "POST",
            "/xrpc/com.atproto.server.createSession",
            status=401,
            body={"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
        )
        login = {"identifier": "someone-else.bsky.social", "app_password": "wrong"}
        with pytest.raises(ConnectorError, match="Invalid identifier or password"):
            connector(pds.url, credentials=login).fetch({})


def test_follower_lookup_failure_keeps_the_posts():
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=INLINE_SEARCH)
        server.add("GET", PROFILES, status=429, headers={"Retry-After": "5"})
        page = connector(server.url, profiles=True).fetch({})
        assert server.requests[1].query["actors"] == DID  # only authors without a count
    assert len(page.items) == 2
    assert page.errors[-1].startswith("Follower counts not looked up")


def test_inline_jetstream_events():
    line = json.dumps(
        {
            "did": DID,
            "time_us": 1_795_000_000_000_000,
            "kind": "commit",
            "commit": {
                "rev": "3r",
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": "3jet",
                "cid": "bafyjet",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": "Zug weg",
                    "langs": ["de"],
                    "createdAt": "not a date",
                },
            },
        }
    )
    item = jetstream_event_item(line)
    assert item is not None
    assert item["external_id"] == f"at://{DID}/app.bsky.feed.post/3jet"
    assert item["author"]["handle"] == DID
    assert item["published_at"] == datetime.fromtimestamp(1_795_000_000, tz=UTC).isoformat()
    named = jetstream_event_item(line, handles={DID: "jana.bsky.social"})
    assert named is not None
    assert named["url"] == "https://bsky.app/profile/jana.bsky.social/post/3jet"
    assert named["author"]["handle"] == "jana.bsky.social"
    assert_valid([item])
    for other in [
        '{"did": "did:plc:x", "kind": "commit", "commit": {"operation": "delete", '
        '"collection": "app.bsky.feed.post", "rkey": "3x"}}',
        '{"kind": "identity"}',
        '{"did": "did:plc:x", "kind": "commit", "commit": {"operation": "create", '
        '"collection": "app.bsky.feed.post", "rkey": "a/b", "record": {}}}',
        '{"did": "did:plc:x", "kind": "commit", "commit": {"operation": "create", '
        '"collection": "app.bsky.feed.post", "rkey": "3x", "record": "text"}}',
        '{"truncated": ',
        b"\xff",
        "[]",
        "",
    ]:
        assert jetstream_event_item(other) is None


# -- recordings --------------------------------------------------------------------------
@needs_recordings
def test_recorded_search_response():
    with ReplayServer() as server:
        server.add(
            "GET",
            SEARCH,
            body=(BLUESKY / "myConsciousness-atproto.dart_searchPosts.json").read_bytes(),
        )
        bsky = connector(server.url)
        first = bsky.fetch({})
        second = bsky.fetch(first.cursor)  # the same answer again: nothing new
    [item] = first.items
    assert item["external_id"] == (
        "at://did:plc:d3zpokjdspr22chfrc427eis/app.bsky.feed.post/3ju4p6u2i3a2g"
    )
    assert item["url"] == "https://bsky.app/profile/luy.gay/post/3ju4p6u2i3a2g"
    assert item["text"].startswith("eu queria um fone de ouvido com fio")
    assert item["published_at"] == "2023-04-24T13:50:19.672000+00:00"
    assert item["author"] == {"handle": "luy.gay", "name": "luy 🦋", "followers": None}
    assert item["engagement"]["likes"] == 7
    assert item["engagement"]["replies"] == 8
    assert item["language"] == ""  # recorded before posts carried langs
    assert item["raw"]["replyCount"] == 8
    assert item["raw"]["likeCount"] == 7
    assert first.cursor == {"cursor": "", "newest": "2023-04-24T13:50:20.078000+00:00"}
    assert not first.has_more  # a cursor in the answer, but this is a poll, not a backfill
    assert second.items == []
    assert second.cursor == first.cursor
    assert_valid(first.items)


def _author_feed_as_search() -> dict[str, Any]:
    """getAuthorFeed's 25 real post views, in a searchPosts-shaped answer."""
    feed = load("getAuthorFeed.json")
    return {"posts": [entry["post"] for entry in feed["feed"]], "cursor": feed["cursor"]}


@needs_recordings
def test_recorded_backfill_pages_with_the_api_cursor():
    body = _author_feed_as_search()
    window = FetchWindow(
        since=datetime(2023, 4, 1, tzinfo=UTC), until=datetime(2023, 5, 1, 12, tzinfo=UTC)
    )
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=body)
        server.add("GET", SEARCH, body={"posts": []})
        bsky = connector(server.url)
        first = bsky.fetch({}, window)
        second = bsky.fetch(first.cursor, window)
        assert server.requests[0].query == {
            "q": "nordbahn",
            "limit": "100",
            "sort": "latest",
            "since": "2023-04-01T00:00:00.000Z",
            "until": "2023-05-01T12:00:00.000Z",
        }
        assert server.requests[1].query["cursor"] == (
            "1682809172466::bafyreihdpdn7uiqmshzb2y4o67gzy2aeairq6phuk476k2oidhy2p5dbwu"
        )
    assert len(first.items) == 25
    assert first.has_more
    assert first.cursor["cursor"] == body["cursor"]
    assert first.cursor["newest"] == "2023-04-30T06:26:07.202000+00:00"
    assert second.items == []
    assert not second.has_more
    assert_valid(first.items)


@needs_recordings
def test_recorded_poll_keeps_only_newer_posts_and_adds_follower_counts():
    body = _author_feed_as_search()
    profile = load("getProfile.json")
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=body)
        server.add("GET", PROFILES, body={"profiles": [profile]})
        page = connector(server.url, profiles=True).fetch({"newest": "2023-04-30T00:22:54.029Z"})
        [lookup] = [request for request in server.requests if request.path == PROFILES]
    assert [item["url"].rsplit("/", 1)[1] for item in page.items] == [
        "3jukz62npim26",
        "3jukterj4bp2j",
        "3juktdt335p2l",
        "3juktdgry3k2y",
        "3jukoxegkhw2s",
        "3jukjo4mkjz2m",
        "3jukhw7mmvs2s",
        "3jukf53n6ba25",
    ]
    assert lookup.query["actors"]  # the replay server keeps one value per key
    shinya = [item for item in page.items if item["author"]["handle"] == "shinyakato.dev"]
    assert len(shinya) == 7
    assert {item["author"]["followers"] for item in shinya} == {4945}
    assert shinya[0]["author"]["following"] == 31769
    assert shinya[0]["author"]["posts"] == 3358
    assert page.items[0]["author"]["handle"] == "christopherpmoore.xyz"
    assert page.items[0]["author"]["followers"] is None  # not in the lookup answer
    assert page.items[7]["text"].startswith("あとはおそらくMeetup 主催者の @amir.blue")
    assert page.items[7]["in_reply_to"].startswith("at://")
    assert page.errors == []
    assert_valid(page.items)


@needs_recordings
def test_recorded_hellthread():
    uri = "at://did:plc:iuk433sj23ncu2oo2pfnw7fw/app.bsky.feed.post/3jujgsslyxt2h"
    with ReplayServer() as server:
        server.add("GET", THREAD, body=(BLUESKY / "getPostThread.json").read_bytes())
        items = connector(server.url).thread_items(uri)
        assert server.requests[0].query == {"uri": uri}
    by_uri = {item["external_id"]: item for item in items}
    assert len(items) == len(by_uri) == 58  # 53 ancestors, the post, 4 replies
    focus_index = next(index for index, item in enumerate(items) if item["external_id"] == uri)
    assert focus_index == 53
    ancestors, focus, replies = items[:53], items[53], items[54:]
    # The top of the visible chain replies to a post hidden by a block.
    assert ancestors[0]["text"] == "Vouch"
    assert ancestors[0]["in_reply_to"] == (
        "at://did:plc:24lz3lshhmjsieafxih4exlw/app.bsky.feed.post/3jui52oiuad24"
    )
    assert ancestors[0]["in_reply_to"] not in by_uri
    for parent, child in itertools.pairwise(items[:54]):
        assert child["in_reply_to"] == parent["external_id"]
    assert focus["text"] == "hellthread hellthread hellthread\n\ndid it work?"
    assert focus["author"]["handle"] == "skeet.computer"
    assert focus["raw"]["replyCount"] == 4
    assert [reply["author"]["handle"] for reply in replies] == [
        "metasj.bsky.social",
        "xowap.bsky.social",
        "gloriapaulsen.bsky.social",
        "kimberlee90.bsky.social",
    ]
    assert all(reply["in_reply_to"] == uri for reply in replies)
    image_only = [item for item in items if item["author"]["handle"] == "marynmck.bsky.social"]
    assert [item["text"] for item in image_only] == ["[image]"]
    assert_valid(items)


@needs_recordings
def test_recorded_thread_with_quote_and_media():
    items = thread_view_items(load("thread_view_post_with_embed_media.json")["thread"])
    [item] = items
    assert item["author"]["handle"] == "test.marshal.dev"
    assert item["text"] == "[image]"  # no text, a quote with an image without alt text
    assert item["language"] == "en"
    assert_valid(items)


@needs_recordings
def test_recorded_getposts_and_record_shapes():
    [post_view] = load("getPosts.json")["posts"]
    item = post_view_item(post_view)
    assert item["author"]["handle"] == "luy.gay"
    with pytest.raises(ValueError):
        post_view_item(load("post_record.json"))  # a bare record is not a post view


@needs_recordings
def test_recorded_thread_errors_are_connector_errors():
    with ReplayServer() as server:
        server.add("GET", THREAD, body=(BLUESKY / "getProfile.json").read_bytes())
        with pytest.raises(ConnectorError, match="did not send a thread"):
            connector(server.url).thread_items(
                "at://did:plc:iuk433sj23ncu2oo2pfnw7fw/app.bsky.feed.post/3jujgsslyxt2h"
            )
        with pytest.raises(ConnectorError, match="not the at:// URI"):
            connector(server.url).thread_items("https://bsky.app/profile/x/post/y")


@needs_recordings
def test_recorded_jetstream_events():
    lines = (BLUESKY / "expected_v1.jsonl").read_text(encoding="utf-8").splitlines()
    items = [item for item in map(jetstream_event_item, lines) if item is not None]
    assert len(lines) == 152
    assert len(items) == 17  # the post creates; likes, reposts, follows, deletes are skipped
    assert_valid(items)
    by_rkey = {item["external_id"].rsplit("/", 1)[1]: item for item in items}
    korean = by_rkey["3mptbyp7lu223"]
    assert korean["text"] == "이쁘시네용~~~"
    assert korean["language"] == "ko"
    assert korean["in_reply_to"].startswith("at://")
    assert korean["author"]["handle"] == "did:plc:o2rolxey6s5k7d4lxcz3inl4"
    assert by_rkey["3mptbyoigog2b"]["language"] == "en-US"
    assert by_rkey["3mptbyoigog2b"]["published_at"] == "2026-07-04T14:38:02+00:00"
    assert by_rkey["3mptbypt22l26"]["language"] == ""  # no langs on the record
    # Text-less reply with a GIF link card.
    assert by_rkey["3mptbyproxc2q"]["text"].startswith(
        "Ariana Grande Crying: Acheimagra Stan Twitter https://static.klipy.com/"
    )


@needs_recordings
def test_recorded_golden_jetstream_event():
    lines = (BLUESKY / "golden_v1.jsonl").read_text(encoding="utf-8").splitlines()
    items = [jetstream_event_item(line) for line in lines]
    [item] = [item for item in items if item is not None]
    did = "did:plc:q235v55g5unth4zjjdpacfdr"
    assert item == {
        "external_id": f"at://{did}/app.bsky.feed.post/3mmoojp4cd223",
        "url": f"https://bsky.app/profile/{did}/post/3mmoojp4cd223",
        "text": "Try RSV for a good time !!",
        "published_at": "2026-05-25T14:23:28.757000+00:00",
        "author": {"handle": did, "name": "", "followers": None},
        "language": "en",
        "in_reply_to": "at://did:plc:j76trmiofvaxxpvx2vnb2vwf/app.bsky.feed.post/3mmojbrjwbs26",
        "raw": {
            "cid": "bafyreicl7rzkxdrm4zz2ehbx52kuk3mvfow6p3gzfys72r5grvskxoswy4",
            "rev": "3mmoojpaqkn2z",
            "time_us": 1779719009157119,
            "did": did,
        },
    }
    assert_valid([item])


@needs_recordings
@pytest.mark.parametrize(
    "name", sorted(path.name for path in BLUESKY.glob("*.json")) if RECORDINGS.exists() else []
)
def test_every_recorded_body_as_a_search_answer_is_read_or_refused_cleanly(name):
    """Threads, profiles, lexicons, skeletons served where search results are expected:
    posts in the mention format, per-post errors, or a ConnectorError; nothing else."""
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=(BLUESKY / name).read_bytes())
        server.add("GET", PROFILES, body=(BLUESKY / name).read_bytes())
        try:
            page = connector(server.url, profiles=True).fetch({}, FetchWindow())
        except ConnectorError:
            return
    assert_valid(page.items)
    if name == "searchPostsSkeleton.json":
        assert page.items == [] and len(page.errors) == 2  # uris only, no post views
