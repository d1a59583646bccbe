"""Page access: the one decorator every client page goes through."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import Client, Role
from accounts.security import two_factor_required
from accounts.selectors import membership_role_for, role_at_least
from config.tenancy import current_client_or_none


def two_factor_gate(request: HttpRequest, client: Client | None) -> HttpResponse | None:
    """Send someone who must use a second factor here, and has not, to the 2FA page (to set
    it up, or to type a code); None when they may go on."""
    is_verified = getattr(request.user, "is_verified", None)
    if callable(is_verified) and is_verified():
        return None
    if not two_factor_required(user=request.user, client=client):  # type: ignore[arg-type]
        return None
    return redirect(f"{reverse('two-factor')}?{urlencode({'next': request.get_full_path()})}")


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
            gate = two_factor_gate(request, client)
            if gate is not None:
                return gate
            request.lotse_role = role  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
