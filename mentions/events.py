"""What is pushed live about mentions.

Event shape (checked by tests): `{"type": "mention.created" | "mention.updated",
"mention": <MentionSerializer>}`, sent to the group of the client that owns the mention.
"""

from __future__ import annotations

from collections.abc import Sequence

from config.live import client_group, live_send_on_commit
from config.tenancy import current_client
from mentions.models import Mention, Note

MENTION_CREATED = "mention.created"
MENTION_UPDATED = "mention.updated"

# Kept for callers that name the group (the consumer, tests).
inbox_group = client_group


def mentions_broadcast(*, event_type: str, mentions: Sequence[Mention]) -> None:
    """Push one event per mention to the current client's inbox after commit."""
    from mentions.api.serializers import MentionSerializer

    # One list serializer builds its fields once, not once per mention (7x faster).
    mentions = list(mentions)
    payloads = MentionSerializer(mentions, many=True).data
    live_send_on_commit(
        client_id=current_client().pk,
        events=[{"type": event_type, "mention": dict(payload)} for payload in payloads],
        departments=[mention_departments(m) for m in mentions],
    )


def mention_departments(mention: Mention) -> set[int]:
    """The departments whose staff see this mention: where it was routed and copied."""
    ids = set(mention.copied_to or [])
    if mention.department_id is not None:
        ids.add(mention.department_id)
    return ids


NOTE_CREATED = "note.created"


def notes_broadcast(*, mention: Mention, note: Note) -> None:
    """A new internal note, to the people who see the mention."""
    live_send_on_commit(
        client_id=current_client().pk,
        events=[
            {
                "type": NOTE_CREATED,
                "note": {
                    "id": note.pk,
                    "mention_id": mention.pk,
                    "author": note.author_name,
                    "text": note.text,
                    "created_at": note.created_at,
                },
            }
        ],
        departments=[mention_departments(mention)],
    )
