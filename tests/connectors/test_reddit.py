"""The Reddit connector against recorded praw (betamax) traffic served from loopback."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from sources.connectors.base import ConfigError, ConnectorError, FetchWindow, RateLimited
from sources.connectors.http import SafeHttpClient
from sources.connectors.reddit import RedditConnector
from sources.connectors.registry import connector_class
from sources.formats import json_make_storable, mention_item_validate
from tests.replay import RECORDINGS, ReplayServer

needs_recordings = pytest.mark.skipif(
    not RECORDINGS.exists(), reason="../shared/data/recordings is not here"
)
REDDIT = RECORDINGS / "reddit"
TOKEN = {"access_token": "tok-1", "token_type": "bearer", "expires_in": 3600, "scope": "*"}
CREDENTIALS = {"client_id": "app", "client_secret": "s3cret", "user_agent": "lotse-test/1 by u/x"}


def listing(*things: dict, after: str | None = None) -> dict:
    return {"kind": "Listing", "data": {"after": after, "before": None, "children": list(things)}}


def post(name: str, created: float, **extra: Any) -> dict:
    data = {
        "name": name,
        "id": name[3:],
        "author": "pendlerin",
        "created_utc": created,
        "title": "Nordbahn wieder zu spät",
        "selftext": "RE 4 fällt aus.",
        "is_self": True,
        "permalink": f"/r/bahn/comments/{name[3:]}/nordbahn/?ref=search_posts",
        "subreddit": "bahn",
        "score": 12,
        "num_comments": 3,
    }
    return {"kind": "t3", "data": data | extra}


def comment(name: str, created: float, parent: str, **extra: Any) -> dict:
    data = {
        "name": name,
        "id": name[3:],
        "author": "fahrgast",
        "created_utc": created,
        "body": "Bei mir auch.",
        "parent_id": parent,
        "link_id": "t3_abc",
        "subreddit": "bahn",
        "score": 2,
        "replies": "",
    }
    return {"kind": "t1", "data": data | extra}


def connector(server_url: str, credentials: dict | None = None, **config: Any) -> RedditConnector:
    return RedditConnector(
        config={"base_url": server_url, "auth_url": server_url, **config},
        credentials=CREDENTIALS if credentials is None else credentials,
        http=SafeHttpClient(allow_private=True),
        search_terms=["nordbahn", "RE 4"],
    )


def assert_valid(items: list[dict]) -> None:
    for item in items:
        _data, errors = mention_item_validate(json_make_storable(item))
        assert errors is None, (item, errors)


def test_inline_search_authenticates_and_normalizes_posts_and_comments():
    ad = post("t3_ad", 1_700_000_300.0, promoted=True, subreddit=None)
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=TOKEN)
        server.add(
            "GET",
            "/search",
            body=listing(
                ad,
                comment(
                    "t1_c1",
                    1_700_000_200.0,
                    "t3_p1",
                    link_permalink="https://www.reddit.com/r/bahn/comments/p1/nordbahn/",
                ),
                post("t3_p1", 1_700_000_100.0),
            ),
        )
        page = connector(server.url).fetch({})
        token_request, search_request = server.requests
    auth = base64.b64encode(b"app:s3cret").decode()
    assert token_request.headers["Authorization"] == f"Basic {auth}"
    assert token_request.body == b"grant_type=client_credentials"
    assert search_request.headers["Authorization"] == "bearer tok-1"
    assert search_request.headers["User-Agent"] == "lotse-test/1 by u/x"
    assert (
        search_request.query
        | {"q": 'nordbahn OR "RE 4"', "sort": "new", "limit": "100", "type": "link"}
        == search_request.query
    )

    reply, first = page.items  # the advertisement is not a mention
    assert first["external_id"] == "t3_p1"
    assert first["url"] == "https://www.reddit.com/r/bahn/comments/p1/nordbahn/"
    assert first["text"] == "Nordbahn wieder zu spät\n\nRE 4 fällt aus."
    assert first["published_at"] == datetime.fromtimestamp(1_700_000_100, UTC).isoformat()
    # Reddit shows no follower counts (unknown, not zero); upvotes and comments are engagement.
    assert first["author"] == {"handle": "pendlerin", "name": "pendlerin", "followers": None}
    assert first["engagement"] == {"likes": 12, "reposts": None, "replies": 3}
    assert first["in_reply_to"] == ""
    assert first["raw"] | {"subreddit": "bahn", "score": 12, "num_comments": 3} == first["raw"]
    assert reply["external_id"] == "t1_c1"
    assert reply["in_reply_to"] == "t3_p1"
    assert reply["url"] == "https://www.reddit.com/r/bahn/comments/p1/nordbahn/c1/"
    assert page.cursor["listings"]["search"]["newest_id"] == "t3_ad"
    assert not page.has_more
    assert_valid(page.items)


def test_token_is_cached_and_renewed_when_refused():
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=TOKEN)
        server.add("POST", "/api/v1/access_token", body={**TOKEN, "access_token": "tok-2"})
        server.add("GET", "/search", body=listing(post("t3_p1", 1.7e9)))
        server.add("GET", "/search", status=401, body={"message": "Unauthorized"})
        server.add("GET", "/search", body=listing(post("t3_p2", 1.7e9 + 5)))
        reddit = connector(server.url)
        first = reddit.fetch({})
        second = reddit.fetch(first.cursor)  # 401 once, then a new token
        paths = [(r.method, r.path, r.headers.get("Authorization")) for r in server.requests]
    assert paths == [
        ("POST", "/api/v1/access_token", paths[0][2]),
        ("GET", "/search", "bearer tok-1"),
        ("GET", "/search", "bearer tok-1"),
        ("POST", "/api/v1/access_token", paths[0][2]),
        ("GET", "/search", "bearer tok-2"),
    ]
    assert [item["external_id"] for item in second.items] == ["t3_p2"]


def test_rate_limits_server_errors_and_broken_answers():
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=TOKEN)
        server.add("GET", "/search", status=429, headers={"x-ratelimit-reset": "42"})
        server.add("GET", "/search", status=429, headers={"Retry-After": "7"})
        server.add("GET", "/search", status=500)
        server.add("GET", "/search", body=b"<html>maintenance</html>")
        server.add("GET", "/search", body={"kind": "Listing", "data": {"children": "nope"}})
        server.add("GET", "/search", body=listing({"kind": "t3", "data": {"name": "t3_x"}}))
        reddit = connector(server.url)
        with pytest.raises(RateLimited) as info:
            reddit.fetch({})
        assert info.value.retry_after == 42
        with pytest.raises(RateLimited) as info:
            reddit.fetch({})
        assert info.value.retry_after == 7
        with pytest.raises(ConnectorError, match="500"):
            reddit.fetch({})
        with pytest.raises(ConnectorError, match="JSON"):
            reddit.fetch({})
        with pytest.raises(ConnectorError, match="children"):
            reddit.fetch({})
        page = reddit.fetch({})  # a post without creation time: a per-item error
    assert page.items == [] and page.errors


def test_hostile_shapes_become_per_item_errors_or_connector_errors():
    weird_tree = [
        listing(post("t3_abc", 1.7e9)),
        {
            "kind": "Listing",
            "data": {
                "children": [
                    comment("t1_a", 1.7e9 + 1, "t3_abc", replies={"data": "x"}),
                    comment(
                        "t1_b",
                        1.7e9 + 2,
                        "t3_abc",
                        replies=listing(
                            {"kind": "more", "data": {"name": "t1_more", "children": ["c"]}},
                            comment("t1_c", 1.7e9 + 3, "t1_b", body=""),
                            comment("t1_d", float("inf"), "t1_b"),
                        ),
                    ),
                    "junk",
                    {"kind": "t1", "data": ["not", "a", "dict"]},
                ]
            },
        },
    ]
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body={**TOKEN, "expires_in": 10**400})
        server.add("GET", "/comments/abc", body=json.dumps(weird_tree))
        server.add("GET", "/comments/abc", body={"kind": "Listing", "data": ["x"]})
        reddit = connector(server.url, threads=["abc"], search=False)
        page = reddit.fetch({"listings": {"thread/abc": {"seen": "t3_abc", "newest": "soon"}}})
        with pytest.raises(ConnectorError, match="comment tree"):
            reddit.fetch({})
    assert [item["external_id"] for item in page.items] == ["t3_abc", "t1_a", "t1_b"]
    assert page.items[2]["in_reply_to"] == "t3_abc"
    assert len(page.errors) == 2  # the empty comment and the one from the year infinity
    assert_valid(page.items)


def test_refused_credentials_and_missing_credentials():
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", status=401, body={"error": 401})
        with pytest.raises(ConnectorError, match="refused the app credentials"):
            connector(server.url).fetch({})
        with pytest.raises(ConfigError):
            connector(server.url, credentials={}).fetch({})


def test_one_private_subreddit_does_not_cost_the_others():
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=TOKEN)
        server.add("GET", "/r/secret/search", status=403, body={"reason": "private"})
        server.add("GET", "/r/bahn/search", body=listing(post("t3_p1", 1.7e9)))
        page = connector(server.url, subreddits=["r/secret", "bahn"]).fetch({})
        queries = {r.path: r.query for r in server.requests if r.method == "GET"}
    assert [item["external_id"] for item in page.items] == ["t3_p1"]
    assert any("403" in error for error in page.errors)
    assert queries["/r/bahn/search"]["restrict_sr"] == "1"
    assert set(page.cursor["listings"]) == {"r/bahn/search"}


def test_config_is_validated():
    cleaned = RedditConnector.validate_config(
        {
            "subreddits": "r/bahn, Pendler",
            "threads": ["https://www.reddit.com/r/x/comments/2gmzqe/t/"],
        }
    )
    assert cleaned["subreddits"] == ["bahn", "Pendler"]
    assert cleaned["threads"] == ["2gmzqe"]
    assert cleaned["search"] is True and cleaned["comments"] is True
    assert RedditConnector.validate_config({})["base_url"] == "https://oauth.reddit.com"
    for bad in ({"subreddits": ["no spaces allowed"]}, {"threads": ["???"]}, {"base_url": "x"}):
        with pytest.raises(ConfigError):
            RedditConnector.validate_config(bad)
    with pytest.raises(ConfigError):
        RedditConnector(
            config={"search": False},
            credentials=CREDENTIALS,
            http=SafeHttpClient(allow_private=True),
        ).fetch({})


# --- recordings --------------------------------------------------------------------------


def cassette(name: str) -> list[dict[str, Any]]:
    """Interactions of a praw betamax cassette. (These files keep them under
    `interactions`, not `http_interactions`, so tests.replay.betamax_interactions
    cannot read them.)"""
    data = json.loads((REDDIT / name).read_text(encoding="utf-8"))
    result = []
    for interaction in data.get("interactions") or data.get("http_interactions") or []:
        request, response = interaction["request"], interaction["response"]
        result.append(
            {
                "method": request["method"],
                "uri": request["uri"],
                "status": int(response["status"]["code"]),
                "body": response["body"].get("string", "").encode("utf-8"),
            }
        )
    return result


def bodies(name: str) -> list[bytes]:
    """Response bodies of the GETs of a cassette, in recorded order."""
    return [i["body"] for i in cassette(name) if i["method"] == "GET"]


def recorded_token(name: str) -> bytes:
    (token,) = [i["body"] for i in cassette(name) if i["uri"].endswith("/api/v1/access_token")]
    return token


@needs_recordings
def test_recorded_search_listing():
    name = "TestSubreddit.test_search.json"
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=recorded_token(name))
        server.add("GET", "/search", body=bodies(name)[0])
        page = connector(server.url).fetch({})
    assert [item["external_id"] for item in page.items] == [
        "t3_3gpbiu",
        "t3_3x4kt2",
        "t3_3b4erh",
        "t3_1qvzkd",
        "t3_3qc02b",
        "t3_4at068",
    ]
    first = page.items[0]
    assert first["author"]["handle"] == "dClauzel"
    assert first["url"] == (
        "https://www.reddit.com/r/redditdev/comments/3gpbiu/prawoauth2util_problem_using_get_banned_raise/"
    )
    assert first["text"].startswith("[PRAW][OAuth2Util] Problem using get_banned()")
    assert "\n\n" in first["text"]
    assert first["raw"] | {"subreddit": "redditdev", "score": 0, "num_comments": 21} == first["raw"]
    assert first["published_at"] == datetime.fromtimestamp(1439370514, UTC).isoformat()
    japanese = page.items[-1]
    assert japanese["url"].startswith("https://www.reddit.com/r/p18s/comments/4at068/%E3%81%9F")
    assert japanese["url"].isascii()
    assert_valid(page.items)


@needs_recordings
def test_recorded_comment_stream_second_poll_returns_only_the_new_comment():
    name = "TestSubredditStreams.test_comments__with_pause.json"
    first_body, empty_body, later_body = bodies(name)
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=recorded_token(name))
        server.add("GET", "/r/kakapo/comments", body=first_body)
        server.add("GET", "/r/kakapo/comments", body=later_body)
        server.add("GET", "/r/kakapo/new", body=empty_body)  # the recorded empty listing
        reddit = connector(server.url, subreddits=["kakapo"], search=False)
        first = reddit.fetch({})
        second = reddit.fetch(first.cursor)
    assert len(first.items) == 16
    newest = first.items[0]
    assert newest["external_id"] == "t1_dgauydy"
    assert newest["author"]["handle"] == "butt_woman"
    assert newest["text"] == "i lick it"
    assert newest["in_reply_to"] == "t1_dg7dqfd"
    assert newest["url"].startswith("https://www.reddit.com/r/kakapo/comments/654eqk/")
    assert newest["url"].endswith("/dgauydy/")
    assert newest["raw"]["link_id"] == "t3_654eqk"
    state = first.cursor["listings"]["r/kakapo/comments"]
    assert state["newest_id"] == "t1_dgauydy" and state["newest"] == 1492274908.0

    assert [item["external_id"] for item in second.items] == ["t1_dgd9bcm"]
    assert second.items[0]["author"]["handle"] == "elnuno"
    assert second.items[0]["in_reply_to"] == "t3_62gzev"
    assert second.cursor["listings"]["r/kakapo/comments"]["newest_id"] == "t1_dgd9bcm"
    assert_valid(first.items + second.items)


@needs_recordings
def test_recorded_submission_stream_with_equal_timestamps():
    """r/all/new: three posts share the newest second; the next poll (the recorded newer
    posts on top of the first page) must return exactly the four new ones."""
    name = "TestSubredditStreams.test_submissions.json"
    first_body, newer_body = bodies(name)
    first_listing, newer = json.loads(first_body), json.loads(newer_body)
    combined = listing(*newer["data"]["children"], *first_listing["data"]["children"][:96])
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=recorded_token(name))
        server.add("GET", "/r/all/new", body=first_body)
        server.add("GET", "/r/all/new", body=combined)
        reddit = connector(server.url, subreddits=["all"], search=False, comments=False)
        first = reddit.fetch({})
        second = reddit.fetch(first.cursor)
    assert len(first.items) == 100
    assert [i["external_id"] for i in second.items] == [
        "t3_5jo144",
        "t3_5jo143",
        "t3_5jo141",
        "t3_5jo140",
    ]
    link_post = first.items[0]
    assert link_post["raw"]["link"] == "https://www.youtube.com/watch?v=w5aNSHEUfJE"
    assert_valid(first.items + second.items)


@needs_recordings
def test_recorded_listing_backfill_pages_with_after():
    name = "TestSubredditListings.test_new.json"
    (new_body,) = bodies(name)
    children = json.loads(new_body)["data"]["children"]
    oldest = children[-1]["data"]["created_utc"]
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=recorded_token(name))
        server.add("GET", "/r/AskReddit/new", body=new_body)
        server.add("GET", "/r/AskReddit/new", body=listing())
        reddit = connector(server.url, subreddits=["AskReddit"], search=False, comments=False)
        window = FetchWindow(since=datetime.fromtimestamp(oldest - 3600, UTC))
        first = reddit.fetch({}, window)
        second = reddit.fetch(first.cursor, window)
        requests = [r for r in server.requests if r.method == "GET"]
        # A window that starts inside the page: the listing is done after it.
        server.served.clear()
        middle = children[50]["data"]["created_utc"]
        inside = reddit.fetch({}, FetchWindow(since=datetime.fromtimestamp(middle, UTC)))
    assert len(first.items) == 100
    assert first.has_more
    assert first.cursor == {"backfill": {"key": "r/AskReddit/new", "after": "t3_48f6io"}}
    assert requests[1].query["after"] == "t3_48f6io"
    assert "after" not in requests[0].query
    assert second.items == [] and not second.has_more
    assert len(inside.items) == 51 and not inside.has_more
    assert_valid(first.items)


@needs_recordings
def test_recorded_backfill_moves_from_one_listing_to_the_next():
    name = "TestSubredditStreams.test_comments__with_pause.json"
    first_body, empty_body, _ = bodies(name)
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=recorded_token(name))
        server.add("GET", "/r/kakapo/new", body=empty_body)
        server.add("GET", "/r/kakapo/comments", body=first_body)
        reddit = connector(server.url, subreddits=["kakapo"], search=False)
        window = FetchWindow(
            since=datetime(2017, 3, 1, tzinfo=UTC), until=datetime(2017, 4, 14, tzinfo=UTC)
        )
        posts = reddit.fetch({}, window)
        comments = reddit.fetch(posts.cursor, window)
    assert posts.items == [] and posts.has_more
    assert posts.cursor["backfill"]["key"] == "r/kakapo/comments"
    ids = [i["external_id"] for i in comments.items]
    assert ids[:2] == ["t1_dg7dqfd", "t1_dg41oob"]  # t1_dg8ievl is 50 minutes too new
    assert len(ids) == 12 and ids[-1] == "t1_del2rbk"  # 2016 and 2014 comments are too old
    assert all(
        window.since <= datetime.fromisoformat(i["published_at"]) <= window.until
        for i in comments.items
    )
    assert not comments.has_more


@needs_recordings
def test_recorded_comment_tree_is_flattened_with_parent_links():
    name = "TestSubmission.test_comments.json"
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=recorded_token(name))
        server.add("GET", "/comments/2gmzqe", body=bodies(name)[0])
        page = connector(server.url, threads=["2gmzqe"], search=False).fetch({})
        (request,) = [r for r in server.requests if r.method == "GET"]
    assert request.query["sort"] == "new"
    assert [(i["external_id"], i["in_reply_to"], i["author"]["handle"]) for i in page.items] == [
        ("t3_2gmzqe", "", "bboe"),
        ("t1_cklfmye", "t3_2gmzqe", "paneer_burrito"),
        ("t1_cklhv0f", "t1_cklfmye", "bboe"),
    ]
    assert page.items[0]["text"].startswith("[PRAW] HTTPS enabled PRAW testing needed\n\n")
    assert_valid(page.items)


@needs_recordings
def test_recorded_large_thread_skips_more_stubs_and_keeps_every_parent():
    name = "TestMore.test_comments.json"
    (tree,) = [i["body"] for i in cassette(name) if i["uri"].split("?")[0].endswith("/3hahrw/")]
    started = time.monotonic()
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=recorded_token(name))
        server.add("GET", "/comments/3hahrw", body=tree)
        page = connector(server.url, threads=["t3_3hahrw"], search=False).fetch({})
    assert time.monotonic() - started < 3
    assert len(page.items) == 477  # the post and 476 comments; 18 "more" stubs skipped
    ids = {item["external_id"] for item in page.items}
    assert all(item["in_reply_to"] in ids for item in page.items[1:])
    assert_valid(page.items)


@needs_recordings
def test_recorded_context_thread_with_placeholder_subreddit_gets_escaped_urls():
    name = "TestComment.test_refresh__with_reply_sort_and_limit.json"
    tree = bodies(name)[1]
    with ReplayServer() as server:
        server.add("POST", "/api/v1/access_token", body=recorded_token(name))
        server.add("GET", "/comments/98vj9e", body=tree)
        page = connector(server.url, threads=["98vj9e"], search=False).fetch({})
    by_id = {item["external_id"]: item for item in page.items}
    assert set(by_id) == {"t3_98vj9e", "t1_e4j4830", "t1_e7q58bn", "t1_e4uaa59", "t1_e4uhrr8"}
    assert by_id["t1_e4uhrr8"]["in_reply_to"] == "t1_e4uaa59"
    assert by_id["t1_e4j4830"]["url"] == (
        "https://www.reddit.com/r/%3CTEST_SUBREDDIT%3E/comments/98vj9e/"
        "please_be_a_good_bot_citizen_of_reddit/e4j4830/"
    )
    assert_valid(page.items)


def _recorded_get_bodies() -> list[tuple[str, int]]:
    if not REDDIT.exists():
        return []
    return [
        (path.name, index)
        for path in sorted(REDDIT.glob("*.json"))
        for index, _ in enumerate(bodies(path.name))
    ]


@needs_recordings
@pytest.mark.parametrize(("name", "index"), _recorded_get_bodies())
def test_every_recorded_answer_is_read_or_refused_cleanly(name, index):
    """Each recorded body served as a search listing and as a comment tree: items come out
    valid, or a ConnectorError says why (subreddit listings, morechildren answers)."""
    body = bodies(name)[index]
    for config in ({}, {"threads": ["abc"], "search": False}):
        with ReplayServer() as server:
            server.add("POST", "/api/v1/access_token", body=recorded_token(name))
            server.add("GET", "/search", body=body)
            server.add("GET", "/comments/abc", body=body)
            try:
                page = connector(server.url, **config).fetch({})
            except ConnectorError:
                continue
        assert_valid(page.items)
        assert len({item["external_id"] for item in page.items}) == len(page.items)


def test_the_connector_registers_itself():
    assert connector_class("reddit") is RedditConnector
    assert RedditConnector.kind == RedditConnector.network == "reddit"
