"""The connector interface and its errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from sources.connectors.http import SafeHttpClient


class ConnectorError(Exception):
    """The source could not be read this time (network, status, unreadable page)."""


class RateLimited(ConnectorError):
    def __init__(self, retry_after: float, *, url: str = "") -> None:
        super().__init__(f"Rate limited by {url or 'the network'}; retry in {retry_after:.0f}s")
        self.retry_after = retry_after


class ConfigError(ValueError):
    """The source's configuration is invalid; `fields` says which and why."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {value}" for key, value in fields.items()))
        self.fields = fields


class ReplyNotSupported(ConnectorError):
    pass


@dataclass
class FetchPage:
    """One page: items in the mention format, per-item problems, where to go on from."""

    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    has_more: bool = False


@dataclass(frozen=True)
class PostedReply:
    """A reply the network accepted: its id there and, where known, its public address."""

    external_id: str
    url: str = ""


@dataclass(frozen=True)
class FetchWindow:
    """Optional date range for backfills; connectors that can ask the network for a range
    do, the others return what they have and the caller drops what falls outside."""

    since: datetime | None = None
    until: datetime | None = None


class Connector(ABC):
    kind: ClassVar[str]
    network: ClassVar[str]
    label: ClassVar[str]
    default_interval_seconds: ClassVar[int] = 300
    # Config keys with a one-line help text, shown on the sources page.
    config_fields: ClassVar[dict[str, str]] = {}
    credential_fields: ClassVar[dict[str, str]] = {}
    # The longest reply the network takes (characters), where replies are supported.
    reply_max_chars: ClassVar[int | None] = None
    # Whether people add sources of this kind to be polled (push-only kinds are not offered).
    pollable: ClassVar[bool] = True

    def __init__(
        self,
        *,
        config: Mapping[str, Any],
        credentials: Mapping[str, str],
        http: SafeHttpClient,
        search_terms: list[str] | None = None,
        native_query: str | None = None,
    ) -> None:
        self.config = dict(config)
        self.credentials = dict(credentials)
        self.http = http
        # From the client's boolean queries: plain terms for networks with keyword search,
        # and a native query string where the network has a query language of its own.
        self.search_terms = search_terms or []
        self.native_query = native_query

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """Return the cleaned config or raise ConfigError."""
        return dict(config)

    @abstractmethod
    def fetch(self, cursor: Mapping[str, Any], window: FetchWindow | None = None) -> FetchPage:
        """Fetch the next page after `cursor` (an empty cursor starts from the newest)."""

    def reply(self, *, in_reply_to: str, text: str) -> str:
        """Post a public reply and return its external id, where the network allows it."""
        raise ReplyNotSupported(f"{self.label} does not support replies from Lotse")

    def post_reply(self, *, in_reply_to: str, text: str) -> PostedReply:
        """Post a public reply; connectors that learn the reply's address override this."""
        return PostedReply(external_id=self.reply(in_reply_to=in_reply_to, text=text))

    @classmethod
    def supports_reply(cls) -> bool:
        return cls.reply is not Connector.reply or cls.post_reply is not Connector.post_reply

    def send_direct_message(
        self, *, author_handle: str, mention_raw: Mapping[str, Any], text: str
    ) -> PostedReply:
        """Send the mention's author a private message, where the network's API allows it.
        `mention_raw` is what this connector stored with the mention (ids it may need)."""
        raise ReplyNotSupported(f"{self.label} does not support direct messages from Lotse")

    @classmethod
    def supports_direct_message(cls) -> bool:
        return cls.send_direct_message is not Connector.send_direct_message


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


def config_flag(
    config: Mapping[str, Any], key: str, *, default: bool, errors: dict[str, str]
) -> bool:
    """A yes/no setting from a source's config (booleans or their usual spellings); an
    unreadable value is reported in `errors` and the default is used."""
    value = config.get(key, default)
    if isinstance(value, bool):
        return value
    if value is None:
        return default
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors[key] = "true or false"
    return default


MAX_COUNT = 2**62


def known_count(value: Any) -> int | None:
    """A count a network sent (capped), or None when it sent none or a hidden one (-1,
    null, text): unknown, so it never erases a count we know."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or value < 0:
        return None
    return min(value, MAX_COUNT)


def known_sum(*values: Any) -> int | None:
    """The sum of the known counts (reposts and quotes both carry a post to new readers)."""
    known = [count for count in map(known_count, values) if count is not None]
    return min(sum(known), MAX_COUNT) if known else None


def author_counts(
    *, followers: int | None, following: int | None = None, posts: int | None = None
) -> dict[str, int | None]:
    """The counts part of an item's author in the mention format (sources/formats.py);
    `following` and `posts` are left out when unknown."""
    counts: dict[str, int | None] = {"followers": followers}
    if following is not None:
        counts["following"] = following
    if posts is not None:
        counts["posts"] = posts
    return counts


def engagement_of(
    *, likes: int | None, reposts: int | None, replies: int | None
) -> dict[str, dict[str, int | None]]:
    """`{"engagement": {...}}` to merge into an item, or nothing when all are unknown."""
    if likes is None and reposts is None and replies is None:
        return {}
    return {"engagement": {"likes": likes, "reposts": reposts, "replies": replies}}
