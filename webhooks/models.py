"""Outbound webhooks of one client (tenant tables): subscriptions, the event outbox and the
delivery log. An event row is written in the same transaction as the change it describes
(`webhooks.outbox`), together with one pending delivery per subscription that wants it."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class EventType(models.TextChoices):
    MENTION_CREATED = "mention.created", "A mention was stored"
    MENTION_UPDATED = "mention.updated", "A mention changed (status, assignee, triage)"
    MENTION_ROUTED = "mention.routed", "A mention was routed to a department"
    RESPONSE_SENT = "response.sent", "A response was sent or recorded"
    RESPONSE_APPROVAL_REQUESTED = "response.approval_requested", "A response awaits approval"
    CASE_UPDATED = "case.updated", "A case (problem cluster) changed"
    ALERT_OPENED = "alert.opened", "A spike or crisis alert opened"
    ALERT_CLOSED = "alert.closed", "An alert closed"
    REPORT_SENT = "report.sent", "A scheduled report was sent"


# Sent only by "send test event"; never subscribed to.
TEST_EVENT = "webhook.test"


class Subscription(models.Model):
    """Where to send which events, and the secret that signs them. The secret is stored
    encrypted (the connectors' Fernet keys); after a rotation the previous one keeps
    signing (a second signature) until `previous_secret_expires_at`."""

    url = models.URLField(max_length=2000)
    events = ArrayField(models.CharField(max_length=40, choices=EventType.choices))
    description = models.CharField(max_length=200, blank=True)
    secret_encrypted = models.TextField()
    previous_secret_encrypted = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failure_streak = models.PositiveIntegerField(default=0)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """The outbox: one row per event, its body fixed when the change committed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=40)
    # The exact JSON sent (and signed), fixed when the change committed.
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.type} {self.uuid}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One attempt to deliver one event to one subscription. Retries and redeliveries are
    new rows with the same `delivery_id` (the X-Lotse-Delivery header) and the next
    `attempt` number; a failed attempt that will be retried has `retried` set."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    manual = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    due_at = models.DateTimeField(default=timezone.now)
    # Retries stop here: 24 hours after the event (or after a manual redelivery).
    retry_until = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_snippet = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    retried = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-id",)
        indexes = [
            # The sender's scan: what is due, oldest first.
            models.Index(
                fields=["due_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["subscription", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.attempt}"
