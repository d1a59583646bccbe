"""Per-request memo: what a page asks several times (a person's departments, from the access
check, the visibility filter, the navigation and the training badge) is read once.

Only for reading requests (GET, HEAD): a request that changes data reads afresh after its
change. Keys carry the tenant's schema, so one client's answer never serves another. Outside
a request (tasks, commands, websockets) nothing is remembered and each call reads."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from config.tenancy import current_schema

T = TypeVar("T")

_memo: ContextVar[dict[tuple[Hashable, ...], Any] | None] = ContextVar(
    "lotse_request_memo", default=None
)

READING = frozenset({"GET", "HEAD"})


def request_memoized(key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """`compute()`, once per reading request for `key` in the current tenant."""
    memo = _memo.get()
    if memo is None:
        return compute()
    full = (current_schema(), *key)
    if full not in memo:
        memo[full] = compute()
    return memo[full]


def request_memo(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method not in READING:
            return get_response(request)
        token = _memo.set({})
        try:
            return get_response(request)
        finally:
            _memo.reset(token)

    return middleware
