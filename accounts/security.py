"""Login security on the public schema: who must use a second factor, their devices, and
the account name django-axes counts failures under."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp.models import Device

from accounts.models import Client, Membership, Role, User
from accounts.selectors import membership_role_for

AGENCY_SCHEMA = "public"


def login_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """django-axes' account key: the e-mail as typed, trimmed and lower-cased, as logins are."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    return str(raw).strip().lower() if raw is not None else None


def agency_get() -> Client | None:
    return Client.objects.filter(schema_name=AGENCY_SCHEMA).first()


def is_agency_staff(*, user: User) -> bool:
    return (
        bool(user.is_staff) or Membership.objects.filter(user=user, role=Role.AGENCY_ADMIN).exists()
    )


def is_agency_admin(*, user: User) -> bool:
    return Membership.objects.filter(user=user, role=Role.AGENCY_ADMIN).exists()


def two_factor_required(*, user: User, client: Client | None) -> bool:
    """Whether `user` must have a verified second factor to work on this host.

    A client's flag covers everyone with a role there (agency admins included); the agency's
    flag (the public tenant's row) covers agency staff on every host, the clients' included:
    agency admins have a role in every client, and the agency's rule must hold there too.
    """
    on_agency_host = client is None or client.schema_name == AGENCY_SCHEMA
    agency = client if client is not None and client.schema_name == AGENCY_SCHEMA else agency_get()
    if agency is not None and agency.require_2fa and is_agency_staff(user=user):
        return True
    if on_agency_host or client is None:
        return False
    return client.require_2fa and membership_role_for(user=user, client=client) is not None


def two_factor_enrolled(*, user: User) -> bool:
    return bool(user_has_device(user, confirmed=True))


def two_factor_device_of(*, user: User, persistent_id: str | None) -> Device | None:
    """The confirmed device `persistent_id` if it belongs to `user` (from a session or a
    hand-off), else None."""
    if not persistent_id:
        return None
    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def session_two_factor_verified(*, user: User, session: Any) -> bool:
    """Whether a session (the websocket reads it without django-otp's middleware) holds a
    verified device of `user`."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    return two_factor_device_of(user=user, persistent_id=persistent_id) is not None


def user_devices(*, user: User) -> list[Device]:
    return list(devices_for_user(user, confirmed=True))
