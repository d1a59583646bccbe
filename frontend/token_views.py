"""API tokens (/api/tokens/): create one (shown once), see when each was last used, revoke.
On a client's host, the client's tokens (client admins); on the agency host, the agency's
tokens for `/api/v1/clients/` and the other agency endpoints (agency admins). The work is
done by `accounts.tokens`, which audits it; both pages are this module's one page."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Client, Role, TokenScope, User
from accounts.selectors import membership_role_for
from accounts.tokens import (
    api_token_issue,
    api_token_revoke,
    api_token_state,
    api_tokens_for_client,
)
from config.errors import DomainError
from config.tenancy import current_client
from frontend.access import agency_admin_required, client_member_required
from frontend.params import form_date, form_int

NEW_TOKEN_KEY = "lotse_new_api_token"  # noqa: S105  (a session key, not a secret)
EXPIRY_CHOICES = [
    ("", "Never"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
]


def _expiry(post: dict[str, str]) -> datetime | None:
    """The chosen expiry: a date (the end of that day in the reader's time zone) wins over
    the list; "Never" is None."""
    if post.get("expires_on", "").strip():
        day = form_date(post["expires_on"])
        if day is None:
            raise DomainError(
                "The token has invalid fields.", fields={"expires_at": ["pick a valid date"]}
            )
        zone = timezone.get_current_timezone()
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    choice = post.get("expires", "")
    if choice == "":
        return None
    days = form_int(choice)
    if days is None or days <= 0:
        raise DomainError("The token has invalid fields.", fields={"expires_at": ["pick one"]})
    return timezone.now() + timedelta(days=days)


def _tokens_page(request: HttpRequest, *, tenant: Client, role: str | None) -> HttpResponse:
    """The page for `tenant`'s tokens: a client's, or the agency's own row's."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        fields = ("name", "scope", "expires", "expires_on")
        post = {key: request.POST.get(key, "") for key in fields}
        try:
            token, raw_key = api_token_issue(
                client=tenant,
                by=request.user,  # type: ignore[arg-type]
                by_role=role,
                name=post["name"],
                scope=post["scope"],
                expires_at=_expiry(post),
            )
        except DomainError as exc:
            errors = exc.fields or {"general": [exc.message]}
        else:
            # Shown once, on the next page view, then forgotten (only the hash is kept).
            request.session[NEW_TOKEN_KEY] = {"id": token.pk, "key": raw_key}
            return redirect("api-tokens")
    new_token = request.session.pop(NEW_TOKEN_KEY, None)
    now = timezone.now()
    user: User = request.user  # type: ignore[assignment]
    rows = [
        {"token": t, "state": api_token_state(t, now=now), "mine": t.user_id == user.pk}
        for t in api_tokens_for_client(client=tenant)
    ]
    return render(
        request,
        "frontend/api_tokens.html",
        {
            "rows": rows,
            "new_token": new_token,
            "errors": errors,
            "values": request.POST if errors else None,
            "scope_choices": TokenScope.choices,
            "expiry_choices": EXPIRY_CHOICES,
        },
        status=400 if errors else 200,
    )


def _token_revoke(
    request: HttpRequest, pk: int, *, tenant: Client, role: str | None
) -> HttpResponse:
    try:
        token = api_token_revoke(
            client=tenant,
            token_id=pk,
            by=request.user,  # type: ignore[arg-type]
            by_role=role,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Revoked {token.name or token.key_prefix}: it no longer works.")
    return redirect("api-tokens")


@client_member_required(Role.CLIENT_ADMIN)
def tokens_page(request: HttpRequest) -> HttpResponse:
    return _tokens_page(request, tenant=current_client(), role=getattr(request, "lotse_role", None))


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _token_revoke(
        request, pk, tenant=current_client(), role=getattr(request, "lotse_role", None)
    )


def _agency(request: HttpRequest) -> tuple[Client, str | None]:
    agency: Client = request.tenant  # type: ignore[attr-defined]
    return agency, membership_role_for(user=request.user, client=agency)  # type: ignore[arg-type]


@agency_admin_required
def agency_tokens_page(request: HttpRequest) -> HttpResponse:
    agency, role = _agency(request)
    return _tokens_page(request, tenant=agency, role=role)


@require_POST
@agency_admin_required
def agency_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    agency, role = _agency(request)
    return _token_revoke(request, pk, tenant=agency, role=role)
