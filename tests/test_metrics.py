"""/metrics: the Prometheus text format (parsed), protected by a token or an allow-list,
with request latency by route, mentions ingested and stored, batch lag, queue depth, and
bounded labels (no client slug unless configured)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as DjangoClient
from prometheus_client.parser import text_string_to_metric_families

from config.metrics import (
    COUNTER,
    POLL_ERRORS,
    WEBHOOK_DELIVERIES,
    WEBHOOK_FAILURES,
    WEBSOCKETS,
    metric_inc,
    metric_register,
    metrics_reset,
)
from sources.models import BatchStatus, IngestBatch
from sources.services import ingest_batch_process
from tests.conftest import api_client, push
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_metrics():
    metrics_reset()
    yield
    metrics_reset()


def scrape(**headers) -> dict[str, list]:
    response = DjangoClient(HTTP_HOST="localhost", **headers).get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    families = text_string_to_metric_families(response.content.decode())
    return {family.name: family.samples for family in families}


def value(samples, name: str, **labels) -> float:
    found = [s.value for s in samples if s.name == name and s.labels == labels]
    assert found, f"no {name}{labels} in {samples}"
    return found[0]


def _push_and_store(world, texts):
    connection.set_tenant(world.acme.client)
    payload = {"mentions": [mention_item(text=t, external_id=f"m-{t}") for t in texts]}
    assert push(api_client(world.acme), world.acme, payload).status_code == 202
    for batch_id in IngestBatch.objects.filter(status=BatchStatus.PENDING).values_list(
        "pk", flat=True
    ):
        ingest_batch_process(batch_id=batch_id)


def test_mentions_ingested_stored_and_batch_lag(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _push_and_store(world, ["a train late", "a train cancelled"])
        _push_and_store(world, ["a train late"])  # a duplicate
    metrics = scrape()
    assert value(metrics["lotse_mentions_ingested"], "lotse_mentions_ingested_total") == 3
    assert value(metrics["lotse_mentions_stored"], "lotse_mentions_stored_total") == 2
    lag = metrics["lotse_ingest_batch_lag_seconds"]
    assert value(lag, "lotse_ingest_batch_lag_seconds_count") == 2
    assert value(lag, "lotse_ingest_batch_lag_seconds_bucket", le="+Inf") == 2
    assert value(lag, "lotse_ingest_batch_lag_seconds_sum") >= 0


def test_request_latency_by_route_pattern_with_bounded_labels(world):
    api = api_client(world.acme, world.acme.token)
    for mention_id in (1, 2, 3):
        api.get(f"/api/v1/mentions/{mention_id}/")
    api.get("/api/v1/mentions/")
    DjangoClient(HTTP_HOST="acme.localhost").get("/no/such/page/12345")
    latency = scrape()["lotse_http_request_duration_seconds"]
    detail = {"route": "/api/v1/mentions/<int:pk>/", "method": "GET", "status": "4xx"}
    assert value(latency, "lotse_http_request_duration_seconds_count", **detail) == 3
    listing = {"route": "/api/v1/mentions/", "method": "GET", "status": "2xx"}
    assert value(latency, "lotse_http_request_duration_seconds_count", **listing) == 1
    routes = {s.labels["route"] for s in latency}
    assert "unmatched" in routes and not any("12345" in r for r in routes)
    buckets = [
        s
        for s in latency
        if s.name.endswith("_bucket") and s.labels.get("route") == "/api/v1/mentions/"
    ]
    assert [b.labels["le"] for b in buckets][-1] == "+Inf"
    assert [b.value for b in buckets] == sorted(b.value for b in buckets)  # cumulative


def test_queue_depth_websockets_poll_errors_and_sla_breaches_are_exposed(world):
    metric_inc(WEBSOCKETS, 2)
    metric_inc(WEBSOCKETS, -1)
    metric_inc(POLL_ERRORS, connector="rss")
    metric_inc(POLL_ERRORS, connector="rss")
    metrics = scrape()
    assert {s.labels["queue"] for s in metrics["lotse_queue_depth"]} == {
        "ingest",
        "triage",
        "notify",
        "reports",
    }
    assert value(metrics["lotse_websocket_connections"], "lotse_websocket_connections") == 1
    assert value(metrics["lotse_poll_errors"], "lotse_poll_errors_total", connector="rss") == 2
    assert value(metrics["lotse_sla_breaches"], "lotse_sla_breaches_total") == 0


def test_webhook_counters_and_new_metrics_are_counted_by_name(world):
    metric_inc(WEBHOOK_DELIVERIES, outcome="delivered")
    metric_inc(WEBHOOK_DELIVERIES, outcome="failed")
    metric_inc(WEBHOOK_FAILURES)
    metric_register("lotse_test_things_total", kind=COUNTER, help="Things", labels=("kind",))
    metric_inc("lotse_test_things_total", 5, kind="x")
    metrics = scrape()
    deliveries = metrics["lotse_webhook_deliveries"]
    assert value(deliveries, "lotse_webhook_deliveries_total", outcome="failed") == 1
    assert (
        value(metrics["lotse_webhook_delivery_failures"], "lotse_webhook_delivery_failures_total")
        == 1
    )
    assert value(metrics["lotse_test_things"], "lotse_test_things_total", kind="x") == 5
    with pytest.raises(ValueError, match="no label"):
        metric_inc(WEBHOOK_DELIVERIES, client="acme")
    with pytest.raises(ValueError, match="cannot add"):
        metric_inc(WEBHOOK_FAILURES, -1)


def test_no_client_slug_unless_configured(world, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _push_and_store(world, ["x"])
    text = DjangoClient(HTTP_HOST="localhost").get("/metrics").content.decode()
    assert "acme" not in text and "globex" not in text

    metrics_reset()
    settings.LOTSE_METRICS_CLIENT_LABEL = True
    with django_capture_on_commit_callbacks(execute=True):
        _push_and_store(world, ["y"])
    stored = scrape()["lotse_mentions_stored"]
    assert value(stored, "lotse_mentions_stored_total", client="acme") == 1


def test_metrics_need_the_token_or_an_allowed_address(world, settings):
    settings.LOTSE_METRICS_TOKEN = "s3cret-metrics"
    outsider = DjangoClient(HTTP_HOST="acme.localhost", REMOTE_ADDR="203.0.113.9")
    assert outsider.get("/metrics").status_code == 403
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics")
    assert ok.status_code == 200 and b"lotse_queue_depth" in ok.content
    settings.LOTSE_METRICS_ALLOW = ["203.0.113.0/24"]
    assert outsider.get("/metrics").status_code == 200
    settings.LOTSE_METRICS_TOKEN = ""
    settings.LOTSE_METRICS_ALLOW = []
    assert DjangoClient(HTTP_HOST="localhost").get("/metrics").status_code == 403
