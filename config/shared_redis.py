"""One Redis connection pool per process for the small shared counters every process and
node must agree on: API rate limits, metrics, worker and beat heartbeats.

Short timeouts: a counter must never hold a request up for long when Redis is slow.
"""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def redis_shared() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        health_check_interval=30,
    )


@cache
def redis_broker() -> redis.Redis | None:
    """The Celery broker's Redis (queue lengths), None when the broker is not Redis."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    if url == settings.REDIS_URL:
        return redis_shared()
    return redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
