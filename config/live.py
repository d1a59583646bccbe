"""The one way to push live events to browsers and integrators.

Recipients are always one client's group (`client_group`): which client is a security
decision the caller makes by naming it. Events are sent after the current transaction
commits, chunked so one channel-layer message stays well under a megabyte.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)

_CHUNK_CHARS = 512_000


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

    def send() -> None:
        for group, group_events in by_group.items():
            _send(group, group_events)

    transaction.on_commit(send)


def live_send_to_user_on_commit(
    *, client_id: int, user_id: int, events: list[dict[str, Any]]
) -> None:
    """Send `events` to one person's group in one client only, after commit."""
    if not events:
        return
    plain = json.loads(json.dumps(events, cls=DjangoJSONEncoder))
    group = user_group(client_id, user_id)
    transaction.on_commit(lambda: _send(group, plain))


def _size(event: dict[str, Any]) -> int:
    mention = event.get("mention")
    return (len(mention.get("text", "")) if isinstance(mention, dict) else 0) + 1000


def _send(group: str, events: list[dict[str, Any]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        length = _size(event)
        if chunks[-1] and size + length > _CHUNK_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(event)
        size += length

    async def send_all() -> None:
        for chunk in chunks:
            await layer.group_send(group, {"type": "inbox.events", "events": chunk})

    try:
        async_to_sync(send_all)()
    except Exception:  # a dead Redis must not undo a committed write; clients re-sync
        logger.exception("Could not push %d events to %s", len(events), group)
