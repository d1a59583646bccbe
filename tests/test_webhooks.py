"""Outbound webhooks: subscribe over the API, receive signed events on a real loopback
receiver, retries with backoff, disabling after repeated failure, redelivery, the outbox
under rollback, and isolation between clients."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from mentions.models import Mention, Status
from mentions.pipeline import mentions_store
from mentions.services import mention_set_status
from routing.models import Notification
from tests.conftest import api_client, web_client
from tests.factories import mention_item
from tests.webhook_receiver import webhook_receiver
from webhooks.models import Delivery, DeliveryStatus, Event, Subscription
from webhooks.outbox import _Kick
from webhooks.services import (
    webhook_deliveries_send_due,
    webhook_signature_verify,
    webhook_subscription_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(world):
    api = api_client(world.acme)
    api.force_login(world.alice)
    return api


def _subscribe(world, url, events=("mention.created",)):
    made = webhook_subscription_create(data={"url": url, "events": list(events)}, by=world.alice)
    return made.subscription, made.secret


def _store(world, count=1, **overrides):
    return mentions_store(
        source=world.acme.source, items=[mention_item(**overrides) for _ in range(count)]
    )


def test_an_admin_subscribes_over_the_api_and_sees_the_secret_once(world, admin_api):
    created = admin_api.post(
        "/api/v1/webhooks/",
        {"url": "https://crm.example/hooks", "events": ["mention.created", "alert.opened"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["id"] and body["secret"].startswith("whsec_")
    assert body["events"] == ["alert.opened", "mention.created"]
    listed = admin_api.get("/api/v1/webhooks/").json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert admin_api.get(f"/api/v1/webhooks/{body['id']}/deliveries").json()["results"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "https://crm.example/h", "events": ["mention.exploded"]}, "events"),
        ({"url": "not a url", "events": ["mention.created"]}, "url"),
        ({"url": "https://crm.example/h", "events": []}, "events"),
        ({"events": ["mention.created"]}, "url"),
    ],
)
def test_bad_subscriptions_get_400_by_field(world, admin_api, payload, field):
    response = admin_api.post("/api/v1/webhooks/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_private_addresses_are_refused_outside_tests_and_demo(world, admin_api, settings):
    settings.LOTSE_ALLOW_PRIVATE_NETWORKS = False
    response = admin_api.post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["mention.created"]},
        format="json",
    )
    assert response.status_code == 400
    assert "private or local" in response.json()["error"]["fields"]["url"][0]


def test_only_client_admins_manage_webhooks(world):
    for user in (world.rita, world.vera):
        api = api_client(world.acme)
        api.force_login(user)
        assert api.get("/api/v1/webhooks/").status_code == 403
        assert (
            api.post(
                "/api/v1/webhooks/",
                {"url": "https://x.example/", "events": ["mention.created"]},
                format="json",
            ).status_code
            == 403
        )
    outsider = api_client(world.acme)
    outsider.force_login(world.bob)
    assert outsider.get("/api/v1/webhooks/").status_code == 403


def test_a_new_mention_arrives_signed_with_timestamp_and_delivery_id(world, in_acme):
    with webhook_receiver() as receiver:
        subscription, secret = _subscribe(world, receiver.url)
        outcome = _store(world)
        assert webhook_deliveries_send_due() == 1
    [got] = receiver.received
    headers = {name.lower(): value for name, value in got.headers.items()}
    assert headers["x-lotse-event"] == "mention.created"
    assert abs(int(headers["x-lotse-timestamp"]) - time.time()) < 60
    assert webhook_signature_verify(
        secrets_=[secret],
        timestamp=headers["x-lotse-timestamp"],
        body=got.body,
        header=headers["x-lotse-signature"],
    )
    assert not webhook_signature_verify(
        secrets_=["whsec_wrong"],
        timestamp=headers["x-lotse-timestamp"],
        body=got.body,
        header=headers["x-lotse-signature"],
    )
    delivery = Delivery.objects.get(subscription=subscription)
    assert headers["x-lotse-delivery"] == str(delivery.delivery_id)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.response_status == 200
    assert delivery.duration_ms is not None and delivery.response_snippet == "ok"
    payload = json.loads(got.body)
    assert payload["version"] == 1 and payload["type"] == "mention.created"
    assert payload["client"]["slug"] == "acme"
    assert payload["data"]["mention"]["id"] == outcome.mention_ids[0]
    uuid.UUID(payload["id"])


def test_a_500_is_retried_later_with_the_same_delivery_id(world, in_acme):
    with webhook_receiver() as receiver:
        receiver.script = [500]
        subscription, _ = _subscribe(world, receiver.url)
        _store(world)
        assert webhook_deliveries_send_due() == 1
        first, retry = Delivery.objects.filter(subscription=subscription).order_by("id")
        assert (first.status, first.response_status, first.retried) == ("failed", 500, True)
        assert retry.status == "pending" and retry.attempt == 2
        assert retry.delivery_id == first.delivery_id
        assert retry.due_at > timezone.now() + timedelta(seconds=10)
        assert webhook_deliveries_send_due() == 0  # not due yet
        assert webhook_deliveries_send_due(now=retry.due_at + timedelta(seconds=1)) == 1
    retry.refresh_from_db()
    assert retry.status == DeliveryStatus.SUCCEEDED
    ids = {r.headers["X-Lotse-Delivery"] for r in receiver.received}
    assert ids == {str(first.delivery_id)} and len(receiver.received) == 2
    subscription.refresh_from_db()
    assert subscription.failure_streak == 0


def test_429_waits_at_least_retry_after(world, in_acme):
    with webhook_receiver() as receiver:
        receiver.script = [(429, {"Retry-After": "3600"})]
        subscription, _ = _subscribe(world, receiver.url)
        _store(world)
        before = timezone.now()
        webhook_deliveries_send_due()
    retry = Delivery.objects.get(subscription=subscription, status="pending")
    assert retry.due_at >= before + timedelta(seconds=3600)


def test_a_4xx_is_final_and_retries_stop_after_24_hours(world, in_acme):
    with webhook_receiver() as receiver:
        receiver.script = [410]
        subscription, _ = _subscribe(world, receiver.url)
        _store(world)
        webhook_deliveries_send_due()
        assert not Delivery.objects.filter(subscription=subscription, status="pending").exists()
        receiver.default = 503
        _store(world)
        moment = timezone.now()
        for _ in range(40):
            moment += timedelta(hours=7)
            webhook_deliveries_send_due(now=moment)
    assert not Delivery.objects.filter(subscription=subscription, status="pending").exists()
    last = Delivery.objects.filter(subscription=subscription).order_by("-id").first()
    assert last.retried is False and last.attempt > 1


def test_twenty_failures_in_a_row_disable_and_notify_the_admins(
    world, in_acme, settings, mail_worker, django_capture_on_commit_callbacks
):
    settings.LOTSE_WEBHOOK_MAX_FAILURES = 20
    with webhook_receiver() as receiver:
        receiver.default = 500
        subscription, _ = _subscribe(world, receiver.url)
        _store(world, count=20)
        with django_capture_on_commit_callbacks(execute=True):
            webhook_deliveries_send_due()
        assert len(receiver.received) == 20
        _store(world)
        webhook_deliveries_send_due(now=timezone.now() + timedelta(hours=1))
        assert len(receiver.received) == 20  # nothing more is sent
    subscription.refresh_from_db()
    assert subscription.is_active is False and "20 failed" in subscription.disabled_reason
    notice = Notification.objects.get(user_id=world.alice.pk)
    assert "disabled" in notice.text and notice.link == f"/webhooks/{subscription.pk}/"
    (message,) = mail.outbox  # the worker's mail task sent it
    assert world.alice.email in message.to and "A webhook was disabled" in message.subject
    # A new event is not even stored for a disabled subscription.
    before = Event.objects.count()
    _store(world)
    assert Event.objects.count() == before


def test_redeliver_from_the_log_resends_with_the_same_delivery_id(world, admin_api, in_acme):
    with webhook_receiver() as receiver:
        subscription, _ = _subscribe(world, receiver.url)
        _store(world)
        webhook_deliveries_send_due()
        first = Delivery.objects.get(subscription=subscription)
        answer = admin_api.post(
            f"/api/v1/webhooks/{subscription.pk}/deliveries/{first.pk}/redeliver"
        )
        connection.set_tenant(world.acme.client)
        assert answer.status_code == 202, answer.content
        assert answer.json()["attempt"] == 2 and answer.json()["manual"] is True
        webhook_deliveries_send_due()
    assert [r.headers["X-Lotse-Delivery"] for r in receiver.received] == [
        str(first.delivery_id)
    ] * 2
    assert receiver.received[0].body == receiver.received[1].body
    log = admin_api.get(f"/api/v1/webhooks/{subscription.pk}/deliveries").json()["results"]
    assert [(row["attempt"], row["status"]) for row in log] == [(2, "succeeded"), (1, "succeeded")]


def test_send_test_event_reaches_only_that_subscription(world, admin_api, in_acme):
    with webhook_receiver() as receiver, webhook_receiver() as other:
        subscription, _ = _subscribe(world, receiver.url)
        _subscribe(world, other.url)
        answer = admin_api.post(f"/api/v1/webhooks/{subscription.pk}/test")
        connection.set_tenant(world.acme.client)
        assert answer.status_code == 202
        webhook_deliveries_send_due()
    assert [r.headers["X-Lotse-Event"] for r in receiver.received] == ["webhook.test"]
    assert other.received == []


def test_after_rotation_both_secrets_verify_during_the_grace(world, admin_api, in_acme):
    with webhook_receiver() as receiver:
        subscription, old = _subscribe(world, receiver.url)
        new = admin_api.post(f"/api/v1/webhooks/{subscription.pk}/rotate").json()["secret"]
        connection.set_tenant(world.acme.client)
        assert new != old
        _store(world)
        webhook_deliveries_send_due()
    [got] = receiver.received
    for secret in (old, new):
        assert webhook_signature_verify(
            secrets_=[secret],
            timestamp=got.headers["X-Lotse-Timestamp"],
            body=got.body,
            header=got.headers["X-Lotse-Signature"],
        )


def test_a_rolled_back_change_leaves_no_event(world, in_acme):
    _subscribe(world, "https://crm.example/hook", events=["mention.created", "mention.updated"])
    outcome = _store(world)
    mention = Mention.objects.get(pk=outcome.mention_ids[0])
    events_before = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        mention_set_status(mention=mention, status=Status.RESOLVED, by=world.rita)
        assert Event.objects.count() == events_before + 1
        raise RuntimeError("the change fails after the event was written")
    assert Event.objects.count() == events_before
    mention_set_status(mention=mention, status=Status.RESOLVED, by=world.rita)
    event = Event.objects.order_by("-id").first()
    assert event.type == "mention.updated"
    assert {"resolved_at", "status"} <= set(json.loads(event.body)["data"]["changed"])
    assert json.loads(event.body)["data"]["mention"]["status"] == "resolved"


def test_no_subscription_no_outbox_rows(world, in_acme):
    _store(world, count=5)
    assert Event.objects.count() == 0 and Delivery.objects.count() == 0


def test_a_clients_events_never_reach_another_clients_subscription(world):
    with webhook_receiver() as acme_hook, webhook_receiver() as globex_hook:
        with tenant_context(world.acme.client):
            _subscribe(world, acme_hook.url)
        with tenant_context(world.globex.client):
            made = webhook_subscription_create(
                data={"url": globex_hook.url, "events": ["mention.created"]}, by=world.bob
            )
            globex_subscription = made.subscription
        with tenant_context(world.acme.client):
            _store(world, count=3)
            assert webhook_deliveries_send_due() == 3
        with tenant_context(world.globex.client):
            assert webhook_deliveries_send_due() == 0
            assert Delivery.objects.count() == 0
            assert Subscription.objects.get().pk == globex_subscription.pk
    assert len(acme_hook.received) == 3 and globex_hook.received == []
    assert {json.loads(r.body)["client"]["slug"] for r in acme_hook.received} == {"acme"}
    # Over the API, bob's token on acme's host is refused; alice cannot reach globex's.
    bob = api_client(world.acme)
    bob.force_login(world.bob)
    assert bob.get(f"/api/v1/webhooks/{globex_subscription.pk}/deliveries").status_code == 403


def test_the_webhooks_page_creates_shows_the_secret_once_and_lists(world):
    web = web_client(world.acme, world.alice)
    empty = web.get("/webhooks/")
    assert empty.status_code == 200 and b"No webhooks yet" in empty.content
    made = web.post(
        "/webhooks/",
        {"url": "https://crm.example/in", "events": ["mention.created", "case.updated"]},
    )
    assert made.status_code == 200 and b"whsec_" in made.content
    again = web.get("/webhooks/")
    assert b"https://crm.example/in" in again.content and b"whsec_" not in again.content
    bad = web.post("/webhooks/", {"url": "https://crm.example/in", "events": []})
    assert bad.status_code == 400 and b"Choose at least one event type" in bad.content
    assert web_client(world.acme, world.rita).get("/webhooks/").status_code == 403


def test_the_log_page_sends_a_test_event_and_redelivers(world):
    web = web_client(world.acme, world.alice)
    with webhook_receiver() as receiver:
        with tenant_context(world.acme.client):
            subscription, _ = _subscribe(world, receiver.url)
        page = f"/webhooks/{subscription.pk}/"
        assert b"Nothing sent yet" in web.get(page).content
        assert web.post(page, {"action": "test"}).status_code == 302
        with tenant_context(world.acme.client):
            webhook_deliveries_send_due()
            first = Delivery.objects.get()
        log = web.get(page)
        assert b"webhook.test" in log.content and b"Redeliver" in log.content
        assert web.post(page, {"action": "redeliver", "delivery": first.pk}).status_code == 302
        with tenant_context(world.acme.client):
            webhook_deliveries_send_due()
        rotated = web.post(page, {"action": "rotate"})
        assert b"New secret" in rotated.content
    assert [r.headers["X-Lotse-Delivery"] for r in receiver.received] == [
        str(first.delivery_id)
    ] * 2


def test_the_event_envelope_is_an_openapi_component_with_the_client_slug(world):
    schema = api_client(world.acme).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    document = json.loads(schema.content)
    event = document["components"]["schemas"]["WebhookEvent"]
    assert {"version", "id", "type", "created_at", "client", "data"} <= set(event["properties"])
    client = document["components"]["schemas"]["WebhookClient"]
    assert "slug" in client["properties"]
    create = document["paths"]["/api/v1/webhooks/"]["post"]
    assert "event" in create["callbacks"]


def test_one_transaction_queues_the_sender_once(world, in_acme, django_capture_on_commit_callbacks):
    _subscribe(world, "https://crm.example/hook", events=["mention.created", "mention.routed"])
    with django_capture_on_commit_callbacks() as callbacks:
        _store(world, count=3)
    assert Delivery.objects.count() >= 3
    assert sum(isinstance(callback, _Kick) for callback in callbacks) == 1
