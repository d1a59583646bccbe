"""Page access: the one decorator every client page goes through."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Role
from accounts.selectors import membership_role_for, role_at_least
from config.tenancy import current_client_or_none


def client_member_required(
    min_role: str = Role.VIEWER,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            client = current_client_or_none()
            role = None
            if client is not None:
                role = membership_role_for(user=request.user, client=client)
            if not role_at_least(role, min_role):
                return render(
                    request,
                    "frontend/forbidden.html",
                    {"needs": min_role, "role": role},
                    status=403,
                )
            request.lotse_role = role  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
