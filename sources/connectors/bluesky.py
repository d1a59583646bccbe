"""Bluesky: post search (`app.bsky.feed.searchPosts`), threads, and Jetstream events.

Polls ask for the latest 100 posts matching the query and drop those indexed no later than
the newest post of the previous poll (the cursor's `newest`). Backfills page with the API
cursor inside the window's `since`/`until`.

Bluesky's public AppView refuses unauthenticated search at times (and always refuses
unauthenticated paging); with a handle and app password the connector signs in at the PDS
and reads through it. Access tokens are kept in this process's memory only (never in the
cursor) until shortly before they expire, because sign-ins are limited to a few hundred a day.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sources.connectors.base import (
    ConfigError,
    Connector,
    ConnectorError,
    FetchPage,
    FetchWindow,
    PostedReply,
    ReplyNotSupported,
    author_counts,
    config_flag,
    engagement_of,
    known_count,
    known_sum,
)
from sources.connectors.http import HttpResponse
from sources.connectors.registry import register
from sources.connectors.text import clean_url, parse_iso
from sources.formats import MAX_TEXT_CHARS

DEFAULT_SERVICE = "https://public.api.bsky.app"
DEFAULT_PDS = "https://bsky.social"
SEARCH = "app.bsky.feed.searchPosts"
SEARCH_LIMIT = 100
PROFILES_PER_REQUEST = 25
MAX_THREAD_POSTS = 5_000
SESSION_MARGIN_SECONDS = 300
POST_COLLECTION = "app.bsky.feed.post"
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"

_AT_URI_RE = re.compile(r"^at://([^/\s]+)/([^/\s]+)/([A-Za-z0-9._:~-]{1,512})$")
_HANDLE_RE = re.compile(r"^[A-Za-z0-9.-]{1,253}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")

# (pds, identifier, sha256 of the app password) -> (access token, valid until in epoch
# seconds, the account's DID)
_sessions: dict[tuple[str, str, str], tuple[str, float, str]] = {}
_sessions_lock = threading.Lock()


@register
class BlueskyConnector(Connector):
    kind = "bluesky"
    network = "bluesky"
    label = "Bluesky"
    default_interval_seconds = 300
    reply_max_chars = 300  # Bluesky counts graphemes; a post holds at most 300
    config_fields = {
        "service": f"AppView for reads without sign-in (default {DEFAULT_SERVICE})",
        "query": "Search query (default: the listening queries)",
        "profiles": "Look up the authors' follower counts (one request per 25 authors)",
        "pds": f"Where to sign in when a handle and app password are given (default {DEFAULT_PDS})",
        "jetstream": "Jetstream address for live posts, e.g. wss://jetstream2.us-east.bsky.network"
        " (optional; `manage.py listen_streams` keeps it open)",
    }
    credential_fields = {
        "identifier": "Handle or e-mail to sign in with (optional, recommended for search; "
        "needed for replies)",
        "app_password": "App password (Settings → Privacy and security → App passwords)",
    }

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, str] = {}
        service = _base_url(config.get("service"), DEFAULT_SERVICE, "service", errors)
        pds = _base_url(config.get("pds"), DEFAULT_PDS, "pds", errors)
        query = config.get("query")
        if query is None:
            query = ""
        if not isinstance(query, str):
            errors["query"] = "a search string"
            query = ""
        elif len(query) > 1000:
            errors["query"] = "at most 1,000 characters"
        profiles = config_flag(config, "profiles", default=True, errors=errors)
        jetstream = str(config.get("jetstream") or "").strip()
        if jetstream and not jetstream.startswith(("ws://", "wss://")):
            errors["jetstream"] = "a ws:// or wss:// Jetstream address"
        if errors:
            raise ConfigError(errors)
        cleaned = {"service": service, "pds": pds, "query": query.strip(), "profiles": profiles}
        if jetstream:
            cleaned["jetstream"] = jetstream
        return cleaned

    def search_query(self) -> str:
        """The configured query, else the listening queries' native query, else their terms."""
        config = self._config()
        terms = [f'"{term}"' if " " in term else term for term in map(str.strip, self.search_terms)]
        return (
            config["query"]
            or (self.native_query or "").strip()
            or " ".join(term for term in terms if term)
        )

    # -- fetching -------------------------------------------------------------------------
    def fetch(self, cursor: Mapping[str, Any], window: FetchWindow | None = None) -> FetchPage:
        config = self._config()
        query = self.search_query()
        if not query:
            raise ConnectorError(
                "Nothing to search for: set a query on the source or add listening queries"
            )
        cursor = cursor if isinstance(cursor, Mapping) else {}
        newest_seen = parse_iso(cursor.get("newest"))
        params: dict[str, Any] = {"q": query, "limit": SEARCH_LIMIT, "sort": "latest"}
        if window is not None:
            if isinstance(cursor.get("cursor"), str) and cursor["cursor"]:
                params["cursor"] = cursor["cursor"]
            if window.since:
                params["since"] = _iso(window.since)
            if window.until:
                params["until"] = _iso(window.until)
        data = self._xrpc(SEARCH, params)
        posts = data.get("posts") if isinstance(data, Mapping) else None
        if not isinstance(posts, list):
            raise ConnectorError(f"{SEARCH} did not send a list of posts")

        page = FetchPage()
        newest = newest_seen
        dropped = 0
        unknown_followers: list[str] = []
        taken: set[str] = set()
        for index, post in enumerate(posts):
            try:
                item = post_view_item(post)
            except (KeyError, TypeError, ValueError) as exc:
                label = post.get("uri") if isinstance(post, Mapping) else None
                page.errors.append(f"post {label or f'#{index}'}: {exc}")
                continue
            assert isinstance(post, Mapping)  # post_view_item refuses anything else
            indexed = parse_iso(post.get("indexedAt")) or parse_iso(item["published_at"])
            if window is None and newest_seen and indexed and indexed <= newest_seen:
                dropped += 1
                continue  # seen on an earlier poll
            if indexed and (newest is None or indexed > newest):
                newest = indexed
            if item["external_id"] in taken:
                continue
            taken.add(item["external_id"])
            page.items.append(item)
            author = post.get("author")
            if isinstance(author, Mapping) and "followersCount" not in author:
                unknown_followers.append(item["raw"]["did"])
        if window is None and newest_seen and len(posts) >= SEARCH_LIMIT and not dropped:
            page.errors.append(
                f"More than {SEARCH_LIMIT} new posts since the last poll; older ones were not "
                "read (poll more often or narrow the query)"
            )
        if config["profiles"] and unknown_followers:
            self._followers_add(page, list(dict.fromkeys(unknown_followers)))

        next_cursor = data.get("cursor") if isinstance(data.get("cursor"), str) else ""
        page.cursor = {
            "cursor": next_cursor if window is not None else "",
            "newest": newest.isoformat() if newest else "",
        }
        page.has_more = window is not None and bool(next_cursor) and bool(posts)
        return page

    def _followers_add(self, page: FetchPage, dids: list[str]) -> None:
        """Follower counts from `app.bsky.actor.getProfiles`; a failure only costs the counts."""
        counts: dict[str, dict[str, int | None]] = {}
        for start in range(0, len(dids), PROFILES_PER_REQUEST):
            try:
                data = self._xrpc(
                    "app.bsky.actor.getProfiles",
                    {"actors": dids[start : start + PROFILES_PER_REQUEST]},
                )
            except ConnectorError as exc:  # rate limits included: the posts matter more
                page.errors.append(f"Follower counts not looked up: {exc}")
                break
            profiles = data.get("profiles") if isinstance(data, Mapping) else None
            if not isinstance(profiles, list):
                page.errors.append("Follower counts not looked up: unreadable getProfiles answer")
                break
            for profile in profiles:
                if isinstance(profile, Mapping) and isinstance(profile.get("did"), str):
                    counts[profile["did"]] = author_counts(
                        followers=known_count(profile.get("followersCount")),
                        following=known_count(profile.get("followsCount")),
                        posts=known_count(profile.get("postsCount")),
                    )
        for item in page.items:
            did = item["raw"].get("did")
            if did in counts:
                item["author"].update(counts[did])

    def thread_items(self, uri: str) -> list[dict[str, Any]]:
        """The thread around one post (ancestors, the post, replies) as items whose
        `in_reply_to` links them together."""
        uri = str(uri).strip()
        if not _AT_URI_RE.match(uri):
            raise ConnectorError(f"{uri!r} is not the at:// URI of a post")
        data = self._xrpc("app.bsky.feed.getPostThread", {"uri": uri})
        thread = data.get("thread") if isinstance(data, Mapping) else None
        if not isinstance(thread, Mapping):
            raise ConnectorError("app.bsky.feed.getPostThread did not send a thread")
        return thread_view_items(thread)

    # -- replying -------------------------------------------------------------------------
    def reply(self, *, in_reply_to: str, text: str) -> str:
        return self.post_reply(in_reply_to=in_reply_to, text=text).external_id

    def post_reply(self, *, in_reply_to: str, text: str) -> PostedReply:
        """A post in the signed-in account's repository (`com.atproto.repo.createRecord`)
        whose `reply` holds strong references (uri + cid) to the thread's root and to the
        post answered. Both come from the answered post (`app.bsky.feed.getPosts`, through
        the PDS): its cid, and its record's own root when it is itself a reply."""
        uri, text = str(in_reply_to).strip(), str(text)
        match = _AT_URI_RE.match(uri)
        if not match or match.group(2) != POST_COLLECTION or not text.strip():
            raise ConnectorError("A reply needs the at:// URI of a post and a text")
        config = self._config()
        if not self._session(config):
            raise ReplyNotSupported(
                "Replying on Bluesky needs a handle and an app password to sign in with"
            )
        data = self._xrpc("app.bsky.feed.getPosts", {"uris": [uri]})
        posts = data.get("posts") if isinstance(data, Mapping) else None
        post = posts[0] if isinstance(posts, list) and posts else None
        parent = _strong_ref(post)
        if parent is None or not isinstance(post, Mapping):
            raise ConnectorError(f"{uri} could not be read to answer it (deleted or blocked?)")
        value = post.get("record")
        thread = value.get("reply") if isinstance(value, Mapping) else None
        root = _strong_ref(thread.get("root")) if isinstance(thread, Mapping) else None
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": _iso(datetime.now(UTC)),
            "reply": {"root": root or parent, "parent": parent},
        }
        if facets := link_facets(text):
            record["facets"] = facets
        langs = value.get("langs") if isinstance(value, Mapping) else None
        if isinstance(langs, list) and langs and _language(langs[0]):
            record["langs"] = [_language(langs[0])]
        created = self._xrpc_post(
            "com.atproto.repo.createRecord",
            lambda did: {"repo": did, "collection": POST_COLLECTION, "record": record},
        )
        new_uri = created.get("uri") if isinstance(created, Mapping) else None
        new = _AT_URI_RE.match(new_uri) if isinstance(new_uri, str) else None
        if not new or not isinstance(new_uri, str):
            raise ConnectorError("com.atproto.repo.createRecord did not say which post it made")
        return PostedReply(
            external_id=new_uri[:300],
            url=clean_url(f"https://bsky.app/profile/{new.group(1)}/post/{new.group(3)}"),
        )

    def send_direct_message(
        self, *, author_handle: str, mention_raw: Mapping[str, Any], text: str
    ) -> PostedReply:
        """A chat message to the post's author: the conversation with them
        (`chat.bsky.convo.getConvoForMembers`), then `chat.bsky.convo.sendMessage`, both
        through the PDS to Bluesky's chat service. The app password must allow direct
        messages, and the author must accept messages from the account."""
        did = _text(mention_raw.get("did"))
        if not did.startswith("did:") or not text.strip():
            raise ConnectorError("A direct message needs the author's DID and a text")
        config = self._config()
        if not self._session(config):
            raise ReplyNotSupported(
                "Direct messages on Bluesky need a handle and an app password that allows them"
            )
        data = self._xrpc(
            "chat.bsky.convo.getConvoForMembers", {"members": [did]}, proxy=CHAT_PROXY
        )
        convo = data.get("convo") if isinstance(data, Mapping) else None
        convo_id = _text(convo.get("id")) if isinstance(convo, Mapping) else ""
        if not convo_id:
            raise ConnectorError("chat.bsky.convo.getConvoForMembers did not name a conversation")
        sent = self._xrpc_post(
            "chat.bsky.convo.sendMessage",
            lambda _did: {"convoId": convo_id, "message": {"text": text}},
            proxy=CHAT_PROXY,
        )
        message_id = _text(sent.get("id")) if isinstance(sent, Mapping) else ""
        if not message_id:
            raise ConnectorError("chat.bsky.convo.sendMessage did not say which message it sent")
        return PostedReply(external_id=f"{convo_id}/{message_id}"[:300])

    # -- network --------------------------------------------------------------------------
    def _xrpc_post(self, method: str, body: Any, *, proxy: str = "") -> Any:
        """A procedure at the PDS as the signed-in account; `body(did)` builds the input."""
        config = self._config()
        url = f"{config['pds']}/xrpc/{method}"
        response = None
        for renew in (False, True):
            token = self._session(config, renew=renew)
            response = self.http.request(
                "POST", url, json=body(self._did(config)), headers=_headers(token, proxy)
            )
            expired = response.status_code == 401 or (
                response.status_code == 400 and "ExpiredToken" in _error_detail(response)
            )
            if not expired:
                break
        assert response is not None
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}{_error_detail(response)}")
        return _json(response, url)

    def _did(self, config: Mapping[str, Any]) -> str:
        with _sessions_lock:
            cached = _sessions.get(self._session_key(config))
        return cached[2] if cached else ""

    def _session_key(self, config: Mapping[str, Any]) -> tuple[str, str, str]:
        identifier = str(self.credentials.get("identifier") or "").strip()
        password = str(self.credentials.get("app_password") or "")
        return (
            str(config["pds"]),
            identifier.lower(),
            hashlib.sha256(password.encode()).hexdigest(),
        )

    def _config(self) -> dict[str, Any]:
        try:
            return self.validate_config(self.config)
        except ConfigError as exc:
            raise ConnectorError(f"Invalid Bluesky configuration: {exc}") from exc

    def _xrpc(self, method: str, params: dict[str, Any], *, proxy: str = "") -> Any:
        config = self._config()
        token = self._session(config)
        url = f"{config['pds'] if token else config['service']}/xrpc/{method}"
        response = self.http.get(url, params=params, headers=_headers(token, proxy))
        if response.status_code == 401 and token:  # expired or revoked: sign in once more
            token = self._session(config, renew=True)
            response = self.http.get(url, params=params, headers=_headers(token, proxy))
        if not 200 <= response.status_code < 300:
            hint = ""
            if response.status_code == 403 and not token and method == SEARCH:
                hint = (
                    "; Bluesky's public AppView often refuses search without sign-in: "
                    "add a handle and an app password"
                )
            raise ConnectorError(
                f"{url} answered {response.status_code}{_error_detail(response)}{hint}"
            )
        return _json(response, url)

    def _session(self, config: Mapping[str, Any], *, renew: bool = False) -> str:
        identifier = str(self.credentials.get("identifier") or "").strip()
        password = str(self.credentials.get("app_password") or "")
        if not identifier or not password:
            return ""
        key = self._session_key(config)
        with _sessions_lock:
            cached = _sessions.pop(key, None)
            if cached and not renew and cached[1] > time.time():
                _sessions[key] = cached
                return cached[0]
        url = f"{config['pds']}/xrpc/com.atproto.server.createSession"
        response = self.http.request(
            "POST", url, json={"identifier": identifier, "password": password}
        )
        if not 200 <= response.status_code < 300:
            raise ConnectorError(
                f"Signing in to {config['pds']} as {identifier} failed: "
                f"{response.status_code}{_error_detail(response)}"
            )
        data = _json(response, url)
        token = data.get("accessJwt") if isinstance(data, Mapping) else None
        if not isinstance(token, str) or not token:
            raise ConnectorError(f"{url} did not send an access token")
        did = data.get("did") if isinstance(data.get("did"), str) else ""
        expires = _jwt_expiry(token) or time.time() + 1800
        with _sessions_lock:
            _sessions[key] = (token, expires - SESSION_MARGIN_SECONDS, did or identifier)
        return token


# -- normalizing ------------------------------------------------------------------------
def post_view_item(post: Any) -> dict[str, Any]:
    """One `app.bsky.feed.defs#postView` in the mention format; ValueError when unreadable."""
    if not isinstance(post, Mapping):
        raise ValueError("not a post object")
    uri = _text(post.get("uri"))
    match = _AT_URI_RE.match(uri)
    if not match:
        raise ValueError(f"unreadable uri {uri!r}")
    record = post.get("record")
    if not isinstance(record, Mapping):
        raise ValueError("no record")
    author = post.get("author")
    if not isinstance(author, Mapping):
        raise ValueError("no author")
    did = _text(author.get("did")) or match.group(1)
    published = parse_iso(record.get("createdAt")) or parse_iso(post.get("indexedAt"))
    if published is None:
        raise ValueError(f"unreadable createdAt {record.get('createdAt')!r}")
    raw = {
        "cid": _text(post.get("cid")),
        "likeCount": _count(post.get("likeCount")),
        "repostCount": _count(post.get("repostCount")),
        "replyCount": _count(post.get("replyCount")),
    }
    item = _item(
        uri=uri,
        rkey=match.group(3),
        did=did,
        handle=_text(author.get("handle")).strip(),
        name=_text(author.get("displayName")).strip(),
        followers=known_count(author.get("followersCount")),
        record=record,
        published=published,
        raw=raw,
    )
    item["author"].update(
        author_counts(
            followers=item["author"]["followers"],
            following=known_count(author.get("followsCount")),
            posts=known_count(author.get("postsCount")),
        )
    )
    item.update(
        engagement_of(
            likes=known_count(post.get("likeCount")),
            reposts=known_sum(post.get("repostCount"), post.get("quoteCount")),
            replies=known_count(post.get("replyCount")),
        )
    )
    return item


def thread_view_items(thread: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Items of an `app.bsky.feed.defs#threadViewPost` tree: the ancestors from the top, the
    post itself, then the replies depth-first. Blocked and deleted posts are left out."""
    ancestors: list[Mapping[str, Any]] = []
    node = thread.get("parent")
    while isinstance(node, Mapping) and len(ancestors) < MAX_THREAD_POSTS:
        ancestors.append(node)
        node = node.get("parent")
    ordered = [*reversed(ancestors), thread]
    stack = list(reversed(_replies(thread)))
    while stack and len(ordered) < MAX_THREAD_POSTS:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(_replies(node)))
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for node in ordered:
        try:
            item = post_view_item(node.get("post"))
        except (KeyError, TypeError, ValueError):
            continue  # notFoundPost, blockedPost, or a post without a record
        if item["external_id"] not in seen:
            seen.add(item["external_id"])
            items.append(item)
    return items


def jetstream_event_item(
    event: str | bytes | Mapping[str, Any], *, handles: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """The item for one Jetstream event (a JSON line or its parsed object) when it creates
    a post, else None (likes, follows, deletes, identity events, unreadable lines). Jetstream
    carries no handles: pass the ones you know as `handles` (DID -> handle), else the DID is
    used as the handle."""
    if isinstance(event, str | bytes):
        try:
            event = json.loads(event)
        except (ValueError, RecursionError):
            return None
    if not isinstance(event, Mapping) or event.get("kind") != "commit":
        return None
    commit = event.get("commit")
    if not isinstance(commit, Mapping):
        return None
    if commit.get("collection") != POST_COLLECTION or commit.get("operation") != "create":
        return None
    did, rkey, record = _text(event.get("did")), _text(commit.get("rkey")), commit.get("record")
    uri = f"at://{did}/{POST_COLLECTION}/{rkey}"
    if not did.startswith("did:") or not _AT_URI_RE.match(uri) or not isinstance(record, Mapping):
        return None
    published = parse_iso(record.get("createdAt")) or _from_time_us(event.get("time_us"))
    if published is None:
        return None
    time_us = event.get("time_us")
    return _item(
        uri=uri,
        rkey=rkey,
        did=did,
        handle=str((handles or {}).get(did) or ""),
        name="",
        followers=None,
        record=record,
        published=published,
        raw={
            "cid": _text(commit.get("cid")),
            "rev": _text(commit.get("rev")),
            "time_us": time_us if isinstance(time_us, int) else 0,
        },
    )


def _item(
    *,
    uri: str,
    rkey: str,
    did: str,
    handle: str,
    name: str,
    followers: int | None,
    record: Mapping[str, Any],
    published: datetime,
    raw: dict[str, Any],
) -> dict[str, Any]:
    if not _HANDLE_RE.match(handle) or handle == "handle.invalid":
        handle = did  # no verified handle: the DID identifies the author
    text = _text(record.get("text"))
    if not text.strip():
        text = _embed_text(record.get("embed"))
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, Mapping) else None
    langs = record.get("langs")
    return {
        "external_id": uri[:300],
        "url": clean_url(f"https://bsky.app/profile/{handle}/post/{rkey}"),
        "text": text[:MAX_TEXT_CHARS],
        "published_at": published.isoformat(),
        "author": {"handle": handle[:200], "name": name[:300], "followers": followers},
        "language": _language(langs[0]) if isinstance(langs, list) and langs else "",
        "in_reply_to": _text(parent.get("uri"))[:300] if isinstance(parent, Mapping) else "",
        "raw": {**raw, "did": did},
    }


def _embed_text(embed: Any) -> str:
    """Something to show for a post without text: alt texts, the link card, or the kind."""
    if isinstance(embed, Mapping) and isinstance(embed.get("media"), Mapping):
        embed = embed["media"]  # recordWithMedia: a quote plus images or a video
    if not isinstance(embed, Mapping):
        return "[no text]"
    parts: list[str] = []
    images = embed.get("images")
    for image in images if isinstance(images, list) else []:
        if isinstance(image, Mapping):
            parts.append(_text(image.get("alt")).strip() or "[image]")
    external = embed.get("external")
    if isinstance(external, Mapping):
        title = _text(external.get("title")).strip()
        link = _text(external.get("uri")).strip()
        parts.append(" ".join(part for part in (title, link) if part) or "[link]")
    if "video" in _text(embed.get("$type")):
        parts.append(_text(embed.get("alt")).strip() or "[video]")
    if not parts and "record" in _text(embed.get("$type")):
        parts.append("[quote]")
    return "\n".join(parts) or "[no text]"


def _replies(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    replies = node.get("replies")
    return (
        [reply for reply in replies if isinstance(reply, Mapping)]
        if isinstance(replies, list)
        else []
    )


# -- small helpers ----------------------------------------------------------------------
_LINK_RE = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def link_facets(text: str) -> list[dict[str, Any]]:
    """Rich-text facets that make the links in a post clickable: Bluesky shows plain text
    unless a facet marks the link's UTF-8 byte range (`app.bsky.richtext.facet#link`)."""
    facets = []
    for match in _LINK_RE.finditer(text):
        start = len(text[: match.start()].encode())
        end = start + len(match.group().encode())
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": match.group()}],
            }
        )
    return facets


def _strong_ref(value: Any) -> dict[str, str] | None:
    """`com.atproto.repo.strongRef` (uri + cid) of a post view or a reply's root."""
    if not isinstance(value, Mapping):
        return None
    uri, cid = _text(value.get("uri")), _text(value.get("cid"))
    if not _AT_URI_RE.match(uri) or not cid:
        return None
    return {"uri": uri, "cid": cid}


def _headers(token: str, proxy: str = "") -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if proxy:
        headers["atproto-proxy"] = proxy  # the PDS forwards the call to that service
    return headers


def _json(response: HttpResponse, url: str) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:
        raise ConnectorError(f"{url} did not send JSON") from exc


def _error_detail(response: HttpResponse) -> str:
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return ""
    if not isinstance(data, Mapping):
        return ""
    parts = [_text(data.get("error")), _text(data.get("message"))]
    detail = ": ".join(part for part in parts if part)
    return f" ({detail[:300]})" if detail else ""


def _jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without checking the signature (only to cache it)."""
    parts = token.split(".")
    if len(parts) < 2:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, RecursionError):
        return None
    exp = claims.get("exp") if isinstance(claims, Mapping) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


def _base_url(value: Any, default: str, key: str, errors: dict[str, str]) -> str:
    url = str(value or default).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
        errors[key] = "an http(s) address, e.g. " + default
    return url


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _from_time_us(value: Any) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _language(value: Any) -> str:
    """A language tag the mention format accepts ('de', 'en-US'), its primary subtag, or ''."""
    if not isinstance(value, str):
        return ""
    tag = value.strip().replace("_", "-")
    if _LANGUAGE_RE.match(tag):
        return tag
    primary = tag.split("-", 1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    return 0
