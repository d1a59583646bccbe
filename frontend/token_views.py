"""API tokens of a client (/api/tokens/, client admins): create one (shown once), see when
each was last used, revoke. The work is done by `accounts.tokens`, which audits it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role, TokenScope, User
from accounts.tokens import (
    api_token_issue,
    api_token_revoke,
    api_token_state,
    api_tokens_for_client,
)
from config.errors import DomainError
from config.tenancy import current_client
from frontend.access import client_member_required
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


@client_member_required(Role.CLIENT_ADMIN)
def tokens_page(request: HttpRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        fields = ("name", "scope", "expires", "expires_on")
        post = {key: request.POST.get(key, "") for key in fields}
        try:
            token, raw_key = api_token_issue(
                client=current_client(),
                by=request.user,  # type: ignore[arg-type]
                by_role=getattr(request, "lotse_role", None),
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
        for t in api_tokens_for_client(client=current_client())
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


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = api_token_revoke(
            client=current_client(),
            token_id=pk,
            by=request.user,  # type: ignore[arg-type]
            by_role=getattr(request, "lotse_role", None),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Revoked {token.name or token.key_prefix}: it no longer works.")
    return redirect("api-tokens")
