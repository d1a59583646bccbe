"""Review portals and shops: schema.org `Review` objects read from the pages themselves.

Each configured page is fetched and its reviews are taken from JSON-LD
(`<script type="application/ld+json">`, including reviews nested in Product, LocalBusiness,
Recipe objects and `@graph`) and from microdata (`itemtype="https://schema.org/Review"`).
Only the standard library's HTML parser is used. A broken JSON-LD block costs that block
only (a per-item error); common breakage (CDATA wrappers, a trailing `;`, raw newlines in
strings) is repaired first.

The cursor remembers, per page, short hashes of the reviews already delivered (at most
500), so a second poll returns only reviews that are new on the page.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from sources.connectors.base import (
    ConfigError,
    Connector,
    ConnectorError,
    FetchPage,
    FetchWindow,
    RateLimited,
)
from sources.connectors.http import HttpResponse
from sources.connectors.registry import register
from sources.connectors.text import clean_url, html_to_text, parse_iso

MAX_URLS = 50
MAX_SEEN = 500
MAX_REVIEWS_PER_PAGE = 500
MAX_TEXT = 20_000
MAX_PROPERTY_CHARS = 50_000
MAX_JSON_DEPTH = 40
MAX_JSON_NODES = 200_000
MAX_NESTED_PROPERTIES = 32

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}
_URL_ATTRIBUTES = {
    "a": "href",
    "area": "href",
    "link": "href",
    "img": "src",
    "audio": "src",
    "video": "src",
    "source": "src",
    "embed": "src",
    "iframe": "src",
    "track": "src",
    "object": "data",
}


@register
class ReviewsConnector(Connector):
    kind = "reviews"
    network = "reviews"
    label = "Review pages (schema.org)"
    default_interval_seconds = 3600
    config_fields = {
        "urls": "Pages with reviews (product, shop, hotel, recipe pages), one URL per line",
    }

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        raw = config.get("urls", [])
        if isinstance(raw, str):
            raw = raw.split()
        if not isinstance(raw, list | tuple):
            raise ConfigError({"urls": "a list of http(s) URLs is required"})
        urls: list[str] = []
        for value in raw:
            url = str(value).strip()
            if not url:
                continue
            if not url.startswith(("http://", "https://")) or len(url) > 2000:
                raise ConfigError({"urls": f"not an http(s) URL: {url[:100]!r}"})
            if url not in urls:
                urls.append(url)
        if not urls:
            raise ConfigError({"urls": "at least one page URL is required"})
        if len(urls) > MAX_URLS:
            raise ConfigError({"urls": f"at most {MAX_URLS} pages per source"})
        return {"urls": urls}

    def fetch(self, cursor: Mapping[str, Any], window: FetchWindow | None = None) -> FetchPage:
        urls = self.validate_config(self.config)["urls"]
        seen = cursor.get("seen")
        previous: dict[str, Any] = seen if isinstance(seen, dict) else {}
        page = FetchPage()
        seen_after: dict[str, list[str]] = {}
        failures: list[str] = []
        for url in urls:
            stored = previous.get(url)
            old = [h for h in stored if isinstance(h, str)] if isinstance(stored, list) else []
            old = old[:MAX_SEEN]
            try:
                response = self.http.get_ok(url)
            except RateLimited:
                raise
            except ConnectorError as exc:
                failures.append(str(exc))
                page.errors.append(str(exc))
                if old:
                    seen_after[url] = old
                continue
            reviews, errors = reviews_extract(response_text(response), page_url=url)
            page.errors.extend(f"{url}: {error}" for error in errors)
            old_set = set(old)
            hashes: list[str] = []
            for item in self._page_items(reviews[:MAX_REVIEWS_PER_PAGE], url, page.errors):
                digest = _short_hash(item["external_id"])
                hashes.append(digest)
                if window is None and digest in old_set:
                    continue  # delivered on an earlier poll
                page.items.append(item)
            fresh = set(hashes)
            seen_after[url] = (hashes + [h for h in old if h not in fresh])[:MAX_SEEN]
        if failures and len(failures) == len(urls):
            raise ConnectorError(failures[0] if len(urls) == 1 else "; ".join(failures[:3]))
        page.cursor = {"seen": seen_after}
        return page

    @staticmethod
    def _page_items(
        reviews: list[FoundReview], page_url: str, errors: list[str]
    ) -> list[dict[str, Any]]:
        """Normalized reviews of one page, each once. An `@id` or `url` that several
        different reviews share (often the product page itself) is not an id: those
        reviews fall back to their content hash."""
        normalized: list[tuple[dict[str, Any], str]] = []
        for review in reviews:
            try:
                result = _normalize(review, page_url=page_url)
            except (KeyError, ValueError, TypeError) as exc:
                errors.append(f"{page_url}: review {review.index}: {exc}")
                continue
            if result is not None:
                normalized.append(result)
        owners: dict[str, set[str]] = {}
        for item, fallback in normalized:
            owners.setdefault(item["external_id"], set()).add(fallback)
        items: list[dict[str, Any]] = []
        delivered: set[str] = set()
        for item, fallback in normalized:
            if len(owners[item["external_id"]]) > 1:
                item["external_id"] = fallback
            if item["external_id"] in delivered:
                continue  # the same review twice on the page (carousels, repeated blocks)
            delivered.add(item["external_id"])
            items.append(item)
        return items


def response_text(response: HttpResponse) -> str:
    """The page as text: the HTTP charset, else a BOM or `<meta charset>`, else UTF-8."""
    content = response.content
    declared = ""
    for part in response.headers.get("content-type", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            declared = value.strip().strip('"')
    if not declared:
        if content.startswith(codecs.BOM_UTF8):
            declared = "utf-8-sig"
        elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            declared = "utf-16"
        else:
            match = _META_CHARSET.search(content[:4096])
            if match:
                declared = match.group(1).decode("ascii", "replace")
    if declared:
        try:
            return content.decode(declared, errors="replace")
        except LookupError:
            pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


# --- extraction -------------------------------------------------------------------------


@dataclass
class FoundReview:
    """One schema.org Review as found on a page, before normalization."""

    data: dict[str, Any]
    source: str  # "json-ld" or "microdata"
    item_reviewed: str = ""
    index: int = 0


@dataclass
class _Item:
    types: list[str]
    props: dict[str, list[Any]] = field(default_factory=dict)
    item_id: str = ""

    def add(self, name: str, value: Any) -> None:
        self.props.setdefault(name, []).append(value)


@dataclass
class _Open:
    tag: str
    item: _Item | None = None
    prop_names: list[str] = field(default_factory=list)
    text: list[str] | None = None
    text_size: int = 0
    fixed_value: str | None = None


class _PageParser(HTMLParser):
    """Collects JSON-LD script bodies and microdata items in one pass."""

    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.scripts: list[str] = []
        self.items: list[_Item] = []
        self._script: list[str] | None = None
        self._stack: list[_Open] = []
        self._open_tags: dict[str, int] = {}  # how many of each tag are on the stack
        self._collecting: list[_Open] = []  # entries whose text is a property value
        self._items: list[_Item] = []  # open itemscopes, innermost last
        self._skip = 0

    # An element's item is the nearest enclosing itemscope.
    def _current_item(self) -> _Item | None:
        return self._items[-1] if self._items else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name.lower(): value or "" for name, value in attrs}
        if tag == "script":
            kind = attributes.get("type", "").split(";")[0].strip().lower()
            if kind == "application/ld+json":
                self._script = []
            else:
                self._skip += 1
            self._push(_Open(tag))
            return
        if tag in {"style", "template", "noscript"}:
            self._skip += 1
        entry = _Open(tag)
        entry.prop_names = attributes.get("itemprop", "").split()
        if "itemscope" in attributes:
            types = [t.rsplit("/", 1)[-1] for t in attributes.get("itemtype", "").split()]
            entry.item = _Item(types=types, item_id=attributes.get("itemid", ""))
            if "content" in attributes:
                entry.fixed_value = attributes["content"]
        elif entry.prop_names:
            if "content" in attributes:
                entry.fixed_value = attributes["content"]
            elif tag in _URL_ATTRIBUTES and attributes.get(_URL_ATTRIBUTES[tag]):
                entry.fixed_value = urljoin(self.base_url, attributes[_URL_ATTRIBUTES[tag]])
            elif tag == "time" and attributes.get("datetime"):
                entry.fixed_value = attributes["datetime"]
            elif tag == "data" and "value" in attributes:
                entry.fixed_value = attributes["value"]
            elif len(self._collecting) < MAX_NESTED_PROPERTIES:
                entry.text = []
                self._collecting.append(entry)
        self._push(entry)
        if tag in _VOID:
            self._close_top()

    def _push(self, entry: _Open) -> None:
        self._stack.append(entry)
        self._open_tags[entry.tag] = self._open_tags.get(entry.tag, 0) + 1
        if entry.item is not None:
            self._items.append(entry.item)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self._stack and self._stack[-1].tag == tag:
            self._close_top()

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not self._open_tags.get(tag):
            return  # a stray end tag
        for position in range(len(self._stack) - 1, -1, -1):
            if self._stack[position].tag == tag:
                while len(self._stack) > position:
                    self._close_top()
                return

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
            return
        if self._skip:
            return
        for entry in self._collecting:
            if entry.text is not None and entry.text_size < MAX_PROPERTY_CHARS:
                entry.text.append(data)
                entry.text_size += len(data)

    def _close_top(self) -> None:
        entry = self._stack.pop()
        self._open_tags[entry.tag] -= 1
        if entry.text is not None and self._collecting and self._collecting[-1] is entry:
            self._collecting.pop()
        if entry.item is not None and self._items and self._items[-1] is entry.item:
            self._items.pop()
        if entry.tag == "script":
            if self._script is not None:
                self.scripts.append("".join(self._script))
                self._script = None
            elif self._skip:
                self._skip -= 1
            return
        if entry.tag in {"style", "template", "noscript"} and self._skip:
            self._skip -= 1
        parent = self._current_item()
        value: Any
        if entry.item is not None:
            value = entry.item
            if not entry.item.props and entry.fixed_value is not None:
                value = entry.fixed_value  # <meta itemprop=x itemscope content=...>
        elif entry.fixed_value is not None:
            value = entry.fixed_value
        elif entry.text is not None:
            value = " ".join("".join(entry.text).split())
        else:
            return
        if entry.prop_names and parent is not None:
            for name in entry.prop_names:
                parent.add(name, value)
        elif entry.item is not None:
            self.items.append(entry.item)

    def finish(self) -> None:
        """Close whatever the page left open (also after a parse error)."""
        while self._stack:
            self._close_top()


def reviews_extract(html: str, *, page_url: str) -> tuple[list[FoundReview], list[str]]:
    """All schema.org Reviews on a page (JSON-LD and microdata) and per-block problems."""
    parser = _PageParser(page_url)
    errors: list[str] = []
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError, RecursionError) as exc:
        errors.append(f"the HTML could not be read to the end: {exc}")
    parser.finish()
    found: list[FoundReview] = []
    for number, script in enumerate(parser.scripts, start=1):
        try:
            data = _json_lenient(script)
        except ValueError as exc:
            errors.append(f"JSON-LD block {number} is not valid JSON ({exc})")
            continue
        try:
            found.extend(_jsonld_reviews(data))
        except RecursionError:
            errors.append(f"JSON-LD block {number} is nested too deeply")
    for item in parser.items:
        found.extend(_microdata_reviews(item, parent_name=""))
    for index, review in enumerate(found):
        review.index = index
    return found, errors


def _json_lenient(text: str) -> Any:
    """Parse a JSON-LD block, repairing what real pages get wrong: raw control characters
    in strings, CDATA or comment wrappers, trailing `;`, several values in one block."""
    text = text.strip().lstrip("\ufeff")
    try:
        return json.loads(text, strict=False)
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc
    except json.JSONDecodeError as first:
        for wrapper in ("<![CDATA[", "]]>", "<!--", "-->"):
            text = text.replace(wrapper, " ")
        decoder = json.JSONDecoder(strict=False)
        values: list[Any] = []
        position = 0
        while len(values) < 100:
            starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
            if not starts:
                break
            try:
                value, position = decoder.raw_decode(text, min(starts))
            except json.JSONDecodeError:
                break
            except RecursionError as exc:
                raise ValueError("nested too deeply") from exc
            values.append(value)
        if not values:
            raise ValueError(f"{first.msg} at character {first.pos}") from first
        return values[0] if len(values) == 1 else values


def _types(node: Mapping[str, Any]) -> list[str]:
    value = node.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return [str(v).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if isinstance(v, str)]


def _is_review(types: list[str]) -> bool:
    return any(t.endswith("Review") for t in types)


def _jsonld_reviews(data: Any) -> Iterator[FoundReview]:
    """Walk a JSON-LD value without recursion; reviews keep the name of what they review."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    nodes = 0
    while stack:
        value, context_name, depth = stack.pop()
        nodes += 1
        if nodes > MAX_JSON_NODES or depth > MAX_JSON_DEPTH:
            continue
        if isinstance(value, list):
            stack.extend((child, context_name, depth + 1) for child in reversed(value))
            continue
        if not isinstance(value, dict):
            continue
        types = _types(value)
        if _is_review(types):
            yield FoundReview(dict(value), "json-ld", item_reviewed=context_name)
            continue
        name = _plain(value.get("name")) or context_name
        stack.extend((child, name, depth + 1) for child in reversed(list(value.values())))


def _microdata_reviews(item: _Item, *, parent_name: str) -> Iterator[FoundReview]:
    stack: list[tuple[_Item, str]] = [(item, parent_name)]
    while stack:
        current, context_name = stack.pop()
        if _is_review(current.types):
            yield FoundReview(_item_to_dict(current), "microdata", item_reviewed=context_name)
            continue
        name = next((_plain(v) for v in current.props.get("name", []) if _plain(v)), "")
        children = [v for values in current.props.values() for v in values if isinstance(v, _Item)]
        stack.extend((child, name or context_name) for child in reversed(children))


def _item_to_dict(item: _Item, depth: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = {"@type": item.types[0] if item.types else ""}
    if item.item_id:
        result["@id"] = item.item_id
    for name, values in item.props.items():
        converted = [
            _item_to_dict(v, depth + 1) if isinstance(v, _Item) and depth < 10 else v
            for v in values
            if not isinstance(v, _Item) or depth < 10
        ]
        if converted:
            result[name] = converted[0] if len(converted) == 1 else converted
    return result


# --- normalization ----------------------------------------------------------------------


def _plain(value: Any) -> str:
    """A display string from a JSON-LD value: strings, {'name'|'@value'}, first of a list."""
    if isinstance(value, list):
        for entry in value:
            text = _plain(entry)
            if text:
                return text
        return ""
    if isinstance(value, dict):
        for key in ("name", "@value", "text", "headline", "alternateName"):
            if key in value:
                return _plain(value[key])
        return ""
    if isinstance(value, str):
        return html_to_text(value) if ("<" in value or "&" in value) else " ".join(value.split())
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def _number(value: Any) -> float | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    else:
        match = re.match(r"^-?\d{1,15}(\.\d{1,15})?", str(value).strip().replace(",", "."))
        if not match:
            return None
        number = float(match.group(0))
    return number if math.isfinite(number) else None  # JSON has no NaN or Infinity


def _date(value: Any) -> datetime | None:
    text = _plain(value)
    if not text:
        return None
    parsed = parse_iso(text)
    if parsed:
        return parsed
    match = re.match(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.match(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def _short_hash(external_id: str) -> str:
    return hashlib.sha1(external_id.encode(), usedforsecurity=False).hexdigest()[:16]


def _normalize(review: FoundReview, *, page_url: str) -> tuple[dict[str, Any], str] | None:
    """The review in the mention format, and its content-hash id (the fallback id)."""
    data = review.data
    title = _plain(data.get("name")) or _plain(data.get("headline"))
    body = _plain(data.get("reviewBody")) or _plain(data.get("description"))
    rating_node = data.get("reviewRating")
    if isinstance(rating_node, list):
        rating_node = rating_node[0] if rating_node else None
    rating = best = worst = None
    if isinstance(rating_node, dict):
        rating = _number(rating_node.get("ratingValue"))
        best = _number(rating_node.get("bestRating"))
        worst = _number(rating_node.get("worstRating"))
    elif rating_node is not None:
        rating = _number(rating_node)
    author = _plain(data.get("author")) or _plain(data.get("creator"))
    date_text = _plain(data.get("datePublished")) or _plain(data.get("dateCreated"))
    published = _date(date_text)

    if title and body:
        text = body if body.startswith(title) else f"{title}\n\n{body}"
    else:
        text = title or body
    if not text:
        if rating is None:
            return None  # nothing to listen to
        text = f"Rating {rating:g}" + (f"/{best:g}" if best is not None else "")
    text = text[:MAX_TEXT]

    review_url = ""
    raw_url = _plain(data.get("url"))
    if raw_url:
        review_url = clean_url(urljoin(page_url, raw_url))
    raw_id = data.get("@id")
    candidate = ""
    if isinstance(raw_id, str) and raw_id.strip() and not raw_id.startswith("_:"):
        candidate = urljoin(page_url, raw_id.strip())
    elif review_url and review_url.split("#")[0] != page_url.split("#")[0]:
        candidate = review_url
    rating_text = "" if rating is None else f"{rating:g}"
    fingerprint = "\n".join([page_url, author, date_text, body or title, rating_text])
    fallback = "sha1:" + hashlib.sha1(fingerprint.encode(), usedforsecurity=False).hexdigest()
    external_id = candidate if candidate and len(candidate) <= 300 else fallback

    item_reviewed = _plain(data.get("itemReviewed")) or review.item_reviewed
    language = _plain(data.get("inLanguage")).lower()
    handle = author or "anonymous"
    item = {
        "external_id": external_id,
        "url": review_url or clean_url(page_url),
        "text": text,
        "published_at": (published or datetime.now(UTC)).isoformat(),
        "author": {"handle": handle[:200], "name": author[:300], "followers": 0},
        "language": language if _LANGUAGE.match(language) else "",
        "in_reply_to": "",
        "raw": {
            "rating": rating,
            "best_rating": best,
            "worst_rating": worst,
            "item_reviewed": item_reviewed[:500],
            "page_url": page_url[:2000],
            "review_url": review_url,
            "format": review.source,
            "type": str(data.get("@type", "Review"))[:100],
            "date": date_text[:100],
        },
    }
    return item, fallback
