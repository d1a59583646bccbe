"""Writes on the public schema: onboarding clients and staff, issuing API tokens."""

from __future__ import annotations

import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from accounts.audit.services import audit_record
from accounts.models import (
    ROLE_RANK,
    AgencyAuditEntry,
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

AGENCY_SCHEMA = "public"
RESERVED_SLUGS = {"public", "www", "api", "admin", "static", "template", "agency"}
# Host names and schema names both come from the slug: letters, digits, inner hyphens.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def client_domain(slug: str) -> str:
    return f"{slug}.{settings.LOTSE_BASE_DOMAIN}"


def client_slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a new client, in plain words, or None when it can."""
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 40:
        return "Use 1 to 40 lower-case letters, digits and inner hyphens (like acme-rail)."
    if slug in RESERVED_SLUGS:
        return f"{slug!r} is reserved; choose another."
    if Client.objects.filter(slug=slug).exists():
        return f"A client {slug!r} exists already."
    return None


# Any number: the key of the transaction-level advisory lock around template creation.
_TEMPLATE_LOCK = 0x4C6F7473


def template_migrations_missing(schema_name: str) -> bool:
    with schema_context(schema_name):
        loader = MigrationLoader(connection, ignore_no_migrations=True)
        return not set(loader.graph.leaf_nodes()) <= set(loader.applied_migrations)


def tenant_template_ensure() -> Client:
    """The migrated template schema new clients are copied from, made once when missing.

    It is a Client row without a domain: django-tenants' `migrate_schemas` lists tenants from
    that table, so every migration reaches the template too. Should it still lag behind the
    code (say, migrations were run for one schema only), it is migrated here before anything
    is copied from it, so no new client starts behind.
    """
    template_schema = settings.TENANT_BASE_SCHEMA
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_TEMPLATE_LOCK])
        template = Client.objects.filter(schema_name=template_schema).first()
        if template is None:
            template = Client(
                schema_name=template_schema, slug="template", name="Template for new clients"
            )
            if schema_exists(template_schema):
                template.auto_create_schema = False  # a row lost, the schema kept
            template.save(verbosity=0)
        if template_migrations_missing(template_schema):
            call_command(
                "migrate_schemas",
                tenant=True,
                schema_name=template_schema,
                interactive=False,
                verbosity=0,
            )
    return template


@transaction.atomic
def client_schema_create(
    *,
    slug: str,
    name: str,
    time_zone: str = "Europe/Berlin",
    languages: list[str] | None = None,
    industry: str = "general",
) -> Client:
    """Create a client with its own schema and domain (nothing in it yet: onboarding seeds
    it, `sources.services.onboarding.client_create`).

    The schema is a copy of the migrated template (`tenant_template_ensure`,
    `accounts.cloning.schema_clone`): under half a second instead of running every tenant
    migration (4 s and growing).
    """
    problem = client_slug_problem(slug)
    if problem is not None:
        raise DomainError(problem, fields={"slug": [problem]})
    tenant_template_ensure()
    schema_name = "c_" + slug.replace("-", "_")
    client = Client(
        schema_name=schema_name,
        slug=slug,
        name=name,
        time_zone=time_zone,
        languages=languages or [],
        industry=industry,
    )
    client.save(verbosity=0)  # Client.create_schema copies the template
    Domain.objects.create(domain=client_domain(slug), tenant=client, is_primary=True)
    return client


def client_set_active(*, client: Client, active: bool) -> None:
    """Serve the client again, or stop serving it (`sources.services.lifecycle` audits)."""
    client.is_active = active
    client.save(update_fields=["is_active"])


def client_delete_row(*, client: Client) -> None:
    """Drop the client's schema, domains, memberships and tokens (no way back)."""
    if client.schema_name in ("public", settings.TENANT_BASE_SCHEMA):
        raise DomainError("The agency and the template are not clients.")
    with connection.cursor() as cursor:
        # Rows written earlier in this transaction leave deferred foreign-key checks pending,
        # and PostgreSQL refuses to drop a table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    client.delete(force_drop=True)


def agency_audit_record(
    *, actor: User | None, action: str, client: Client, summary: str = ""
) -> AgencyAuditEntry:
    """One entry in the agency's own log (public schema): what happened to `client` (the
    agency's own row for the agency's settings, tokens and logins)."""
    verbs = {
        "client.deactivated": "Deactivated",
        "client.reactivated": "Reactivated",
        "client.deleted": "Deleted",
    }
    return AgencyAuditEntry.objects.create(
        actor_id=actor.pk if actor else None,
        action=action,
        client_slug=client.slug,
        summary=(summary or f"{verbs.get(action, action)} {client.name} ({client.slug})")[:500],
    )


def host_audit_record(
    *,
    tenant: Client,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int | None,
    summary: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Audit something done on `tenant`'s host: a client's own log (its schema), or, for the
    agency's row (the public schema, which has no such table), the agency's log."""
    if tenant.schema_name == AGENCY_SCHEMA:
        agency_audit_record(actor=actor, action=action, client=tenant, summary=summary)
        return
    with schema_context(tenant.schema_name):
        audit_record(
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            summary=summary,
            before=before,
            after=after,
        )


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
def client_two_factor_require(
    *, client: Client, required: bool, actor: User, actor_has_second_factor: bool
) -> Client:
    """Require (or stop requiring) a second factor from everyone with a role in `client`;
    on the agency's own row, from agency staff. Audited in the client's log (the agency's
    log for the agency's row).

    Only someone who uses a second factor themselves may require it (a session that passed
    the code step; for an API token, a person with a confirmed device): so nobody requires
    what they have never set up."""
    if required and not actor_has_second_factor:
        raise Conflict(
            "Turn on two-factor login for yourself first (/account/2fa/), then require it.",
            fields={"require_2fa": ["set up two-factor login for yourself first"]},
        )
    before = (
        Client.objects.select_for_update().values_list("require_2fa", flat=True).get(pk=client.pk)
    )
    Client.objects.filter(pk=client.pk).update(require_2fa=required)
    client.require_2fa = required
    whom = "agency staff" if client.schema_name == AGENCY_SCHEMA else f"everyone at {client.name}"
    if before != required:
        host_audit_record(
            tenant=client,
            actor=actor,
            action="client.require_2fa",
            target_type="client",
            target_id=client.pk,
            summary=(
                f"{'Required' if required else 'Stopped requiring'} two-factor login for {whom}"
            ),
            before={"require_2fa": before},
            after={"require_2fa": required},
        )
    return client


def password_reset_requested_record(
    *, tenant: Client, email: str, users: list[User], address: str | None
) -> None:
    """Audit a password-reset request on `tenant`'s host: one entry per person a link was
    mailed to, or one saying the address has no account there. Only the log knows which;
    the person asking sees the same page either way."""
    typed = (email or "").strip().lower()[:254]
    source = f" from {address}" if address else ""
    if not users:
        host_audit_record(
            tenant=tenant,
            actor=None,
            action="password_reset.requested",
            target_type="user",
            target_id=None,
            summary=f"Password reset asked for {typed!r}{source}: no account here, nothing sent",
            after={"email": typed, "sent": False, "address": address},
        )
        return
    for user in users:
        host_audit_record(
            tenant=tenant,
            actor=None,
            action="password_reset.requested",
            target_type="user",
            target_id=user.pk,
            summary=f"Password reset asked for {user.email}{source}: link mailed",
            after={"email": user.email, "sent": True, "address": address},
        )


def password_reset_completed_record(*, tenant: Client, user: User, address: str | None) -> None:
    """Audit a new password set through a reset link on `tenant`'s host."""
    source = f" from {address}" if address else ""
    host_audit_record(
        tenant=tenant,
        actor=user,
        action="password_reset.completed",
        target_type="user",
        target_id=user.pk,
        summary=f"{user.email} set a new password with a reset link{source}",
        after={"address": address},
    )
