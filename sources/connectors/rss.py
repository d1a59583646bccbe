"""RSS, Atom and RDF feeds (blogs, news, forums), read with feedparser.

Polls use conditional requests (ETag / Last-Modified) and remember the newest entry seen.
Backfills follow RFC 5005 `rel="next"` archive links where a feed has them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from sources.connectors.base import ConfigError, Connector, ConnectorError, FetchPage, FetchWindow
from sources.connectors.registry import register
from sources.connectors.text import (
    clean_url,
    html_to_text,
    parse_iso,
    struct_time_to_datetime,
)

MAX_TEXT = 20_000


@register
class RssConnector(Connector):
    kind = "rss"
    network = "web"
    label = "RSS / Atom feed"
    default_interval_seconds = 600
    config_fields = {"url": "Feed URL (RSS, Atom or RDF)"}

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        url = str(config.get("url", "")).strip()
        if not url.startswith(("http://", "https://")):
            raise ConfigError({"url": "an http(s) URL of a feed is required"})
        return {"url": url}

    def fetch(self, cursor: Mapping[str, Any], window: FetchWindow | None = None) -> FetchPage:
        url = str(cursor.get("next_url") or self.config["url"])
        headers: dict[str, str] = {}
        if window is None and not cursor.get("next_url"):
            if cursor.get("etag"):
                headers["If-None-Match"] = str(cursor["etag"])
            if cursor.get("last_modified"):
                headers["If-Modified-Since"] = str(cursor["last_modified"])
        response = self.http.get(url, headers=headers)
        if response.status_code == 304:
            return FetchPage(cursor=dict(cursor))
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}")
        parsed = feedparser.parse(
            response.content,
            response_headers={k.lower(): v for k, v in response.headers.items()},
        )
        if parsed.bozo and not parsed.entries:
            reason = getattr(parsed.get("bozo_exception"), "args", ["unreadable feed"])[0]
            raise ConnectorError(f"{url} is not a readable feed: {reason}")

        newest_seen = parse_iso(cursor.get("newest"))
        feed_title = html_to_text(str(parsed.feed.get("title", ""))) or url
        page = FetchPage()
        newest = newest_seen
        for index, entry in enumerate(parsed.entries):
            try:
                item = self._normalize(entry, feed_title=feed_title, base_url=url)
            except (KeyError, ValueError, TypeError) as exc:
                page.errors.append(f"entry {index}: {exc}")
                continue
            if item is None:
                page.errors.append(f"entry {index}: no title, text or link")
                continue
            published = parse_iso(item["published_at"])
            if window is None and newest_seen and published and published <= newest_seen:
                continue  # seen on an earlier poll
            if published and (newest is None or published > newest):
                newest = published
            page.items.append(item)

        page.cursor = {
            "etag": response.headers.get("etag", ""),
            "last_modified": response.headers.get("last-modified", ""),
            "newest": newest.isoformat() if newest else "",
        }
        next_link = _link(parsed.feed, "next")
        if window is not None and next_link:
            page.cursor["next_url"] = urljoin(url, next_link)
            page.has_more = True
        return page

    def _normalize(self, entry: Any, *, feed_title: str, base_url: str) -> dict[str, Any] | None:
        link = urljoin(base_url, str(entry.get("link", ""))) if entry.get("link") else ""
        title = html_to_text(str(entry.get("title", "")))
        body = ""
        if entry.get("content"):
            body = html_to_text(str(entry["content"][0].get("value", "")))
        if not body:
            body = html_to_text(str(entry.get("summary", "")))
        if not (title or body or link):
            return None
        text = title if not body or body == title else f"{title}\n\n{body}" if title else body
        text = (text or link)[:MAX_TEXT]
        published = (
            struct_time_to_datetime(entry.get("published_parsed"))
            or struct_time_to_datetime(entry.get("updated_parsed"))
            or datetime.now(UTC)
        )
        external_id = str(entry.get("id") or link or "")
        if not external_id:
            external_id = "sha1:" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
        author_name = html_to_text(str(entry.get("author", ""))) or feed_title
        reply_to = entry.get("thr_in-reply-to") or {}
        return {
            "external_id": external_id[:300],
            "url": clean_url(link),
            "text": text,
            "published_at": published.isoformat(),
            "author": {"handle": author_name[:200], "name": author_name[:300], "followers": 0},
            "in_reply_to": str(reply_to.get("ref", ""))[:300] if isinstance(reply_to, dict) else "",
            "raw": {
                "feed": feed_title,
                "link": link[:2000],
                "tags": [str(tag.get("term", "")) for tag in entry.get("tags", [])][:20],
            },
        }


def _link(feed: Any, rel: str) -> str:
    for link in feed.get("links", []) or []:
        if link.get("rel") == rel and link.get("href"):
            return str(link["href"])
    return ""
