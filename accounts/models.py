"""The agency's public schema: clients (tenants), their domains, users and who may do what."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists

from accounts.cloning import schema_clone


class Client(TenantMixin):
    """One client of the agency: its own schema, sources, matrix and staff."""

    name: models.CharField[str, str] = models.CharField(max_length=200)
    slug: models.SlugField[str, str] = models.SlugField(max_length=50, unique=True)
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )
    # Set at onboarding (`sources.services.onboarding`): the defaults for SLA clocks, triage
    # and the industry preset the matrix started from.
    time_zone: models.CharField[str, str] = models.CharField(max_length=60, default="Europe/Berlin")
    languages: ArrayField[list[str], list[str]] = ArrayField(
        models.CharField(max_length=8), default=list, blank=True
    )
    industry: models.CharField[str, str] = models.CharField(max_length=20, default="general")
    # Deactivated clients keep their data but are not served: no polling or background
    # checks, no logins, API calls or websockets (sources.services.lifecycle).
    is_active: models.BooleanField[bool, bool] = models.BooleanField(default=True)
    # Everyone with a role here must log in with a second factor (TOTP); on the agency's own
    # row (the public schema), agency staff must.
    require_2fa: models.BooleanField[bool, bool] = models.BooleanField(
        "require two-factor login", default=False
    )
    # API rate limits per token and minute (accounts.throttling): pushes (writes) and reads
    # have separate budgets.
    api_push_per_minute: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(
        default=120
    )
    api_read_per_minute: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(
        default=600
    )

    # New schemas are cloned from `settings.TENANT_BASE_SCHEMA` (a migrated template that is
    # itself a Client row, so `migrate_schemas` keeps it current); see accounts.services.
    auto_create_schema = True
    auto_drop_schema = False

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool:
        """Every new client's schema, however the row is saved (onboarding, the Django admin,
        django-tenants' commands), is an exact copy of the migrated template when there is
        one (`accounts.cloning`); the template itself, and a database without one, migrate
        from scratch as django-tenants does."""
        template = settings.TENANT_BASE_SCHEMA
        if (
            sync_schema
            and self.schema_name != template
            and schema_exists(template)
            and not schema_exists(self.schema_name)
        ):
            schema_clone(source=template, target=self.schema_name)
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            return True
        return bool(super().create_schema(check_if_exists, sync_schema, verbosity))

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    pass


class ClientLogo(models.Model):
    """A client's logo for the white-label report (the agency's on its own public row).
    Stored as checked PNG bytes (`accounts.logos` decodes every upload and writes it anew),
    in a table of its own so that loading a client never loads an image."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, primary_key=True, related_name="logo"
    )
    image = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"logo of client {self.client_id}"


class AgencyAuditEntry(models.Model):
    """The agency's own log of what happened to clients (deactivated, reactivated, deleted);
    a deleted client's schema and its audit log are gone, this entry stays. Append-only by
    convention: nothing updates or deletes these rows."""

    actor_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=50)
    client_slug = models.CharField(max_length=50)
    summary = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.summary


class Role(models.TextChoices):
    AGENCY_ADMIN = "agency_admin", "Agency admin"
    CLIENT_ADMIN = "client_admin", "Client admin"
    MANAGER = "manager", "Manager"
    RESPONDER = "responder", "Responder"
    VIEWER = "viewer", "Viewer"


# Higher rank may do everything a lower rank may.
ROLE_RANK: dict[str, int] = {
    Role.VIEWER: 10,
    Role.RESPONDER: 20,
    Role.MANAGER: 30,
    Role.CLIENT_ADMIN: 40,
    Role.AGENCY_ADMIN: 50,
}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; lives in the public schema and logs in by e-mail.

    Users are deactivated, never deleted: tenant tables refer to them across schemas.
    """

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # The reader's time zone (IANA name) for showing times; blank means UTC.
    timezone = models.CharField(max_length=60, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email


class Membership(models.Model):
    """A user's role in one client; `agency_admin` memberships have no client and cover all."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # A client admin deactivated this person in this client: no access there any more, the
    # row (and the person's other clients) stay; an invitation or "reactivate" clears it.
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="membership_user_client"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(client__isnull=True),
                name="membership_one_agency_role",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="agency_admin", client__isnull=True)
                    | (~models.Q(role="agency_admin") & models.Q(client__isnull=False))
                ),
                name="membership_agency_admin_has_no_client",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.client or 'every client'}"


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    """An integrator's token: bound to one client and one user; only its hash is stored."""

    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    scope = models.CharField(max_length=10, choices=TokenScope.choices, default=TokenScope.WRITE)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Optional: a token past this moment is refused like a revoked one.
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.client})"


INVITATION_DAYS = 7


class InvitationState(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    EXPIRED = "expired", "Expired"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


class Invitation(models.Model):
    """An e-mailed invitation to join one client with a role (and, for staff, a place in its
    routing). Only the hash of the link's token is stored; resending replaces it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    # The staff profile made in the client's schema on acceptance (slugs, team ids, codes).
    departments = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    teams = ArrayField(models.BigIntegerField(), default=list, blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            # One open invitation per address and client: resend it instead.
            models.UniqueConstraint(
                fields=["client", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.client} as {self.role}"

    def state_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if now >= self.expires_at:
            return InvitationState.EXPIRED
        return InvitationState.PENDING

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())


class LoginSession(models.Model):
    """One host's session that belongs to one login (a password, and a code, given once and
    handed to other hosts): logging out on any host ends them all."""

    login_id = models.CharField(max_length=32, db_index=True)
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.login_id}: {self.session_key[:6]}…"
