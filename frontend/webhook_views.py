"""Outbound webhooks for client admins: list and create (the secret shown once), and per
webhook its delivery log with redeliver, "send test event", rotate, pause/enable, delete."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Role, User
from config.errors import DomainError
from frontend.access import client_member_required
from frontend.params import form_int
from webhooks.models import EventType
from webhooks.selectors import (
    webhook_deliveries,
    webhook_delivery_get,
    webhook_subscription_get,
    webhook_subscriptions,
)
from webhooks.services import (
    webhook_redeliver,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_rotate,
    webhook_subscription_update,
    webhook_test_send,
)

LOG_PAGE = 50


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@client_member_required(Role.CLIENT_ADMIN)
def webhooks_page(request: HttpRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    form: dict[str, Any] = {"url": "", "description": "", "events": []}
    created = None
    if request.method == "POST":
        form = {
            "url": request.POST.get("url", "").strip(),
            "description": request.POST.get("description", "").strip(),
            "events": request.POST.getlist("events"),
        }
        try:
            created = webhook_subscription_create(data=form, by=_user(request))
        except DomainError as exc:
            errors = {"page": [exc.message], **exc.fields}
    return render(
        request,
        "frontend/webhooks.html",
        {
            "subscriptions": webhook_subscriptions(),
            "event_types": EventType.choices,
            "form": form,
            "errors": errors,
            "created": created,
        },
        status=400 if errors else 200,
    )


@client_member_required(Role.CLIENT_ADMIN)
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = webhook_subscription_get(subscription_id=pk)
    if subscription is None:
        raise Http404
    errors: dict[str, list[str]] = {}
    secret = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "rotate":
                secret = webhook_subscription_rotate(
                    subscription=subscription, by=_user(request)
                ).secret
                subscription.refresh_from_db()
            elif action == "test":
                webhook_test_send(subscription=subscription, by=_user(request))
                messages.success(request, "A test event is on its way; it shows below.")
                return redirect("webhook-detail", pk=pk)
            elif action == "redeliver":
                number = form_int(request.POST.get("delivery", ""))
                delivery = (
                    webhook_delivery_get(subscription=subscription, delivery_id=number)
                    if number is not None
                    else None
                )
                if delivery is None:
                    raise DomainError("That delivery is not in this webhook's log.")
                webhook_redeliver(delivery=delivery, by=_user(request))
                messages.success(request, f"Delivery {delivery.delivery_id} is sent again.")
                return redirect("webhook-detail", pk=pk)
            elif action in ("enable", "pause"):
                webhook_subscription_update(
                    subscription=subscription,
                    data={"is_active": action == "enable"},
                    by=_user(request),
                )
                messages.success(
                    request, "Enabled." if action == "enable" else "Paused: nothing is sent."
                )
                return redirect("webhook-detail", pk=pk)
            elif action == "events":
                webhook_subscription_update(
                    subscription=subscription,
                    data={
                        "events": request.POST.getlist("events"),
                        "url": request.POST.get("url", "").strip(),
                    },
                    by=_user(request),
                )
                messages.success(request, "Saved.")
                return redirect("webhook-detail", pk=pk)
            elif action == "delete":
                webhook_subscription_delete(subscription=subscription, by=_user(request))
                messages.success(request, f"Deleted the webhook to {subscription.url}.")
                return redirect("webhooks")
            else:
                raise DomainError("Unknown action.")
        except DomainError as exc:
            errors = {"page": [exc.message], **exc.fields}
    log = webhook_deliveries(subscription=subscription)
    before = form_int(request.GET.get("before"))
    if before is not None:
        log = log.filter(id__lt=before)
    page = list(log[: LOG_PAGE + 1])
    return render(
        request,
        "frontend/webhook.html",
        {
            "subscription": subscription,
            "event_types": EventType.choices,
            "deliveries": page[:LOG_PAGE],
            "older": page[LOG_PAGE - 1].pk if len(page) > LOG_PAGE else None,
            "errors": errors,
            "secret": secret,
        },
        status=400 if errors else 200,
    )
