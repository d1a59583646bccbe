from django.urls import path

from webhooks.api.views import (
    WebhookDeliveryListView,
    WebhookDetailView,
    WebhookListView,
    WebhookRedeliverView,
    WebhookRotateView,
    WebhookTestView,
)

urlpatterns = [
    path("webhooks/", WebhookListView.as_view(), name="api-webhook-list"),
    path("webhooks/<int:pk>/", WebhookDetailView.as_view(), name="api-webhook-detail"),
    path("webhooks/<int:pk>/rotate", WebhookRotateView.as_view(), name="api-webhook-rotate"),
    path("webhooks/<int:pk>/test", WebhookTestView.as_view(), name="api-webhook-test"),
    path(
        "webhooks/<int:pk>/deliveries",
        WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver",
        WebhookRedeliverView.as_view(),
        name="api-webhook-redeliver",
    ),
]
