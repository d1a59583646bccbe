"""Outbound webhooks of the current client: subscriptions (create, change, rotate the
secret, delete), the test event, redelivery, and the sender that delivers what is due.

Delivery (`webhook_deliveries_send_due`, run by the `webhooks.deliver_due` task): due rows
are claimed with `FOR UPDATE SKIP LOCKED` and a lease (their due time moves forward), then
POSTed outside any transaction through the connectors' SSRF-guarded client, one client per
run (kept-alive connections). Each attempt is a row: status, HTTP status, duration, the
first 500 characters of the answer. A 5xx, 429 (Retry-After honoured), timeout or network
error is retried with exponential backoff and jitter until 24 hours after the event; other
answers are final. After `LOTSE_WEBHOOK_MAX_FAILURES` failed attempts in a row the
subscription is disabled and the client admins are notified (in the app and by e-mail).

Signing: `X-Lotse-Signature: sha256=<hex HMAC-SHA256 of "<X-Lotse-Timestamp>.<raw body>">`;
within the grace period after a rotation a second `sha256=` value signed with the previous
secret follows, comma-separated, so receivers that still hold the old secret verify too.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import Role, User
from accounts.selectors import client_members, membership_role_for, role_at_least
from config.errors import DomainError, NotAllowed
from config.mail import mail_send_on_commit
from config.tenancy import current_client
from routing.services.notifications import notification_create
from sources.connectors.base import ConnectorError, RateLimited
from sources.connectors.http import BlockedAddress, SafeHttpClient, url_check_allowed
from sources.credentials import credentials_decrypt, credentials_encrypt
from webhooks.models import TEST_EVENT, Delivery, DeliveryStatus, Event, EventType, Subscription
from webhooks.outbox import (
    RETRY_WINDOW,
    webhook_delivery_kick,
    webhook_events_emit,
)

logger = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 20
ROTATION_GRACE = timedelta(hours=24)
MAX_BACKOFF_SECONDS = 6 * 3600
SNIPPET_CHARS = 500
_LEASE_EXTRA_SECONDS = 30
_CLAIM_BATCH = 100
_RESPONSE_MAX_BYTES = 64 * 1024


# --- Signing ----------------------------------------------------------------------------


def webhook_secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<raw body>")."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def webhook_signature_verify(
    *, secrets_: list[str], timestamp: str, body: bytes, header: str
) -> bool:
    """What a receiver does (and the tests): any listed signature made with any secret."""
    given = [part.strip() for part in header.split(",") if part.strip()]
    return any(
        hmac.compare_digest(webhook_signature(secret=s, timestamp=timestamp, body=body), sig)
        for s in secrets_
        for sig in given
    )


def _secret(subscription: Subscription) -> str:
    return credentials_decrypt(subscription.secret_encrypted)["secret"]


def _signing_secrets(subscription: Subscription, *, now: datetime) -> list[str]:
    result = [_secret(subscription)]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret_encrypted and expires is not None and expires > now:
        result.append(credentials_decrypt(subscription.previous_secret_encrypted)["secret"])
    return result


# --- Subscriptions ------------------------------------------------------------------------


def _require_admin(by: User) -> None:
    if not role_at_least(membership_role_for(user=by, client=current_client()), Role.CLIENT_ADMIN):
        raise NotAllowed("Only client admins manage webhooks.")


def _clean(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if "url" in data or not partial:
        url = str(data.get("url") or "").strip()
        if not url:
            errors["url"] = ["A URL is required."]
        elif len(url) > 2000:
            errors["url"] = ["At most 2,000 characters."]
        else:
            try:
                url_check_allowed(url)
            except BlockedAddress as exc:
                errors["url"] = [str(exc)]
            except ConnectorError as exc:
                errors["url"] = [str(exc)]
            cleaned["url"] = url
    if "events" in data or not partial:
        events = data.get("events") or []
        if isinstance(events, str) or not isinstance(events, list | tuple):
            errors["events"] = ["A list of event types."]
        else:
            unknown = sorted({str(e) for e in events} - set(EventType.values))
            if unknown:
                errors["events"] = [f"Unknown event type: {', '.join(unknown)}"]
            elif not events:
                errors["events"] = ["Choose at least one event type."]
            else:
                cleaned["events"] = sorted({str(e) for e in events})
    if "description" in data:
        description = str(data.get("description") or "").strip()
        if len(description) > 200:
            errors["description"] = ["At most 200 characters."]
        cleaned["description"] = description
    if errors:
        raise DomainError("The webhook has invalid fields.", fields=errors)
    return cleaned


@dataclass(frozen=True)
class SubscriptionWithSecret:
    """A subscription and its secret in plain text: shown once, when made or rotated."""

    subscription: Subscription
    secret: str


@transaction.atomic
def webhook_subscription_create(*, data: Mapping[str, Any], by: User) -> SubscriptionWithSecret:
    _require_admin(by)
    cleaned = _clean(data, partial=False)
    if Subscription.objects.count() >= MAX_SUBSCRIPTIONS:
        raise DomainError(
            f"At most {MAX_SUBSCRIPTIONS} webhooks per client.",
            fields={"url": ["too many webhooks"]},
        )
    secret = webhook_secret_new()
    now = timezone.now()
    subscription = Subscription.objects.create(
        url=cleaned["url"],
        events=cleaned["events"],
        description=cleaned.get("description", ""),
        secret_encrypted=credentials_encrypt({"secret": secret}),
        created_by_id=by.pk,
        created_at=now,
        updated_at=now,
    )
    audit_record(
        actor=by,
        action="webhook.created",
        target_type="webhook",
        target_id=subscription.pk,
        summary=f"Webhook {subscription.pk} to {subscription.url}",
        after={"url": subscription.url, "events": subscription.events},
    )
    return SubscriptionWithSecret(subscription, secret)


@transaction.atomic
def webhook_subscription_update(
    *, subscription: Subscription, data: Mapping[str, Any], by: User
) -> Subscription:
    """Change URL, events or description; `is_active` true enables a disabled webhook (its
    failure count starts again), false pauses it."""
    _require_admin(by)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    cleaned = _clean(data, partial=True)
    before = {
        "url": subscription.url,
        "events": subscription.events,
        "is_active": subscription.is_active,
    }
    for name, value in cleaned.items():
        setattr(subscription, name, value)
    if "is_active" in data:
        active = data["is_active"]
        if not isinstance(active, bool):
            raise DomainError(
                "is_active is true or false.", fields={"is_active": ["must be a boolean"]}
            )
        if active and not subscription.is_active:
            subscription.failure_streak = 0
            subscription.disabled_at = None
            subscription.disabled_reason = ""
        elif not active and subscription.is_active:
            subscription.disabled_at = timezone.now()
            subscription.disabled_reason = f"Paused by {by.display_name}"
        subscription.is_active = active
    subscription.updated_at = timezone.now()
    subscription.save()
    audit_record(
        actor=by,
        action="webhook.updated",
        target_type="webhook",
        target_id=subscription.pk,
        summary=f"Changed webhook {subscription.pk}",
        before=before,
        after={
            "url": subscription.url,
            "events": subscription.events,
            "is_active": subscription.is_active,
        },
    )
    return subscription


@transaction.atomic
def webhook_subscription_rotate(*, subscription: Subscription, by: User) -> SubscriptionWithSecret:
    """A new secret signs from now on; the current one keeps signing too (a second
    signature) for `ROTATION_GRACE`."""
    _require_admin(by)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    secret = webhook_secret_new()
    subscription.previous_secret_encrypted = subscription.secret_encrypted
    subscription.previous_secret_expires_at = timezone.now() + ROTATION_GRACE
    subscription.secret_encrypted = credentials_encrypt({"secret": secret})
    subscription.updated_at = timezone.now()
    subscription.save()
    audit_record(
        actor=by,
        action="webhook.rotated",
        target_type="webhook",
        target_id=subscription.pk,
        summary=f"Rotated the secret of webhook {subscription.pk}",
    )
    return SubscriptionWithSecret(subscription, secret)


@transaction.atomic
def webhook_subscription_delete(*, subscription: Subscription, by: User) -> None:
    _require_admin(by)
    audit_record(
        actor=by,
        action="webhook.deleted",
        target_type="webhook",
        target_id=subscription.pk,
        summary=f"Deleted webhook {subscription.pk} to {subscription.url}",
    )
    subscription.delete()


@transaction.atomic
def webhook_test_send(*, subscription: Subscription, by: User) -> Delivery:
    """Queue a `webhook.test` event for this subscription only."""
    _require_admin(by)
    if not subscription.is_active:
        raise DomainError("This webhook is disabled: enable it first.", fields={})
    webhook_events_emit(
        event_type=TEST_EVENT,
        items=[{"message": "A test event from Lotse.", "subscription_id": subscription.pk}],
        subscription_ids=[subscription.pk],
    )
    return Delivery.objects.filter(subscription=subscription).order_by("-id").first()  # type: ignore[return-value]


@transaction.atomic
def webhook_redeliver(*, delivery: Delivery, by: User) -> Delivery:
    """Send an earlier delivery's event again, with the same delivery id (receivers that
    deduplicate on it see a repeat), as the next attempt."""
    _require_admin(by)
    subscription = delivery.subscription
    if not subscription.is_active:
        raise DomainError("This webhook is disabled: enable it first.", fields={})
    last = (
        Delivery.objects.filter(delivery_id=delivery.delivery_id).aggregate(n=Max("attempt"))["n"]
        or 0
    )
    now = timezone.now()
    again = Delivery.objects.create(
        subscription=subscription,
        event_id=delivery.event_id,
        delivery_id=delivery.delivery_id,
        attempt=last + 1,
        manual=True,
        due_at=now,
        retry_until=now + RETRY_WINDOW,
        created_at=now,
    )
    audit_record(
        actor=by,
        action="webhook.redelivered",
        target_type="webhook",
        target_id=subscription.pk,
        summary=f"Redelivered {delivery.delivery_id} to webhook {subscription.pk}",
    )
    webhook_delivery_kick()
    return again


# --- Delivery -----------------------------------------------------------------------------


def _timeout() -> float:
    return float(settings.LOTSE_WEBHOOK_TIMEOUT_SECONDS)


def _claim(*, now: datetime, limit: int) -> list[Delivery]:
    """Take up to `limit` due deliveries of active subscriptions; their due time moves past
    the send's timeout, so another sender skips them and a crashed one's come back."""
    lease = now + timedelta(seconds=_timeout() + _LEASE_EXTRA_SECONDS)
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=DeliveryStatus.PENDING, due_at__lte=now, subscription__is_active=True)
            .order_by("due_at", "id")[:limit]
        )
        if rows:
            Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(due_at=lease)
    return rows


def backoff_seconds(*, attempt: int, retry_after: float | None = None) -> float:
    """Exponential with full jitter over the upper half: base·2^(attempt-1), capped; never
    sooner than a Retry-After the receiver asked for."""
    base = float(settings.LOTSE_WEBHOOK_RETRY_BASE_SECONDS)
    ceiling = min(base * 2 ** max(0, attempt - 1), MAX_BACKOFF_SECONDS)
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


@dataclass
class _Outcome:
    status: str
    response_status: int | None = None
    snippet: str = ""
    error: str = ""
    retry: bool = False
    retry_after: float | None = None


def _post(
    http: SafeHttpClient,
    *,
    subscription: Subscription,
    signing: list[str],
    delivery: Delivery,
    body: bytes,
    event_type: str,
) -> _Outcome:
    timestamp = str(int(time.time()))
    signature = ", ".join(
        webhook_signature(secret=secret, timestamp=timestamp, body=body) for secret in signing
    )
    headers = {
        "Content-Type": "application/json",
        "X-Lotse-Event": event_type,
        "X-Lotse-Delivery": str(delivery.delivery_id),
        "X-Lotse-Timestamp": timestamp,
        "X-Lotse-Signature": signature,
    }
    try:
        response = http.request("POST", subscription.url, headers=headers, content=body)
    except RateLimited as exc:
        return _Outcome(
            DeliveryStatus.FAILED,
            429,
            error=str(exc)[:500],
            retry=True,
            retry_after=exc.retry_after,
        )
    except BlockedAddress as exc:
        return _Outcome(DeliveryStatus.FAILED, error=str(exc)[:500])
    except ConnectorError as exc:
        return _Outcome(DeliveryStatus.FAILED, error=str(exc)[:500], retry=True)
    snippet = response.text[:SNIPPET_CHARS]
    if 200 <= response.status_code < 300:
        return _Outcome(DeliveryStatus.SUCCEEDED, response.status_code, snippet)
    return _Outcome(
        DeliveryStatus.FAILED,
        response.status_code,
        snippet,
        error=f"The receiver answered {response.status_code}.",
        retry=response.status_code >= 500,
    )


def _record(
    delivery: Delivery,
    outcome: _Outcome,
    *,
    subscription: Subscription,
    started: datetime,
    duration_ms: int,
) -> None:
    """Store one attempt's outcome; on failure count the streak (disabling at the limit)
    and queue the retry. A success is one UPDATE (two after failures: the streak resets)."""
    fields = {
        "status": outcome.status,
        "attempted_at": started,
        "response_status": outcome.response_status,
        "duration_ms": duration_ms,
        "response_snippet": outcome.snippet,
        "error": outcome.error,
    }
    if outcome.status == DeliveryStatus.SUCCEEDED:
        Delivery.objects.filter(pk=delivery.pk).update(**fields, retried=False)
        _streak_reset(subscription)
        return
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        locked.failure_streak += 1
        subscription.failure_streak = locked.failure_streak
        Subscription.objects.filter(pk=locked.pk).update(failure_streak=locked.failure_streak)
        retry_at = None
        if outcome.retry:
            delay = backoff_seconds(attempt=delivery.attempt, retry_after=outcome.retry_after)
            candidate = started + timedelta(seconds=delay)
            if delivery.retry_until is not None and candidate <= delivery.retry_until:
                retry_at = candidate
        if locked.is_active and locked.failure_streak >= settings.LOTSE_WEBHOOK_MAX_FAILURES:
            _disable(locked, now=started)
            subscription.is_active = False
            retry_at = None
        Delivery.objects.filter(pk=delivery.pk).update(**fields, retried=retry_at is not None)
        if retry_at is not None:
            Delivery.objects.create(
                subscription_id=locked.pk,
                event_id=delivery.event_id,
                delivery_id=delivery.delivery_id,
                attempt=delivery.attempt + 1,
                manual=delivery.manual,
                due_at=retry_at,
                retry_until=delivery.retry_until,
                created_at=delivery.created_at,
            )


def _streak_reset(subscription: Subscription) -> None:
    if subscription.failure_streak:
        Subscription.objects.filter(pk=subscription.pk).update(failure_streak=0)
        subscription.failure_streak = 0


_SUCCESSES_SQL = """
UPDATE webhooks_delivery AS d
SET status = 'succeeded', attempted_at = v.at, response_status = v.code, duration_ms = v.ms,
    response_snippet = v.snippet, error = '', retried = false
FROM unnest(%s::bigint[], %s::timestamptz[], %s::int[], %s::int[], %s::text[])
    AS v(id, at, code, ms, snippet)
WHERE d.id = v.id
"""


def _successes_record(rows: list[tuple[int, datetime, int | None, int, str]]) -> None:
    """A batch's successful attempts in one statement (a crash before it means those are
    sent again: receivers deduplicate on X-Lotse-Delivery)."""
    if not rows:
        return
    columns = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_SUCCESSES_SQL, columns)


def _disable(subscription: Subscription, *, now: datetime) -> None:
    streak = subscription.failure_streak
    reason = f"Disabled after {streak} failed deliveries in a row."
    Subscription.objects.filter(pk=subscription.pk).update(
        is_active=False, disabled_at=now, disabled_reason=reason
    )
    audit_record(
        actor=None,
        action="webhook.disabled",
        target_type="webhook",
        target_id=subscription.pk,
        summary=f"Webhook {subscription.pk} to {subscription.url}: {reason.lower()}",
    )
    client = current_client()
    admins = client_members(client=client, min_role=Role.CLIENT_ADMIN)
    text = (
        f"The webhook to {subscription.url} was disabled after {streak} failed deliveries "
        "in a row. Fix the receiver, then enable it again."
    )
    for admin in admins:
        notification_create(user_id=admin.pk, text=text, link=f"/webhooks/{subscription.pk}/")
    emails = [admin.email for admin in admins if admin.email]
    if emails:
        subject = f"[{client.name}] A webhook was disabled"
        mail_send_on_commit(subject=subject, body=text, to=emails)


def webhook_deliveries_send_due(*, now: datetime | None = None, limit: int = 10_000) -> int:
    """Deliver what is due in the current client, in batches, until nothing is due or
    `limit` attempts were made. Returns the number of attempts. Run outside a transaction."""
    attempts = 0
    with SafeHttpClient(timeout=_timeout(), max_bytes=_RESPONSE_MAX_BYTES) as http:
        while attempts < limit:
            moment = now or timezone.now()
            batch = _claim(now=moment, limit=min(_CLAIM_BATCH, limit - attempts))
            if not batch:
                break
            subscriptions = {
                s.pk: s
                for s in Subscription.objects.filter(pk__in={d.subscription_id for d in batch})
            }
            events = {d.event_id for d in batch}
            bodies = {
                pk: (kind, body.encode())
                for pk, kind, body in Event.objects.filter(pk__in=events).values_list(
                    "pk", "type", "body"
                )
            }
            signing = {
                pk: _signing_secrets(subscription, now=moment)
                for pk, subscription in subscriptions.items()
            }
            successes: list[tuple[int, datetime, int | None, int, str]] = []
            for delivery in batch:
                subscription = subscriptions[delivery.subscription_id]
                if not subscription.is_active:
                    continue  # disabled by a failure earlier in this batch: stays pending
                event_type, body = bodies[delivery.event_id]
                started = timezone.now() if now is None else moment
                clock = time.monotonic()
                outcome = _post(
                    http,
                    subscription=subscription,
                    signing=signing[subscription.pk],
                    delivery=delivery,
                    body=body,
                    event_type=event_type,
                )
                duration_ms = int((time.monotonic() - clock) * 1000)
                attempts += 1
                if outcome.status == DeliveryStatus.SUCCEEDED:
                    successes.append(
                        (
                            delivery.pk,
                            started,
                            outcome.response_status,
                            duration_ms,
                            outcome.snippet,
                        )
                    )
                    _streak_reset(subscription)
                    continue
                _record(
                    delivery,
                    outcome,
                    subscription=subscription,
                    started=started,
                    duration_ms=duration_ms,
                )
            _successes_record(successes)
    return attempts
