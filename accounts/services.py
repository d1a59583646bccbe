"""Writes on the public schema: onboarding clients and staff, issuing API tokens."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import ApiToken, Client, Domain, Membership, Role, TokenScope, User
from accounts.selectors import api_token_hash, membership_role_for
from config.errors import DomainError

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
    Membership.objects.update_or_create(user=user, client=client, defaults={"role": role})
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
