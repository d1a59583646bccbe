"""Reads of outbound webhooks (client admins only; the views check the role)."""

from __future__ import annotations

from django.db.models import QuerySet

from webhooks.models import Delivery, Subscription


def webhook_subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.order_by("id")


def webhook_subscription_get(*, subscription_id: int) -> Subscription | None:
    return Subscription.objects.filter(pk=subscription_id).first()


def webhook_deliveries(*, subscription: Subscription) -> QuerySet[Delivery]:
    """The delivery log of one subscription, newest first, with each event's type."""
    return (
        Delivery.objects.filter(subscription=subscription)
        .select_related("event")
        .defer("event__body")
        .order_by("-id")
    )


def webhook_delivery_get(*, subscription: Subscription, delivery_id: int) -> Delivery | None:
    return (
        Delivery.objects.filter(subscription=subscription, pk=delivery_id)
        .select_related("subscription")
        .first()
    )
