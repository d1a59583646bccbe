"""Public replies through the Bluesky, Reddit and X connectors, each in the network's own
threading, against recorded request and answer shapes served from loopback (no network).

The cassettes in tests/recordings are ours, written from each network's documented API (the
shared recordings hold no traffic that posts); the test checks that what the connector sends
is what the recording's request says, and that it reads the recorded answer."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from sources.connectors.base import ConnectorError, ReplyNotSupported
from sources.connectors.bluesky import BlueskyConnector, link_facets
from sources.connectors.http import SafeHttpClient
from sources.connectors.mastodon import MastodonConnector
from sources.connectors.reddit import RedditConnector
from sources.connectors.registry import connector_class
from sources.connectors.x import XConnector
from tests.replay import (
    OWN_RECORDINGS,
    RECORDINGS,
    ReplayServer,
    betamax_interactions,
    serve_interactions,
    vcr_interactions,
)


def _path(uri: str) -> str:
    parts = urlsplit(uri)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- X ---------------------------------------------------------------------------------
def x_connector(url: str, *, as_user: bool = True) -> XConnector:
    credentials = {"bearer_token": "app-tok"}
    if as_user:
        credentials["user_access_token"] = "user-tok"
    return XConnector(
        config={"base_url": url, "query": "nordbahn"},
        credentials=credentials,
        http=SafeHttpClient(allow_private=True),
    )


def test_x_reply_is_a_tweet_in_reply_to_the_mention():
    created, duplicate = vcr_interactions(OWN_RECORDINGS / "x" / "reply_create_tweet.yaml")
    with ReplayServer() as server:
        for item in (created, duplicate):
            server.add(
                item["method"],
                _path(item["uri"]),
                status=item["status"],
                body=item["body"],
                headers=item["headers"],
            )
        recorded = json.loads(created["request_body"])
        posted = x_connector(server.url).post_reply(
            in_reply_to=recorded["reply"]["in_reply_to_tweet_id"], text=recorded["text"]
        )
        with pytest.raises(ConnectorError, match=r"403.*duplicate content"):
            x_connector(server.url).post_reply(
                in_reply_to=recorded["reply"]["in_reply_to_tweet_id"], text=recorded["text"]
            )
        [sent, _again] = server.requests
    assert posted.external_id == "1460323737035677700"
    assert posted.url == "https://x.com/i/web/status/1460323737035677700"
    assert (sent.method, sent.path) == ("POST", "/2/tweets")
    assert json.loads(sent.body) == recorded
    assert sent.headers["Authorization"] == "Bearer user-tok"  # the user's, not the app's


def test_x_reply_needs_a_user_token_and_a_tweet_id():
    assert connector_class("x").supports_reply()
    with ReplayServer() as server:
        with pytest.raises(ReplyNotSupported, match="user access token"):
            x_connector(server.url, as_user=False).reply(in_reply_to="1", text="Hallo")
        with pytest.raises(ConnectorError, match="id of the tweet"):
            x_connector(server.url).reply(in_reply_to="at://not-a-tweet", text="Hallo")
        assert server.requests == []


# -- Reddit ----------------------------------------------------------------------------
def reddit_connector(url: str, *, account: bool = True) -> RedditConnector:
    credentials = {"client_id": "cid", "client_secret": "secret", "user_agent": "lotse-test"}
    if account:
        credentials |= {"username": "nordbahn_service", "password": "pw"}
    return RedditConnector(
        config={"base_url": url, "auth_url": url, "subreddits": ["de"]},
        credentials=credentials,
        http=SafeHttpClient(allow_private=True),
    )


def test_reddit_reply_is_a_comment_on_the_mentions_thing():
    interactions = betamax_interactions(OWN_RECORDINGS / "reddit" / "reply_comment.json")
    recorded = parse_qs(interactions[1]["request_body"].decode())
    with ReplayServer() as server:
        serve_interactions(server, interactions)
        connector = reddit_connector(server.url)
        posted = connector.post_reply(in_reply_to="t1_lzq9k3e", text=recorded["text"][0])
        with pytest.raises(ConnectorError, match="Take a break for 3 minutes"):
            connector.post_reply(in_reply_to="t1_lzq9k3e", text=recorded["text"][0])
        token, comment = server.requests[:2]
    assert posted.external_id == "t1_m0xyz12"
    assert posted.url == (
        "https://www.reddit.com/r/de/comments/1h2abcd/zug_f%C3%A4llt_aus/m0xyz12/"
    )
    assert parse_qs(token.body.decode()) == {
        "grant_type": ["password"],
        "username": ["nordbahn_service"],
        "password": ["pw"],
    }
    assert token.headers["Authorization"].startswith("Basic ")
    assert (comment.method, comment.path, comment.query) == (
        "POST",
        "/api/comment",
        {"raw_json": "1"},
    )
    assert parse_qs(comment.body.decode()) == recorded
    assert comment.headers["Authorization"] == "bearer <ACCESS_TOKEN>"
    assert comment.headers["User-Agent"] == "lotse-test"


def test_reddit_reply_needs_an_account_and_a_fullname():
    with ReplayServer() as server:
        with pytest.raises(ReplyNotSupported, match="username and password"):
            reddit_connector(server.url, account=False).reply(in_reply_to="t3_abc", text="Hi")
        with pytest.raises(ConnectorError, match="fullname"):
            reddit_connector(server.url).reply(in_reply_to="abc", text="Hi")
        assert server.requests == []


# -- Bluesky ---------------------------------------------------------------------------
def bluesky_connector(url: str, *, signed_in: bool = True) -> BlueskyConnector:
    credentials = (
        {"identifier": "service.nordbahn.example", "app_password": "pw"} if signed_in else {}
    )
    return BlueskyConnector(
        config={"service": url, "pds": url, "query": "nordbahn", "profiles": False},
        credentials=credentials,
        http=SafeHttpClient(allow_private=True),
    )


def _json_body(request: Any) -> Any:
    return json.loads(request.body)


def test_bluesky_reply_references_the_threads_root_and_the_answered_post():
    interactions = vcr_interactions(OWN_RECORDINGS / "bluesky" / "reply_create_record.yaml")
    recorded = json.loads(interactions[2]["request_body"])
    parent_uri = recorded["record"]["reply"]["parent"]["uri"]
    with ReplayServer() as server:
        serve_interactions(server, interactions)
        connector = bluesky_connector(server.url)
        posted = connector.post_reply(in_reply_to=parent_uri, text=recorded["record"]["text"])
        with pytest.raises(ConnectorError, match=r"400.*300 graphemes"):
            connector.post_reply(in_reply_to=parent_uri, text="x" * 301)
        session, lookup, create = server.requests[:3]
    assert posted.external_id == (
        "at://did:plc:nordbahnservice0000000000/app.bsky.feed.post/3lcxkf7wq2k2s"
    )
    assert posted.url == (
        "https://bsky.app/profile/did:plc:nordbahnservice0000000000/post/3lcxkf7wq2k2s"
    )
    assert session.path == "/xrpc/com.atproto.server.createSession"
    assert (lookup.path, lookup.query) == ("/xrpc/app.bsky.feed.getPosts", {"uris": parent_uri})
    assert (create.method, create.path) == ("POST", "/xrpc/com.atproto.repo.createRecord")
    assert create.headers["Authorization"] == "Bearer <ACCESS_JWT>"
    sent = _json_body(create)
    assert sent["record"].pop("createdAt").endswith("Z")
    recorded["record"].pop("createdAt")
    assert sent == recorded  # root is the thread's first post, parent the answered one
    assert sent["record"]["reply"]["root"] != sent["record"]["reply"]["parent"]


@pytest.mark.skipif(not RECORDINGS.exists(), reason="../shared/data/recordings is not here")
def test_bluesky_reply_to_a_recorded_top_level_post_uses_it_as_root_and_parent():
    """app.bsky.feed.getPosts as atproto.dart recorded it: a post that starts its thread."""
    recorded = json.loads((RECORDINGS / "bluesky" / "getPosts.json").read_text())
    own = vcr_interactions(OWN_RECORDINGS / "bluesky" / "reply_create_record.yaml")
    post = recorded["posts"][0]
    with ReplayServer() as server:
        serve_interactions(server, [own[0], own[2]])
        server.add("GET", "/xrpc/app.bsky.feed.getPosts", body=recorded)
        bluesky_connector(server.url).post_reply(in_reply_to=post["uri"], text="Obrigado!")
        create = server.requests[-1]
    record = _json_body(create)["record"]
    reference = {"uri": post["uri"], "cid": post["cid"]}
    assert record["reply"] == {"root": reference, "parent": reference}
    assert record["text"] == "Obrigado!"
    assert "langs" not in record  # the recorded post names no language


def test_bluesky_reply_needs_a_sign_in_and_a_post_uri():
    with ReplayServer() as server:
        with pytest.raises(ReplyNotSupported, match="app password"):
            bluesky_connector(server.url, signed_in=False).reply(
                in_reply_to="at://did:plc:abc/app.bsky.feed.post/3lcx", text="Hallo"
            )
        with pytest.raises(ConnectorError, match="at:// URI of a post"):
            bluesky_connector(server.url).reply(
                in_reply_to="at://did:plc:abc/app.bsky.feed.like/3lcx", text="Hallo"
            )
        assert server.requests == []


@pytest.mark.parametrize("kind", ["bluesky", "reddit", "x", "mastodon"])
def test_networks_with_replies_say_so(kind):
    assert connector_class(kind).supports_reply()
    assert connector_class(kind).reply_max_chars


# -- direct messages -------------------------------------------------------------------
def test_x_direct_message_goes_to_the_tweets_author():
    sent_ok, closed = vcr_interactions(OWN_RECORDINGS / "x" / "direct_message.yaml")
    with ReplayServer() as server:
        serve_interactions(server, [sent_ok, closed])
        recorded = json.loads(sent_ok["request_body"])
        raw = {"author_id": "1437526312061956097"}
        posted = x_connector(server.url).send_direct_message(
            author_handle="jana", mention_raw=raw, text=recorded["text"]
        )
        with pytest.raises(ConnectorError, match=r"403.*cannot send messages"):
            x_connector(server.url).send_direct_message(
                author_handle="jana", mention_raw=raw, text=recorded["text"]
            )
        sent = server.requests[0]
    assert posted.external_id == "1582838223937400836" and posted.url == ""
    assert sent.path == "/2/dm_conversations/with/1437526312061956097/messages"
    assert json.loads(sent.body) == recorded
    assert sent.headers["Authorization"] == "Bearer user-tok"


def test_reddit_direct_message_is_a_private_message_to_the_author():
    interactions = betamax_interactions(OWN_RECORDINGS / "reddit" / "direct_message.json")
    recorded = parse_qs(interactions[1]["request_body"].decode())
    with ReplayServer() as server:
        serve_interactions(server, interactions)
        connector = reddit_connector(server.url)
        posted = connector.send_direct_message(
            author_handle="pendler_jana", mention_raw={}, text=recorded["text"][0]
        )
        with pytest.raises(ConnectorError, match="that user doesn't exist"):
            connector.send_direct_message(
                author_handle="pendler_jana", mention_raw={}, text=recorded["text"][0]
            )
        compose = server.requests[1]
    assert posted.external_id == ""
    assert (compose.method, compose.path) == ("POST", "/api/compose")
    assert parse_qs(compose.body.decode()) == recorded


def test_direct_messages_need_what_the_network_needs():
    for kind in ("x", "reddit", "bluesky", "mastodon"):
        assert connector_class(kind).supports_direct_message()
    assert not connector_class("rss").supports_direct_message()
    with ReplayServer() as server:
        with pytest.raises(ReplyNotSupported, match=r"dm\.write"):
            x_connector(server.url, as_user=False).send_direct_message(
                author_handle="jana", mention_raw={"author_id": "1"}, text="Hallo"
            )
        with pytest.raises(ConnectorError, match="author's X id"):
            x_connector(server.url).send_direct_message(
                author_handle="jana", mention_raw={}, text="Hallo"
            )
        with pytest.raises(ConnectorError, match="Reddit username"):
            reddit_connector(server.url).send_direct_message(
                author_handle="[deleted]", mention_raw={}, text="Hallo"
            )
        assert server.requests == []


def test_bluesky_direct_message_goes_through_the_chat_service():
    interactions = vcr_interactions(OWN_RECORDINGS / "bluesky" / "direct_message.yaml")
    recorded = json.loads(interactions[2]["request_body"])
    raw = {"did": "did:plc:4xkdyqk3mhr2rkc5aeqzwjgs"}
    with ReplayServer() as server:
        serve_interactions(server, interactions)
        connector = bluesky_connector(server.url)
        text = recorded["message"]["text"]
        posted = connector.send_direct_message(author_handle="p", mention_raw=raw, text=text)
        with pytest.raises(ConnectorError, match="disabled incoming messages"):
            connector.send_direct_message(author_handle="p", mention_raw=raw, text=text)
        lookup, send = server.requests[-4:-2]
    assert posted.external_id == "3lcxm2qkdjc2a/3lcxm3bzfyc2x"
    assert (lookup.path, lookup.query) == (
        "/xrpc/chat.bsky.convo.getConvoForMembers",
        {"members": raw["did"]},
    )
    for request in (lookup, send):
        assert request.headers["atproto-proxy"] == "did:web:api.bsky.chat#bsky_chat"
        assert request.headers["Authorization"] == "Bearer <ACCESS_JWT>"
    assert json.loads(send.body) == recorded


@pytest.mark.skipif(not RECORDINGS.exists(), reason="../shared/data/recordings is not here")
def test_mastodon_direct_message_is_a_direct_status_naming_the_author():
    with ReplayServer() as server:
        serve_interactions(server, vcr_interactions(RECORDINGS / "mastodon" / "test_status.yaml"))
        posted = MastodonConnector(
            config={"instance": server.url, "hashtags": ["hoot"], "search": False},
            credentials={"access_token": "tok"},
            http=SafeHttpClient(allow_private=True),
        ).send_direct_message(
            author_handle="pendlerin@social.example", mention_raw={}, text="Schreib uns gern."
        )
        [sent] = [request for request in server.requests if request.method == "POST"]
    assert posted.external_id == "117020583223442465"  # the id the recording answers
    assert parse_qs(sent.body.decode()) == {
        "status": ["@pendlerin@social.example Schreib uns gern."],
        "visibility": ["direct"],
    }
    assert sent.headers["Idempotency-Key"]


def test_links_in_bluesky_replies_get_byte_ranged_facets():
    text = "Grüße! Infos: https://nordbahn.example/störung?id=4. Danke"
    [facet] = link_facets(text)
    start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
    assert text.encode()[start:end].decode() == "https://nordbahn.example/störung?id=4"
    assert facet["features"] == [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://nordbahn.example/störung?id=4"}
    ]
    assert link_facets("Keine Links hier.") == []
