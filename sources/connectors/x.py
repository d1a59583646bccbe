"""X (Twitter) API v2: recent search and, optionally, the mentions of one account.

Authors come from the `includes.users` expansion (followers, following, tweet and listed
counts); replies point at the tweet they answer (`referenced_tweets` of type
`replied_to`), so conversations stay together.

Polls ask for what is newer than the cursor's `since_id`. When more than one page is new,
the connector pages back with `next_token` (`has_more`) and only then moves `since_id`
forward, so a busy query loses nothing between polls. Backfills send the window as
`start_time` / `end_time` (recent search reaches back seven days) and page with
`next_token`, one listing after the other. Partial errors of a 200 answer (suspended
users, withheld tweets) are reported as per-item errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sources.connectors.base import (
    ConfigError,
    Connector,
    ConnectorError,
    FetchPage,
    FetchWindow,
    PostedReply,
    RateLimited,
    ReplyNotSupported,
    author_counts,
    engagement_of,
    known_count,
    known_sum,
)
from sources.connectors.http import HttpResponse
from sources.connectors.registry import register
from sources.connectors.text import clean_url, parse_iso

DEFAULT_BASE_URL = "https://api.twitter.com"
PAGE_SIZE = 100
TWEET_FIELDS = (
    "created_at,lang,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,author_id"
)
USER_FIELDS = "public_metrics,username,name"
# Recent search covers the last seven days; end_time must lie a little in the past.
SEARCH_REACH = timedelta(days=7) - timedelta(minutes=1)
END_TIME_MARGIN = timedelta(seconds=15)
SNOWFLAKE_EPOCH_MS = 1288834974657
MAX_TEXT = 40_000
MAX_COUNT = 2**62  # counts are stored in 64-bit integers

_USER_ID = re.compile(r"^\d{1,20}$")
_TWEET_ID = re.compile(r"^\d{1,20}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
# X's own codes for "no linguistic content" and legacy ISO codes.
_NO_LANGUAGE = {"und", "zxx", "qme", "qht", "qam", "qct", "qst", "art"}
_LEGACY_LANGUAGE = {"in": "id", "iw": "he", "ji": "yi"}


@dataclass(frozen=True)
class Listing:
    key: str
    path: str
    params: tuple[tuple[str, str], ...]
    token_param: str  # how the endpoint calls its paging token
    reach: timedelta | None = None  # how far back the endpoint can go


@register
class XConnector(Connector):
    kind = "x"
    network = "x"
    label = "X (Twitter)"
    default_interval_seconds = 300
    config_fields = {
        "query": "Search query in X syntax (default: the listening queries)",
        "mentions_of_user_id": "Numeric id of your account, to read its mentions as well",
        "base_url": "API address (default https://api.twitter.com)",
    }
    credential_fields = {
        "bearer_token": "App bearer token (API v2, Basic tier or above)",
        "user_access_token": "OAuth 2.0 user access token with tweet.write, to post replies "
        "as your account (optional)",
    }
    reply_max_chars = 280  # X counts some characters (links, emoji) differently; see reply()

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        base_url = str(config.get("base_url") or DEFAULT_BASE_URL).strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError({"base_url": "an http(s) URL is required"})
        query = " ".join(str(config.get("query") or "").split())
        if len(query) > 4096:
            raise ConfigError({"query": "at most 4096 characters"})
        user_id = str(config.get("mentions_of_user_id") or "").strip()
        if user_id and not _USER_ID.match(user_id):
            raise ConfigError({"mentions_of_user_id": "the numeric id of an X account"})
        return {"base_url": base_url, "query": query, "mentions_of_user_id": user_id}

    def _query(self, config: dict[str, Any]) -> str:
        if config["query"]:
            return str(config["query"])
        if self.native_query and self.native_query.strip():
            return " ".join(self.native_query.split())
        parts = []
        for term in self.search_terms:
            term = " ".join(term.split()).replace('"', "")
            if term:
                parts.append(f'"{term}"' if " " in term else term)
        return " OR ".join(parts)

    def _listings(self, config: dict[str, Any]) -> list[Listing]:
        common = (
            ("max_results", str(PAGE_SIZE)),
            ("tweet.fields", TWEET_FIELDS),
            ("expansions", "author_id"),
            ("user.fields", USER_FIELDS),
        )
        listings: list[Listing] = []
        query = self._query(config)
        if query:
            params = (("query", query), *common)
            listings.append(
                Listing("search", "/2/tweets/search/recent", params, "next_token", SEARCH_REACH)
            )
        if config["mentions_of_user_id"]:
            path = f"/2/users/{config['mentions_of_user_id']}/mentions"
            listings.append(Listing("mentions", path, common, "pagination_token"))
        return listings

    def _get(self, config: dict[str, Any], listing: Listing, extra: dict[str, str]) -> Any:
        token = self.credentials.get("bearer_token", "").strip()
        if not token:
            raise ConfigError({"bearer_token": "X needs an app bearer token"})
        url = f"{config['base_url']}{listing.path}"
        response = self.http.get(
            url, params=dict(listing.params) | extra, headers={"Authorization": f"Bearer {token}"}
        )
        if not 200 <= response.status_code < 300:
            detail = _problem(response)
            if response.status_code in (401, 403):
                raise ConnectorError(
                    f"X refused the request ({response.status_code}): {detail or 'check the token'}"
                )
            raise ConnectorError(f"{url} answered {response.status_code}: {detail}".rstrip(": "))
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:
            raise ConnectorError(f"{url} did not answer with JSON") from exc
        if not isinstance(body, dict):
            raise ConnectorError(f"{url} did not answer with a JSON object")
        return body

    # --- fetching -----------------------------------------------------------------------

    # -- replying -------------------------------------------------------------------------
    def reply(self, *, in_reply_to: str, text: str) -> str:
        return self.post_reply(in_reply_to=in_reply_to, text=text).external_id

    def post_reply(self, *, in_reply_to: str, text: str) -> PostedReply:
        """`POST /2/tweets` with `reply.in_reply_to_tweet_id`: the reply joins the tweet's
        conversation. Posting needs a user-context token; the app bearer token only reads."""
        token = str(self.credentials.get("user_access_token") or "").strip()
        if not token:
            raise ReplyNotSupported(
                "Replying on X needs a user access token (OAuth 2.0, tweet.write scope)"
            )
        tweet_id, text = str(in_reply_to).strip(), str(text)
        if not _TWEET_ID.match(tweet_id) or not text.strip():
            raise ConnectorError("A reply needs the id of the tweet and a text")
        config = self._config()
        url = f"{config['base_url']}/2/tweets"
        response = self.http.request(
            "POST",
            url,
            json={"text": text, "reply": {"in_reply_to_tweet_id": tweet_id}},
            headers={"Authorization": f"Bearer {token}"},
        )
        if not 200 <= response.status_code < 300:
            detail = _problem(response)
            raise ConnectorError(
                f"X refused the reply ({response.status_code}): {detail or 'no reason given'}"
            )
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:
            raise ConnectorError(f"{url} did not send JSON") from exc
        new_id = _tweet_id(_dict(_dict(body).get("data")).get("id"))
        if not new_id:
            raise ConnectorError(f"{url} did not say which tweet it created")
        return PostedReply(external_id=new_id, url=f"https://x.com/i/web/status/{new_id}")

    def send_direct_message(
        self, *, author_handle: str, mention_raw: Mapping[str, Any], text: str
    ) -> PostedReply:
        """`POST /2/dm_conversations/with/:participant_id/messages` to the tweet's author
        (their numeric id, kept with the mention). Needs a user token with dm.write; X
        refuses when the author does not accept messages from the account."""
        token = str(self.credentials.get("user_access_token") or "").strip()
        if not token:
            raise ReplyNotSupported(
                "Direct messages on X need a user access token (OAuth 2.0, dm.write scope)"
            )
        participant = _tweet_id(mention_raw.get("author_id"))
        if not participant or not str(text).strip():
            raise ConnectorError("A direct message needs the author's X id and a text")
        config = self._config()
        url = f"{config['base_url']}/2/dm_conversations/with/{participant}/messages"
        response = self.http.request(
            "POST", url, json={"text": str(text)}, headers={"Authorization": f"Bearer {token}"}
        )
        if not 200 <= response.status_code < 300:
            detail = _problem(response)
            raise ConnectorError(
                f"X refused the direct message ({response.status_code}): "
                f"{detail or 'no reason given'}"
            )
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:
            raise ConnectorError(f"{url} did not send JSON") from exc
        event_id = _tweet_id(_dict(_dict(body).get("data")).get("dm_event_id"))
        if not event_id:
            raise ConnectorError(f"{url} did not say which message it created")
        return PostedReply(external_id=event_id)

    def _config(self) -> dict[str, Any]:
        try:
            return self.validate_config(self.config)
        except ConfigError as exc:
            raise ConnectorError(f"Invalid X configuration: {exc}") from exc

    def fetch(self, cursor: Mapping[str, Any], window: FetchWindow | None = None) -> FetchPage:
        config = self.validate_config(self.config)
        listings = self._listings(config)
        if not listings:
            raise ConfigError(
                {"query": "nothing to read: add a query, listening queries or an account id"}
            )
        if window is not None:
            return self._backfill(config, listings, cursor, window)
        page = FetchPage()
        previous = cursor.get("listings")
        states: dict[str, Any] = previous if isinstance(previous, dict) else {}
        # While a listing is catching up (more than a page was new), only it is read.
        catching_up = [
            listing
            for listing in listings
            if isinstance(states.get(listing.key), dict) and states[listing.key].get("next_token")
        ]
        keys = _keys(listings)
        new_states = {k: dict(v) for k, v in states.items() if k in keys and isinstance(v, dict)}
        delivered: set[str] = set()
        failures: list[str] = []
        reading = catching_up or listings
        for listing in reading:
            state = new_states.get(listing.key, {})
            extra: dict[str, str] = {}
            since_id = _tweet_id(state.get("since_id"))
            if since_id:
                extra["since_id"] = since_id
            if state.get("next_token"):
                extra[listing.token_param] = str(state["next_token"])
            try:
                body = self._get(config, listing, extra)
            except RateLimited:
                raise
            except ConnectorError as exc:
                failures.append(str(exc))
                page.errors.append(str(exc))
                continue
            newest = self._read(body, page, delivered)
            meta = _dict(body.get("meta"))
            newest = _max_id(newest, _tweet_id(meta.get("newest_id")))
            next_token = str(meta.get("next_token") or "")
            if since_id and next_token:
                # More than one page is new: page back to since_id before moving it.
                pending = _max_id(_tweet_id(state.get("pending_newest")), newest)
                state = {"since_id": since_id, "next_token": next_token, "pending_newest": pending}
                page.has_more = True
            else:
                final = _max_id(_tweet_id(state.get("pending_newest")), newest)
                state = {"since_id": _max_id(since_id, final)}
            new_states[listing.key] = state
        if failures and len(failures) == len(reading):
            raise ConnectorError(failures[0])
        page.cursor = {"listings": new_states}
        return page

    def _backfill(
        self,
        config: dict[str, Any],
        listings: list[Listing],
        cursor: Mapping[str, Any],
        window: FetchWindow,
    ) -> FetchPage:
        state = cursor.get("backfill")
        state = state if isinstance(state, dict) else {}
        keys = _keys(listings)
        index = keys.index(state["key"]) if state.get("key") in keys else 0
        token = str(state.get("next_token") or "") if state.get("key") in keys else ""
        page = FetchPage()
        listing = listings[index]
        now = datetime.now(UTC)
        start = window.since
        if listing.reach is not None and (start is None or start < now - listing.reach):
            if not token and start is not None:
                days = round(listing.reach / timedelta(days=1))
                page.errors.append(
                    f"{listing.key}: X only reaches back {days} days; "
                    "the older part of the window is skipped"
                )
            start = now - listing.reach
        end = window.until
        if end is None or end > now - END_TIME_MARGIN:
            end = now - END_TIME_MARGIN
        next_token = ""
        if start is None or start < end:
            extra = {"end_time": _timestamp(end)}
            if start is not None:
                extra["start_time"] = _timestamp(start)
            if token:
                extra[listing.token_param] = token
            body = self._get(config, listing, extra)
            self._read(body, page, set())
            meta = _dict(body.get("meta"))
            next_token = str(meta.get("next_token") or "")
        if next_token:
            page.cursor = {"backfill": {"key": listing.key, "next_token": next_token}}
            page.has_more = True
        elif index + 1 < len(listings):
            page.cursor = {"backfill": {"key": listings[index + 1].key, "next_token": ""}}
            page.has_more = True
        else:
            page.cursor = {"backfill": {"key": listing.key, "next_token": "", "done": True}}
        return page

    # --- parsing ------------------------------------------------------------------------

    def _read(self, body: dict[str, Any], page: FetchPage, delivered: set[str]) -> str:
        """Add the tweets of one answer to the page; return the newest tweet id in it."""
        errors = body.get("errors")
        for error in errors if isinstance(errors, list) else [errors] if errors else []:
            page.errors.append(_error_text(error))
        data = body.get("data")
        if data is None:
            return ""
        if isinstance(data, dict):
            data = [data]  # a single tweet (lookup or stream format)
        if not isinstance(data, list):
            page.errors.append("data: not a list of tweets")
            return ""
        includes = _dict(body.get("includes"))
        users: dict[str, dict[str, Any]] = {}
        listed = includes.get("users")
        for user in listed if isinstance(listed, list) else []:
            if isinstance(user, dict) and user.get("id"):
                users[str(user["id"])] = user
        newest = ""
        for index, tweet in enumerate(data):
            try:
                item = _normalize(tweet, users)
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                page.errors.append(f"tweet {index}: {type(exc).__name__}: {exc}")
                continue
            newest = _max_id(newest, item["external_id"])
            if item["external_id"] in delivered:
                continue
            delivered.add(item["external_id"])
            page.items.append(item)
        return newest


def _normalize(tweet: Any, users: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    if not isinstance(tweet, dict):
        raise TypeError("not a tweet object")
    tweet_id = _tweet_id(tweet.get("id"))
    if not tweet_id:
        raise ValueError(f"no valid id ({str(tweet.get('id'))[:40]!r})")
    text = _str(_dict(tweet.get("note_tweet")).get("text")) or _str(tweet.get("text"))
    if not text:
        raise ValueError(f"{tweet_id} has no text")
    published = parse_iso(tweet.get("created_at")) or _snowflake_time(tweet_id)
    author_id = _tweet_id(tweet.get("author_id"))
    user = users.get(author_id, {}) if author_id else {}
    username = _str(user.get("username"))
    user_metrics = _dict(user.get("public_metrics"))
    metrics = _dict(tweet.get("public_metrics"))
    listed = tweet.get("referenced_tweets")
    references = [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
    in_reply_to = next(
        (str(r.get("id") or "") for r in references if r.get("type") == "replied_to"), ""
    )
    raw: dict[str, Any] = {
        "author_id": author_id,
        "conversation_id": str(tweet.get("conversation_id") or ""),
        "following_count": _count(user_metrics.get("following_count")),
        "tweet_count": _count(user_metrics.get("tweet_count")),
        "listed_count": _count(user_metrics.get("listed_count")),
        "like_count": _count(metrics.get("like_count")),
        "retweet_count": _count(metrics.get("retweet_count")),
        "reply_count": _count(metrics.get("reply_count")),
        "quote_count": _count(metrics.get("quote_count")),
    }
    for reference in references:
        kind = str(reference.get("type") or "")
        if kind in ("retweeted", "quoted"):
            raw[f"{kind}_id"] = str(reference.get("id") or "")
    if tweet.get("in_reply_to_user_id"):
        raw["in_reply_to_user_id"] = str(tweet["in_reply_to_user_id"])
    if tweet.get("withheld"):
        raw["withheld"] = True
    handle = username or author_id or "unknown"
    return {
        "external_id": tweet_id,
        "url": clean_url(f"https://x.com/{username or 'i'}/status/{tweet_id}"),
        "text": text[:MAX_TEXT],
        "published_at": published.isoformat(),
        "author": {
            "handle": handle[:200],
            "name": (_str(user.get("name")) or username)[:300],
            **author_counts(
                followers=known_count(user_metrics.get("followers_count")),
                following=known_count(user_metrics.get("following_count")),
                posts=known_count(user_metrics.get("tweet_count")),
            ),
        },
        **engagement_of(
            likes=known_count(metrics.get("like_count")),
            reposts=known_sum(metrics.get("retweet_count"), metrics.get("quote_count")),
            replies=known_count(metrics.get("reply_count")),
        ),
        "language": _language(tweet.get("lang")),
        "in_reply_to": in_reply_to if _TWEET_ID.match(in_reply_to) else "",
        "raw": raw,
    }


def _language(value: Any) -> str:
    code = str(value or "").strip().lower()
    code = _LEGACY_LANGUAGE.get(code, code)
    if code in _NO_LANGUAGE or not _LANGUAGE.match(code):
        return ""
    return code


def _snowflake_time(tweet_id: str) -> datetime:
    """When a tweet was created, from its id (ids since 2010 are Snowflakes)."""
    milliseconds = (int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS
    if int(tweet_id) < 2**22 or milliseconds > 4102444800000:  # before 2010 or after 2100
        return datetime.now(UTC)
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def _tweet_id(value: Any) -> str:
    text = str(value or "").strip()
    return text if _TWEET_ID.match(text) else ""


def _max_id(first: str, second: str) -> str:
    if not first:
        return second
    if not second:
        return first
    return first if int(first) >= int(second) else second


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return min(value, MAX_COUNT)


def _keys(listings: list[Listing]) -> list[str]:
    return [listing.key for listing in listings]


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_text(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)[:500]
    title = str(error.get("title") or error.get("type") or "error")
    detail = str(error.get("detail") or error.get("message") or "")
    resource = str(error.get("resource_id") or error.get("value") or "")
    text = f"{title}: {detail}" if detail else title
    return (f"{resource}: {text}" if resource and resource not in detail else text)[:500]


def _problem(response: HttpResponse) -> str:
    """The reason X gives in an error answer (problem+json or v1-style errors)."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return ""
    if not isinstance(body, dict):
        return ""
    if body.get("errors") and isinstance(body["errors"], list):
        return "; ".join(_error_text(e) for e in body["errors"][:3])
    return _error_text(body) if body.get("title") or body.get("detail") else ""
