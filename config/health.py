"""Liveness and readiness for load balancers and orchestrators, answered before anything else
runs (no tenant lookup, no login, no session, no redirect to https).

- `/healthz`: the process answers (200, always).
- `/readyz`: PostgreSQL, Redis, the Celery broker, a worker on every queue and beat within
  the last minute. 200 when all pass, else 503 naming the failing parts. The answer says
  only `ok`, `failing` or `unknown` per part: no versions, host names or error texts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from kombu import Connection
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from config.celery import heartbeat_age
from config.shared_redis import redis_shared

logger = logging.getLogger(__name__)
HEARTBEAT_MAX_AGE_SECONDS = 60
HEALTH_PATHS = ("/healthz", "/readyz")


def _postgres_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError as exc:
        logger.warning("readyz: PostgreSQL failing: %s", exc)
        return False


def _redis_ok() -> bool:
    try:
        return bool(redis_shared().ping())
    except RedisError as exc:
        logger.warning("readyz: Redis failing: %s", exc)
        return False


def _broker_ok() -> bool:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return True
    except (KombuError, OSError, RedisError) as exc:
        logger.warning("readyz: broker failing: %s", exc)
        return False


def _heartbeat_state(part: str) -> str:
    try:
        age = heartbeat_age(part)
    except RedisError:
        return "unknown"
    return "ok" if age is not None and age <= HEARTBEAT_MAX_AGE_SECONDS else "failing"


def readiness() -> dict[str, str]:
    """Each part's state: `ok`, `failing`, or `unknown` (its heartbeat cannot be read)."""
    checks = {
        "postgres": "ok" if _postgres_ok() else "failing",
        "redis": "ok" if _redis_ok() else "failing",
        "broker": "ok" if _broker_ok() else "failing",
    }
    for queue in settings.LOTSE_QUEUES:
        checks[f"worker:{queue}"] = _heartbeat_state(f"worker:{queue}")
    checks["beat"] = _heartbeat_state("beat")
    return checks


def _answer(body: dict[str, object], status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class HealthMiddleware:
    """Answers the health paths itself, before the tenant middleware asks the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path.rstrip("/")
        if path not in HEALTH_PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return _answer({"status": "method not allowed"}, 405)
        if path == "/healthz":
            return _answer({"status": "ok"}, 200)
        checks = readiness()
        failing = [part for part, state in checks.items() if state != "ok"]
        if not failing:
            return _answer({"status": "ok", "checks": checks}, 200)
        # Parts whose state is unknown (Redis away) are not the cause; name the causes.
        causes = [part for part in failing if checks[part] == "failing"] or failing
        return _answer({"status": "unavailable", "failing": causes, "checks": checks}, 503)
