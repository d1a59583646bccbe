"""Helpers connectors share: HTML to plain text, dates, canonical URLs."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_SKIP = {"script", "style", "template", "noscript"}
_BLOCK = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text from an HTML fragment: tags dropped, scripts and styles removed."""
    if "<" not in html and "&" not in html:
        return html.strip()
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = ["".join(line.split("\t")).strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(" ".join(line.split()) for line in lines if line.strip())
    return text.strip()


def struct_time_to_datetime(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)


def parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_url_validator = URLValidator(schemes=["http", "https"])


def clean_url(url: str) -> str:
    """`url` if it is a valid absolute http(s) URL of at most 2,000 characters, else ''."""
    url = (url or "").strip()
    if not url or len(url) > 2000:
        return ""
    try:
        _url_validator(url)
    except ValidationError:
        return ""
    return url


_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ref_src", "igshid")


def canonical_url(url: str) -> str:
    """The same page under one spelling: lower-case host, no fragment, no tracking
    parameters, no default port, no trailing slash. Used for cross-source dedupe."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    query = urlencode(
        sorted(
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not key.lower().startswith(_TRACKING)
        )
    )
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("https", netloc, path, query, ""))
