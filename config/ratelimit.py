"""Fixed-window rate limits in Redis, shared by every web node: one INCR and one EXPIRE in a
single round trip per request.

`rate_limit_hit` counts one request against a budget and says whether it may go on; the
request remembers the decision (`rate_limit_note`) and `RateLimitHeadersMiddleware` adds
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the
window ends) to the answer, 429s included (those also carry `Retry-After`). When Redis cannot
be reached the request goes on (fail open) and a warning is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError

from config.shared_redis import redis_shared

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 60
KEY_PREFIX = "lotse:rl:"
_NOTE = "lotse_ratelimit"


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    budget: str
    limit: int
    remaining: int
    reset_seconds: int


def rate_limit_hit(
    *, key: str, budget: str, limit: int, window: int = WINDOW_SECONDS
) -> RateDecision | None:
    """Count one request for `key` in `budget`; None when Redis is away (let it through)."""
    now = time.time()
    window_start = int(now // window) * window
    name = f"{KEY_PREFIX}{key}:{budget}:{window_start}"
    try:
        pipe = redis_shared().pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, window + 5)
        count = int(pipe.execute()[0])
    except RedisError as exc:
        logger.warning("rate limit not checked, Redis unavailable: %s", exc)
        return None
    reset = max(1, int(window_start + window - now + 0.999))
    return RateDecision(
        allowed=count <= limit,
        budget=budget,
        limit=limit,
        remaining=max(0, limit - count),
        reset_seconds=reset,
    )


def rate_limit_note(request: HttpRequest, decision: RateDecision) -> None:
    setattr(request, _NOTE, decision)


class RateLimitHeadersMiddleware:
    """Adds the `X-RateLimit-*` headers of the decision noted on the request, if any."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        decision: RateDecision | None = getattr(request, _NOTE, None)
        if decision is not None:
            response["X-RateLimit-Limit"] = str(decision.limit)
            response["X-RateLimit-Remaining"] = str(decision.remaining)
            response["X-RateLimit-Reset"] = str(decision.reset_seconds)
            response["X-RateLimit-Budget"] = decision.budget
            if not decision.allowed and not response.has_header("Retry-After"):
                response["Retry-After"] = str(decision.reset_seconds)
        return response
