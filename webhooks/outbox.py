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

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from config.celery import task_send
from config.tenancy import current_client, current_schema
from webhooks.models import Delivery, Event, EventType, Subscription

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
    key = _cache_key(current_schema())
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _json_ready(value: Any) -> Any:
    """Dates, decimals and UUIDs as the JSON encoder writes them (the body is a JSONField)."""
    encoder = DjangoJSONEncoder()
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return encoder.default(value)


def webhook_envelope(*, event_uuid: uuid.UUID, event_type: str, data: Any) -> dict[str, Any]:
    client = current_client()
    return {
        "version": PAYLOAD_VERSION,
        "id": str(event_uuid),
        "type": event_type,
        "created_at": timezone.now().isoformat(),
        "client": {"slug": client.slug, "name": client.name},
        "data": _json_ready(data),
    }


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
    events = []
    for data in items:
        event_uuid = uuid.uuid4()
        events.append(
            Event(
                uuid=event_uuid,
                type=event_type,
                body=webhook_envelope(event_uuid=event_uuid, event_type=event_type, data=data),
                created_at=now,
            )
        )
    if not events:
        return 0
    Event.objects.bulk_create(events, batch_size=1000)
    deliveries = [
        Delivery(
            subscription_id=subscription_id,
            event_id=event.pk,
            due_at=now,
            retry_until=now + RETRY_WINDOW,
            created_at=now,
        )
        for event in events
        for subscription_id in subscriptions
    ]
    Delivery.objects.bulk_create(deliveries, batch_size=1000)
    schema = current_schema()
    transaction.on_commit(lambda: task_send(DELIVER_TASK, schema))
    return len(deliveries)


EVENT_TYPES: tuple[str, ...] = tuple(EventType.values)
