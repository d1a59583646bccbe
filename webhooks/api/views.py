"""Outbound webhooks over the REST API, for client admins: subscriptions, their secret
(once), rotation, the test event, the delivery log and redelivery."""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404
from drf_spectacular.utils import OpenApiCallback, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from config.pagination import IdCursorPagination
from webhooks.api.serializers import (
    WEBHOOK_EVENT_DOC,
    DeliverySerializer,
    SubscriptionCreatedSerializer,
    SubscriptionSerializer,
    SubscriptionWriteSerializer,
    WebhookEventSerializer,
)
from webhooks.models import Delivery, Subscription
from webhooks.selectors import (
    webhook_deliveries,
    webhook_delivery_get,
    webhook_subscription_get,
    webhook_subscriptions,
)
from webhooks.services import (
    SubscriptionWithSecret,
    webhook_redeliver,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_rotate,
    webhook_subscription_update,
    webhook_test_send,
)


def _with_secret(made: SubscriptionWithSecret) -> dict[str, Any]:
    data = dict(SubscriptionSerializer(made.subscription).data)
    data["secret"] = made.secret
    return data


class _AdminOnly:
    read_role = Role.CLIENT_ADMIN
    write_role = Role.CLIENT_ADMIN


def _subscription(pk: int) -> Subscription:
    subscription = webhook_subscription_get(subscription_id=pk)
    if subscription is None:
        raise Http404
    return subscription


class WebhookListView(_AdminOnly, APIView):
    @extend_schema(responses=SubscriptionSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(SubscriptionSerializer(webhook_subscriptions(), many=True).data)

    @extend_schema(
        request=SubscriptionWriteSerializer,
        responses={201: SubscriptionCreatedSerializer},
        description="Subscribe a URL to event types. The answer holds the signing secret; "
        "it is never shown again (rotate to get a new one). Every POST to the URL has the "
        "body of the `WebhookEvent` component.",
        callbacks=[
            OpenApiCallback(
                "event",
                "{$request.body#/url}",
                extend_schema(
                    request=WebhookEventSerializer,
                    responses={200: None},
                    summary="An event, POSTed to the subscribed URL (signed)",
                    description=WEBHOOK_EVENT_DOC,
                ),
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = SubscriptionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = webhook_subscription_create(
            data=serializer.validated_data, by=cast(User, request.user)
        )
        return Response(_with_secret(made), status=status.HTTP_201_CREATED)


class WebhookDetailView(_AdminOnly, APIView):
    @extend_schema(responses=SubscriptionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SubscriptionSerializer(_subscription(pk)).data)

    @extend_schema(request=SubscriptionWriteSerializer, responses=SubscriptionSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        serializer = SubscriptionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        subscription = webhook_subscription_update(
            subscription=_subscription(pk),
            data=serializer.validated_data,
            by=cast(User, request.user),
        )
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        webhook_subscription_delete(subscription=_subscription(pk), by=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateView(_AdminOnly, APIView):
    @extend_schema(request=None, responses=SubscriptionCreatedSerializer)
    def post(self, request: Request, pk: int) -> Response:
        made = webhook_subscription_rotate(
            subscription=_subscription(pk), by=cast(User, request.user)
        )
        return Response(_with_secret(made))


class WebhookTestView(_AdminOnly, APIView):
    @extend_schema(request=None, responses={202: DeliverySerializer})
    def post(self, request: Request, pk: int) -> Response:
        delivery = webhook_test_send(subscription=_subscription(pk), by=cast(User, request.user))
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryPagination(IdCursorPagination):
    page_size = 50


class WebhookDeliveryListView(_AdminOnly, generics.ListAPIView):
    """The delivery log, newest first: one row per attempt."""

    serializer_class = DeliverySerializer
    pagination_class = DeliveryPagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema has no request
            return Delivery.objects.none()
        return webhook_deliveries(subscription=_subscription(int(self.kwargs["pk"])))


class WebhookRedeliverView(_AdminOnly, APIView):
    @extend_schema(request=None, responses={202: DeliverySerializer})
    def post(self, request: Request, pk: int, delivery_pk: int) -> Response:
        delivery = webhook_delivery_get(subscription=_subscription(pk), delivery_id=delivery_pk)
        if delivery is None:
            raise Http404
        again = webhook_redeliver(delivery=delivery, by=cast(User, request.user))
        return Response(DeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
