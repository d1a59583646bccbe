"""What is pushed live about mentions, and to whom.

The only recipients are the websocket group of the client the mention belongs to; the group
name carries the client's id, so no two clients ever share one. Events are sent after the
transaction commits, so nobody sees a change that was rolled back.

Event shape (checked by tests): `{"type": "mention.created" | "mention.updated",
"mention": <MentionSerializer>}`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from config.tenancy import current_client
from mentions.models import Mention

logger = logging.getLogger(__name__)

MENTION_CREATED = "mention.created"
MENTION_UPDATED = "mention.updated"
# Keep single channel-layer messages well under a megabyte.
_CHUNK_CHARS = 512_000


def inbox_group(client_id: int) -> str:
    return f"client-{client_id}.inbox"


def mentions_broadcast(*, event_type: str, mentions: Sequence[Mention]) -> None:
    """Push one event per mention to the current client's inbox after commit."""
    from mentions.api.serializers import MentionSerializer

    client_id = current_client().pk
    payloads = [{"type": event_type, "mention": dict(MentionSerializer(m).data)} for m in mentions]
    transaction.on_commit(lambda: _send(inbox_group(client_id), payloads))


def _send(group: str, payloads: list[dict[str, Any]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for payload in payloads:
        length = len(payload["mention"].get("text", "")) + 1000
        if chunks[-1] and size + length > _CHUNK_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(payload)
        size += length

    async def send_all() -> None:
        for chunk in chunks:
            await layer.group_send(group, {"type": "inbox.events", "events": chunk})

    try:
        async_to_sync(send_all)()
    except Exception:  # a dead Redis must not undo a committed write; clients re-sync
        logger.exception("Could not push %d events to %s", len(payloads), group)
