"""Page access: the one decorator every client page goes through.

The decorator records what it asks of a person on the view (`PageAccess`), so the
navigation (`frontend.navigation`) offers a page only to those the page itself lets in:
the rule lives here, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import Client, Role, User
from accounts.security import two_factor_required
from accounts.selectors import is_agency_admin, membership_role_for, role_at_least
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


Allow = Callable[[User, str | None], bool]


@dataclass(frozen=True)
class PageAccess:
    """Who may open a page: at least `min_role` in the client, and, where a page asks more
    (alerts: the whole client in view), whoever `allow(user, role)` lets in."""

    min_role: str
    allow: Allow | None = None
    needs: str = ""  # the role named on the refusal when `allow` says no

    def permits(self, *, user: User, role: str | None) -> bool:
        if not role_at_least(role, self.min_role):
            return False
        return self.allow is None or self.allow(user, role)


ACCESS_ATTRIBUTE = "lotse_access"


def page_access(view: Callable[..., Any]) -> PageAccess | None:
    """What a view asks of a person (None: a page every member may open)."""
    return getattr(view, ACCESS_ATTRIBUTE, None)


def may_open(*, user: User, role: str | None, view: Callable[..., Any]) -> bool:
    """Whether the page of `view` lets this person (with `role` in the current client) in."""
    access = page_access(view)
    if access is None:
        return role is not None
    return access.permits(user=user, role=role)


def client_member_required(
    min_role: str = Role.VIEWER, *, allow: Allow | None = None, needs: str = ""
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    access = PageAccess(min_role=min_role, allow=allow, needs=needs or min_role)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            client = current_client_or_none()
            role = None
            if client is not None:
                role = membership_role_for(user=request.user, client=client)
            if not access.permits(user=request.user, role=role):
                return render(
                    request,
                    "frontend/forbidden.html",
                    {
                        "needs": min_role if not role_at_least(role, min_role) else access.needs,
                        "role": role,
                    },
                    status=403,
                )
            gate = two_factor_gate(request, client)
            if gate is not None:
                return gate
            request.lotse_role = role  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        setattr(wrapped, ACCESS_ATTRIBUTE, access)
        return wrapped

    return decorator


AGENCY_ADMIN_ACCESS = PageAccess(min_role=Role.AGENCY_ADMIN)


def agency_admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The one gate of the agency host's admin pages (the onboarding wizard, a client's life
    cycle, agency API tokens): logged in, on the agency host, an agency admin, with the
    agency's second factor when it asks for one. Recorded on the view like a client page's
    rule, so the agency header offers the page to exactly those it lets in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if current_client_or_none() is not None or not is_agency_admin(user=request.user):
            return render(
                request,
                "frontend/forbidden.html",
                {"needs": "agency admin", "role": "not an agency admin"},
                status=403,
            )
        gate = two_factor_gate(request, None)  # the agency may require 2FA of its staff
        if gate is not None:
            return gate
        return view(request, *args, **kwargs)

    setattr(wrapped, ACCESS_ATTRIBUTE, AGENCY_ADMIN_ACCESS)
    return wrapped
