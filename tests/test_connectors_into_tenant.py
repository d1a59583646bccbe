"""Every polled connector, end to end into a tenant: recorded traffic in, mentions out.

Each test creates a source with the polling service inside the `acme` tenant, points it at
a loopback ReplayServer serving the real recordings in ../shared/data/recordings (served the
way the connector unit tests in tests/connectors serve them), polls it with `source_poll`,
and reads what landed in the tenant's tables: mentions (ids, text, url, reply links,
routing, status), authors (handles, names, follower counts, mention counts) and the source's
cursor and health. A second poll must not duplicate anything. Per connector there is also a
failure through the service (a broken feed, unreadable items, a private listing, a failed
follower lookup, partial API errors, a page that is down), a rate limit for every kind, and
listening queries that filter a recording and travel to the network as its native query.
"""

from __future__ import annotations

import email.utils
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from mentions.models import Author, Mention, Status
from sources.connectors.text import html_to_text
from sources.models import Source
from sources.services.polling import (
    PollOutcome,
    source_create_polled,
    source_ids_due,
    source_poll,
)
from sources.services.queries import listening_query_save
from tests.connectors.test_bluesky import _author_feed_as_search
from tests.connectors.test_bluesky import load as bluesky_load
from tests.connectors.test_mastodon import recorded as mastodon_recorded
from tests.connectors.test_reddit import CREDENTIALS as REDDIT_CREDENTIALS
from tests.connectors.test_reddit import bodies as reddit_bodies
from tests.connectors.test_reddit import recorded_token as reddit_token
from tests.connectors.test_reviews import HTML, IKEA, LEROY_MERLIN
from tests.connectors.test_reviews import recorded as review_page
from tests.connectors.test_x import twarc_page
from tests.replay import RECORDINGS, ReplayServer, serve_interactions, vcr_interactions

pytestmark = pytest.mark.django_db

needs_recordings = pytest.mark.skipif(
    not RECORDINGS.exists(), reason="../shared/data/recordings is not here"
)

RSS = RECORDINGS / "rss"
MASTODON = RECORDINGS / "mastodon"
TAG = "/api/v1/timelines/tag/"
BSKY_SEARCH = "/xrpc/app.bsky.feed.searchPosts"
BSKY_PROFILES = "/xrpc/app.bsky.actor.getProfiles"
X_SEARCH = "/2/tweets/search/recent"
X_TOKEN = {"bearer_token": "AAAA-recorded"}
REDDIT_TOKEN_PATH = "/api/v1/access_token"
KAKAPO = "TestSubredditStreams.test_comments__with_pause.json"
THREAD = "TestSubmission.test_comments.json"
REDDIT_SEARCH = "TestSubreddit.test_search.json"


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


# --- helpers ----------------------------------------------------------------------------


def poll(source: Source) -> tuple[PollOutcome, Source]:
    outcome = source_poll(source_id=source.pk)
    assert outcome is not None, "the source was leased by someone else"
    source.refresh_from_db()
    return outcome, source


def stored(source: Source) -> dict[str, Mention]:
    mentions = Mention.objects.filter(source=source).select_related(
        "author", "department", "routing_rule"
    )
    return {mention.external_id: mention for mention in mentions}


def assert_healthy(source: Source, *, items_stored: int) -> None:
    assert source.last_success_at is not None
    assert source.consecutive_failures == 0
    assert source.backoff_until is None
    assert source.last_error == ""
    assert source.poll_lease_until is None
    assert source.next_poll_at is not None and source.next_poll_at > timezone.now()
    assert source.items_stored == items_stored


def assert_routed_as_new(mentions: Iterable[Mention]) -> None:
    """Every mention was triaged and routed by the tenant's matrix (to a department: acme's
    matrix has a catch-all) with a reason, and waits in the inbox as new unless the rule
    that routed it says otherwise (ignore, escalate, assign)."""
    for mention in mentions:
        assert mention.department is not None, mention.external_id
        assert mention.routing_reason, mention.external_id
        rule = mention.routing_rule
        expected = Status.NEW
        if rule is not None and getattr(rule, "ignore", False):
            expected = Status.IGNORED
        elif rule is not None and getattr(rule, "escalate", False):
            expected = Status.ESCALATED
        elif rule is not None and getattr(rule, "assignee_id", None) is not None:
            expected = Status.ASSIGNED
        assert mention.status == expected, (mention.external_id, mention.routing_reason)


def assert_authors(network: str, expected: dict[str, tuple[str, int, int]]) -> None:
    """The network's authors in the tenant: handle -> (name, followers, mention_count)."""
    authors = {author.handle: author for author in Author.objects.filter(network=network)}
    assert set(authors) == set(expected)
    for handle, (name, followers, count) in expected.items():
        author = authors[handle]
        assert (author.name, author.followers, author.mention_count) == (name, followers, count), (
            handle
        )


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def whole_word(word: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


# --- RSS --------------------------------------------------------------------------------

DC = "{http://purl.org/dc/elements/1.1/}"


def guardian_entries() -> list[dict[str, Any]]:
    root = ET.parse(RSS / "guardian.rss").getroot()  # noqa: S314
    channel_title = root.findtext("channel/title") or ""
    return [
        {
            "guid": item.findtext("guid"),
            "title": item.findtext("title"),
            "link": item.findtext("link"),
            "author": item.findtext(f"{DC}creator") or channel_title,
            "published": email.utils.parsedate_to_datetime(item.findtext("pubDate") or ""),
        }
        for item in root.iter("item")
    ]


def rss_source(server: ReplayServer, path: str = "/feed") -> Source:
    return source_create_polled(
        kind="rss", name="Guardian US", config={"url": f"{server.url}{path}"}
    )


@needs_recordings
def test_rss_guardian_feed_lands_in_the_tenant(in_acme, server):
    server.add(
        "GET",
        "/feed",
        body=(RSS / "guardian.rss").read_bytes(),
        headers={"Content-Type": "application/rss+xml", "ETag": '"guardian-1"'},
    )
    source = rss_source(server)
    outcome, source = poll(source)

    entries = guardian_entries()
    assert len(entries) == 55
    assert (outcome.pages, outcome.fetched, outcome.stored, outcome.error) == (1, 55, 55, "")
    mentions = stored(source)
    assert set(mentions) == {entry["guid"] for entry in entries}
    for entry in entries:
        mention = mentions[entry["guid"]]
        assert mention.url == entry["link"]
        assert mention.text.startswith(entry["title"])
        assert mention.published_at == entry["published"]
        assert mention.author.handle == entry["author"]
        assert mention.in_reply_to == ""
    first = mentions[
        "https://www.theguardian.com/us-news/2018/jan/31/"
        "donald-trump-state-of-the-union-address-unity-discord"
    ]
    assert first.text.startswith(
        "Trump State of the Union address promised unity but emphasized discord\n\n"
        "The president\u2019s \u2018new American moment\u2019 speech stirred Republican applause"
    )
    assert first.raw["feed"] == "The Guardian"
    assert_routed_as_new(mentions.values())
    authors = Counter(entry["author"] for entry in entries)
    assert authors["The Guardian"] == 5 and authors["Jake Nevins"] == 3
    assert_authors("web", {handle: (handle, 0, n) for handle, n in authors.items()})
    assert_healthy(source, items_stored=55)
    assert source.items_fetched == 55
    assert source.last_item_errors == []
    newest = max(entry["published"] for entry in entries)
    assert source.cursor == {
        "etag": '"guardian-1"',
        "last_modified": "",
        "newest": newest.isoformat(),
    }

    # The feed unchanged (the server ignores If-None-Match): nothing new, nothing twice.
    again, source = poll(source)
    assert server.requests[1].headers["If-None-Match"] == '"guardian-1"'
    assert (again.fetched, again.stored, again.error) == (0, 0, "")
    assert Mention.objects.filter(source=source).count() == 55
    assert Author.objects.filter(network="web").count() == len(authors)
    assert_authors("web", {handle: (handle, 0, n) for handle, n in authors.items()})
    assert_healthy(source, items_stored=55)
    assert source.cursor["newest"] == newest.isoformat()


@needs_recordings
def test_rss_atom_threading_reply_link_is_stored(in_acme, server):
    server.add("GET", "/comments", body=(RSS / "atomthreadingwithentry.xml").read_bytes())
    source = rss_source(server, "/comments")
    outcome, source = poll(source)
    assert (outcome.stored, outcome.error) == (1, "")
    (mention,) = stored(source).values()
    blog = "tag:blogger.com,1999:blog-893591374313312737"
    assert mention.external_id == f"{blog}.post-4788628857625737701"
    assert mention.in_reply_to == f"{blog}.post-3861663258538857954"  # the post commented on
    assert mention.url == (
        "http://salmon-test.blogspot.com/2009/10/test-post.html"
        "?showComment=1260320342544#c4788628857625737701"
    )
    assert mention.author.handle == "John (noreply@blogger.com)"
    assert_routed_as_new([mention])
    assert_healthy(source, items_stored=1)


@needs_recordings
def test_rss_a_broken_feed_fails_the_poll_and_keeps_cursor_and_mentions(in_acme, server):
    server.add("GET", "/feed", body=(RSS / "guardian.rss").read_bytes())
    server.add("GET", "/feed", body=(RSS / "aaa_illformed.xml").read_bytes())
    server.add("GET", "/feed", body=(RSS / "entry_contributor_multiple.xml").read_bytes())
    source = rss_source(server)
    _, source = poll(source)
    cursor, succeeded_at = source.cursor, source.last_success_at

    broken, source = poll(source)
    assert "is not a readable feed" in broken.error
    assert source.consecutive_failures == 1
    assert source.last_error_detail == broken.error and source.last_error_at is not None
    assert (
        source.last_error == broken.problem.message
        and "not an RSS or Atom feed" in source.last_error
    )
    assert source.last_success_at == succeeded_at
    wait = (source.backoff_until - timezone.now()).total_seconds()
    assert source.poll_interval_seconds - 10 <= wait <= source.poll_interval_seconds
    assert source.pk not in source_ids_due()
    assert source.cursor == cursor
    assert Mention.objects.filter(source=source).count() == 55

    # A readable feed whose only entry is empty: a per-item error, not a failed poll.
    recovered, source = poll(source)
    assert (recovered.fetched, recovered.stored, recovered.error) == (0, 0, "")
    assert source.last_item_errors == ["entry 0: no title, text or link"]
    assert source.consecutive_failures == 0 and source.backoff_until is None
    assert source.last_success_at > succeeded_at
    assert source.items_stored == 55


# --- Mastodon ---------------------------------------------------------------------------


def mastodon_text(status: dict[str, Any]) -> str:
    content = html_to_text(status.get("content") or "")
    spoiler = (status.get("spoiler_text") or "").strip()
    return f"{spoiler}\n\n{content}" if spoiler and content else spoiler or content


def mastodon_timelines() -> dict[str, list[dict[str, Any]]]:
    """Recorded statuses per hashtag the source follows: the recorded #hoot timeline, the
    recorded public timeline, and mastodon.social statuses with a reply chain."""
    context = mastodon_recorded("test_entity_context.yaml", "GET", "/context")
    return {
        "hoot": mastodon_recorded("test_hashtag_tl.yaml", "GET", f"{TAG}hoot"),
        "public": mastodon_recorded("test_public_tl.yaml", "GET", "/api/v1/timelines/public"),
        "halcy": [
            mastodon_recorded("test_entity_status.yaml", "GET", "/110446223051565765"),
            mastodon_recorded("test_entity_status.yaml", "GET", "/110446183735368325"),
            *context["ancestors"],
            *context["descendants"],
        ],
    }


def mastodon_source(server: ReplayServer, hashtags: list[str]) -> Source:
    return source_create_polled(
        kind="mastodon",
        name="Fediverse",
        config={"instance": server.url, "hashtags": hashtags, "search": False},
    )


@needs_recordings
def test_mastodon_recorded_timelines_land_in_the_tenant(in_acme, server):
    timelines = mastodon_timelines()
    serve_interactions(server, vcr_interactions(MASTODON / "test_hashtag_tl.yaml"))
    server.add("GET", f"{TAG}public", body=timelines["public"])
    server.add("GET", f"{TAG}halcy", body=timelines["halcy"])
    source = mastodon_source(server, ["hoot", "public", "halcy"])
    outcome, source = poll(source)

    statuses = {s["id"]: s for timeline in timelines.values() for s in timeline}
    assert len(statuses) == 13
    assert (outcome.fetched, outcome.stored, outcome.error) == (13, 13, "")
    mentions = stored(source)
    assert set(mentions) == set(statuses)
    for status_id, status in statuses.items():
        mention = mentions[status_id]
        assert mention.text == mastodon_text(status)
        assert mention.url == status["url"]
        assert mention.published_at == when(status["created_at"])
        assert mention.author.handle == status["account"]["acct"]
        assert mention.in_reply_to == (status["in_reply_to_id"] or "")
    assert mentions["117020593741189701"].text == "#hoot (hashtag toot)"
    assert mentions["117020592137523525"].text == "you can't say that on television"
    assert mentions["110446223051565765"].text.startswith("test post for mastodon.py stuff\n\n")
    # The reply chain: "final status" answers the status whose context was recorded.
    assert mentions["110446984249325790"].text == "final status"
    assert mentions["110446984249325790"].in_reply_to == "110446983926957470"
    assert mentions["110446983178245440"].in_reply_to == ""  # the top of the thread
    assert {m.external_id for m in mentions.values() if m.in_reply_to} == {"110446984249325790"}
    assert_routed_as_new(mentions.values())

    per_author = Counter(s["account"]["acct"] for s in statuses.values())
    accounts = {s["account"]["acct"]: s["account"] for s in statuses.values()}
    assert per_author == {
        "admin": 6,
        "mastodonpy_test_2": 3,
        "halcy": 3,
        "halcy@icosahedron.website": 1,
    }
    assert_authors(
        "mastodon",
        {
            acct: (accounts[acct]["display_name"].strip(), accounts[acct]["followers_count"], n)
            for acct, n in per_author.items()
        },
    )
    assert Author.objects.get(network="mastodon", handle="halcy").followers == 126
    assert Author.objects.get(network="mastodon", handle="halcy@icosahedron.website").followers == (
        3553
    )
    assert_healthy(source, items_stored=13)
    assert source.cursor == {
        "tags": {
            "hoot": "117020593741189701",
            "public": "117020593378945190",
            "halcy": "110446984249325790",
        },
        "search": {},
    }

    # The servers answer with the same statuses again: since_id is sent, nothing is stored.
    before = len(server.requests)
    again, source = poll(source)
    later = {r.path: r.query for r in server.requests[before:]}
    assert later[f"{TAG}hoot"] == {"limit": "40", "since_id": "117020593741189701"}
    assert later[f"{TAG}halcy"]["since_id"] == "110446984249325790"
    assert (again.fetched, again.stored, again.error) == (0, 0, "")
    assert Mention.objects.filter(source=source).count() == 13
    assert Author.objects.get(network="mastodon", handle="admin").mention_count == 6
    assert_healthy(source, items_stored=13)


@needs_recordings
def test_mastodon_unreadable_statuses_are_item_errors_not_a_failed_poll(in_acme, server):
    """Recorded notifications where a timeline is expected: each is refused on its own."""
    serve_interactions(server, vcr_interactions(MASTODON / "test_hashtag_tl.yaml"))
    (notifications,) = [
        item["body"]
        for item in vcr_interactions(MASTODON / "test_notifications.yaml")
        if item["uri"].endswith("/api/v1/notifications")
    ]
    server.add("GET", f"{TAG}notes", body=notifications)
    source = mastodon_source(server, ["hoot", "notes"])
    outcome, source = poll(source)
    assert (outcome.fetched, outcome.stored, outcome.error) == (1, 1, "")
    assert set(stored(source)) == {"117020593741189701"}
    assert source.last_item_errors == ["tags 'notes' status 20: no content (not a status?)"]
    assert_healthy(source, items_stored=1)
    assert source.cursor["tags"] == {"hoot": "117020593741189701", "notes": "20"}


# --- Bluesky ----------------------------------------------------------------------------


def bluesky_source(server: ReplayServer, query: str = "shinyakato") -> Source:
    return source_create_polled(
        kind="bluesky",
        name="Bluesky",
        config={"service": server.url, "pds": server.url, "query": query, "profiles": True},
    )


@needs_recordings
def test_bluesky_recorded_posts_land_in_the_tenant(in_acme, server):
    search = _author_feed_as_search()
    profile = bluesky_load("getProfile.json")
    server.add("GET", BSKY_SEARCH, body=search)
    server.add("GET", BSKY_PROFILES, body={"profiles": [profile]})
    source = bluesky_source(server)
    outcome, source = poll(source)

    posts = {post["uri"]: post for post in search["posts"]}
    assert len(posts) == 25
    assert (outcome.fetched, outcome.stored, outcome.error) == (25, 25, "")
    assert server.requests[0].query == {"q": "shinyakato", "limit": "100", "sort": "latest"}
    mentions = stored(source)
    assert set(mentions) == set(posts)
    for uri, post in posts.items():
        mention = mentions[uri]
        record = post["record"]
        rkey = uri.rsplit("/", 1)[1]
        assert mention.url == f"https://bsky.app/profile/{post['author']['handle']}/post/{rkey}"
        assert mention.text.startswith(record["text"])
        assert mention.published_at == when(record["createdAt"])
        assert mention.author.handle == post["author"]["handle"]
        assert mention.in_reply_to == record.get("reply", {}).get("parent", {}).get("uri", "")
    # A thread inside the recording: Shinya Kato answers Chelsea Manning's post.
    chelsea = "at://did:plc:7itws64acv3c6dsgab5ky6zn/app.bsky.feed.post/3juhed6iawd2h"
    reply = next(m for m in mentions.values() if m.external_id.endswith("/3jukcjaxrjo2p"))
    assert reply.in_reply_to == mentions[chelsea].external_id
    assert mentions[chelsea].author.handle == "xychelsea.tv"
    assert mentions[chelsea].in_reply_to == ""
    assert reply.text.startswith("Exactly! Bluesky is only a demo app of the AT Pro")
    assert_routed_as_new(mentions.values())
    assert_authors(
        "bluesky",
        {
            "shinyakato.dev": ("Shinya Kato 🤯", profile["followersCount"], 23),
            "christopherpmoore.xyz": ("C. P. Moore", 0, 1),  # not in the lookup answer
            "xychelsea.tv": ("Chelsea Manning", 0, 1),
        },
    )
    assert profile["followersCount"] == 4945
    assert_healthy(source, items_stored=25)
    assert source.cursor == {"cursor": "", "newest": "2023-04-30T06:26:07.202000+00:00"}

    # The same answer again: everything is older than the cursor's newest post.
    again, source = poll(source)
    assert (again.fetched, again.stored, again.error) == (0, 0, "")
    assert Mention.objects.filter(source=source).count() == 25
    assert Author.objects.get(network="bluesky", handle="shinyakato.dev").mention_count == 23
    assert_healthy(source, items_stored=25)


@needs_recordings
def test_bluesky_failed_follower_lookup_keeps_the_posts(in_acme, server):
    server.add("GET", BSKY_SEARCH, body=_author_feed_as_search())
    server.add("GET", BSKY_PROFILES, status=429, headers={"Retry-After": "30"})
    source = bluesky_source(server)
    outcome, source = poll(source)
    assert (outcome.stored, outcome.error) == (25, "")
    assert len(source.last_item_errors) == 1
    assert source.last_item_errors[0].startswith("Follower counts not looked up: Rate limited")
    assert_healthy(source, items_stored=25)  # the posts matter more than the counts
    assert Author.objects.get(network="bluesky", handle="shinyakato.dev").followers == 0


# --- Reddit -----------------------------------------------------------------------------


def reddit_source(server: ReplayServer, **config: Any) -> Source:
    return source_create_polled(
        kind="reddit",
        name="Reddit",
        config={"base_url": server.url, "auth_url": server.url, **config},
        credentials=REDDIT_CREDENTIALS,
    )


def reddit_things(body: bytes) -> list[dict[str, Any]]:
    """Posts and comments of a recorded listing or comment tree, in any order."""
    found: list[dict[str, Any]] = []
    stack: list[Any] = [json.loads(body)]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("kind") in ("t1", "t3") and isinstance(node.get("data"), dict):
                found.append(node["data"])
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
    return found


@needs_recordings
def test_reddit_recorded_comments_and_thread_land_in_the_tenant(in_acme, server):
    first_body, empty_body, later_body = reddit_bodies(KAKAPO)
    (tree_body,) = reddit_bodies(THREAD)
    server.add("POST", REDDIT_TOKEN_PATH, body=reddit_token(KAKAPO))
    server.add("GET", "/r/kakapo/new", body=empty_body)
    server.add("GET", "/r/kakapo/comments", body=first_body)
    server.add("GET", "/r/kakapo/comments", body=later_body)
    server.add("GET", "/comments/2gmzqe", body=tree_body)
    source = reddit_source(server, subreddits=["kakapo"], search=False, threads=["2gmzqe"])
    outcome, source = poll(source)

    things = {t["name"]: t for t in reddit_things(first_body) + reddit_things(tree_body)}
    assert len(things) == 19
    assert (outcome.fetched, outcome.stored, outcome.error) == (19, 19, "")
    token = json.loads(reddit_token(KAKAPO))["access_token"]
    gets = [r for r in server.requests if r.method == "GET"]
    assert {r.path for r in gets} == {"/r/kakapo/new", "/r/kakapo/comments", "/comments/2gmzqe"}
    assert {r.headers["Authorization"] for r in gets} == {f"bearer {token}"}
    mentions = stored(source)
    assert set(mentions) == set(things)
    for name, thing in things.items():
        mention = mentions[name]
        assert mention.author.handle == thing["author"]
        assert mention.published_at.timestamp() == thing["created_utc"]
        assert mention.url.startswith("https://www.reddit.com/r/")
        if name.startswith("t1_"):
            assert mention.text == thing["body"].strip()
            assert mention.in_reply_to == thing["parent_id"]
        else:
            assert mention.text.startswith(thing["title"])
            assert mention.in_reply_to == ""
    # Threads inside the recordings: parents that are stored too.
    links = {m.external_id: m.in_reply_to for m in mentions.values() if m.in_reply_to in mentions}
    assert links == {
        "t1_dgauydy": "t1_dg7dqfd",
        "t1_dg8ievl": "t1_dg7dqfd",
        "t1_dg41oob": "t1_dg3s290",
        "t1_dfkuf3q": "t1_dfktga0",
        "t1_cklfmye": "t3_2gmzqe",
        "t1_cklhv0f": "t1_cklfmye",
    }
    assert mentions["t1_dgauydy"].text == "i lick it"
    assert mentions["t3_2gmzqe"].text.startswith("[PRAW] HTTPS enabled PRAW testing needed\n\n")
    assert_routed_as_new(mentions.values())
    per_author = Counter(t["author"] for t in things.values())
    assert per_author["MC_Kloppedie"] == 9 and per_author["bboe"] == 2
    assert_authors("reddit", {handle: (handle, 0, n) for handle, n in per_author.items()})
    assert_healthy(source, items_stored=19)
    listings = source.cursor["listings"]
    assert set(listings) == {"r/kakapo/new", "r/kakapo/comments", "thread/2gmzqe"}
    assert listings["r/kakapo/new"] == {}  # the recorded empty listing
    assert listings["r/kakapo/comments"]["newest_id"] == "t1_dgauydy"
    assert listings["r/kakapo/comments"]["newest"] == 1492274908.0

    # The next poll: the recorded later listing, one new comment on top of the old ones.
    again, source = poll(source)
    assert (again.fetched, again.stored, again.error) == (1, 1, "")
    mentions = stored(source)
    assert len(mentions) == 20
    assert mentions["t1_dgd9bcm"].author.handle == "elnuno"
    assert mentions["t1_dgd9bcm"].in_reply_to == "t3_62gzev"
    assert Author.objects.get(network="reddit", handle="elnuno").mention_count == 1
    assert source.cursor["listings"]["r/kakapo/comments"]["newest_id"] == "t1_dgd9bcm"
    assert Author.objects.get(network="reddit", handle="MC_Kloppedie").mention_count == 9
    assert_healthy(source, items_stored=20)


@needs_recordings
def test_reddit_a_private_subreddit_costs_only_its_listings(in_acme, server):
    first_body, empty_body, _ = reddit_bodies(KAKAPO)
    server.add("POST", REDDIT_TOKEN_PATH, body=reddit_token(KAKAPO))
    server.add("GET", "/r/kakapo/new", body=empty_body)
    server.add("GET", "/r/kakapo/comments", body=first_body)
    server.add("GET", "/r/secret/new", status=403, body={"reason": "private"})
    server.add("GET", "/r/secret/comments", status=403, body={"reason": "private"})
    source = reddit_source(server, subreddits=["kakapo", "secret"], search=False)
    outcome, source = poll(source)
    assert (outcome.stored, outcome.error) == (16, "")
    assert source.last_item_errors == [
        "r/secret/new: Reddit answered 403 (private, banned or missing subreddit or thread?)",
        "r/secret/comments: Reddit answered 403 (private, banned or missing subreddit or thread?)",
    ]
    assert_healthy(source, items_stored=16)
    assert set(source.cursor["listings"]) == {"r/kakapo/new", "r/kakapo/comments"}


# --- X ----------------------------------------------------------------------------------


def x_source(server: ReplayServer, **config: Any) -> Source:
    return source_create_polled(
        kind="x", name="X", config={"base_url": server.url, **config}, credentials=X_TOKEN
    )


def assert_tweets_stored(mentions: dict[str, Mention], page: dict[str, Any]) -> None:
    users = {user["id"]: user for user in page["includes"]["users"]}
    assert set(mentions) == {tweet["id"] for tweet in page["data"]}
    for tweet in page["data"]:
        mention = mentions[tweet["id"]]
        username = users.get(tweet["author_id"], {}).get("username", "")
        replied = [r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "replied_to"]
        assert mention.text == tweet.get("note_tweet", {}).get("text", tweet["text"])
        assert mention.url == f"https://x.com/{username or 'i'}/status/{tweet['id']}"
        assert mention.published_at == when(tweet["created_at"])
        assert mention.author.handle == (username or tweet["author_id"])
        assert mention.in_reply_to == (replied[0] if replied else "")
        assert mention.raw["conversation_id"] == tweet["conversation_id"]


def x_expected_authors(page: dict[str, Any]) -> dict[str, tuple[str, int, int]]:
    """handle -> (name, followers, tweets); an author missing from includes.users (its
    account gone) is known by its id only."""
    users = {user["id"]: user for user in page["includes"]["users"]}
    per_author = Counter(tweet["author_id"] for tweet in page["data"])
    expected = {}
    for author_id, n in per_author.items():
        user = users.get(author_id)
        if user is None:
            expected[author_id] = ("", 0, n)
        else:
            metrics = user["public_metrics"]
            name = user["name"] or user["username"]
            expected[user["username"]] = (name, metrics["followers_count"], n)
    return expected


@needs_recordings
def test_x_recorded_search_page_lands_in_the_tenant(in_acme, server):
    page = twarc_page("brexit.jsonl")
    server.add("GET", X_SEARCH, body=json.dumps(page))
    # The next answer repeats the page (a server that ignores since_id) without a next page.
    unpaged = {**page, "meta": {k: v for k, v in page["meta"].items() if k != "next_token"}}
    server.add("GET", X_SEARCH, body=json.dumps(unpaged))
    source = x_source(server, query="brexit")
    outcome, source = poll(source)

    assert (outcome.pages, outcome.fetched, outcome.stored, outcome.error) == (1, 100, 100, "")
    first_request = server.requests[0]
    assert first_request.headers["Authorization"] == "Bearer AAAA-recorded"
    assert first_request.query["query"] == "brexit"
    assert "since_id" not in first_request.query and "next_token" not in first_request.query
    mentions = stored(source)
    assert_tweets_stored(mentions, page)
    replies = {m.external_id: m.in_reply_to for m in mentions.values() if m.in_reply_to}
    assert len(replies) == 10  # their parents came as includes.tweets, not as results
    parents = {tweet["id"] for tweet in page["includes"]["tweets"]}
    assert set(replies.values()) <= parents
    assert_routed_as_new(mentions.values())
    expected_authors = x_expected_authors(page)
    assert len(expected_authors) == 98
    assert_authors("x", expected_authors)
    assert_healthy(source, items_stored=100)
    assert source.last_item_errors == []
    assert source.cursor == {"listings": {"search": {"since_id": "1440716895355764743"}}}

    again, source = poll(source)
    assert server.requests[1].query["since_id"] == "1440716895355764743"
    assert (again.fetched, again.stored, again.error) == (100, 0, "")
    assert Mention.objects.filter(source=source).count() == 100
    assert_authors("x", expected_authors)  # mention counts did not grow
    assert_healthy(source, items_stored=100)


@needs_recordings
def test_x_partial_errors_are_item_errors_and_threads_stay_together(in_acme, server):
    page = twarc_page("withheld.jsonl", 4)
    server.add("GET", X_SEARCH, body=json.dumps(page))
    source = x_source(server, query="withheld")
    outcome, source = poll(source)
    assert (outcome.fetched, outcome.stored, outcome.error) == (112, 112, "")
    assert source.last_item_errors == [
        "Forbidden: User has been suspended: [RSS4India].",
        "Forbidden: User has been suspended: [Anoop455].",
        "Forbidden: User has been suspended: [2245].",
    ]
    mentions = stored(source)
    assert_tweets_stored(mentions, page)
    links = {m.external_id: m.in_reply_to for m in mentions.values() if m.in_reply_to in mentions}
    assert links == {"1404371637592592388": "1404366923190521857"}
    assert_authors("x", x_expected_authors(page))
    assert_healthy(source, items_stored=112)


# --- review pages -----------------------------------------------------------------------


@needs_recordings
def test_reviews_recorded_pages_land_in_the_tenant(in_acme, server):
    server.add("GET", "/ikea/bear", body=review_page(IKEA), headers=HTML)
    server.add("GET", "/leroy/wc", body=review_page(LEROY_MERLIN), headers=HTML)
    urls = [f"{server.url}/ikea/bear", f"{server.url}/leroy/wc"]
    source = source_create_polled(kind="reviews", name="Shops", config={"urls": urls})
    outcome, source = poll(source)

    assert (outcome.fetched, outcome.error) == (23, "")
    mentions = stored(source)
    by_page = Counter(m.raw["page_url"] for m in mentions.values())
    assert by_page == {urls[0]: 20, urls[1]: 3}
    assert outcome.stored == 23
    ommy = next(m for m in mentions.values() if m.author.handle == "Ommy70")
    assert ommy.text.startswith("My best friend\n\nI didn\u2019t even know this bear existed")
    assert ommy.raw["rating"] == 5
    assert ommy.raw["item_reviewed"] == "DJUNGELSKOG Soft toy - brown bear"
    assert ommy.url == urls[0]
    leroy = sorted(
        (m for m in mentions.values() if m.raw["page_url"] == urls[1]),
        key=lambda m: m.published_at,
        reverse=True,
    )
    assert [m.author.handle for m in leroy] == ["płock", "Danielos303", "Paweł"]
    assert leroy[0].published_at.isoformat() == "2020-11-06T00:00:00+00:00"
    assert all(m.in_reply_to == "" for m in mentions.values())
    assert_routed_as_new(mentions.values())
    per_author = Counter(m.author.handle for m in mentions.values())
    assert_authors("reviews", {handle: (handle, 0, n) for handle, n in per_author.items()})
    assert_healthy(source, items_stored=23)
    assert {url: len(hashes) for url, hashes in source.cursor["seen"].items()} == {
        urls[0]: 20,
        urls[1]: 3,
    }

    again, source = poll(source)
    assert (again.fetched, again.stored, again.error) == (0, 0, "")
    assert Mention.objects.filter(source=source).count() == 23
    assert_healthy(source, items_stored=23)


@needs_recordings
def test_reviews_a_page_that_is_down_costs_only_itself(in_acme, server):
    server.add("GET", "/down", status=500)
    server.add("GET", "/review", body=review_page("pcgamer.com.darkest.html"), headers=HTML)
    urls = [f"{server.url}/down", f"{server.url}/review"]
    source = source_create_polled(kind="reviews", name="Press", config={"urls": urls})
    outcome, source = poll(source)
    assert (outcome.fetched, outcome.stored, outcome.error) == (1, 1, "")
    assert source.last_item_errors == [f"{urls[0]} answered 500"]
    (review,) = stored(source).values()
    assert review.author.handle == "Luke Kemp"
    assert review.text.startswith("Through the Darkest of Times review\n\n")
    assert (review.raw["rating"], review.raw["best_rating"]) == (87, 100)
    assert_routed_as_new([review])
    assert_authors("reviews", {"Luke Kemp": ("Luke Kemp", 0, 1)})
    assert_healthy(source, items_stored=1)
    assert set(source.cursor["seen"]) == {urls[1]}


# --- listening queries: filtered in the tenant, sent natively to the network ------------


def _x_setup(server: ReplayServer) -> tuple[list[tuple[str, str]], str]:
    page = twarc_page("brexit.jsonl")
    server.add("GET", X_SEARCH, body=json.dumps(page))
    x_source(server)
    return [(tweet["id"], tweet["text"]) for tweet in page["data"]], "query"


def _reddit_setup(server: ReplayServer) -> tuple[list[tuple[str, str]], str]:
    (body,) = reddit_bodies(REDDIT_SEARCH)
    server.add("POST", REDDIT_TOKEN_PATH, body=reddit_token(REDDIT_SEARCH))
    server.add("GET", "/search", body=body)
    reddit_source(server)
    things = reddit_things(body)
    return [(t["name"], f"{t['title']}\n\n{t['selftext']}") for t in things], "q"


def _bluesky_setup(server: ReplayServer) -> tuple[list[tuple[str, str]], str]:
    search = _author_feed_as_search()
    server.add("GET", BSKY_SEARCH, body=search)
    server.add("GET", BSKY_PROFILES, body={"profiles": [bluesky_load("getProfile.json")]})
    bluesky_source(server, query="")
    return [(post["uri"], post["record"]["text"]) for post in search["posts"]], "q"


NATIVE_CASES = {
    "x": (_x_setup, "energy OR shortage", "energy OR shortage", ["energy", "shortage"], 11),
    "reddit": (_reddit_setup, "oauth", "oauth", ["oauth"], 4),
    "bluesky": (_bluesky_setup, "Thx", "thx", ["thx"], 3),
}


@needs_recordings
@pytest.mark.parametrize("kind", sorted(NATIVE_CASES))
def test_listening_query_filters_a_recording_and_is_sent_natively(in_acme, server, kind):
    setup, expression, native, words, kept = NATIVE_CASES[kind]
    listening_query_save(name="Subset", expression=expression)
    items, parameter = setup(server)
    source = Source.objects.get(kind=kind)
    outcome, source = poll(source)

    searches = [r for r in server.requests if r.method == "GET" and parameter in r.query]
    assert searches and {r.query[parameter] for r in searches} == {native}
    expected = {item_id for item_id, text in items if any(whole_word(w, text) for w in words)}
    assert len(expected) == kept < len(items)
    assert (outcome.fetched, outcome.stored, outcome.error) == (len(items), kept, "")
    mentions = stored(source)
    assert set(mentions) == expected
    assert all(any(whole_word(w, m.text) for w in words) for m in mentions.values())
    assert_routed_as_new(mentions.values())
    assert_healthy(source, items_stored=kept)


# --- rate limits, for every kind --------------------------------------------------------

RATE_LIMITED: dict[str, tuple[str, dict[str, Any], dict[str, str] | None]] = {
    "rss": ("/feed", {"url": "{url}/feed"}, None),
    "mastodon": (f"{TAG}hoot", {"instance": "{url}", "hashtags": ["hoot"]}, None),
    "bluesky": (BSKY_SEARCH, {"service": "{url}", "pds": "{url}", "query": "bahn"}, None),
    "reddit": (
        "/r/kakapo/new",
        {"base_url": "{url}", "auth_url": "{url}", "subreddits": ["kakapo"], "search": False},
        REDDIT_CREDENTIALS,
    ),
    "x": (X_SEARCH, {"base_url": "{url}", "query": "brexit"}, X_TOKEN),
    "reviews": ("/page", {"urls": ["{url}/page"]}, None),
}


def _fill(value: Any, url: str) -> Any:
    if isinstance(value, str):
        return value.replace("{url}", url)
    if isinstance(value, list):
        return [_fill(item, url) for item in value]
    return value


@pytest.mark.parametrize("kind", sorted(RATE_LIMITED))
def test_a_rate_limit_backs_off_as_long_as_the_network_asks(in_acme, server, kind):
    path, config, credentials = RATE_LIMITED[kind]
    server.add("POST", REDDIT_TOKEN_PATH, body={"access_token": "t", "expires_in": 3600})
    server.add("GET", path, status=429, headers={"Retry-After": "600"}, body={"error": "slow"})
    source = source_create_polled(
        kind=kind,
        name=f"limited {kind}",
        config={key: _fill(value, server.url) for key, value in config.items()},
        credentials=credentials,
    )
    outcome, source = poll(source)
    assert outcome.error.startswith("Rate limited by "), outcome.error
    assert any(r.path == path for r in server.requests)
    assert source.consecutive_failures == 1
    assert source.last_error_detail == outcome.error and source.last_success_at is None
    assert 590 <= (source.backoff_until - timezone.now()).total_seconds() <= 600
    assert source.next_poll_at >= source.backoff_until
    assert source.pk not in source_ids_due()
    assert source.cursor == {} and source.items_stored == 0
    assert not Mention.objects.filter(source=source).exists()
