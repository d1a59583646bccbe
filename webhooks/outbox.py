"""The webhook outbox: the one way to announce an event to a client's integrators.

Services call `webhook_events_emit` inside the transaction that makes the change, so an
event is stored exactly when its change commits (never lost, never sent for a rolled-back
change). Each event gets one pending delivery per active subscription that asked for its
type; a delivery task is queued after commit (and beat sweeps every few seconds).

Which event types the client subscribes to is compiled once per process and kept while
the client's 'webhooks' configuration stamp holds (`config.stamps`, webhooks 0002): a
trigger moves it with every subscription added, removed, switched on or off or given other
events, however it is written (the ORM, raw SQL), and a rolled-back change leaves nothing
stale (its stamp is never seen again). A batch hands down the stamps it has read anyway,
so a batch nobody listens for costs no query of its own.

Payload, version 1 (documented in README and the OpenAPI component `WebhookEvent`):
`{"version": 1, "id": <event uuid>, "type": <event type>, "created_at": <ISO time>,
"client": {"slug": ..., "name": ...}, "data": {...}}`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from config.celery import task_send
from config.stamps import WEBHOOKS, StampedCache, Stamps
from config.tenancy import current_client, current_schema
from webhooks.models import EventType, Subscription

PAYLOAD_VERSION = 1
DELIVER_TASK = "webhooks.deliver_due"
RETRY_WINDOW = timedelta(hours=24)


def _subscribed_types_build() -> frozenset[str]:
    types: set[str] = set()
    for events in Subscription.objects.filter(is_active=True).values_list("events", flat=True):
        types.update(events)
    return frozenset(types)


_subscribed_types: StampedCache[frozenset[str]] = StampedCache(WEBHOOKS)


def webhook_subscribed_types(*, stamps: Stamps | None = None) -> frozenset[str]:
    """The event types some active subscription of the current client wants, as of
    `stamps` (read now when None)."""
    return _subscribed_types.get(stamps=stamps, build=_subscribed_types_build)


def webhook_subscribed(*types: str, stamps: Stamps | None = None) -> bool:
    """Whether any of `types` would be delivered: callers skip building payloads if not."""
    return bool(webhook_subscribed_types(stamps=stamps) & set(types))


def webhook_envelope(
    *, event_uuid: uuid.UUID, event_type: str, data: Any, created_at: datetime
) -> dict[str, Any]:
    client = current_client()
    return {
        "version": PAYLOAD_VERSION,
        "id": str(event_uuid),
        "type": event_type,
        "created_at": created_at.isoformat(),
        "client": {"slug": client.slug, "name": client.name},
        "data": data,
    }


_EMIT_SQL = """
WITH event AS (
    INSERT INTO webhooks_event (uuid, type, body, created_at)
    SELECT u, %s, b, %s FROM unnest(%s::uuid[], %s::text[]) AS t(u, b)
    RETURNING id
)
INSERT INTO webhooks_delivery
    (subscription_id, event_id, delivery_id, attempt, manual, status, due_at, retry_until,
     response_snippet, error, retried, created_at)
SELECT s, event.id, gen_random_uuid(), 1, false, 'pending', %s, %s, '', '', false, %s
FROM event CROSS JOIN unnest(%s::bigint[]) AS s
"""


def webhook_events_emit(
    *,
    event_type: str,
    items: Iterable[Mapping[str, Any]],
    subscription_ids: Sequence[int] | None = None,
    stamps: Stamps | None = None,
) -> int:
    """Store one event per item of `items` (each the event's `data`) with a pending delivery
    for every active subscription of this type (or only `subscription_ids`, for the test
    event), in the caller's transaction. Returns how many deliveries were queued. A caller
    that has read the client's `stamps` hands them down (no query when nobody subscribes)."""
    if subscription_ids is None:
        if event_type not in webhook_subscribed_types(stamps=stamps):
            return 0
        subscriptions = list(
            Subscription.objects.filter(is_active=True, events__contains=[event_type])
            .order_by("id")
            .values_list("id", flat=True)
        )
    else:
        subscriptions = list(subscription_ids)
    if not subscriptions:
        return 0
    now = timezone.now()
    uuids: list[uuid.UUID] = []
    bodies: list[str] = []
    for data in items:
        event_uuid = uuid.uuid4()
        uuids.append(event_uuid)
        envelope = webhook_envelope(
            event_uuid=event_uuid, event_type=event_type, data=data, created_at=now
        )
        bodies.append(
            json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
        )
    if not uuids:
        return 0
    # One round trip: the events, and each one's pending delivery per subscription.
    with connection.cursor() as cursor:
        cursor.execute(
            _EMIT_SQL,
            [event_type, now, uuids, bodies, now, now + RETRY_WINDOW, now, subscriptions],
        )
        queued = cursor.rowcount
    webhook_delivery_kick()
    return queued


class _Kick:
    """Queue the sender for one schema; registered once per transaction."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def __call__(self) -> None:
        task_send(DELIVER_TASK, self.schema)


def webhook_delivery_kick() -> None:
    """Start the sender after commit, once per transaction however many events it wrote (a
    bulk action on 200 mentions queues one task, not 400). Callbacks of a rolled-back
    savepoint are dropped by Django, so a later write registers again."""
    schema = current_schema()
    pending = getattr(connection, "run_on_commit", [])
    if any(isinstance(entry[1], _Kick) and entry[1].schema == schema for entry in pending):
        return
    transaction.on_commit(_Kick(schema))


EVENT_TYPES: tuple[str, ...] = tuple(EventType.values)
