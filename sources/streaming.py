"""Streaming listeners: sources that push in real time instead of being polled.

Two kinds of stream are read:

* Mastodon's streaming API (server-sent events) for Mastodon sources with
  `config["streaming"] == True`: one `GET /api/v1/streaming/hashtag?tag=...` per configured
  hashtag, or `/api/v1/streaming/public` when there are none. The streaming server's address
  comes from the instance (`/api/v2/instance` → `configuration.urls.streaming`), else the
  instance itself is used. `update` events carry new statuses; everything else (deletes,
  notifications, heartbeats) is skipped.
* Bluesky's Jetstream (a websocket of JSON events) for Bluesky sources with
  `config["jetstream"]` set to a Jetstream address (`wss://…/subscribe`), asking for
  `app.bsky.feed.post` only and resuming from `cursor["jetstream_time_us"]`.

Items go through the same validation, listening-query filter and `mentions_store` path as
polled pages (`sources.services.polling._page_store`), in small batches (every
`flush_items` items or `flush_seconds` seconds), each batch in one transaction in the
client's schema together with the source's health fields and the Jetstream cursor.

Every listener runs as an asyncio task; database work happens on one thread per listener
(the ORM is synchronous). Stream addresses pass the same address check as polling
(`url_check_allowed`: no private, loopback or link-local addresses unless
`LOTSE_ALLOW_PRIVATE_NETWORKS`), redirects included. Errors reconnect with exponential
backoff (capped); a stop event ends everything cleanly after a last flush. Unreadable
items are reported on the source (`last_item_errors`) and never stop a stream.

Streams without a filter of their own (Mastodon's public timeline, Jetstream without
`wantedDids`) would store a whole network; they are refused unless the source applies the
client's listening queries and the client has some.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import tenant_context
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from accounts.models import Client
from config.tenancy import client_schemas_serving
from sources.connectors.base import ConfigError, ConnectorError, FetchPage, RateLimited
from sources.connectors.bluesky import POST_COLLECTION, jetstream_event_item
from sources.connectors.http import (
    USER_AGENT,
    BlockedAddress,
    SafeHttpClient,
    address_resolve_public,
    retry_after_seconds,
    url_check_allowed,
)
from sources.connectors.mastodon import MastodonConnector, status_item
from sources.credentials import credentials_decrypt
from sources.models import Source, SourceKind
from sources.services.polling import PageOutcome, _page_store
from sources.services.problems import source_problem_explain
from sources.services.queries import ActiveQueries, listening_queries_active

logger = logging.getLogger(__name__)

T = TypeVar("T")

MASTODON_STREAM = "mastodon"
JETSTREAM = "jetstream"

FLUSH_ITEMS = 50
FLUSH_SECONDS = 1.0
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 120.0
MAX_RETRY_AFTER_SECONDS = 3600.0
RESCAN_SECONDS = 60.0
# A stream that ends cleanly after this long reconnects at once; shorter ones back off.
HEALTHY_SESSION_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 15.0
# Mastodon sends a `:thump` heartbeat every 15 s; silence for this long means a dead stream.
READ_TIMEOUT_SECONDS = 90.0
QUERIES_TTL_SECONDS = 60.0
MAX_EVENT_CHARS = 1_000_000  # one SSE event; larger ones are dropped
MAX_PENDING_ITEMS = 5_000  # kept for a retry when the database is away
MAX_PENDING_ERRORS = 100
MAX_KNOWN_HANDLES = 50_000
JETSTREAM_MAX_MESSAGE_BYTES = 2**21
DEFAULT_JETSTREAM_PATH = "/subscribe"


# -- server-sent events ---------------------------------------------------------------
@dataclass(frozen=True)
class SseEvent:
    """One dispatched server-sent event: its type (`message` when unnamed), data, last id."""

    event: str
    data: str
    id: str = ""


_LINE_END = re.compile(r"\r\n|\r|\n")


class SseParser:
    """An incremental `text/event-stream` parser (the WHATWG algorithm).

    Feed it chunks as they arrive, cut anywhere (inside a line, a CRLF or a UTF-8
    sequence); it returns the events each chunk completes. Comments (`:thump`
    heartbeats) are counted, unknown fields ignored, multi-line `data:` joined with
    newlines. An event left unfinished when the stream ends is never dispatched. Events
    larger than `max_event_chars` are dropped (counted in `dropped`) to bound memory.
    """

    def __init__(self, *, max_event_chars: int = MAX_EVENT_CHARS) -> None:
        self.max_event_chars = max_event_chars
        self.comments = 0
        self.dropped = 0
        self.last_event_id = ""
        self.retry_ms: int | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._started = False
        self._skip_lf = False  # the previous chunk ended with CR: a leading LF belongs to it
        self._event = ""
        self._data: list[str] = []
        self._size = 0
        self._discarding = False  # inside an oversized event: skip to its blank line
        self._in_dropped_line = False  # the rest of an oversized line is still to come

    def feed(self, chunk: bytes | str) -> list[SseEvent]:
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        if not text:
            return []
        if not self._started:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
        text = self._buffer + text
        events: list[SseEvent] = []
        position = 0
        for match in _LINE_END.finditer(text):
            self._line(text[position : match.start()], events)
            position = match.end()
            if match.group() == "\r" and position == len(text):
                self._skip_lf = True
        rest = text[position:]
        if self._in_dropped_line:
            rest = ""
        elif len(rest) + self._size > self.max_event_chars:
            self._event_drop()
            self._in_dropped_line = True
            rest = ""
        self._buffer = rest
        return events

    def _event_drop(self) -> None:
        self._event, self._data, self._size = "", [], 0
        self._discarding = True

    def _line(self, line: str, events: list[SseEvent]) -> None:
        if self._in_dropped_line:
            self._in_dropped_line = False  # the tail of a line that was too long
            return
        if not line:
            if self._discarding:
                self._discarding = False
                self.dropped += 1
            elif self._data:
                events.append(
                    SseEvent(self._event or "message", "\n".join(self._data), self.last_event_id)
                )
            self._event, self._data, self._size = "", [], 0
            return
        if self._discarding:
            return
        if line.startswith(":"):
            self.comments += 1
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._size += len(value) + 1
            if self._size > self.max_event_chars:
                self._event_drop()
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\x00" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)


def sse_events(chunks: list[bytes] | list[str]) -> list[SseEvent]:
    """All events of a complete stream given as chunks (for tests and one-off reads)."""
    parser = SseParser()
    events: list[SseEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    return events


def mastodon_event_item(event: SseEvent) -> dict[str, Any] | None:
    """The item of a Mastodon streaming `update` event; None for other events (deletes,
    notifications, conversations, filter changes…). ValueError when an update is unreadable."""
    if event.event != "update":
        return None
    try:
        status = json.loads(event.data)
    except (ValueError, RecursionError) as exc:
        raise ValueError("unreadable JSON") from exc
    try:
        return status_item(status)
    except (KeyError, TypeError) as exc:
        raise ValueError(str(exc)) from exc


# -- addresses ------------------------------------------------------------------------
_HTTP_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def http_form(url: str) -> str:
    """The http(s) form of a ws(s) URL, for the address check."""
    parts = urlsplit(url)
    scheme = _HTTP_SCHEMES.get(parts.scheme.lower(), parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


def _streaming_base(value: Any, *, instance: str) -> str:
    """The http(s) base of the streaming server an instance announces, or '' (unusable)."""
    if not isinstance(value, str) or not value.strip():
        return ""
    parts = urlsplit(value.strip())
    scheme = _HTTP_SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.hostname or parts.query or parts.fragment:
        return ""
    if urlsplit(instance).scheme == "https" and scheme == "http":
        return ""  # never send the token in clear text because the instance said so
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def mastodon_streaming_base(instance: str, *, allow_private: bool | None = None) -> str:
    """Where the instance's streaming API lives: `configuration.urls.streaming` from
    `/api/v2/instance`, else the instance itself (which proxies or redirects). Raises
    BlockedAddress when the instance may not be reached."""
    try:
        with SafeHttpClient(max_bytes=1_000_000, allow_private=allow_private) as http:
            response = http.get(
                f"{instance}/api/v2/instance", headers={"Accept": "application/json"}
            )
    except BlockedAddress:
        raise
    except ConnectorError:
        return instance
    if not 200 <= response.status_code < 300:
        return instance
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return instance
    configuration = data.get("configuration") if isinstance(data, Mapping) else None
    urls = configuration.get("urls") if isinstance(configuration, Mapping) else None
    streaming = urls.get("streaming") if isinstance(urls, Mapping) else None
    return _streaming_base(streaming, instance=instance) or instance


def mastodon_stream_urls(base: str, hashtags: list[str]) -> list[str]:
    if not hashtags:
        return [f"{base}/api/v1/streaming/public"]
    return [f"{base}/api/v1/streaming/hashtag?{urlencode({'tag': tag})}" for tag in hashtags]


def jetstream_url(address: str, *, cursor: int | None = None) -> str:
    """The Jetstream subscription URL for posts, resuming at `cursor` (microseconds)."""
    parts = urlsplit(str(address).strip())
    if parts.scheme.lower() not in {"ws", "wss"} or not parts.hostname or parts.fragment:
        raise ConnectorError(
            "The Jetstream address must be a ws:// or wss:// URL, e.g. "
            "wss://jetstream2.us-east.bsky.network/subscribe"
        )
    params = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in {"cursor", "wantedCollections"}
    ]
    params.append(("wantedCollections", POST_COLLECTION))
    if cursor:
        params.append(("cursor", str(cursor)))
    path = parts.path if parts.path not in {"", "/"} else DEFAULT_JETSTREAM_PATH
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, urlencode(params), ""))


class _GuardedConnect(ws_connect):
    """websockets' connect, with the address check at every connection (redirects too): the
    host is resolved once and the socket goes to the checked address (TLS still names the
    host), so a DNS answer that changes after the check (rebinding) cannot reach inside."""

    def __init__(self, uri: str, *, allow_private: bool, **kwargs: Any) -> None:
        super().__init__(uri, **kwargs)
        self.allow_private = allow_private

    async def open_tcp_connection(self) -> ClientConnection:
        url_check_allowed(http_form(self.uri), allow_private=True)  # the scheme
        if self.allow_private:
            return await super().open_tcp_connection()
        address = await asyncio.to_thread(
            address_resolve_public, self.ws_uri.host, self.ws_uri.port
        )
        plain = self.create_connection_kwargs
        self.create_connection_kwargs = {**plain, "host": address}
        try:
            return await super().open_tcp_connection()
        finally:
            self.create_connection_kwargs = plain


# -- which sources stream -------------------------------------------------------------
def stream_kind(source: Source) -> str | None:
    """MASTODON_STREAM, JETSTREAM, or None for sources that are only polled."""
    config = source.config if isinstance(source.config, Mapping) else {}
    if source.kind == SourceKind.MASTODON and config.get("streaming") is True:
        return MASTODON_STREAM
    if source.kind == SourceKind.BLUESKY:
        address = config.get("jetstream")
        if isinstance(address, str) and address.strip():
            return JETSTREAM
    return None


@dataclass(frozen=True)
class StreamTarget:
    client: Client
    source_id: int
    name: str
    kind: str
    signature: str  # changes with the settings that need a new connection

    @property
    def key(self) -> tuple[str, int]:
        return (self.client.schema_name, self.source_id)


def _signature(source: Source) -> str:
    data = [source.kind, source.config, source.credentials_encrypted, source.apply_queries]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def stream_targets(
    *, client_slug: str | None = None, log: Callable[[str], None] | None = None
) -> list[StreamTarget]:
    """The enabled streaming sources of every client (or of one). Runs queries: sync only."""
    clients = Client.objects.filter(schema_name__in=client_schemas_serving()).order_by("slug")
    if client_slug:
        clients = clients.filter(slug=client_slug)
    targets: list[StreamTarget] = []
    for client in clients:
        try:
            with tenant_context(client):
                sources = list(
                    Source.objects.filter(
                        enabled=True, kind__in=[SourceKind.MASTODON, SourceKind.BLUESKY]
                    ).order_by("pk")
                )
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:  # one broken schema must not hide the others
            (log or logger.warning)(f"{client.slug}: cannot read sources: {exc}")
            continue
        for source in sources:
            kind = stream_kind(source)
            if kind is not None:
                targets.append(
                    StreamTarget(client, source.pk, source.name, kind, _signature(source))
                )
    return targets


# -- listeners ------------------------------------------------------------------------
class SourceGone(Exception):
    """The source was deleted or disabled, or stopped being a streaming source."""


@dataclass
class ListenerStats:
    connects: int = 0
    events: int = 0  # SSE events or websocket messages read
    items: int = 0  # items handed to storage
    flushes: int = 0
    stored: int = 0
    failures: int = 0
    last_error: str = ""


@dataclass
class _Snapshot:
    source: Source
    credentials: dict[str, str]
    queries: ActiveQueries


def _db_call(function: Callable[..., T], *args: Any) -> T:
    try:
        return function(*args)
    except (OperationalError, InterfaceError):
        connection.close()  # reconnect on the next call
        raise


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(seconds, 0.0))


async def _until_stopped(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
    """Run `work` until it ends or `stop` is set (then cancel it)."""
    task = asyncio.create_task(work)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if not task.cancelled():
        task.result()


class StreamListener:
    """Reads one source's stream and stores what it carries until stopped."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = "stream"

    def __init__(
        self,
        *,
        client: Client,
        source_id: int,
        flush_items: int = FLUSH_ITEMS,
        flush_seconds: float = FLUSH_SECONDS,
        backoff_base: float = BACKOFF_BASE_SECONDS,
        backoff_max: float = BACKOFF_MAX_SECONDS,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.source_id = source_id
        self.flush_items = max(1, flush_items)
        self.flush_seconds = max(0.01, flush_seconds)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.log = log or logger.info
        self.stats = ListenerStats()
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"stream-{client.schema_name}-{source_id}"
        )
        self._items: list[dict[str, Any]] = []
        self._errors: list[str] = []
        self._cursor: dict[str, Any] = {}
        self._pending_since: float | None = None
        self._flush_lock: asyncio.Lock | None = None
        self._queries: ActiveQueries | None = None
        self._queries_at = 0.0
        self._received = 0

    @property
    def name(self) -> str:
        return f"{self.client.slug} source {self.source_id} ({self.label})"

    def _say(self, message: str) -> None:
        self.log(f"{self.name}: {message}")

    # -- the loop ---------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Connect, read, store; reconnect with backoff; return when `stop` is set or the
        source is gone (deleted, disabled, or no longer streaming)."""
        self._flush_lock = asyncio.Lock()
        failures = 0
        try:
            while not stop.is_set():
                error, retry_after = "", None
                self._received = 0
                started = time.monotonic()
                try:
                    snapshot = await self._db(self._snapshot_load)
                    await _until_stopped(self._session(snapshot), stop)
                except SourceGone:
                    self._say("source disabled, deleted or no longer streaming; stopping")
                    return
                except RateLimited as exc:
                    error, retry_after = str(exc), exc.retry_after
                except ConnectorError as exc:
                    error = str(exc)
                except Exception as exc:
                    error = _describe(exc)
                    if not isinstance(exc, httpx.HTTPError | OSError | TimeoutError):
                        logger.debug("%s: stream failed", self.name, exc_info=True)
                try:
                    await self._flush()
                except SourceGone:
                    self._say("source deleted; stopping")
                    return
                except Exception as exc:
                    error = error or f"storing failed: {_describe(exc)}"
                if stop.is_set():
                    break
                if not error and not self._received:
                    error = "the stream ended without sending anything"
                if error:
                    failures += 1
                    self.stats.failures += 1
                    self.stats.last_error = error
                elif time.monotonic() - started >= HEALTHY_SESSION_SECONDS:
                    failures = 0
                else:
                    failures += 1  # a server that keeps hanging up soon is not hammered
                if retry_after is not None:
                    delay = min(max(retry_after, 1.0), MAX_RETRY_AFTER_SECONDS)
                else:
                    delay = min(self.backoff_base * 2 ** max(failures - 1, 0), self.backoff_max)
                if error:
                    self._say(f"disconnected: {error}; reconnecting in {delay:.1f} s")
                    with contextlib.suppress(Exception):
                        await self._db(self._failure_record, error)
                else:
                    self._say(f"stream ended; reconnecting in {delay:.1f} s")
                await _sleep_unless(stop, delay)
        finally:
            with contextlib.suppress(Exception):
                await self._flush()
            loop = asyncio.get_running_loop()
            with contextlib.suppress(Exception):
                await loop.run_in_executor(self._executor, connection.close)
            self._executor.shutdown(wait=False)
            self._say(f"stopped ({self.stats.stored} stored)")

    async def _session(self, snapshot: _Snapshot) -> None:
        raise NotImplementedError

    async def _run_readers(self, readers: list[Coroutine[Any, Any, None]]) -> None:
        """Run the stream readers and the periodic flush until one of them ends."""
        tasks = [asyncio.create_task(reader) for reader in readers]
        tasks.append(asyncio.create_task(self._flush_periodically()))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _require_filter(self, snapshot: _Snapshot, what: str) -> None:
        if not (snapshot.source.apply_queries and snapshot.queries.queries):
            raise ConnectorError(
                f"Not streaming {what} unfiltered: add listening queries for this client "
                "(and keep query filtering on for this source)"
            )

    async def _connected(self, url: str) -> None:
        self.stats.connects += 1
        self._say(f"connected to {url}")
        await self._db(self._connected_record)

    # -- batching ---------------------------------------------------------------------
    async def _add(
        self,
        *,
        item: dict[str, Any] | None = None,
        error: str | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> None:
        if item is None and error is None and not cursor:
            return
        if item is not None:
            self._items.append(item)
            self.stats.items += 1
        if error is not None and len(self._errors) < MAX_PENDING_ERRORS:
            self._errors.append(error[:500])
        if cursor:
            self._cursor.update(cursor)
        if self._pending_since is None:
            self._pending_since = time.monotonic()
        if len(self._items) >= self.flush_items:
            await self._flush()

    async def _flush_periodically(self) -> None:
        tick = min(self.flush_seconds / 2, 0.25)
        while True:
            await asyncio.sleep(tick)
            since = self._pending_since
            if since is not None and time.monotonic() - since >= self.flush_seconds:
                await self._flush()

    async def _flush(self) -> None:
        if self._flush_lock is None:
            return
        async with self._flush_lock:
            if not (self._items or self._errors or self._cursor):
                return
            items, errors, cursor = self._items, self._errors, self._cursor
            self._items, self._errors, self._cursor = [], [], {}
            self._pending_since = None
            try:
                outcome = await self._db(self._store, items, errors, cursor)
            except BaseException:
                # Keep the batch for the next try (a store that did happen after all is
                # harmless: mentions are stored once per source and external id).
                self._items = (items + self._items)[-MAX_PENDING_ITEMS:]
                self._errors = (errors + self._errors)[:MAX_PENDING_ERRORS]
                self._cursor = {**cursor, **self._cursor}
                self._pending_since = self._pending_since or time.monotonic()
                raise
            self.stats.flushes += 1
            self.stats.stored += outcome.stored
            if outcome.fetched or outcome.rejected:
                unreadable = f", {len(outcome.rejected)} unreadable" if outcome.rejected else ""
                self._say(
                    f"flushed {outcome.fetched} items: {outcome.stored} new stored{unreadable}"
                )

    # -- database (on the listener's own thread) --------------------------------------
    async def _db(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(_db_call, function, *args)
        )

    def _queries_current(self, *, force: bool = False) -> ActiveQueries:
        now = time.monotonic()
        if force or self._queries is None or now - self._queries_at > QUERIES_TTL_SECONDS:
            self._queries, self._queries_at = listening_queries_active(), now
        return self._queries

    def _snapshot_load(self) -> _Snapshot:
        with tenant_context(self.client):
            source = Source.objects.filter(pk=self.source_id, enabled=True).first()
            if source is None or stream_kind(source) != self.kind:
                raise SourceGone()
            return _Snapshot(
                source=source,
                credentials=credentials_decrypt(source.credentials_encrypted),
                queries=self._queries_current(force=True),
            )

    def _store(
        self, items: list[dict[str, Any]], errors: list[str], cursor: dict[str, Any]
    ) -> PageOutcome:
        with tenant_context(self.client):
            source = Source.objects.filter(pk=self.source_id).first()
            if source is None:
                raise SourceGone()
            queries = self._queries_current()
            with transaction.atomic():
                outcome, _ = _page_store(
                    source=source,
                    page=FetchPage(items=items, errors=errors),
                    queries=queries,
                    window=None,
                )
                fields: dict[str, Any] = {"last_success_at": timezone.now()}
                if outcome.fetched:
                    fields["items_fetched"] = F("items_fetched") + outcome.fetched
                if outcome.rejected:
                    fields["last_item_errors"] = outcome.rejected[:20]
                Source.objects.filter(pk=source.pk).update(**fields)
                if cursor:
                    # Merged, not replaced: polling keeps its own keys in the same cursor.
                    with connection.cursor() as db:
                        db.execute(
                            'UPDATE sources_source SET "cursor" = '
                            "COALESCE(\"cursor\", '{}'::jsonb) || %s::jsonb WHERE id = %s",
                            [json.dumps(cursor), source.pk],
                        )
            return outcome

    def _connected_record(self) -> None:
        with tenant_context(self.client):
            Source.objects.filter(pk=self.source_id).update(
                last_success_at=timezone.now(), consecutive_failures=0
            )

    def _failure_record(self, error: str) -> None:
        with tenant_context(self.client):
            source = Source.objects.filter(pk=self.source_id).first()
            problem = source_problem_explain(
                error=error,
                url=str(source.config.get("instance") or "") if source else "",
                kind=source.kind if source else "",
            )
            # A message the translation does not know (a listener's own) is kept as it is.
            message = error if problem.kind == "unknown" else problem.message
            Source.objects.filter(pk=self.source_id).update(
                last_error=message[:2000],
                last_error_detail=error[:2000],
                last_error_at=timezone.now(),
                consecutive_failures=F("consecutive_failures") + 1,
            )


class MastodonStreamListener(StreamListener):
    kind = MASTODON_STREAM
    label = "Mastodon streaming"

    async def _session(self, snapshot: _Snapshot) -> None:
        try:
            config = MastodonConnector.validate_config(snapshot.source.config)
        except ConfigError as exc:
            raise ConnectorError(f"Invalid Mastodon configuration: {exc}") from exc
        instance = str(config["instance"])
        if not config["hashtags"]:
            self._require_filter(snapshot, f"the public timeline of {instance}")
        allow_private = bool(settings.LOTSE_ALLOW_PRIVATE_NETWORKS)
        base = await asyncio.to_thread(
            mastodon_streaming_base, instance, allow_private=allow_private
        )
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        token = str(snapshot.credentials.get("access_token") or "").strip()
        if token:
            headers["Authorization"] = f"Bearer {token}"

        async def check(request: httpx.Request) -> None:
            await asyncio.to_thread(
                url_check_allowed, str(request.url), allow_private=allow_private
            )

        async with httpx.AsyncClient(
            timeout=httpx.Timeout(READ_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": USER_AGENT},
            event_hooks={"request": [check]},
            trust_env=False,
        ) as http:
            await self._run_readers(
                [
                    self._read(http, url, headers)
                    for url in mastodon_stream_urls(base, config["hashtags"])
                ]
            )

    async def _read(self, http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        try:
            async with http.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status == 429 or (status == 503 and "retry-after" in response.headers):
                    raise RateLimited(retry_after_seconds(response.headers), url=url)
                if not 200 <= status < 300:
                    raise ConnectorError(f"{url} answered {status}{await _error_detail(response)}")
                content_type = response.headers.get("content-type", "")
                if "text/event-stream" not in content_type.lower():
                    raise ConnectorError(
                        f"{url} did not send an event stream ({content_type or 'no type'})"
                    )
                await self._connected(url)
                parser = SseParser()
                async for chunk in response.aiter_bytes():
                    self._received += len(chunk)
                    for event in parser.feed(chunk):
                        self.stats.events += 1
                        await self._event(event)
        except httpx.TimeoutException as exc:
            raise ConnectorError(f"{url} timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(f"{url} failed: {_describe(exc)}") from exc

    async def _event(self, event: SseEvent) -> None:
        try:
            item = mastodon_event_item(event)
        except ValueError as exc:
            await self._add(error=f"{event.event} event{_status_label(event.data)}: {exc}")
            return
        if item is not None:
            await self._add(item=item)


class JetstreamListener(StreamListener):
    kind = JETSTREAM
    label = "Bluesky Jetstream"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.time_us: int | None = None  # the last event's, resumed from on reconnect
        self.handles: dict[str, str] = {}  # DID -> handle, from identity events

    async def _session(self, snapshot: _Snapshot) -> None:
        source = snapshot.source
        stored_cursor = source.cursor.get("jetstream_time_us") if source.cursor else None
        if self.time_us is None and isinstance(stored_cursor, int):
            self.time_us = stored_cursor
        url = jetstream_url(str(source.config.get("jetstream") or ""), cursor=self.time_us)
        allow_private = bool(settings.LOTSE_ALLOW_PRIVATE_NETWORKS)
        await asyncio.to_thread(url_check_allowed, http_form(url), allow_private=allow_private)
        if "wantedDids" not in dict(parse_qsl(urlsplit(url).query)):
            self._require_filter(snapshot, "every post on Bluesky")
        async with _GuardedConnect(
            url,
            allow_private=allow_private,
            proxy=None,
            user_agent_header=USER_AGENT,
            open_timeout=CONNECT_TIMEOUT_SECONDS,
            ping_interval=20,
            ping_timeout=30,
            close_timeout=5,
            max_size=JETSTREAM_MAX_MESSAGE_BYTES,
        ) as ws:
            await self._connected(url)
            await self._run_readers([self._read(ws)])

    async def _read(self, ws: ClientConnection) -> None:
        async for message in ws:  # ends on a normal close, raises on an abnormal one
            self._received += len(message)
            self.stats.events += 1
            await self._line(message)

    async def _line(self, message: str | bytes) -> None:
        try:
            event = json.loads(message)
        except (ValueError, RecursionError):
            await self._add(error="unreadable Jetstream message")
            return
        if not isinstance(event, dict):
            await self._add(error="Jetstream message is not an object")
            return
        time_us = event.get("time_us")
        cursor: dict[str, Any] | None = None
        if isinstance(time_us, int) and not isinstance(time_us, bool) and time_us > 0:
            self.time_us = time_us
            cursor = {"jetstream_time_us": time_us}
        if event.get("kind") == "identity":
            self._handle_learn(event.get("identity"))
        await self._add(item=jetstream_event_item(event, handles=self.handles), cursor=cursor)

    def _handle_learn(self, identity: Any) -> None:
        if not isinstance(identity, Mapping):
            return
        did, handle = identity.get("did"), identity.get("handle")
        if isinstance(did, str) and isinstance(handle, str) and handle:
            if len(self.handles) >= MAX_KNOWN_HANDLES:
                self.handles.pop(next(iter(self.handles)))
            self.handles[did] = handle


LISTENERS: dict[str, type[StreamListener]] = {
    MASTODON_STREAM: MastodonStreamListener,
    JETSTREAM: JetstreamListener,
}


def listener_for(target: StreamTarget, **options: Any) -> StreamListener:
    return LISTENERS[target.kind](client=target.client, source_id=target.source_id, **options)


async def _error_detail(response: httpx.Response) -> str:
    body = b""
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > 4000:
                break
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    if isinstance(data, Mapping) and isinstance(data.get("error"), str):
        return f": {data['error'][:300]}"
    return ""


def _status_label(data: str) -> str:
    match = re.match(r'\s*\{\s*"id"\s*:\s*"([^"]{1,40})"', data)
    return f" {match.group(1)}" if match else ""


# -- all sources ----------------------------------------------------------------------
async def streams_run(
    *,
    client_slug: str | None = None,
    duration: float | None = None,
    rescan_seconds: float = RESCAN_SECONDS,
    stop: asyncio.Event | None = None,
    log: Callable[[str], None] | None = None,
    **listener_options: Any,
) -> list[StreamListener]:
    """Run a listener per streaming source until `stop` is set (or `duration` passes),
    re-scanning every `rescan_seconds` for new, changed, disabled or removed sources.
    Returns every listener that ran (their `stats` say what they did)."""
    say = log or logger.info
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + duration if duration is not None else None
    running: dict[tuple[str, int], tuple[StreamTarget, StreamListener, asyncio.Event, Any]] = {}
    finished: list[StreamListener] = []
    scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stream-scan")
    first = True

    async def retire(key: tuple[str, int], why: str) -> None:
        target, listener, own_stop, task = running.pop(key)
        if why:
            say(f"{target.client.slug} source {target.source_id}: {why}")
        own_stop.set()
        with contextlib.suppress(Exception):
            await task
        finished.append(listener)

    try:
        while not stop.is_set():
            try:
                targets: list[StreamTarget] | None = await loop.run_in_executor(
                    scanner,
                    functools.partial(
                        _db_call, functools.partial(stream_targets, client_slug=client_slug)
                    ),
                )
            except Exception as exc:
                say(f"scanning for streaming sources failed: {_describe(exc)}")
                targets = None
            if targets is not None:
                wanted = {target.key: target for target in targets}
                for key, (target, _, _, task) in list(running.items()):
                    if key not in wanted:
                        await retire(key, "no longer streaming (disabled, removed or changed)")
                    elif wanted[key].signature != target.signature:
                        await retire(key, "settings changed; restarting its listener")
                    elif task.done():
                        await retire(key, "")
                for key, target in wanted.items():
                    if key in running:
                        continue
                    listener = listener_for(target, log=say, **listener_options)
                    own_stop = asyncio.Event()
                    task = asyncio.create_task(listener.run(own_stop))
                    running[key] = (target, listener, own_stop, task)
                    say(
                        f"{target.client.slug} source {target.source_id} ({target.name!r}): "
                        f"starting {listener.label} listener"
                    )
                if first and not wanted:
                    say(f"no streaming sources yet; checking every {rescan_seconds:g} s")
                first = False
            wait = rescan_seconds
            if deadline is not None:
                wait = min(wait, deadline - loop.time())
                if wait <= 0:
                    break
            await _sleep_unless(stop, wait)
            if deadline is not None and loop.time() >= deadline:
                break
    finally:
        for _, _, own_stop, _ in running.values():
            own_stop.set()
        for key in list(running):
            await retire(key, "")
        with contextlib.suppress(Exception):
            await loop.run_in_executor(scanner, connection.close)
        scanner.shutdown(wait=False)
    return finished
