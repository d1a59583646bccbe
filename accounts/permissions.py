"""API permissions: the one place that decides whether a request may touch this client."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from accounts.models import ApiToken, Role, TokenScope
from accounts.selectors import membership_role_for, role_at_least
from config.tenancy import current_client_or_none


def request_role(request: Request) -> str | None:
    """The caller's role in the client served by this request (cached on the request)."""
    cached = getattr(request, "_lotse_role", "unset")
    if cached != "unset":
        return cached
    user = request.user
    client = current_client_or_none()
    role = None
    if user is not None and user.is_authenticated and client is not None:
        role = membership_role_for(user=user, client=client)
    request._lotse_role = role  # type: ignore[attr-defined]
    return role


class IsClientMember(permissions.BasePermission):
    """Members read; responders and up write. Views may raise `read_role`, `write_role`."""

    message = "You have no access to this client."

    def has_permission(self, request: Request, view: Any) -> bool:
        role = request_role(request)
        if role is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            reader = getattr(view, "read_role", Role.VIEWER)
            if not role_at_least(role, reader):
                self.message = f"Your role may not see this (needs {reader} or above)."
                return False
            return True
        auth = request.auth
        if isinstance(auth, ApiToken) and auth.scope != TokenScope.WRITE:
            self.message = "This token is read-only."
            return False
        minimum = getattr(view, "write_role", Role.RESPONDER)
        if not role_at_least(role, minimum):
            self.message = f"Your role may not do this (needs {minimum} or above)."
            return False
        return True
