"""Mastodon (and API-compatible fediverse servers): hashtag timelines and status search.

Polls read every hashtag timeline newest-first with `since_id` and, when an access token is
configured, the full-text status search (`/api/v2/search`, which Mastodon only offers to
signed-in users) with `min_id`; the cursor remembers the newest status id per hashtag and per
search term. Backfills page back through each stream with `max_id` (from the `Link` header
where the server sends one) until the stream is empty or older than the window.

Status ids are instance-local: `external_id` is the id on the configured instance, which is
also what `reply()` needs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

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
)
from sources.connectors.http import HttpResponse
from sources.connectors.registry import register
from sources.connectors.text import clean_url, html_to_text, parse_iso
from sources.formats import MAX_TEXT_CHARS

PAGE_LIMIT = 40  # the most Mastodon returns per timeline or search page
MAX_TAGS = 50
# Mastodon hashtags: letters, digits, underscores (Unicode), and the middle dot inside words.
_TAG_RE = re.compile(r"^[\w\u00b7]{1,100}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_ACCT_RE = re.compile(r"^[\w.-]{1,100}(@[A-Za-z0-9.-]{1,253})?$")
_NEXT_LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


@dataclass
class _Stream:
    kind: str  # "tags" or "search"
    key: str  # the hashtag or the search term
    path: str
    params: dict[str, Any]


@register
class MastodonConnector(Connector):
    kind = "mastodon"
    network = "mastodon"
    label = "Mastodon"
    default_interval_seconds = 300
    reply_max_chars = 500  # Mastodon's default status limit
    config_fields = {
        "instance": "Server address, e.g. https://mastodon.social",
        "hashtags": "Hashtags to follow, without # (list)",
        "search": "Also search statuses for the listening queries' terms (needs an access token)",
        "streaming": "Use the streaming API where available",
    }
    credential_fields = {
        "access_token": "Access token (read:search, write:statuses for replies); optional",
    }

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, str] = {}
        instance = str(config.get("instance") or "").strip().rstrip("/")
        parts = urlsplit(instance)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            errors["instance"] = (
                "the server's http(s) address is required, e.g. https://mastodon.social"
            )
        elif parts.query or parts.fragment:
            errors["instance"] = "the server's address, without query or fragment"
        hashtags = _hashtags_clean(config.get("hashtags"), errors)
        search = config_flag(config, "search", default=True, errors=errors)
        streaming = config_flag(config, "streaming", default=False, errors=errors)
        if not hashtags and not search and "hashtags" not in errors:
            errors["hashtags"] = "give at least one hashtag, or turn on search"
        if errors:
            raise ConfigError(errors)
        return {
            "instance": instance,
            "hashtags": hashtags,
            "search": search,
            "streaming": streaming,
        }

    # -- fetching -------------------------------------------------------------------------
    def fetch(self, cursor: Mapping[str, Any], window: FetchWindow | None = None) -> FetchPage:
        config = self._config()
        cursor = cursor if isinstance(cursor, Mapping) else {}
        newest = {"tags": _str_map(cursor.get("tags")), "search": _str_map(cursor.get("search"))}
        backfill = cursor.get("backfill")
        if not isinstance(backfill, Mapping):
            backfill = {}
        older = {"tags": _str_map(backfill.get("tags")), "search": _str_map(backfill.get("search"))}

        streams = self._streams(config)
        if not streams:
            raise ConnectorError(
                "Nothing to read: no hashtags configured, and search needs an access token "
                "and listening queries with terms"
            )
        page = FetchPage()
        taken: set[str] = set()
        skipped = 0
        for position_in_list, stream in enumerate(streams):
            if skipped:
                break
            params = dict(stream.params)
            seen = newest[stream.kind].get(stream.key, "")
            if window is None:
                if seen:
                    params["since_id" if stream.kind == "tags" else "min_id"] = seen
            else:
                position = older[stream.kind].get(stream.key)
                if position == "":
                    continue  # this stream reached the end of the window earlier
                if position:
                    params["max_id"] = position
            statuses, response = self._read(stream, params)
            if _rate_limit_used_up(response):
                skipped = len(streams) - position_in_list - 1
            page_ids: list[str] = []
            oldest_published = None
            for index, status in enumerate(statuses):
                status_id = _id_or_empty(status.get("id") if isinstance(status, Mapping) else None)
                if status_id:
                    page_ids.append(status_id)
                if window is None and seen and status_id and not _newer(status_id, seen):
                    continue  # seen on an earlier poll
                try:
                    item = status_item(status)
                except (KeyError, TypeError, ValueError) as exc:
                    label = status_id or f"#{index}"
                    page.errors.append(f"{stream.kind} {stream.key!r} status {label}: {exc}")
                    continue
                published = parse_iso(item["published_at"])
                if published and (oldest_published is None or published < oldest_published):
                    oldest_published = published
                if item["external_id"] in taken:
                    continue  # the same status under two hashtags or terms
                taken.add(item["external_id"])
                page.items.append(item)
            newest_id = max(page_ids, key=_id_key, default="")
            if newest_id and (not seen or _newer(newest_id, seen)):
                newest[stream.kind][stream.key] = newest_id
            if window is not None:
                next_max_id = _next_max_id(response, page_ids)
                reached_start = bool(
                    window.since and oldest_published and oldest_published < window.since
                )
                older[stream.kind][stream.key] = "" if reached_start else next_max_id
        if skipped:
            page.errors.append(
                f"The rate limit of {config['instance']} is used up; "
                f"the other {skipped} of {len(streams)} hashtags and searches "
                "wait for the next poll"
            )

        page.cursor = {"tags": newest["tags"], "search": newest["search"]}
        if window is not None:
            page.cursor["backfill"] = older
            page.has_more = any(
                older[stream.kind].get(stream.key, None) != "" for stream in streams
            )
        return page

    def _streams(self, config: Mapping[str, Any]) -> list[_Stream]:
        streams = [
            _Stream(
                "tags",
                tag,
                f"/api/v1/timelines/tag/{quote(tag, safe='')}",
                {"limit": PAGE_LIMIT},
            )
            for tag in config["hashtags"]
        ]
        if config["search"] and self._token():
            for term in dict.fromkeys(term.strip() for term in self.search_terms):
                if term:
                    streams.append(
                        _Stream(
                            "search",
                            term,
                            "/api/v2/search",
                            {
                                "q": term,
                                "type": "statuses",
                                "limit": PAGE_LIMIT,
                                "resolve": "false",
                            },
                        )
                    )
        return streams

    def _read(self, stream: _Stream, params: dict[str, Any]) -> tuple[list[Any], HttpResponse]:
        data, response = self._get_json(stream.path, params)
        if stream.kind == "search":
            statuses = data.get("statuses") if isinstance(data, Mapping) else None
        else:
            statuses = data
        if not isinstance(statuses, list):
            what = "a search result" if stream.kind == "search" else "a list of statuses"
            raise ConnectorError(f"{self._url(stream.path)} did not send {what}")
        return statuses, response

    # -- replying -------------------------------------------------------------------------
    def reply(self, *, in_reply_to: str, text: str) -> str:
        return self.post_reply(in_reply_to=in_reply_to, text=text).external_id

    def post_reply(self, *, in_reply_to: str, text: str) -> PostedReply:
        token = self._token()
        if not token:
            raise ReplyNotSupported("Replying on Mastodon needs an access token (write:statuses)")
        in_reply_to, text = str(in_reply_to).strip(), str(text)
        if not in_reply_to or not text.strip():
            raise ConnectorError("A reply needs the id of the status and a text")
        self._config()
        url = self._url("/api/v1/statuses")
        # The same reply retried within an hour is posted once (Mastodon honours this header).
        key = hashlib.sha256(f"{in_reply_to}\n{text}".encode()).hexdigest()
        response = self.http.request(
            "POST",
            url,
            data={"status": text, "in_reply_to_id": in_reply_to},
            headers={**self._headers(), "Idempotency-Key": key},
        )
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}{_error_detail(response)}")
        try:
            data = response.json()
        except (ValueError, RecursionError) as exc:
            raise ConnectorError(f"{url} did not send JSON") from exc
        new_id = _id_or_empty(data.get("id") if isinstance(data, Mapping) else None)
        if not new_id:
            raise ConnectorError(f"{url} did not say which status it created")
        link = data.get("url") if isinstance(data, Mapping) else None
        return PostedReply(external_id=new_id, url=clean_url(link) if isinstance(link, str) else "")

    def send_direct_message(
        self, *, author_handle: str, mention_raw: Mapping[str, Any], text: str
    ) -> PostedReply:
        """A status with `visibility=direct` that mentions the author: only they (and the
        accounts it names) see it. Needs an access token with write:statuses."""
        token = self._token()
        if not token:
            raise ReplyNotSupported(
                "Direct messages on Mastodon need an access token (write:statuses)"
            )
        acct = author_handle.strip().lstrip("@")
        if not _ACCT_RE.match(acct) or not text.strip():
            raise ConnectorError("A direct message needs the author's account and a text")
        url = self._url("/api/v1/statuses")
        status = f"@{acct} {text}"
        key = hashlib.sha256(f"dm\n{acct}\n{text}".encode()).hexdigest()
        response = self.http.request(
            "POST",
            url,
            data={"status": status, "visibility": "direct"},
            headers={**self._headers(), "Idempotency-Key": key},
        )
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}{_error_detail(response)}")
        try:
            data = response.json()
        except (ValueError, RecursionError) as exc:
            raise ConnectorError(f"{url} did not send JSON") from exc
        new_id = _id_or_empty(data.get("id") if isinstance(data, Mapping) else None)
        if not new_id:
            raise ConnectorError(f"{url} did not say which status it created")
        return PostedReply(external_id=new_id)

    # -- helpers --------------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        try:
            return self.validate_config(self.config)
        except ConfigError as exc:
            raise ConnectorError(f"Invalid Mastodon configuration: {exc}") from exc

    def _token(self) -> str:
        return str(self.credentials.get("access_token") or "").strip()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if token := self._token():
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _url(self, path: str) -> str:
        return str(self._config()["instance"]) + path

    def _get_json(self, path: str, params: dict[str, Any]) -> tuple[Any, HttpResponse]:
        url = self._url(path)
        response = self.http.get(url, params=params, headers=self._headers())
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}{_error_detail(response)}")
        try:
            return response.json(), response
        except (ValueError, RecursionError) as exc:
            raise ConnectorError(f"{url} did not send JSON") from exc


# -- normalizing ------------------------------------------------------------------------
def status_item(status: Any) -> dict[str, Any]:
    """One Mastodon status (API entity) in the mention format; a reblog becomes the status
    it reblogged. Raises ValueError when the status cannot be read."""
    if not isinstance(status, Mapping):
        raise ValueError("not a status object")
    reblogged_by = ""
    reblog = status.get("reblog")
    if isinstance(reblog, Mapping):
        booster = status.get("account")
        reblogged_by = _text(booster.get("acct")) if isinstance(booster, Mapping) else ""
        status = reblog
    status_id = _id_or_empty(status.get("id"))
    if not status_id:
        raise ValueError("no id")
    account = status.get("account")
    if not isinstance(account, Mapping):
        raise ValueError("no account")
    acct = _text(account.get("acct")).strip() or _text(account.get("username")).strip()
    if not acct:
        raise ValueError("the account has no acct")
    published = parse_iso(status.get("created_at"))
    if published is None:
        raise ValueError(f"unreadable created_at {status.get('created_at')!r}")
    if "content" not in status and "text" not in status:
        raise ValueError("no content (not a status?)")
    content = html_to_text(_text(status.get("content")))
    if not content:  # DELETE answers and status sources carry plain `text` instead
        content = _text(status.get("text")).strip()
    spoiler = _text(status.get("spoiler_text")).strip()
    text = f"{spoiler}\n\n{content}" if spoiler and content else spoiler or content
    text = (text or _attachments_text(status))[:MAX_TEXT_CHARS]
    tags = status.get("tags") if isinstance(status.get("tags"), list) else []
    raw: dict[str, Any] = {
        "account_id": _id_or_empty(account.get("id")),
        "statuses_count": _count(account.get("statuses_count")),
        "following_count": _count(account.get("following_count")),
        "reblogs_count": _count(status.get("reblogs_count")),
        "favourites_count": _count(status.get("favourites_count")),
        "replies_count": _count(status.get("replies_count")),
        "tags": [
            _text(tag.get("name"))[:100]
            for tag in tags[:MAX_TAGS]
            if isinstance(tag, Mapping) and _text(tag.get("name"))
        ],
        "uri": _text(status.get("uri"))[:2000],
    }
    if reblogged_by:
        raw["reblogged_by"] = reblogged_by[:200]
    return {
        "external_id": status_id[:300],
        "url": clean_url(_text(status.get("url"))) or clean_url(_text(status.get("uri"))),
        "text": text,
        "published_at": published.isoformat(),
        "author": {
            "handle": acct[:200],
            "name": _text(account.get("display_name")).strip()[:300],
            **author_counts(
                followers=known_count(account.get("followers_count")),
                following=known_count(account.get("following_count")),
                posts=known_count(account.get("statuses_count")),
            ),
        },
        **engagement_of(
            likes=known_count(status.get("favourites_count")),
            reposts=known_count(status.get("reblogs_count")),
            replies=known_count(status.get("replies_count")),
        ),
        "language": language_clean(status.get("language")),
        "in_reply_to": _id_or_empty(status.get("in_reply_to_id"))[:300],
        "raw": raw,
    }


def _attachments_text(status: Mapping[str, Any]) -> str:
    """Something to show for a status without text: media descriptions or poll options."""
    parts: list[str] = []
    media = status.get("media_attachments")
    for attachment in media if isinstance(media, list) else []:
        if isinstance(attachment, Mapping):
            description = _text(attachment.get("description")).strip()
            kind = _text(attachment.get("type")) or "media"
            parts.append(description or f"[{kind}]")
    poll = status.get("poll")
    if isinstance(poll, Mapping) and isinstance(poll.get("options"), list):
        options = [
            _text(option.get("title")) for option in poll["options"] if isinstance(option, Mapping)
        ]
        parts.append("[poll] " + " / ".join(option for option in options if option))
    return "\n".join(parts) or "[no text]"


def language_clean(value: Any) -> str:
    """A language tag the mention format accepts ('de', 'pt-BR'), its primary subtag, or ''."""
    if not isinstance(value, str):
        return ""
    tag = value.strip().replace("_", "-")
    if _LANGUAGE_RE.match(tag):
        return tag
    primary = tag.split("-", 1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else ""


def _hashtags_clean(value: Any, errors: dict[str, str]) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list | tuple):
        errors["hashtags"] = "a list of hashtags"
        return []
    tags: dict[str, str] = {}
    for entry in value:
        tag = str(entry).strip().lstrip("#")
        if not tag:
            continue
        if not _TAG_RE.match(tag):
            errors["hashtags"] = f"{entry!r} is not a hashtag (letters, digits and _ only)"
            continue
        tags.setdefault(tag.casefold(), tag)
    if len(tags) > MAX_TAGS:
        errors["hashtags"] = f"at most {MAX_TAGS} hashtags"
    return list(tags.values())


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _count(value: Any) -> int:
    """A non-negative count (servers that hide counts send -1, null or nothing)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def _id_or_empty(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | str):
        return str(value).strip()
    return ""


def _id_key(status_id: str) -> tuple[int, str]:
    # Mastodon ids are numeric strings, Pleroma/Akkoma ids fixed-length sortable strings:
    # comparing by length first orders both correctly.
    return len(status_id), status_id


def _newer(status_id: str, than: str) -> bool:
    return _id_key(status_id) > _id_key(than)


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(key): str(item)
        for key, item in value.items()
        if isinstance(item, str | int) and not isinstance(item, bool)
    }


def _next_max_id(response: HttpResponse, page_ids: list[str]) -> str:
    """Where the next older page starts: the Link header's max_id, else the oldest id seen;
    '' when the page was empty (the end of the stream)."""
    if not page_ids:
        return ""
    match = _NEXT_LINK_RE.search(response.headers.get("link", ""))
    if match:
        max_ids = parse_qs(urlsplit(match.group(1)).query).get("max_id")
        if max_ids and max_ids[0]:
            return max_ids[0]
    return min(page_ids, key=_id_key)


def _rate_limit_used_up(response: HttpResponse) -> bool:
    return response.headers.get("x-ratelimit-remaining", "").strip() == "0"


def _error_detail(response: HttpResponse) -> str:
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return ""
    if isinstance(data, Mapping) and isinstance(data.get("error"), str):
        return f": {data['error'][:300]}"
    return ""
