"""/healthz and /readyz: no login, nothing leaked, and 503 naming the part that fails. The
Redis test starts its own redis-server on a spare port and stops it (never the machine's)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from django.test import Client as DjangoClient

from config.celery import HEARTBEAT_PREFIX, heartbeat_age, heartbeat_record, heartbeat_task
from config.shared_redis import redis_shared

pytestmark = pytest.mark.django_db

PARTS = ["worker:ingest", "worker:triage", "worker:notify", "worker:reports", "beat"]


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_redis(settings) -> Iterator[subprocess.Popen]:
    """A private redis-server that Lotse's Redis and broker settings point at."""
    port = _spare_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    probe = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            if probe.ping():
                break
        except redis.ConnectionError:
            time.sleep(0.05)
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    redis_shared.cache_clear()
    try:
        yield server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)
        redis_shared.cache_clear()


def _get(path: str, host: str = "acme.localhost"):
    return DjangoClient(HTTP_HOST=host).get(path)


def test_healthz_answers_without_login_on_any_host(world):
    for host in ("acme.localhost", "localhost", "10.0.0.7"):
        response = _get("/healthz", host)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert response["Cache-Control"] == "no-store"


def test_readyz_is_ok_with_everything_up_and_503_when_redis_stops(world, own_redis):
    for part in PARTS:
        heartbeat_record(part)
    ready = _get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json() == {
        "status": "ok",
        "checks": dict.fromkeys(["postgres", "redis", "broker", *PARTS], "ok"),
    }

    own_redis.terminate()
    own_redis.wait(timeout=10)
    down = _get("/readyz")
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["redis", "broker"]
    assert body["checks"]["postgres"] == "ok" and body["checks"]["beat"] == "unknown"


def test_readyz_names_a_silent_queue_and_a_silent_beat(world, own_redis):
    heartbeat_record("worker:ingest")
    heartbeat_record("worker:triage")
    heartbeat_record("worker:notify")
    redis_shared().set(f"{HEARTBEAT_PREFIX}worker:reports", str(time.time() - 120))
    response = _get("/readyz", "localhost")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker:reports", "beat"]


def test_readyz_leaks_nothing(world, own_redis):
    own_redis.terminate()
    own_redis.wait(timeout=10)
    response = _get("/readyz")
    text = response.content.decode()
    body = json.loads(text)
    assert set(body) == {"status", "failing", "checks"}
    assert set(body["checks"].values()) <= {"ok", "failing", "unknown"}
    for secret in ("127.0.0.1", "redis://", "Error", "Traceback", "postgres://", "version"):
        assert secret not in text


def test_the_heartbeat_task_reports_its_queue(world, own_redis):
    assert heartbeat_age("worker:notify") is None
    heartbeat_task("notify")
    assert heartbeat_age("worker:notify") < 5
