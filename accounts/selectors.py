"""Reads on the public schema: who is who, and who may act in which client."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import ROLE_RANK, ApiToken, Client, Membership, Role, User


def client_get_by_slug(*, slug: str) -> Client:
    return Client.objects.get(slug=slug)


def client_managed_get(*, slug: str) -> Client | None:
    """A client the agency manages (onboarded, deactivated or not): never the agency's own
    row nor the template new clients are copied from."""
    return (
        Client.objects.filter(slug=slug)
        .exclude(schema_name__in=("public", settings.TENANT_BASE_SCHEMA))
        .first()
    )


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
        .union(
            Membership.objects.filter(
                user=user, client=client, deactivated_at__isnull=True
            ).values_list("role", flat=True)
        )
    )
    memo[client.pk] = max(roles, key=lambda role: ROLE_RANK[role]) if roles else None
    return memo[client.pk]


def membership_roles_for(*, users: list[User], client: Client) -> dict[int, str]:
    """Each active user's effective role in `client` (as `membership_role_for`), in one
    query; users without access are left out. Remembered on each user object, so later
    `membership_role_for` calls for them read nothing."""
    if not client.is_active:
        return {}
    active = [user for user in users if user.is_active]
    rows = Membership.objects.filter(
        Q(client__isnull=True, role=Role.AGENCY_ADMIN)
        | Q(client=client, deactivated_at__isnull=True),
        user_id__in=[user.pk for user in active],
    ).values_list("user_id", "role")
    best: dict[int, str] = {}
    for user_id, role in rows:
        if user_id not in best or ROLE_RANK[role] > ROLE_RANK[best[user_id]]:
            best[user_id] = role
    for user in active:
        memo: dict[int, str | None] = user.__dict__.setdefault("_lotse_roles", {})
        memo[client.pk] = best.get(int(user.pk))
    return best


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
    # One query (the header's switcher asks on every page).
    agency_admin = Membership.objects.filter(user=user, role=Role.AGENCY_ADMIN)
    member = Membership.objects.filter(
        client=OuterRef("pk"), user=user, deactivated_at__isnull=True
    )
    return clients.filter(Exists(agency_admin) | Exists(member))


def client_members(*, client: Client, min_role: str = Role.VIEWER) -> list[User]:
    """Active users with at least `min_role` in `client`, agency admins included."""
    allowed = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[min_role]]
    in_client = Q(memberships__client=client, memberships__deactivated_at__isnull=True) | Q(
        memberships__role=Role.AGENCY_ADMIN
    )
    users = User.objects.filter(in_client, is_active=True, memberships__role__in=allowed)
    return list(users.distinct().order_by("name", "email"))


def client_member_get(*, client: Client, user_id: int) -> User | None:
    """The active member `user_id` of `client` (agency admins included), or None."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or membership_role_for(user=user, client=client) is None:
        return None
    return user


def client_memberships(*, client: Client) -> list[Membership]:
    """The people of `client` (active and deactivated), with their users, by name."""
    return list(
        Membership.objects.filter(client=client)
        .select_related("user")
        .order_by("deactivated_at", "user__name", "user__email")
    )


def client_membership_get(*, client: Client, user_id: int) -> Membership | None:
    """`user_id`'s membership in `client` (deactivated included), or None."""
    return Membership.objects.select_related("user").filter(client=client, user_id=user_id).first()


def client_user_ids_assignable(*, client: Client, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` who may take mentions in `client`: active people whose role there
    is responder or above (viewers and deactivated people never are), agency admins too."""
    if not user_ids:
        return set()
    working = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role.RESPONDER]]
    rows = Membership.objects.filter(user_id__in=user_ids, user__is_active=True).filter(
        Q(client=client, deactivated_at__isnull=True, role__in=working)
        | Q(client__isnull=True, role=Role.AGENCY_ADMIN)
    )
    return set(rows.values_list("user_id", flat=True))


def api_token_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_token_get(*, raw_key: str) -> ApiToken | None:
    """The live token for `raw_key`, with its user and client, or None."""
    return (
        ApiToken.objects.select_related("user", "client")
        .filter(key_hash=api_token_hash(raw_key), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .first()
    )
