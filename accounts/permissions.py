"""API permissions: the one place that decides whether a request may touch this client."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from accounts.models import ApiToken, Role, TokenScope, User
from accounts.security import is_agency_staff, two_factor_enrolled, two_factor_required
from accounts.selectors import is_agency_admin, membership_role_for, role_at_least
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


def _second_factor_ok(request: Request) -> bool:
    """A browser session on a client that requires 2FA needs a verified second factor
    (django-otp's middleware marks the session's user). API tokens are not sessions."""
    is_verified = getattr(request.user, "is_verified", None)
    if callable(is_verified) and is_verified():
        return True
    user = request.user
    if not isinstance(user, User):
        return True  # anonymous callers are refused by the membership check already
    return not two_factor_required(user=user, client=current_client_or_none())


def request_has_second_factor(request: Request) -> bool:
    """Whether the caller uses a second factor: a session that passed the code step, or,
    for an API token (no code step), a person with a confirmed device."""
    user = request.user
    if not isinstance(user, User):
        return False
    if isinstance(request.auth, ApiToken):
        return two_factor_enrolled(user=user)
    is_verified = getattr(user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())


class IsClientMember(permissions.BasePermission):
    """Members read; responders and up write. Views may raise `read_role` (what a page
    needs a higher role for, its API needs too) and `write_role`."""

    message = "You have no access to this client."

    def has_permission(self, request: Request, view: Any) -> bool:
        role = request_role(request)
        if role is None:
            return False
        if not isinstance(request.auth, ApiToken) and not _second_factor_ok(request):
            self.message = (
                "This client requires two-factor login: set it up at /account/2fa/ first."
            )
            return False
        if request.method in permissions.SAFE_METHODS:
            reader = getattr(view, "read_role", Role.VIEWER)
            if not role_at_least(role, reader):
                self.message = f"Your role may not read this (needs {reader} or above)."
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


class IsAgencyAdmin(permissions.BasePermission):
    """The agency host's API: agency admins only, never on a client's host. Read-only tokens
    read; changes need a write token (or a session)."""

    message = "Only agency admins may do this, on the agency's own address."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if current_client_or_none() is not None or user is None or not user.is_authenticated:
            return False
        if not is_agency_admin(user=user):
            return False
        if not isinstance(request.auth, ApiToken) and not _second_factor_ok(request):
            self.message = "The agency requires two-factor login: set it up at /account/2fa/."
            return False
        auth = request.auth
        if request.method not in permissions.SAFE_METHODS and (
            isinstance(auth, ApiToken) and auth.scope != TokenScope.WRITE
        ):
            self.message = "This token is read-only."
            return False
        return True


class IsAgencyStaff(permissions.BasePermission):
    """The agency host's read-only views for agency staff (the overview): staff users and
    agency admins, never on a client's host; sessions need the agency's second factor."""

    message = "Only agency staff may read this, on the agency's own address."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if current_client_or_none() is not None or user is None or not user.is_authenticated:
            return False
        if request.method not in permissions.SAFE_METHODS:
            return False
        if not isinstance(user, User) or not is_agency_staff(user=user):
            return False
        if not isinstance(request.auth, ApiToken) and not _second_factor_ok(request):
            self.message = "The agency requires two-factor login: set it up at /account/2fa/."
            return False
        return True
