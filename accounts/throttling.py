"""API rate limits per token (DRF throttle) and per pushing source, with the client's budgets.

Two budgets per minute, set per client (`Client.api_read_per_minute`,
`Client.api_push_per_minute`): reads (GET, HEAD, OPTIONS) and pushes (every write, and the
signed mention pushes of a source, which count per source). Sessions (people in the browser)
are not limited here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.exceptions import Throttled
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiToken, Client
from config.ratelimit import rate_limit_hit, rate_limit_note

READ = "read"
PUSH = "push"


def _limit(client: Client, budget: str) -> int:
    return client.api_read_per_minute if budget == READ else client.api_push_per_minute


class TokenRateThrottle(BaseThrottle):
    """Counts each token-authenticated API request against its client's budget."""

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken) or not settings.LOTSE_API_RATE_LIMITS:
            return True
        budget = READ if request.method in SAFE_METHODS else PUSH
        decision = rate_limit_hit(
            key=f"token:{token.pk}", budget=budget, limit=_limit(token.client, budget)
        )
        if decision is None:
            return True
        rate_limit_note(request._request, decision)
        self._wait = decision.reset_seconds
        if not decision.allowed:
            raise Throttled(
                wait=decision.reset_seconds,
                detail=f"This token's {budget} limit of {decision.limit} requests a minute "
                "is reached.",
            )
        return True

    def wait(self) -> float | None:
        return self._wait


def push_rate_check(*, request: HttpRequest, client: Client, source_id: int) -> None:
    """Count one signed push of `source_id` against `client`'s push budget; raises DRF's
    `Throttled` (429 + Retry-After) when the budget is spent."""
    if not settings.LOTSE_API_RATE_LIMITS:
        return
    decision = rate_limit_hit(key=f"source:{source_id}", budget=PUSH, limit=_limit(client, PUSH))
    if decision is None:
        return
    rate_limit_note(request, decision)
    if not decision.allowed:
        raise Throttled(
            wait=decision.reset_seconds,
            detail=f"Push limit of {decision.limit} requests a minute reached for this source.",
        )
