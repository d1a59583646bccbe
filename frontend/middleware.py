"""Page-wide middleware: times in the reader's time zone (their profile's, else the
client's; `frontend.times.reader_zone`), and a deactivated client's host answering every
request with one clear refusal (a page, or the API's error shape); its data is kept
(`sources.services.lifecycle`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from config.api import error_body
from config.tenancy import current_client_or_none
from frontend.times import reader_zone


def reader_timezone(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        profile_zone = getattr(user, "timezone", "") if user is not None else ""
        # Pages fall back to the client's zone; the API keeps its answers in the person's
        # own zone or UTC (integrations should not see offsets change with the client).
        client = None if request.path.startswith("/api/") else current_client_or_none()
        timezone.activate(
            reader_zone(
                profile_zone=profile_zone,
                client_zone=client.time_zone if client is not None else None,
            )
        )
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware


class InactiveClientMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        client = current_client_or_none()
        if client is None or client.is_active:
            return self.get_response(request)
        message = f"{client.name} is deactivated in Lotse; ask your agency to reactivate it."
        if request.path.startswith("/api/"):
            return JsonResponse(error_body("client_inactive", message), status=403)
        return render(request, "frontend/client_inactive.html", {"message": message}, status=403)
