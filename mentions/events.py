"""What is pushed live about mentions.

Event shape (checked by tests): `{"type": "mention.created" | "mention.updated",
"mention": <MentionSerializer>}`, sent to the group of the client that owns the mention.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from config.live import client_group, live_send_on_commit
from config.stamps import Stamps, stamps_read
from config.tenancy import current_client
from mentions.models import Mention, Note, Response, ResponseStatus
from mentions.payloads import MentionSerializer, mentions_wire
from webhooks.models import EventType
from webhooks.outbox import webhook_events_emit, webhook_subscribed

MENTION_CREATED = "mention.created"
MENTION_UPDATED = "mention.updated"
# A big batch (an import, a backfill) is announced once: open inboxes reload their first
# page instead of receiving hundreds of rows they would mostly scroll past.
MENTIONS_ARRIVED = "mentions.arrived"
LIVE_EVENTS_PER_BATCH = 100

# Kept for callers that name the group (the consumer, tests).
inbox_group = client_group


def mentions_broadcast(*, event_type: str, mentions: Sequence[Mention]) -> None:
    """Push one event per mention to the current client's inbox after commit."""
    # One list serializer builds its fields once, not once per mention (7x faster).
    mentions = list(mentions)
    payloads = MentionSerializer(mentions, many=True).data
    live_send_on_commit(
        client_id=current_client().pk,
        events=[{"type": event_type, "mention": dict(payload)} for payload in payloads],
        departments=[mention_departments(m) for m in mentions],
    )


def mentions_arrived_broadcast(*, departments: set[int]) -> None:
    """One "reload" event for a big batch, to the client and to each department that got
    some of it (no count or content: staff of one department learn nothing of others)."""
    live_send_on_commit(
        client_id=current_client().pk,
        events=[{"type": MENTIONS_ARRIVED}],
        departments=[departments],
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


RESPONSE_UPDATED = "response.updated"


def response_payload(response: Response) -> dict[str, Any]:
    """A response as the API and the live events show it."""
    return {
        "id": response.pk,
        "mention_id": response.mention_id,
        "channel": response.channel,
        "status": response.status,
        "status_label": response.get_status_display(),
        "text": response.text,
        "original_text": response.original_text,
        "author": {"id": response.author_id, "name": response.author_name},
        "approval_reasons": list(response.approval_reasons),
        "decided_by": (
            {"id": response.decided_by_id, "name": response.decided_by_name}
            if response.decided_by_id
            else None
        ),
        "decided_at": response.decided_at,
        "reject_reason": response.reject_reason,
        "external_id": response.external_id,
        "external_url": response.external_url,
        "error": response.error,
        "attempts": response.attempts,
        "created_at": response.created_at,
        "sent_at": response.sent_at,
        "response_seconds": response.response_seconds,
        "is_first": response.is_first,
    }


def responses_broadcast(*, mention: Mention, responses: Sequence[Response]) -> None:
    """Changed responses, to the people who see the mention (its author sees the outcome);
    sent or recorded ones and those waiting for approval also to the client's webhooks."""
    responses_webhooks(mention=mention, responses=responses)
    live_send_on_commit(
        client_id=current_client().pk,
        events=[{"type": RESPONSE_UPDATED, "response": response_payload(r)} for r in responses],
        departments=[mention_departments(mention) for _ in responses],
    )


# --- Webhooks (the outbox, in the caller's transaction) ---------------------------------------


def mentions_created_webhooks(*, mention_ids: Sequence[int], stamps: Stamps | None = None) -> None:
    """`mention.created` for each new mention and `mention.routed` for those routed to a
    department; one query for the payloads, none at all when nobody subscribes and the
    batch hands down the configuration `stamps` it read (one, for them, when it does not)."""
    if not mention_ids:
        return
    stamps = stamps if stamps is not None else stamps_read()
    if not webhook_subscribed(EventType.MENTION_CREATED, EventType.MENTION_ROUTED, stamps=stamps):
        return
    wires = mentions_wire(mention_ids=mention_ids)
    webhook_events_emit(
        event_type=EventType.MENTION_CREATED, items=[{"mention": w} for w in wires], stamps=stamps
    )
    webhook_events_emit(
        event_type=EventType.MENTION_ROUTED,
        items=[{"mention": w} for w in wires if w["department"] is not None],
        stamps=stamps,
    )


# Columns that say nothing to an integrator on their own.
_QUIET_FIELDS = {"updated_at", "relevance_score", "routing_rule", "routing_reason"}


def mention_changed_webhooks(*, mention: Mention, fields: Sequence[str]) -> None:
    """`mention.updated` with the changed fields (status, assignee, triage, department...),
    and `mention.routed` when it moved to another department."""
    changed = sorted(set(fields) - _QUIET_FIELDS)
    routed = "department" in changed
    stamps = stamps_read()
    if not webhook_subscribed(EventType.MENTION_UPDATED, EventType.MENTION_ROUTED, stamps=stamps):
        return
    wire = mentions_wire(mention_ids=[mention.pk])
    if not wire:
        return
    webhook_events_emit(
        event_type=EventType.MENTION_UPDATED,
        items=[{"mention": wire[0], "changed": changed}],
        stamps=stamps,
    )
    if routed:
        webhook_events_emit(
            event_type=EventType.MENTION_ROUTED, items=[{"mention": wire[0]}], stamps=stamps
        )


_RESPONSE_EVENTS = {
    ResponseStatus.SENT: EventType.RESPONSE_SENT,
    ResponseStatus.RECORDED: EventType.RESPONSE_SENT,
    ResponseStatus.PENDING_APPROVAL: EventType.RESPONSE_APPROVAL_REQUESTED,
}


def responses_webhooks(*, mention: Mention, responses: Sequence[Response]) -> None:
    announced = [
        (event_type, response)
        for response in responses
        if (event_type := _RESPONSE_EVENTS.get(ResponseStatus(response.status))) is not None
    ]
    if not announced:
        return
    stamps = stamps_read()  # once for all of them
    for event_type, response in announced:
        webhook_events_emit(
            event_type=event_type,
            items=[{"response": response_payload(response), "mention_id": mention.pk}],
            stamps=stamps,
        )
