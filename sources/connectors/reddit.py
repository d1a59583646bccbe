"""Reddit through its OAuth API with an app-only token (client credentials).

Listings read on each poll:
- search: `/search?q=…&sort=new` across Reddit, or `/r/{sub}/search?…&restrict_sr=1` per
  configured subreddit (with `search` off, a subreddit's `/r/{sub}/new` posts instead);
- new comments of each configured subreddit: `/r/{sub}/comments`;
- comment trees of followed threads: `/comments/{id}`, flattened with parent links.

Posts (t3) and comments (t1) become mentions with their fullname as external id; comments
point at their parent (`in_reply_to`), so threads stay together. The cursor keeps, per
listing, the newest `created_utc` and fullname and the recently seen fullnames (Reddit's
`before=` is unreliable: a deleted anchor returns an empty page). Backfills page each
listing with `after` until the window's start, one listing after the other.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from sources.connectors.base import (
    ConfigError,
    Connector,
    ConnectorError,
    FetchPage,
    FetchWindow,
    PostedReply,
    RateLimited,
    ReplyNotSupported,
    engagement_of,
    known_count,
)
from sources.connectors.http import USER_AGENT, HttpResponse
from sources.connectors.registry import register
from sources.connectors.text import clean_url

DEFAULT_BASE_URL = "https://oauth.reddit.com"
DEFAULT_AUTH_URL = "https://www.reddit.com"
WEB_URL = "https://www.reddit.com"
PAGE_SIZE = 100
MAX_QUERY = 512
MAX_SEEN = 300
# Items up to this long before the newest one seen are checked against the seen names:
# Reddit's search index and comment listings can deliver slightly older items late.
LATE_SECONDS = 3600
MAX_TEXT = 40_000
MAX_THREADS = 50

_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
_THREAD_ID = re.compile(r"^[a-z0-9]{1,12}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,20}$")
DM_SUBJECT = "Re: your post"
_FULLNAME = re.compile(r"^t[13]_[a-z0-9]{1,13}$")
_THREAD_IN_URL = re.compile(r"/comments/([a-z0-9]{1,12})(?:/|$)")


Params = tuple[tuple[str, str], ...]


class ListingUnavailable(ConnectorError):
    """One listing cannot be read (private, banned or missing subreddit or thread)."""


@dataclass(frozen=True)
class Listing:
    key: str
    path: str
    params: Params
    tree: bool = False  # a comment tree: one answer, no paging


@register
class RedditConnector(Connector):
    kind = "reddit"
    network = "reddit"
    label = "Reddit"
    default_interval_seconds = 300
    config_fields = {
        "subreddits": "Subreddits to listen to (without r/); empty searches all of Reddit",
        "search": "Search for the listening queries (off: every new post of the subreddits)",
        "comments": "Also read every new comment of the subreddits",
        "threads": "Threads to follow comment by comment (post ids or URLs)",
        "base_url": "API address (default https://oauth.reddit.com)",
        "auth_url": "Token address (default https://www.reddit.com)",
    }
    credential_fields = {
        "client_id": "Client id of a Reddit 'script' or 'web' app",
        "client_secret": "Client secret of that app",
        "user_agent": "User-Agent naming your app and contact (Reddit requires one)",
        "username": "Reddit account that posts replies (a 'script' app's developer; optional)",
        "password": "That account's password (only used to post replies)",
    }
    reply_max_chars = 10_000  # Reddit's limit for a comment's text

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._token: str = ""
        self._token_expires: float = 0.0

    # --- configuration ------------------------------------------------------------------

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        cleaned: dict[str, Any] = {}
        for key, default in (("base_url", DEFAULT_BASE_URL), ("auth_url", DEFAULT_AUTH_URL)):
            url = str(config.get(key) or default).strip().rstrip("/")
            if not url.startswith(("http://", "https://")):
                raise ConfigError({key: "an http(s) URL is required"})
            cleaned[key] = url
        subreddits: list[str] = []
        for value in _as_list(config.get("subreddits")):
            name = value.strip().removeprefix("/").removeprefix("r/").strip("/")
            if not name:
                continue
            if not _SUBREDDIT.match(name):
                raise ConfigError({"subreddits": f"not a subreddit name: {value[:60]!r}"})
            if name.lower() not in {s.lower() for s in subreddits}:
                subreddits.append(name)
        threads: list[str] = []
        for value in _as_list(config.get("threads")):
            thread = _thread_id(value)
            if not thread:
                raise ConfigError({"threads": f"not a Reddit post id or URL: {value[:80]!r}"})
            if thread not in threads:
                threads.append(thread)
        if len(threads) > MAX_THREADS:
            raise ConfigError({"threads": f"follow at most {MAX_THREADS} threads"})
        cleaned["subreddits"] = subreddits
        cleaned["search"] = _as_bool(config.get("search"), default=True)
        cleaned["comments"] = _as_bool(config.get("comments"), default=bool(subreddits))
        cleaned["threads"] = threads
        return cleaned

    def _query(self) -> str:
        if self.native_query and self.native_query.strip():
            return self.native_query.strip()[:MAX_QUERY]
        query = ""
        for term in self.search_terms:
            term = " ".join(term.split()).replace('"', "")
            if not term:
                continue
            part = f'"{term}"' if " " in term else term
            candidate = f"{query} OR {part}" if query else part
            if len(candidate) > MAX_QUERY:
                break
            query = candidate
        return query

    def _listings(self, config: dict[str, Any]) -> list[Listing]:
        listings: list[Listing] = []
        query = self._query() if config["search"] else ""
        page: Params = (("limit", str(PAGE_SIZE)), ("raw_json", "1"))
        if query:
            search: Params = (("q", query), ("sort", "new"), ("type", "link"), *page)
            if config["subreddits"]:
                for sub in config["subreddits"]:
                    params: Params = (*search, ("restrict_sr", "1"))
                    listings.append(Listing(f"r/{sub}/search", f"/r/{sub}/search", params))
            else:
                listings.append(Listing("search", "/search", search))
        elif not config["search"]:
            for sub in config["subreddits"]:
                listings.append(Listing(f"r/{sub}/new", f"/r/{sub}/new", page))
        if config["comments"]:
            for sub in config["subreddits"]:
                listings.append(Listing(f"r/{sub}/comments", f"/r/{sub}/comments", page))
        tree: Params = (("sort", "new"), ("limit", "500"), ("raw_json", "1"))
        for thread in config["threads"]:
            listings.append(Listing(f"thread/{thread}", f"/comments/{thread}", tree, tree=True))
        return listings

    # --- HTTP ---------------------------------------------------------------------------

    def _user_agent(self) -> str:
        return self.credentials.get("user_agent", "").strip() or USER_AGENT

    def _access_token(self, config: dict[str, Any], *, renew: bool = False) -> str:
        if self._token and not renew and time.monotonic() < self._token_expires:
            return self._token
        client_id = self.credentials.get("client_id", "").strip()
        secret = self.credentials.get("client_secret", "").strip()
        if not client_id or not secret:
            missing = "client_id" if not client_id else "client_secret"
            raise ConfigError({missing: "Reddit needs the app's client id and secret"})
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        url = f"{config['auth_url']}/api/v1/access_token"
        response = self.http.request(
            "POST",
            url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}", "User-Agent": self._user_agent()},
        )
        if response.status_code in (401, 403):
            raise ConnectorError("Reddit refused the app credentials (client id / secret)")
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}")
        body = _json(response, url)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            reason = body.get("error", "no access_token") if isinstance(body, dict) else "no JSON"
            raise ConnectorError(f"Reddit gave no access token: {reason}")
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError, OverflowError):
            lifetime = 3600.0
        self._token = token
        self._token_expires = time.monotonic() + max(lifetime - 60, 30)
        return token

    def _user_token(self, config: dict[str, Any]) -> str:
        """A token that acts as the configured account (password grant of a script app):
        Reddit's app-only token reads but cannot comment."""
        username = self.credentials.get("username", "").strip()
        password = self.credentials.get("password", "")
        client_id = self.credentials.get("client_id", "").strip()
        secret = self.credentials.get("client_secret", "").strip()
        if not username or not password or not client_id or not secret:
            raise ReplyNotSupported(
                "Replying on Reddit needs the app's client id and secret and the username and "
                "password of the account that answers"
            )
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        url = f"{config['auth_url']}/api/v1/access_token"
        response = self.http.request(
            "POST",
            url,
            data={"grant_type": "password", "username": username, "password": password},
            headers={"Authorization": f"Basic {basic}", "User-Agent": self._user_agent()},
        )
        if response.status_code in (401, 403):
            raise ConnectorError("Reddit refused the app credentials (client id / secret)")
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}")
        body = _json(response, url)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            reason = body.get("error", "no access_token") if isinstance(body, dict) else "no JSON"
            raise ConnectorError(f"Reddit did not sign in {username}: {reason}")
        return token

    def reply(self, *, in_reply_to: str, text: str) -> str:
        return self.post_reply(in_reply_to=in_reply_to, text=text).external_id

    def post_reply(self, *, in_reply_to: str, text: str) -> PostedReply:
        """`POST /api/comment` with the post's or comment's fullname as `thing_id`: the
        answer sits under that post or comment in its thread."""
        thing_id, text = str(in_reply_to).strip(), str(text)
        if not _FULLNAME.match(thing_id) or not text.strip():
            raise ConnectorError("A reply needs the fullname of a post or comment and a text")
        try:
            config = self.validate_config(self.config)
        except ConfigError as exc:
            raise ConnectorError(f"Invalid Reddit configuration: {exc}") from exc
        token = self._user_token(config)
        url = f"{config['base_url']}/api/comment"
        response = self.http.request(
            "POST",
            url,
            params={"raw_json": "1"},
            data={"api_type": "json", "thing_id": thing_id, "text": text},
            headers={"Authorization": f"bearer {token}", "User-Agent": self._user_agent()},
        )
        if response.status_code in (401, 403):
            raise ConnectorError(
                f"Reddit refused the reply ({response.status_code}): is the account allowed "
                "to comment there (locked thread, banned, missing 'submit' scope)?"
            )
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}")
        body = _mapping(_mapping(_json(response, url)).get("json"))
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            reasons = "; ".join(
                str(error[1] if isinstance(error, list) and len(error) > 1 else error)[:300]
                for error in errors[:3]
            )
            raise ConnectorError(f"Reddit refused the reply: {reasons}")
        things = _mapping(body.get("data")).get("things")
        thing = _mapping(things[0]) if isinstance(things, list) and things else {}
        data = _mapping(thing.get("data"))
        name = str(data.get("name") or "")
        if not name and data.get("id"):
            name = f"t1_{data['id']}"
        if not _FULLNAME.match(name):
            raise ConnectorError(f"{url} did not say which comment it created")
        return PostedReply(
            external_id=name, url=_comment_url(data, str(data.get("subreddit") or ""))
        )

    def send_direct_message(
        self, *, author_handle: str, mention_raw: Mapping[str, Any], text: str
    ) -> PostedReply:
        """A private message to the author (`POST /api/compose`), as the answering account.
        Reddit answers without the new message's id."""
        to = author_handle.strip().removeprefix("u/").removeprefix("/u/")
        if not _USERNAME.match(to) or to.lower() in {"[deleted]", "deleted"} or not text.strip():
            raise ConnectorError("A direct message needs the author's Reddit username and a text")
        try:
            config = self.validate_config(self.config)
        except ConfigError as exc:
            raise ConnectorError(f"Invalid Reddit configuration: {exc}") from exc
        token = self._user_token(config)
        url = f"{config['base_url']}/api/compose"
        response = self.http.request(
            "POST",
            url,
            data={"api_type": "json", "to": to, "subject": DM_SUBJECT, "text": text},
            headers={"Authorization": f"bearer {token}", "User-Agent": self._user_agent()},
        )
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}")
        body = _mapping(_mapping(_json(response, url)).get("json"))
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            reasons = "; ".join(
                str(error[1] if isinstance(error, list) and len(error) > 1 else error)[:300]
                for error in errors[:3]
            )
            raise ConnectorError(f"Reddit refused the message: {reasons}")
        return PostedReply(external_id="")

    def _get(self, config: dict[str, Any], listing: Listing, extra: dict[str, str]) -> Any:
        url = f"{config['base_url']}{listing.path}"
        params = dict(listing.params) | extra
        response: HttpResponse | None = None
        for attempt in range(2):
            headers = {
                "Authorization": f"bearer {self._access_token(config, renew=attempt > 0)}",
                "User-Agent": self._user_agent(),
            }
            response = self.http.get(url, params=params, headers=headers)
            if response.status_code != 401:
                break
        assert response is not None
        if response.status_code == 401:
            raise ConnectorError("Reddit refused the access token")
        if response.status_code in (403, 404):
            raise ListingUnavailable(
                f"{listing.key}: Reddit answered {response.status_code} "
                "(private, banned or missing subreddit or thread?)"
            )
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}")
        return _json(response, url)

    # --- fetching -----------------------------------------------------------------------

    def fetch(self, cursor: Mapping[str, Any], window: FetchWindow | None = None) -> FetchPage:
        config = self.validate_config(self.config)
        listings = self._listings(config)
        if not listings:
            raise ConfigError(
                {"subreddits": "nothing to read: add listening queries, subreddits or threads"}
            )
        if window is not None:
            return self._backfill(config, listings, cursor, window)
        page = FetchPage()
        previous = cursor.get("listings")
        states: dict[str, Any] = previous if isinstance(previous, dict) else {}
        new_states: dict[str, Any] = {}
        failures: list[str] = []
        delivered: set[str] = set()
        for listing in listings:
            state = states.get(listing.key)
            state = state if isinstance(state, dict) else {}
            try:
                things = self._things(self._get(config, listing, {}), listing)
            except RateLimited:
                raise
            except ConnectorError as exc:
                failures.append(str(exc))
                page.errors.append(str(exc))
                if state:
                    new_states[listing.key] = state
                continue
            new_states[listing.key] = self._collect(things, state, page, delivered)
        if failures and len(failures) == len(listings):
            raise ConnectorError(failures[0])
        page.cursor = {"listings": new_states}
        return page

    def _collect(
        self,
        things: list[dict[str, Any]],
        state: dict[str, Any],
        page: FetchPage,
        delivered: set[str],
    ) -> dict[str, Any]:
        """Add the things not seen before to the page; return the listing's new state."""
        newest = _float(state.get("newest"))
        listed = state.get("seen")
        old_seen = [n for n in listed if isinstance(n, str)] if isinstance(listed, list) else []
        seen = set(old_seen) | {str(state.get("newest_id", ""))}
        dated: list[tuple[float, str]] = []
        for thing in things:
            created = _float(thing["data"].get("created_utc"))
            name = str(thing["data"].get("name", ""))
            if created is None or not name:
                page.errors.append(f"{name or '?'}: no name or creation time")
                continue
            dated.append((created, name))
            if newest is not None and (name in seen or created < newest - LATE_SECONDS):
                continue  # delivered on an earlier poll
            item = self._item(thing, page)
            if item is not None and item["external_id"] not in delivered:
                delivered.add(item["external_id"])
                page.items.append(item)
        if not dated:
            return dict(state)
        best_created, best_name = max(dated)
        if newest is not None and newest >= best_created:
            best_created, best_name = newest, str(state.get("newest_id", ""))
        recent = [n for c, n in sorted(dated, reverse=True) if c >= best_created - LATE_SECONDS]
        keep = list(dict.fromkeys([*recent, *old_seen]))[:MAX_SEEN]
        return {"newest": best_created, "newest_id": best_name, "seen": keep}

    def _backfill(
        self,
        config: dict[str, Any],
        listings: list[Listing],
        cursor: Mapping[str, Any],
        window: FetchWindow,
    ) -> FetchPage:
        """One page of one listing; the cursor says which listing and where (`after`)."""
        state = cursor.get("backfill")
        state = state if isinstance(state, dict) else {}
        keys = [listing.key for listing in listings]
        index = keys.index(state["key"]) if state.get("key") in keys else 0
        after = str(state.get("after") or "") if state.get("key") in keys else ""
        listing = listings[index]
        extra = {"after": after} if after and not listing.tree else {}
        page = FetchPage()
        data: Any = None
        things: list[dict[str, Any]] = []
        try:
            data = self._get(config, listing, extra)
        except ListingUnavailable as exc:
            page.errors.append(str(exc))  # skip it, go on with the next listing
        else:
            things = self._things(data, listing)
        since = window.since.timestamp() if window.since else None
        until = window.until.timestamp() if window.until else None
        reached_start = False
        delivered: set[str] = set()
        for thing in things:
            created = _float(thing["data"].get("created_utc"))
            if created is None:
                continue
            if since is not None and created < since:
                reached_start = True
                continue
            if until is not None and created > until:
                continue
            item = self._item(thing, page)
            if item is not None and item["external_id"] not in delivered:
                delivered.add(item["external_id"])
                page.items.append(item)
        next_after = ""
        if not listing.tree and not reached_start and isinstance(data, dict):
            next_after = str(_mapping(data.get("data")).get("after") or "")
        if next_after:
            page.cursor = {"backfill": {"key": listing.key, "after": next_after}}
            page.has_more = True
        elif index + 1 < len(listings):
            page.cursor = {"backfill": {"key": listings[index + 1].key, "after": ""}}
            page.has_more = True
        else:
            page.cursor = {"backfill": {"key": listing.key, "after": "", "done": True}}
        return page

    # --- parsing ------------------------------------------------------------------------

    def _things(self, data: Any, listing: Listing) -> list[dict[str, Any]]:
        """Posts and comments of a listing (or a flattened comment tree), newest first
        for listings, tree order for threads. Other kinds and "more" stubs are dropped."""
        if listing.tree:
            if not isinstance(data, list) or not data:
                raise ConnectorError(f"{listing.key}: not a Reddit comment tree")
            return list(_flatten(data))
        if not isinstance(data, dict) or data.get("kind") != "Listing":
            raise ConnectorError(f"{listing.key}: not a Reddit listing")
        children = _mapping(data.get("data")).get("children")
        if not isinstance(children, list):
            raise ConnectorError(f"{listing.key}: listing without children")
        return [
            child
            for child in children
            if isinstance(child, dict)
            and child.get("kind") in ("t1", "t3")
            and isinstance(child.get("data"), dict)
        ]

    def _item(self, thing: dict[str, Any], page: FetchPage) -> dict[str, Any] | None:
        data = thing["data"]
        name = str(data.get("name", "?"))
        if data.get("promoted"):
            return None  # an advertisement, not a conversation
        try:
            item = _normalize(thing["kind"], data)
        except (KeyError, ValueError, TypeError, OverflowError) as exc:
            page.errors.append(f"{name}: {exc}")
            return None
        if not item["text"].strip():
            page.errors.append(f"{name}: no text")
            return None
        return item


def _flatten(data: list[Any]) -> Iterator[dict[str, Any]]:
    """Things of a `/comments/{id}` answer ([post listing, comment listing]) in tree order,
    without recursion; `replies` may be "" or a nested listing; "more" stubs are skipped."""
    stack: list[Any] = []
    for listing in reversed(data):
        children = _mapping(_mapping(listing).get("data")).get("children")
        stack.extend(reversed(children) if isinstance(children, list) else [])
    while stack:
        thing = stack.pop()
        if not isinstance(thing, dict) or not isinstance(thing.get("data"), dict):
            continue
        if thing.get("kind") not in ("t1", "t3"):
            continue
        yield thing
        children = _mapping(_mapping(thing["data"].get("replies")).get("data")).get("children")
        if isinstance(children, list):
            stack.extend(reversed(children))


def _normalize(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    name = str(data["name"])
    if not name.startswith(("t1_", "t3_")):
        raise ValueError(f"unexpected fullname {name!r}")
    created = datetime.fromtimestamp(float(data["created_utc"]), tz=UTC)
    author = str(data.get("author") or "[deleted]")
    subreddit = str(data.get("subreddit") or "")
    raw: dict[str, Any] = {
        "subreddit": subreddit,
        "score": _int(data.get("score")),
        "num_comments": _int(data.get("num_comments")),
        "kind": kind,
    }
    for key in ("author_link_karma", "author_comment_karma", "author_karma", "total_karma"):
        if isinstance(data.get(key), int):
            raw[key] = _int(data[key])
    if kind == "t3":
        title = str(data.get("title") or "").strip()
        body = str(data.get("selftext") or "").strip()
        text = f"{title}\n\n{body}" if body else title
        url = _web_url(str(data.get("permalink") or ""))
        in_reply_to = ""
        if not data.get("is_self") and data.get("url"):
            raw["link"] = str(data["url"])[:2000]
        raw["over_18"] = bool(data.get("over_18"))
    else:
        text = str(data.get("body") or "").strip()
        url = _comment_url(data, subreddit)
        in_reply_to = str(data.get("parent_id") or "")
        raw["link_id"] = str(data.get("link_id") or "")
        if data.get("link_title"):
            raw["link_title"] = str(data["link_title"])[:300]
    return {
        "external_id": name,
        "url": url,
        "text": text[:MAX_TEXT],
        "published_at": created.isoformat(),
        # Reddit shows no follower counts; upvotes (score) and comments are the engagement.
        "author": {"handle": author[:200], "name": author[:300], "followers": None},
        **engagement_of(
            likes=max(score, 0) if (score := known_int(data.get("score"))) is not None else None,
            reposts=None,
            replies=known_count(data.get("num_comments")),
        ),
        "language": "",
        "in_reply_to": in_reply_to[:300],
        "raw": raw,
    }


def _web_url(permalink: str) -> str:
    """https://www.reddit.com + the permalink's path (tracking query dropped, escaped)."""
    if not permalink:
        return ""
    if permalink.startswith(("http://", "https://")):
        permalink = urlsplit(permalink).path
    path = permalink.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        path = "/" + path
    return clean_url(WEB_URL + quote(path, safe="/%:@!$&'()*+,;=-._~"))


def _comment_url(data: Mapping[str, Any], subreddit: str) -> str:
    if data.get("permalink"):
        return _web_url(str(data["permalink"]))
    comment_id = str(data.get("id") or str(data.get("name", ""))[3:])
    link_permalink = str(data.get("link_permalink") or "")
    if link_permalink:
        return _web_url(urlsplit(link_permalink).path.rstrip("/") + f"/{comment_id}/")
    link_id = str(data.get("link_id") or "")[3:]
    if subreddit and link_id:
        return _web_url(f"/r/{subreddit}/comments/{link_id}/_/{comment_id}/")
    return ""


def _json(response: HttpResponse, url: str) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:
        raise ConnectorError(f"{url} did not answer with JSON") from exc


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number == number and abs(number) < 1e11 else None  # not NaN, sane


def known_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return _int(value)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(-(2**62), min(value, 2**62))


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,]+", value) if part]
    if isinstance(value, list | tuple):
        return [str(part) for part in value if str(part).strip()]
    raise ConfigError({"subreddits": "a list is expected"})


def _as_bool(value: Any, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _thread_id(value: str) -> str:
    value = value.strip()
    match = _THREAD_IN_URL.search(value)
    if match:
        return match.group(1)
    value = value.removeprefix("t3_").lower()
    return value if _THREAD_ID.match(value) else ""
