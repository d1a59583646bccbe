"""Structured logs (structlog) for web and workers alike, and optional error reporting.

Every line, from our code, Django, Celery or any library, is one JSON object (or, with
LOTSE_LOG_FORMAT=plain, a readable line with the same keys) carrying:

- `request_id`: from the incoming `X-Request-ID` (when it is a plain token of up to 64
  characters, as load balancers send it) or a new one; answered in `X-Request-ID`;
- `client`: the slug of the client whose schema the connection serves (requests and tasks);
- `user_id`: the person or token owner, once the request has been authenticated;
- `task_id` and `task`: the Celery task in a worker, so all lines of one batch tie together.

`RequestLogMiddleware` binds the request id and writes one `request` line per request
(method, route pattern, status, duration). With LOTSE_SENTRY_DSN set, errors also go to
Sentry (sentry-sdk, without personal data unless LOTSE_SENTRY_SEND_PII=1).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import sentry_sdk
import structlog
from celery import current_task
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_OK = re.compile(r"[A-Za-z0-9._-]{1,64}")
_current_request: ContextVar[HttpRequest | None] = ContextVar("lotse_request", default=None)
request_logger = structlog.get_logger("lotse.request")


def _user_id(request: HttpRequest) -> int | None:
    """The authenticated user's id, only if authentication has already happened (reading
    `request.user` here would query the database from inside a log call)."""
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", None)
    if wrapped is not None:  # Django's lazy user
        user = None if wrapped is empty else wrapped
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)


def add_lotse_context(logger: Any, method_name: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: client slug, user id and Celery task id, where known."""
    tenant = getattr(connection, "tenant", None)
    slug = getattr(tenant, "slug", None)
    if slug:
        event.setdefault("client", slug)
    request = _current_request.get()
    if request is not None:
        user_id = _user_id(request)
        if user_id is not None:
            event.setdefault("user_id", user_id)
    task = current_task
    if task is not None and getattr(task, "request", None) is not None and task.request.id:
        event.setdefault("task_id", task.request.id)
        event.setdefault("task", task.name)
    return event


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    add_lotse_context,
]


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING: every record through structlog's formatter, to stderr."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                "foreign_pre_chain": [*_SHARED, structlog.stdlib.ExtraAdder()],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # WeasyPrint (the PDF report) logs every rendering step at INFO.
            "weasyprint": {"level": "WARNING"},
        },
    }


def structlog_configure() -> None:
    """structlog's own loggers hand their events to the standard library (and so to the
    formatter above)."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def sentry_init(*, dsn: str, environment: str, send_pii: bool, traces_sample_rate: float) -> None:
    """Report errors (web and Celery) to Sentry; called by settings only when a DSN is set."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=send_pii,
        traces_sample_rate=traces_sample_rate,
    )


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + str(match.route) if match.route else str(match.view_name)


# Load balancer probes and scrapes, and static files, are not worth a line each.
_QUIET = ("/healthz", "/readyz", "/metrics", "/static/")


class RequestLogMiddleware:
    """Binds a request id to every log line of the request and logs the request once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _REQUEST_ID_OK.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        token = _current_request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if request.path.startswith(_QUIET):
                return response
            level = logging.WARNING if response.status_code >= 500 else logging.INFO
            request_logger.log(
                level,
                "request",
                method=request.method,
                route=_route(request),
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            return response
        finally:
            _current_request.reset(token)
            structlog.contextvars.clear_contextvars()
