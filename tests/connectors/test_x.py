"""The X API v2 connector against recorded twarc2 pages and tweepy cassettes on loopback."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sources.connectors.base import ConfigError, ConnectorError, FetchWindow, RateLimited
from sources.connectors.http import SafeHttpClient
from sources.connectors.registry import connector_class
from sources.connectors.x import XConnector
from sources.formats import json_make_storable, mention_item_validate
from tests.replay import RECORDINGS, ReplayServer, vcr_interactions

needs_recordings = pytest.mark.skipif(
    not RECORDINGS.exists(), reason="../shared/data/recordings is not here"
)
TWITTER = RECORDINGS / "twitter"
SEARCH = "/2/tweets/search/recent"

USERS: list[dict[str, Any]] = [
    {
        "id": "111",
        "username": "pendlerin",
        "name": "Jana Pendlerin",
        "public_metrics": {
            "followers_count": 1520,
            "following_count": 300,
            "tweet_count": 9000,
            "listed_count": 12,
        },
    }
]
TWEETS: list[dict[str, Any]] = [
    {
        "id": "1861000000000000002",
        "text": "@nordbahn RE 4 fällt schon wieder aus",
        "author_id": "111",
        "created_at": "2026-11-23T08:00:00.000Z",
        "lang": "de",
        "conversation_id": "1861000000000000001",
        "in_reply_to_user_id": "222",
        "referenced_tweets": [{"type": "replied_to", "id": "1861000000000000001"}],
        "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 0},
    },
    {
        "id": "1861000000000000001",
        "text": "Gibt es Probleme auf der Strecke?",
        "author_id": "999",  # not in includes
        "lang": "und",
    },
]


def search_page(tweets: list[dict], *, next_token: str = "", errors: list | None = None) -> dict:
    ids = [int(t["id"]) for t in tweets]
    meta: dict[str, Any] = {"result_count": len(tweets)}
    if ids:
        meta |= {"newest_id": str(max(ids)), "oldest_id": str(min(ids))}
    if next_token:
        meta["next_token"] = next_token
    body: dict[str, Any] = {"data": tweets, "includes": {"users": USERS}, "meta": meta}
    if errors:
        body["errors"] = errors
    return body


def connector(server_url: str, token: str = "AAAA", **config: Any) -> XConnector:  # noqa: S107
    return XConnector(
        config={"base_url": server_url, **config},
        credentials={"bearer_token": token} if token else {},
        http=SafeHttpClient(allow_private=True),
        search_terms=["nordbahn", "RE 4"],
    )


def assert_valid(items: list[dict]) -> None:
    for item in items:
        _data, errors = mention_item_validate(json_make_storable(item))
        assert errors is None, (item, errors)


def test_inline_search_page_is_normalized_with_authors_and_replies():
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=search_page(TWEETS))
        page = connector(server.url).fetch({})
        (request,) = server.requests
    assert request.headers["Authorization"] == "Bearer AAAA"
    assert request.query == {
        "query": 'nordbahn OR "RE 4"',
        "max_results": "100",
        "tweet.fields": "created_at,lang,conversation_id,in_reply_to_user_id,referenced_tweets,"
        "public_metrics,author_id",
        "expansions": "author_id",
        "user.fields": "public_metrics,username,name",
    }
    reply, question = page.items
    assert reply["external_id"] == "1861000000000000002"
    assert reply["url"] == "https://x.com/pendlerin/status/1861000000000000002"
    assert reply["text"] == "@nordbahn RE 4 fällt schon wieder aus"
    assert reply["published_at"] == datetime(2026, 11, 23, 8, tzinfo=UTC).isoformat()
    assert reply["author"] == {
        "handle": "pendlerin",
        "name": "Jana Pendlerin",
        "followers": 1520,
        "following": 300,
        "posts": 9000,
    }
    assert reply["engagement"] == {"likes": 3, "reposts": 1, "replies": 2}
    assert reply["language"] == "de"
    assert reply["in_reply_to"] == "1861000000000000001"
    assert (
        reply["raw"]
        | {
            "following_count": 300,
            "tweet_count": 9000,
            "listed_count": 12,
            "like_count": 3,
            "retweet_count": 1,
            "reply_count": 2,
            "conversation_id": "1861000000000000001",
        }
        == reply["raw"]
    )
    # No user object and no created_at: the id tells the time, the author id the handle.
    assert question["author"]["handle"] == "999"
    # Nothing known about that author or the tweet's reactions: unknown, not zero.
    assert question["author"] == {"handle": "999", "name": "", "followers": None}
    assert "engagement" not in question
    assert question["url"] == "https://x.com/i/status/1861000000000000001"
    assert question["language"] == ""
    assert question["published_at"].startswith("2024-")
    assert page.cursor == {"listings": {"search": {"since_id": "1861000000000000002"}}}
    assert not page.has_more
    assert_valid(page.items)


def test_polls_use_since_id_and_catch_up_with_next_token():
    newer = [{**TWEETS[0], "id": str(1861000000000000010 + n)} for n in range(3)]
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=search_page(TWEETS, next_token="first-poll-more"))
        server.add("GET", SEARCH, body=search_page(newer[1:], next_token="older-page"))
        server.add("GET", SEARCH, body=search_page(newer[:1]))
        server.add("GET", SEARCH, body={"meta": {"result_count": 0}})
        x = connector(server.url)
        first = x.fetch({})
        second = x.fetch(first.cursor)
        third = x.fetch(second.cursor)
        fourth = x.fetch(third.cursor)
        queries = [r.query for r in server.requests]
    # The first poll starts at the newest page and does not page back.
    assert not first.has_more
    assert "since_id" not in queries[0]
    assert queries[1]["since_id"] == "1861000000000000002"
    # More than a page was new: page back before moving since_id.
    assert second.has_more
    assert second.cursor["listings"]["search"] == {
        "since_id": "1861000000000000002",
        "next_token": "older-page",
        "pending_newest": "1861000000000000012",
    }
    assert queries[2]["next_token"] == "older-page"
    assert queries[2]["since_id"] == "1861000000000000002"
    assert [i["external_id"] for i in third.items] == ["1861000000000000010"]
    assert not third.has_more
    assert third.cursor["listings"]["search"] == {"since_id": "1861000000000000012"}
    assert queries[3]["since_id"] == "1861000000000000012"
    assert fourth.items == [] and fourth.cursor == third.cursor


def test_rate_limit_uses_the_reset_epoch():
    reset = int(time.time()) + 600
    with ReplayServer() as server:
        server.add(
            "GET",
            SEARCH,
            status=429,
            headers={"x-rate-limit-reset": str(reset)},
            body={"title": "Too Many Requests"},
        )
        with pytest.raises(RateLimited) as info:
            connector(server.url).fetch({})
    assert 595 <= info.value.retry_after <= 600


def test_errors_are_connector_errors_and_partial_errors_are_per_item():
    problem = {
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "errors": [{"message": "query: unmatched parenthesis"}],
    }
    with ReplayServer() as server:
        server.add("GET", SEARCH, status=500)
        server.add("GET", SEARCH, status=400, body=problem)
        server.add(
            "GET", SEARCH, status=401, body={"title": "Unauthorized", "detail": "Unauthorized"}
        )
        server.add("GET", SEARCH, body=b'{"data": [{"id": "1", "te')
        server.add("GET", SEARCH, body=[1, 2])
        server.add(
            "GET",
            SEARCH,
            body={
                "data": [TWEETS[0], {"id": "x"}, "junk", {"id": "5", "text": ""}],
                "errors": [{"title": "Forbidden", "detail": "User has been suspended: [x]."}],
            },
        )
        x = connector(server.url)
        with pytest.raises(ConnectorError, match="500"):
            x.fetch({})
        with pytest.raises(ConnectorError, match="unmatched parenthesis"):
            x.fetch({})
        with pytest.raises(ConnectorError, match="refused"):
            x.fetch({})
        with pytest.raises(ConnectorError, match="JSON"):
            x.fetch({})
        with pytest.raises(ConnectorError, match="JSON object"):
            x.fetch({})
        page = x.fetch({})
    assert [i["external_id"] for i in page.items] == ["1861000000000000002"]
    assert page.errors[0] == "Forbidden: User has been suspended: [x]."
    assert len(page.errors) == 4  # the partial error and three unreadable tweets


def test_hostile_shapes_become_per_item_errors_or_are_ignored():
    hostile = {
        "data": [
            {**TWEETS[0], "referenced_tweets": 5, "text": {"not": "text"}},
            {**TWEETS[0], "id": "1861000000000000003", "author_id": {"x": 1}, "lang": "in"},
            {"id": "1861000000000000004", "text": "ok", "author_id": "111"},
        ],
        "includes": {"users": 5},
        "errors": "not a list",
        "meta": [],
    }
    huge = {
        "data": [TWEETS[0]],
        "includes": {"users": [{**USERS[0], "public_metrics": {"followers_count": 10**30}}]},
    }
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=hostile)
        server.add("GET", SEARCH, body=huge)
        x = connector(server.url)
        page = x.fetch({"listings": {"search": "garbage", "gone": {"since_id": "1"}}})
        second = x.fetch({"listings": {"search": {"since_id": "no digits"}}})
        assert "since_id" not in server.requests[1].query
    assert [i["external_id"] for i in page.items] == ["1861000000000000003", "1861000000000000004"]
    assert page.items[0]["language"] == "id" and page.items[0]["author"]["handle"] == "unknown"
    assert page.errors[0] == "not a list" and "has no text" in page.errors[1]
    assert list(page.cursor["listings"]) == ["search"]
    assert second.items[0]["author"]["followers"] == 2**62
    assert_valid(page.items + second.items)


def test_missing_token_and_nothing_to_search_are_config_errors():
    with ReplayServer() as server:
        with pytest.raises(ConfigError):
            connector(server.url, token="").fetch({})
        with pytest.raises(ConfigError):
            XConnector(
                config={"base_url": server.url},
                credentials={"bearer_token": "t"},
                http=SafeHttpClient(allow_private=True),
            ).fetch({})
        assert server.requests == []
    for bad in ({"mentions_of_user_id": "@nordbahn"}, {"base_url": "ftp://x"}):
        with pytest.raises(ConfigError):
            XConnector.validate_config(bad)


def test_query_comes_from_config_native_query_or_terms():
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=search_page([]))
        connector(server.url, query="from:nordbahn -is:retweet").fetch({})
        XConnector(
            config={"base_url": server.url},
            credentials={"bearer_token": "t"},
            http=SafeHttpClient(allow_private=True),
            search_terms=["x"],
            native_query="(nordbahn OR #RE4) lang:de",
        ).fetch({})
        queries = [r.query["query"] for r in server.requests]
    assert queries == ["from:nordbahn -is:retweet", "(nordbahn OR #RE4) lang:de"]


def test_backfill_sends_the_window_clamped_to_seven_days_and_pages_on():
    now = datetime.now(UTC)
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=search_page(TWEETS, next_token="p2"))
        server.add("GET", SEARCH, body=search_page([]))
        server.add("GET", "/2/users/42/mentions", body=search_page(TWEETS[:1]))
        x = connector(server.url, mentions_of_user_id="42")
        window = FetchWindow(since=now - timedelta(days=30), until=now - timedelta(days=1))
        first = x.fetch({}, window)
        second = x.fetch(first.cursor, window)
        third = x.fetch(second.cursor, window)
        queries = [(r.path, r.query) for r in server.requests]
    assert first.has_more and first.cursor == {"backfill": {"key": "search", "next_token": "p2"}}
    assert any("7 days" in error for error in first.errors)
    start = datetime.fromisoformat(queries[0][1]["start_time"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < now - start < timedelta(days=7)
    assert queries[0][1]["end_time"] == (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "since_id" not in queries[0][1]
    assert queries[1][1]["next_token"] == "p2"
    assert second.has_more and second.cursor["backfill"]["key"] == "mentions"
    assert queries[2][0] == "/2/users/42/mentions"
    assert "pagination_token" not in queries[2][1] and "query" not in queries[2][1]
    assert [i["external_id"] for i in third.items] == ["1861000000000000002"]
    assert not third.has_more


# --- recordings --------------------------------------------------------------------------


def twarc_lines(name: str) -> list[bytes]:
    """Each line of a twarc2 JSONL file as a response body, `__twarc` stripped; a line that
    is not JSON (the truncated end of a cut stream) is served as it is."""
    result = []
    for line in (TWITTER / name).read_bytes().splitlines():
        if not line.strip():
            continue
        try:
            page = json.loads(line)
        except ValueError:
            result.append(line)
            continue
        page.pop("__twarc", None)
        result.append(json.dumps(page).encode())
    return result


def twarc_page(name: str, index: int = 0) -> dict:
    return json.loads(twarc_lines(name)[index])


@needs_recordings
def test_recorded_kpop_page_authors_retweets_and_partial_errors():
    page_body = twarc_page("kpop.jsonl")
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=json.dumps(page_body))
        page = connector(server.url, query="#kpop").fetch({})
    assert len(page.items) == 100
    assert page.errors == ["Forbidden: User has been suspended: [leeseunggi]."]
    users = {u["id"]: u for u in page_body["includes"]["users"]}
    for item, tweet in zip(page.items, page_body["data"], strict=True):
        user = users[tweet["author_id"]]
        assert item["external_id"] == tweet["id"]
        assert item["author"]["handle"] == user["username"]
        assert item["author"]["followers"] == user["public_metrics"]["followers_count"]
        assert item["raw"]["tweet_count"] == user["public_metrics"]["tweet_count"]
    first = page.items[0]
    assert first["external_id"] == page_body["data"][0]["id"]
    assert (
        first["url"] == f"https://x.com/{first['author']['handle']}/status/{first['external_id']}"
    )
    retweets = [i for i in page.items if "retweeted_id" in i["raw"]]
    assert len(retweets) == 78 and all(i["text"].startswith("RT @") for i in retweets)
    assert {i["language"] for i in page.items} >= {"en", "ko", "id"}  # X's "in" is "id"
    assert page.cursor["listings"]["search"]["since_id"] == page_body["meta"]["newest_id"]
    assert_valid(page.items)


@needs_recordings
def test_recorded_pages_served_in_turn_backfill_follows_next_tokens():
    pages = [twarc_page("kpop.jsonl"), twarc_page("brexit.jsonl"), twarc_page("two_tweets.jsonl")]
    window = FetchWindow(since=datetime.now(UTC) - timedelta(days=2))
    with ReplayServer() as server:
        for body in pages:
            server.add("GET", SEARCH, body=json.dumps(body))
        x = connector(server.url)
        results = [x.fetch({}, window)]
        while results[-1].has_more and len(results) < 5:
            results.append(x.fetch(results[-1].cursor, window))
        tokens = [r.query.get("next_token") for r in server.requests]
    assert [len(r.items) for r in results] == [100, 100, 1]
    assert [r.has_more for r in results] == [True, True, False]
    assert tokens == [None, pages[0]["meta"]["next_token"], pages[1]["meta"]["next_token"]]
    brexit_reply = next(i for i in results[1].items if i["in_reply_to"])
    tweet = next(t for t in pages[1]["data"] if t["id"] == brexit_reply["external_id"])
    replied = [r["id"] for r in tweet["referenced_tweets"] if r["type"] == "replied_to"]
    assert brexit_reply["in_reply_to"] == replied[0]
    assert_valid([i for r in results for i in r.items])


@needs_recordings
def test_recorded_pages_as_polls_move_since_id():
    kpop, brexit = twarc_page("kpop.jsonl"), twarc_page("brexit.jsonl")
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=json.dumps(kpop))
        server.add(
            "GET",
            SEARCH,
            body=json.dumps(
                {**brexit, "meta": {k: v for k, v in brexit["meta"].items() if k != "next_token"}}
            ),
        )
        x = connector(server.url)
        first = x.fetch({})
        second = x.fetch(first.cursor)
        since = server.requests[1].query["since_id"]
    assert since == kpop["meta"]["newest_id"] == "1440717170493689866"
    assert len(second.items) == 100
    assert second.cursor["listings"]["search"]["since_id"] == since  # brexit ids are older
    assert not second.has_more


@needs_recordings
def test_recorded_stream_lines_and_the_truncated_last_line():
    lines = twarc_lines("streaming_output_with_error.jsonl")
    assert len(lines) == 8
    with ReplayServer() as server:
        for body in lines:
            server.add("GET", SEARCH, body=body)
        x = connector(server.url)
        pages = [x.fetch({}) for _ in range(7)]
        with pytest.raises(ConnectorError, match="JSON"):
            x.fetch({})
    assert [len(p.items) for p in pages] == [1] * 7
    first = pages[0].items[0]
    tweet = json.loads(lines[0])["data"]
    assert first["external_id"] == tweet["id"]
    assert first["text"] == tweet["text"]
    assert_valid([p.items[0] for p in pages])


@needs_recordings
def test_recorded_tweepy_search_without_fields_dates_tweets_by_their_ids():
    (recorded,) = vcr_interactions(TWITTER / "test_client_search_recent_tweets.yaml")
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=recorded["body"], headers=recorded["headers"])
        page = connector(server.url, query="Tweepy").fetch({})
    first = page.items[0]
    assert first["external_id"] == "1578516068309794817"
    assert first["text"] == "2022-10-07 22:42:12.637103 tweepy"
    # The bot tweets its own send time; the Snowflake id gives the same second.
    assert first["published_at"].startswith("2022-10-07T22:42:1")
    assert first["author"]["handle"] == "unknown"
    assert first["url"] == "https://x.com/i/status/1578516068309794817"
    assert_valid(page.items)


@needs_recordings
def test_recorded_tweepy_mentions_endpoint_and_its_rate_limit_headers():
    (recorded,) = vcr_interactions(TWITTER / "test_client_get_users_mentions.yaml")
    reset = recorded["headers"]["x-rate-limit-reset"]
    with ReplayServer() as server:
        server.add(
            "GET", "/2/users/783214/mentions", body=recorded["body"], headers=recorded["headers"]
        )
        server.add(
            "GET",
            "/2/users/783214/mentions",
            status=429,
            headers={"x-rate-limit-reset": str(int(time.time()) + 900)},
        )
        x = XConnector(
            config={"base_url": server.url, "mentions_of_user_id": "783214"},
            credentials={"bearer_token": "t"},
            http=SafeHttpClient(allow_private=True),
        )
        page = x.fetch({})
        with pytest.raises(RateLimited) as info:
            x.fetch(page.cursor)
        assert server.requests[1].query["since_id"] == page.items[0]["external_id"]
    assert reset.isdigit()
    assert page.items[0]["text"].startswith("@Twitter @TwitterSupport this is my ENTIRE feed")
    assert 890 <= info.value.retry_after <= 900
    assert_valid(page.items)


def _recorded_bodies() -> list[tuple[str, int]]:
    if not TWITTER.exists():
        return []
    found = []
    for path in sorted(TWITTER.glob("*.jsonl")):
        found += [(path.name, index) for index in range(len(twarc_lines(path.name)))]
    found += [(path.name, 0) for path in sorted(TWITTER.glob("*.json"))]
    found += [(path.name, 0) for path in sorted(TWITTER.glob("test_client_*.yaml"))]
    return found


@needs_recordings
@pytest.mark.parametrize(("name", "index"), _recorded_bodies())
def test_every_recorded_answer_is_read_or_refused_cleanly(name, index):
    """Every recorded v2 answer (search pages, lookups, users, counts, v1.1 search) served
    as a search page: valid items and per-item errors, or a ConnectorError; nothing else."""
    if name.endswith(".jsonl"):
        body = twarc_lines(name)[index]
    elif name.endswith(".yaml"):
        body = vcr_interactions(TWITTER / name)[0]["body"]
    else:
        body = (TWITTER / name).read_bytes()
    with ReplayServer() as server:
        server.add("GET", SEARCH, body=body)
        try:
            page = connector(server.url).fetch({})
        except ConnectorError:
            return
    assert_valid(page.items)


def test_the_connector_registers_itself():
    assert connector_class("x") is XConnector
    assert XConnector.kind == XConnector.network == "x"
