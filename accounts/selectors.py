"""Reads on the public schema: who is who, and who may act in which client."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db.models import Q, QuerySet

from accounts.models import ROLE_RANK, ApiToken, Client, Membership, Role, User


def client_get_by_slug(*, slug: str) -> Client:
    return Client.objects.get(slug=slug)


def membership_role_for(*, user: User, client: Client) -> str | None:
    """The user's effective role in `client`, or None when they have no access at all.

    Memoized on the user object, which lives for one request (or one websocket handshake),
    so the permission, the selector and the view all ask once.
    """
    if not user.is_active or not client.is_active:
        return None
    memo: dict[int, str | None] = user.__dict__.setdefault("_lotse_roles", {})
    if client.pk in memo:
        return memo[client.pk]
    roles = list(
        Membership.objects.filter(user=user, client__isnull=True, role=Role.AGENCY_ADMIN)
        .values_list("role", flat=True)
        .union(Membership.objects.filter(user=user, client=client).values_list("role", flat=True))
    )
    memo[client.pk] = max(roles, key=lambda role: ROLE_RANK[role]) if roles else None
    return memo[client.pk]


def is_agency_admin(*, user: User) -> bool:
    """Whether an active user administers the agency (and so every client)."""
    return (
        user.is_active
        and Membership.objects.filter(
            user=user, client__isnull=True, role=Role.AGENCY_ADMIN
        ).exists()
    )


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def clients_for_user(*, user: User) -> QuerySet[Client]:
    """Every client the user may open: all of them for agency admins."""
    clients = Client.objects.exclude(
        schema_name__in=("public", settings.TENANT_BASE_SCHEMA)
    ).order_by("name")
    if Membership.objects.filter(user=user, role=Role.AGENCY_ADMIN).exists():
        return clients
    return clients.filter(memberships__user=user).distinct()


def client_members(*, client: Client, min_role: str = Role.VIEWER) -> list[User]:
    """Active users with at least `min_role` in `client`, agency admins included."""
    allowed = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[min_role]]
    in_client = Q(memberships__client=client) | Q(memberships__role=Role.AGENCY_ADMIN)
    users = User.objects.filter(in_client, is_active=True, memberships__role__in=allowed)
    return list(users.distinct().order_by("name", "email"))


def client_member_get(*, client: Client, user_id: int) -> User | None:
    """The active member `user_id` of `client` (agency admins included), or None."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or membership_role_for(user=user, client=client) is None:
        return None
    return user


def api_token_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_token_get(*, raw_key: str) -> ApiToken | None:
    """The live token for `raw_key`, with its user and client, or None."""
    return (
        ApiToken.objects.select_related("user", "client")
        .filter(key_hash=api_token_hash(raw_key), revoked_at__isnull=True)
        .first()
    )
