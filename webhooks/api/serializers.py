"""The webhook API's shapes, and the documented event envelope (an OpenAPI component)."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from webhooks.models import Delivery, EventType, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields: tuple[str, ...] = (
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "failure_streak",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        )
        read_only_fields: tuple[str, ...] = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    """As a subscription, plus its secret: answered once, when created or rotated."""

    secret = serializers.CharField()

    class Meta(SubscriptionSerializer.Meta):
        fields = (*SubscriptionSerializer.Meta.fields, "secret")
        read_only_fields = fields


class SubscriptionWriteSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), max_length=20
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class DeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type")
    event_id = serializers.UUIDField(source="event.uuid")

    class Meta:
        model = Delivery
        fields: tuple[str, ...] = (
            "id",
            "delivery_id",
            "event_id",
            "event_type",
            "attempt",
            "manual",
            "status",
            "due_at",
            "attempted_at",
            "response_status",
            "duration_ms",
            "response_snippet",
            "error",
            "retried",
            "created_at",
        )
        read_only_fields: tuple[str, ...] = fields


class WebhookClientSerializer(serializers.Serializer):
    slug = serializers.SlugField(help_text="The client's slug (its host is <slug>.<domain>).")
    name = serializers.CharField()


WEBHOOK_EVENT_DOC = """The body of every webhook POST (version 1). Headers: `X-Lotse-Event`
(the type), `X-Lotse-Delivery` (a UUID that retries and redeliveries reuse),
`X-Lotse-Timestamp` (Unix seconds) and `X-Lotse-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<raw body>">` (during a secret's rotation grace, a second comma-separated
value made with the previous secret). Answer 2xx within 10 seconds; 5xx, 429 (Retry-After
is honoured) and timeouts are retried with backoff for 24 hours."""

# A schema-only serializer ("data" would shadow `Serializer.data` in a class statement).
WebhookEventSerializer = inline_serializer(
    name="WebhookEvent",
    fields={
        "version": serializers.IntegerField(help_text="Payload version; 1."),
        "id": serializers.UUIDField(help_text="The event's id (the same in every delivery)."),
        "type": serializers.ChoiceField(choices=[*EventType.values, "webhook.test"]),
        "created_at": serializers.DateTimeField(),
        "client": WebhookClientSerializer(),
        "data": serializers.DictField(
            help_text=(
                "mention.*: {mention: {id, external_id, source_id, url, text, published_at, "
                "received_at, author: {handle, name}, language, sentiment, kind, aspects, "
                "relevant, department: {id, slug, name} | null, routing: {rule_id, reason}, "
                "priority, status, assignee_id, cluster_id, updated_at}} (+ changed: "
                "[fields] for mention.updated); response.*: {response: {...}, mention_id}; "
                "case.updated: {case: {...}}; alert.*: {alert: {...}}; report.sent: "
                "{report: {...}}; webhook.test: {message, subscription_id}."
            )
        ),
    },
)
