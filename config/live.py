"""The one way to push live events to browsers and integrators.

Recipients are always one client's group (`client_group`): which client is a security
decision the caller makes by naming it. Events are sent after the current transaction
commits, chunked so one channel-layer message stays well under a megabyte. Inside
`live_batch()` (storing a batch of mentions), everything sent goes in one trip after commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)

_CHUNK_CHARS = 512_000
_SEND_TIMEOUT_SECONDS = 10.0


class _SenderLoop:
    """One long-lived event loop per process, in a daemon thread, for channel-layer sends.

    channels-redis keeps its Redis connections per event loop; `async_to_sync` from sync code
    makes a new loop (and so a new connection) for every call, a few milliseconds each.
    Sends from any thread go through this loop and reuse its connections. A forked child
    (Celery's prefork workers) starts its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if self._loop is None or self._pid != os.getpid() or not alive:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="lotse-live", daemon=True)
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            assert self._loop is not None
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running())
        future.result(timeout=_SEND_TIMEOUT_SECONDS)


_sender = _SenderLoop()


def client_group(client_id: int) -> str:
    """Everyone in the client who may see all of it (managers, unscoped staff)."""
    return f"client-{client_id}.inbox"


def department_group(client_id: int, department_id: int) -> str:
    """Staff limited to one department."""
    return f"client-{client_id}.dept-{department_id}"


# Sent to a person's own group when their role or access in a client changed: their open
# sockets check the membership again at once (and close when it is gone).
ACCESS_CHANGED = "access.changed"


def user_group(client_id: int, user_id: int) -> str:
    """One person's own events in one client (their notifications), on every open page."""
    return f"client-{client_id}.user-{user_id}"


def live_send_on_commit(
    *,
    client_id: int,
    events: list[dict[str, Any]],
    departments: list[set[int]] | None = None,
) -> None:
    """Send `events` to the client's group and, where `departments[i]` names some, to those
    departments' groups too (so staff limited to a department get only its events)."""
    if not events:
        return
    # Plain JSON types only: the channel layer's msgpack knows no datetimes or decimals.
    plain = json.loads(json.dumps(events, cls=DjangoJSONEncoder))
    by_group: dict[str, list[dict[str, Any]]] = {client_group(client_id): plain}
    for event, department_ids in zip(plain, departments or [], strict=False):
        for department_id in sorted(department_ids):
            by_group.setdefault(department_group(client_id, department_id), []).append(event)

    _send_on_commit(by_group)


def live_send_to_user_on_commit(
    *, client_id: int, user_id: int, events: list[dict[str, Any]]
) -> None:
    """Send `events` to one person's group in one client only, after commit."""
    if not events:
        return
    plain = json.loads(json.dumps(events, cls=DjangoJSONEncoder))
    _send_on_commit({user_group(client_id, user_id): plain})


class _Batch:
    """What a `live_batch()` block sent, per group in the order sent, once committed."""

    def __init__(self) -> None:
        self.by_group: dict[str, list[dict[str, Any]]] = {}

    def add(self, by_group: dict[str, list[dict[str, Any]]]) -> None:
        for group, events in by_group.items():
            self.by_group.setdefault(group, []).extend(events)

    def send(self) -> None:
        if self.by_group:
            _send(self.by_group)


_current_batch: ContextVar[_Batch | None] = ContextVar("lotse_live_batch", default=None)


@contextmanager
def live_batch() -> Iterator[None]:
    """Send everything the block sends (mentions, cases, notifications) in one trip to the
    channel layer after commit, instead of one trip per call; each group still receives its
    events in the order they were sent.

    Each call inside still registers its own on-commit hook (which only adds its events to
    the batch), so a savepoint rolled back inside the block drops its events as before; the
    hook that sends is registered last, on leaving the block, so it runs after them. Nested
    blocks belong to the outermost one."""
    if _current_batch.get() is not None:
        yield
        return
    batch = _Batch()
    token = _current_batch.set(batch)
    try:
        yield
    finally:
        _current_batch.reset(token)
        # Registered even when the block raised: in a transaction that rolls back it is
        # dropped with the others; without one, the events already committed still go.
        transaction.on_commit(batch.send)


def _send_on_commit(by_group: dict[str, list[dict[str, Any]]]) -> None:
    batch = _current_batch.get()
    if batch is None:
        transaction.on_commit(lambda: _send(by_group))
    else:
        transaction.on_commit(lambda: batch.add(by_group))


def _size(event: dict[str, Any]) -> int:
    mention = event.get("mention")
    return (len(mention.get("text", "")) if isinstance(mention, dict) else 0) + 1000


def _chunks(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        length = _size(event)
        if chunks[-1] and size + length > _CHUNK_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(event)
        size += length
    return chunks


def _send(by_group: dict[str, list[dict[str, Any]]]) -> None:
    """Send each group its events: all groups at once, in one trip to the sender loop."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_group(group: str, events: list[dict[str, Any]]) -> None:
        for chunk in _chunks(events):
            await layer.group_send(group, {"type": "inbox.events", "events": chunk})

    async def send_all() -> None:
        results = await asyncio.gather(
            *(send_group(group, events) for group, events in by_group.items()),
            return_exceptions=True,
        )
        for group, result in zip(by_group, results, strict=True):
            if isinstance(result, BaseException):
                # A dead Redis must not undo a committed write; clients re-sync.
                logger.error(
                    "Could not push %d events to %s: %r", len(by_group[group]), group, result
                )

    try:
        _sender.run(send_all())
    except Exception:  # the loop is stuck or Redis hangs past the timeout
        logger.exception("Could not push events to %s", ", ".join(by_group))
