"""Writes on the public schema: onboarding clients and staff, issuing API tokens."""

from __future__ import annotations

import re
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import (
    ROLE_RANK,
    ApiToken,
    Client,
    Domain,
    Membership,
    Role,
    TokenScope,
    User,
)
from accounts.selectors import api_token_hash, membership_role_for
from config.errors import Conflict, DomainError, NotAllowed

RESERVED_SLUGS = {"public", "www", "api", "admin", "static", "agency"}
# Host names and schema names both come from the slug: letters, digits, inner hyphens.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def client_domain(slug: str) -> str:
    return f"{slug}.{settings.LOTSE_BASE_DOMAIN}"


@transaction.atomic
def client_schema_create(*, slug: str, name: str) -> Client:
    """Create a client with its own schema and domain (nothing in it yet: onboarding seeds
    it, `sources.services.onboarding.client_create`).

    Creating the schema runs every tenant migration; it takes a few seconds.
    """
    if not SLUG_PATTERN.fullmatch(slug) or slug in RESERVED_SLUGS or len(slug) > 40:
        raise DomainError(
            f"{slug!r} is not a valid client slug: use lower-case letters, digits and '-'",
            fields={"slug": ["invalid"]},
        )
    if Client.objects.filter(slug=slug).exists():
        raise DomainError(f"A client {slug!r} exists already", fields={"slug": ["taken"]})
    schema_name = "c_" + slug.replace("-", "_")
    client = Client(schema_name=schema_name, slug=slug, name=name)
    client.save()
    Domain.objects.create(domain=client_domain(slug), tenant=client, is_primary=True)
    return client


def agency_ensure(*, domain: str | None = None) -> Client:
    """The public tenant that represents the agency itself, served at the base domain."""
    client, _ = Client.objects.get_or_create(
        schema_name="public", defaults={"name": "Agency", "slug": "agency"}
    )
    Domain.objects.get_or_create(
        domain=domain or settings.LOTSE_BASE_DOMAIN,
        defaults={"tenant": client, "is_primary": True},
    )
    return client


@transaction.atomic
def user_create_or_update(
    *, email: str, password: str | None, name: str = "", client: Client | None, role: str
) -> User:
    """Create (or update) a user and give them `role` in `client` (every client for agency
    admins). Roles are replaced, not added: one role per user and client."""
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}")
    if role == Role.AGENCY_ADMIN:
        client = None
    elif client is None:
        raise DomainError(f"The role {role!r} needs a client")
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, name=name)
    else:
        if password:
            user.set_password(password)
        if name:
            user.name = name
        user.save()
    if role == Role.AGENCY_ADMIN:
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    Membership.objects.update_or_create(
        user=user, client=client, defaults={"role": role, "deactivated_at": None}
    )
    return user


def api_token_create(
    *, client: Client, user: User, scope: str = TokenScope.WRITE, name: str = ""
) -> tuple[ApiToken, str]:
    """Issue a token for `user` in `client`. Returns the row and the raw key (shown once)."""
    if membership_role_for(user=user, client=client) is None:
        raise DomainError(f"{user.email} has no role in {client.slug}; grant one first")
    raw_key = f"lts_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        key_prefix=raw_key[:12],
        key_hash=api_token_hash(raw_key),
        client=client,
        user=user,
        scope=scope,
        name=name,
    )
    return token, raw_key


def api_token_touch(*, token: ApiToken) -> None:
    """Record use at most once a minute, so reads do not turn into writes."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def _check_admin(*, by_role: str | None) -> None:
    if by_role is None or ROLE_RANK[by_role] < ROLE_RANK[Role.CLIENT_ADMIN]:
        raise NotAllowed("Only client admins may change people's roles or access.")


def _membership_locked(*, client: Client, user_id: int, by: User) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(client=client, user_id=user_id)
        .first()
    )
    if membership is None:
        raise DomainError("This person does not work in this client.")
    if membership.user_id == by.pk:
        raise Conflict(
            "You cannot change your own role or access; ask another admin.",
            fields={"user_id": ["yourself"]},
        )
    return membership


@transaction.atomic
def membership_role_change(
    *, client: Client, user_id: int, role: str, by: User, by_role: str | None
) -> tuple[Membership, str]:
    """Give a person another role in `client`. Returns the membership and the old role."""
    _check_admin(by_role=by_role)
    if role not in (Role.CLIENT_ADMIN, Role.MANAGER, Role.RESPONDER, Role.VIEWER):
        raise DomainError(
            "That role cannot be given here.",
            fields={"role": ["one of client_admin, manager, responder, viewer"]},
        )
    membership = _membership_locked(client=client, user_id=user_id, by=by)
    old = membership.role
    if old != role:
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            actor=by,
            action="member.role_changed",
            target_type="user",
            target_id=user_id,
            summary=f"Changed {membership.user.display_name} from {old} to {role}",
            before={"role": old},
            after={"role": role},
        )
    return membership, old


@transaction.atomic
def membership_deactivate(*, client: Client, user_id: int, by: User, by_role: str | None) -> bool:
    """Take a person's access to `client` away (their account and other clients stay).
    Returns False when they were deactivated already."""
    _check_admin(by_role=by_role)
    membership = _membership_locked(client=client, user_id=user_id, by=by)
    if membership.deactivated_at is not None:
        return False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["deactivated_at"])
    audit_record(
        actor=by,
        action="member.deactivated",
        target_type="user",
        target_id=user_id,
        summary=f"Deactivated {membership.user.display_name} in {client.name}",
        before={"role": membership.role, "active": True},
        after={"role": membership.role, "active": False},
    )
    return True


@transaction.atomic
def membership_reactivate(*, client: Client, user_id: int, by: User, by_role: str | None) -> bool:
    _check_admin(by_role=by_role)
    membership = _membership_locked(client=client, user_id=user_id, by=by)
    if membership.deactivated_at is None:
        return False
    membership.deactivated_at = None
    membership.save(update_fields=["deactivated_at"])
    audit_record(
        actor=by,
        action="member.reactivated",
        target_type="user",
        target_id=user_id,
        summary=f"Reactivated {membership.user.display_name} in {client.name}",
        before={"active": False},
        after={"active": True},
    )
    return True


def timezone_known(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def profile_update(*, user: User, name: str, timezone_name: str) -> User:
    """The person's own name and the time zone their pages show times in."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["required"]
    elif len(name) > 200:
        errors["name"] = ["at most 200 characters"]
    zone = (timezone_name or "").strip()
    if zone and not timezone_known(zone):
        errors["timezone"] = [f"{zone!r} is not a time zone; try Europe/Berlin"]
    if errors:
        raise DomainError("The profile has invalid fields.", fields=errors)
    user.name = name
    user.timezone = zone
    user.save(update_fields=["name", "timezone"])
    return user


@transaction.atomic
def client_two_factor_require(*, client: Client, required: bool, actor: User) -> Client:
    """Require (or stop requiring) a second factor from everyone with a role in `client`;
    on the agency's own row, from agency staff. Audited in the client's log."""
    before = client.require_2fa
    Client.objects.filter(pk=client.pk).update(require_2fa=required)
    client.require_2fa = required
    if before != required and client.schema_name != "public":
        audit_record(
            actor=actor,
            action="client.require_2fa",
            target_type="client",
            target_id=client.pk,
            summary=(
                f"{'Required' if required else 'Stopped requiring'} two-factor login for "
                f"everyone at {client.name}"
            ),
            before={"require_2fa": before},
            after={"require_2fa": required},
        )
    return client
