"""API tokens managed on the /api/tokens/ page: issue, list, revoke. On a client's host by
its admins (client tokens); on the agency host by agency admins (agency tokens, bound to the
agency's own row: they work on the agency host only, `accounts.authentication`).

A token acts as the admin who issued it, in one client (or the agency) only, with a scope
(read, or read and write) and an optional expiry. Only its SHA-256 is stored, so the raw key
is shown once. Every issue and revocation is audited: in the client's log (its own schema),
or for agency tokens in the agency's log.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from accounts.models import ROLE_RANK, ApiToken, Client, Role, TokenScope, User
from accounts.services import api_token_create, host_audit_record
from config.errors import DomainError, NotAllowed

TOKEN_NAME_MAX = 100


def _check_admin(*, by_role: str | None) -> None:
    if by_role is None or ROLE_RANK[by_role] < ROLE_RANK[Role.CLIENT_ADMIN]:
        raise NotAllowed("Only client admins may create or revoke API tokens.")


def _snapshot(token: ApiToken) -> dict[str, object]:
    return {
        "name": token.name,
        "prefix": token.key_prefix,
        "scope": token.scope,
        "user_id": token.user_id,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


@transaction.atomic
def api_token_issue(
    *,
    client: Client,
    by: User,
    by_role: str | None,
    name: str,
    scope: str,
    expires_at: datetime | None,
) -> tuple[ApiToken, str]:
    """A new token for `client` acting as `by`. Returns the row and the raw key (shown once)."""
    _check_admin(by_role=by_role)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["give the token a name, like the system that will use it"]
    elif len(name) > TOKEN_NAME_MAX:
        errors["name"] = [f"at most {TOKEN_NAME_MAX} characters"]
    if scope not in TokenScope.values:
        errors["scope"] = [f"one of {', '.join(TokenScope.values)}"]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["must be in the future"]
    if errors:
        raise DomainError("The token has invalid fields.", fields=errors)
    token, raw_key = api_token_create(client=client, user=by, scope=scope, name=name)
    if expires_at is not None:
        token.expires_at = expires_at
        token.save(update_fields=["expires_at"])
    host_audit_record(
        tenant=client,
        actor=by,
        action="api_token.create",
        target_type="api_token",
        target_id=token.pk,
        summary=f"Created API token {name!r} ({token.key_prefix}…, {scope})",
        after=_snapshot(token),
    )
    return token, raw_key


@transaction.atomic
def api_token_revoke(*, client: Client, token_id: int, by: User, by_role: str | None) -> ApiToken:
    """Revoke one of `client`'s tokens (never another client's); revoking twice is a no-op."""
    _check_admin(by_role=by_role)
    token = ApiToken.objects.select_for_update().filter(client=client, pk=token_id).first()
    if token is None:
        raise DomainError("No such token in this client.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        host_audit_record(
            tenant=client,
            actor=by,
            action="api_token.revoke",
            target_type="api_token",
            target_id=token.pk,
            summary=f"Revoked API token {token.name!r} ({token.key_prefix}…)",
            before=_snapshot(token),
        )
    return token


def api_tokens_for_client(*, client: Client) -> list[ApiToken]:
    """`client`'s tokens, live ones first, newest first, with the user each acts as."""
    return list(
        ApiToken.objects.select_related("user")
        .filter(client=client)
        .annotate(
            dead=ExpressionWrapper(
                Q(revoked_at__isnull=False) | Q(expires_at__lte=timezone.now()),
                output_field=BooleanField(),
            )
        )
        .order_by("dead", "-created_at")
    )


def api_token_state(token: ApiToken, *, now: datetime) -> str:
    """'revoked', 'expired' or 'active'."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"
