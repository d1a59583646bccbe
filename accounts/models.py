"""The agency's public schema: clients (tenants), their domains, users and who may do what."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    """One client of the agency: its own schema, sources, matrix and staff."""

    name: models.CharField[str, str] = models.CharField(max_length=200)
    slug: models.SlugField[str, str] = models.SlugField(max_length=50, unique=True)
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )
    # Everyone with a role here must log in with a second factor (TOTP); on the agency's own
    # row (the public schema), agency staff must.
    require_2fa: models.BooleanField[bool, bool] = models.BooleanField(
        "require two-factor login", default=False
    )

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    pass


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

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.client})"


class LoginSession(models.Model):
    """One host's session that belongs to one login (a password, and a code, given once and
    handed to other hosts): logging out on any host ends them all."""

    login_id = models.CharField(max_length=32, db_index=True)
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.login_id}: {self.session_key[:6]}…"
