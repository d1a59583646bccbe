"""The one way to push live events to browsers and integrators.

Recipients are always one client's group (`client_group`): which client is a security
decision the caller makes by naming it. Events are sent after the current transaction
commits, chunked so one channel-layer message stays well under a megabyte.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Coroutine
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

    transaction.on_commit(lambda: _send(by_group))


def live_send_to_user_on_commit(
    *, client_id: int, user_id: int, events: list[dict[str, Any]]
) -> None:
    """Send `events` to one person's group in one client only, after commit."""
    if not events:
        return
    plain = json.loads(json.dumps(events, cls=DjangoJSONEncoder))
    group = user_group(client_id, user_id)
    transaction.on_commit(lambda: _send({group: plain}))


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
