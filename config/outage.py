"""API requests that fail unexpectedly answer in the API's JSON error shape, never an HTML
page: 503 with Retry-After while the database or the broker is away, else 500.

Django turns an exception into a response in whichever layer raised it (django-tenants'
middleware asks the database for the client before any view runs), so this middleware, the
outermost, cannot catch it; Django's `got_request_exception` signal notes the exception on
the request and the middleware replaces the HTML 500 for `/api/` paths.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from config.api import error_body

RETRY_AFTER_SECONDS = 10
_OUTAGES = (DatabaseOperationalError, InterfaceError, BrokerOperationalError, RedisConnectionError)
_NOTED = "_lotse_exception"


def _note_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None:
        setattr(request, _NOTED, sys.exc_info()[1])


got_request_exception.connect(_note_exception, dispatch_uid="lotse-note-exception")


def api_error_response(exc: BaseException | None) -> JsonResponse:
    """The JSON answer for an unexpected failure of an API request."""
    if isinstance(exc, _OUTAGES):
        response = JsonResponse(
            error_body("unavailable", "Lotse cannot reach its database or queue; try again."),
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(
        error_body("server_error", "Something went wrong on our side; it has been logged."),
        status=500,
    )


class ApiErrorShapeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500 and request.path.startswith("/api/"):
            content_type = response.get("Content-Type", "")
            if not content_type.startswith("application/json"):
                return api_error_response(getattr(request, _NOTED, None))
        return response
