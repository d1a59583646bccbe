"""One login across hosts: a short-lived, signed, single-use hand-off from the host a person
is on to another host (a client's, or the agency's), which then opens its own session.

Browsers keep cookies per host (and are picky about `localhost` parent domains), so each
host has its own session; the hand-off carries who the person is and, when they logged in
with a second factor, which device, so the target host need not ask again. The target still
checks the membership, as every page, API call and websocket does. Sessions opened this way
belong to one login (`login_id`): logging out on any host ends all of them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.models import Device

from accounts.models import Client, LoginSession, User
from accounts.security import AGENCY_SCHEMA, two_factor_device_of
from accounts.selectors import membership_role_for

SALT = "lotse.handoff"


class HandoffRefused(Exception):
    """The hand-off is expired, tampered with, used already, or for someone without access."""


@dataclass(frozen=True)
class HandoffGrant:
    user: User
    device: Device | None
    login_id: str


def _password_fingerprint(user: User) -> str:
    # Changes when the password does, like the session's own hash, without exposing it.
    return salted_hmac(SALT, user.get_session_auth_hash()).hexdigest()[:20]


def login_id_new() -> str:
    return secrets.token_urlsafe(12)


def handoff_issue(*, user: User, client: Client, device_id: str | None, login_id: str) -> str:
    """A token that lets `user` open a session on `client`'s host (the agency's, for the
    public tenant) within `LOTSE_HANDOFF_SECONDS`, once."""
    payload = {
        "u": user.pk,
        "c": client.pk,
        "n": secrets.token_urlsafe(16),
        "p": _password_fingerprint(user),
        "d": device_id or "",
        "l": login_id,
    }
    return signing.dumps(payload, salt=SALT, compress=True)


def _handoff_payload(*, token: str, client: Client) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = signing.loads(
            token, salt=SALT, max_age=settings.LOTSE_HANDOFF_SECONDS
        )
    except signing.SignatureExpired as exc:
        raise HandoffRefused("expired") from exc
    except signing.BadSignature as exc:
        raise HandoffRefused("invalid") from exc
    if payload.get("c") != client.pk:
        raise HandoffRefused("meant for another host")
    return payload


def _handoff_grant(payload: dict[str, Any], *, client: Client) -> HandoffGrant:
    user = User.objects.filter(pk=int(payload.get("u") or 0), is_active=True).first()
    if user is None or not constant_time_compare(
        str(payload.get("p", "")), _password_fingerprint(user)
    ):
        raise HandoffRefused("no longer valid")
    if (
        client.schema_name != AGENCY_SCHEMA
        and membership_role_for(user=user, client=client) is None
    ):
        raise HandoffRefused("no access")
    device = two_factor_device_of(user=user, persistent_id=payload.get("d"))
    if payload.get("d") and device is None:
        raise HandoffRefused("device removed")
    return HandoffGrant(user=user, device=device, login_id=str(payload.get("l") or login_id_new()))


def handoff_check(*, token: str, client: Client) -> HandoffGrant:
    """Whom a hand-off for `client` is for, without using it up (to ask the person first);
    raises `HandoffRefused` with the reason."""
    payload = _handoff_payload(token=token, client=client)
    if cache.get(f"handoff:{payload.get('n', '')}") is not None:
        raise HandoffRefused("used already")
    return _handoff_grant(payload, client=client)


def handoff_use(*, token: str, client: Client) -> None:
    """Use up a hand-off that `handoff_check` accepted: its nonce is taken once, so a second
    use (a replay, a double click) raises `HandoffRefused("used already")`."""
    payload = _handoff_payload(token=token, client=client)
    nonce = str(payload.get("n", ""))
    # Kept past the token's own expiry, so a replay is refused as used, then as expired.
    if not nonce or not cache.add(f"handoff:{nonce}", 1, settings.LOTSE_HANDOFF_SECONDS * 2):
        raise HandoffRefused("used already")


def login_session_add(*, login_id: str, session_key: str) -> None:
    """Remember that `session_key` belongs to the login `login_id` (for logging out). Kept in
    the database next to the sessions: concurrent switches cannot drop one, and no cache
    eviction can make a logout miss a host."""
    LoginSession.objects.get_or_create(session_key=session_key, defaults={"login_id": login_id})


def login_sessions_end(*, login_id: str) -> int:
    """End every session of one login, on every host; returns how many there were."""
    with transaction.atomic():
        rows = LoginSession.objects.select_for_update().filter(login_id=login_id)
        keys = list(rows.values_list("session_key", flat=True))
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for key in keys:
            store().delete(key)
        rows.delete()
    return len(keys)
