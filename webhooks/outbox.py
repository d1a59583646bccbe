"""The webhook outbox: the one way to announce an event to a client's integrators.

Services call `webhook_events_emit` inside the transaction that makes the change, so an
event is stored exactly when its change commits (never lost, never sent for a rolled-back
change). Each event gets one pending delivery per active subscription that asked for its
type; a delivery task is queued after commit (and beat sweeps every few seconds).

Which event types the client subscribes to is cached in Redis per schema, so a batch
nobody listens for costs one cache read and no query. Every change to subscriptions calls
`webhook_subscriptions_changed`, which deletes the entry at once and again after commit
(another process may have cached what it saw before this change was visible).

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

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from config.celery import task_send
from config.tenancy import current_client, current_schema
from webhooks.models import EventType, Subscription

PAYLOAD_VERSION = 1
DELIVER_TASK = "webhooks.deliver_due"
_CACHE_SECONDS = 3600
RETRY_WINDOW = timedelta(hours=24)


def _cache_key(schema: str) -> str:
    return f"webhooks:types:{settings.DATABASES['default']['NAME']}:{schema}"


def webhook_subscribed_types() -> frozenset[str]:
    """The event types some active subscription of the current client wants (cached)."""
    key = _cache_key(current_schema())
    cached = cache.get(key)
    if cached is not None:
        return frozenset(cached)
    types: set[str] = set()
    for events in Subscription.objects.filter(is_active=True).values_list("events", flat=True):
        types.update(events)
    cache.set(key, sorted(types), _CACHE_SECONDS)
    return frozenset(types)


def webhook_subscribed(*types: str) -> bool:
    """Whether any of `types` would be delivered: callers skip building payloads if not."""
    return bool(webhook_subscribed_types() & set(types))


def webhook_subscriptions_changed() -> None:
    """Forget the cached event types of the current client, now and after commit."""
    schema = current_schema()
    webhook_types_forget(schema=schema)
    transaction.on_commit(lambda: webhook_types_forget(schema=schema))


def webhook_types_forget(*, schema: str) -> None:
    """Forget the cached event types of the client `schema` (Redis is not rolled back with
    a transaction: types cached inside one that is rolled back outlive it until forgotten
    or expired; the tests forget them after each test)."""
    cache.delete(_cache_key(schema))


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
) -> int:
    """Store one event per item of `items` (each the event's `data`) with a pending delivery
    for every active subscription of this type (or only `subscription_ids`, for the test
    event), in the caller's transaction. Returns how many deliveries were queued."""
    if subscription_ids is None:
        if event_type not in webhook_subscribed_types():
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
