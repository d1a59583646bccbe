"""Invitations (public schema): issuing, resending, revoking and accepting the e-mailed link.

The link carries a random token; only its SHA-256 is stored, so the database never holds a
usable link. A link works once and for `INVITATION_DAYS`; resending issues a new token (the
old link stops working). The staff profile that goes with an invitation lives in the
client's schema: `sources.services.people` makes it on acceptance (this module is identity
and knows nothing of routing).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import (
    INVITATION_DAYS,
    ROLE_RANK,
    Client,
    Invitation,
    InvitationState,
    Membership,
    Role,
    User,
)
from config.errors import Conflict, DomainError, NotAllowed
from config.mail import mail_send_on_commit

# Roles a client admin may hand out (agency admins are made by the agency, not invited).
INVITABLE_ROLES = (Role.CLIENT_ADMIN, Role.MANAGER, Role.RESPONDER, Role.VIEWER)


def invitation_token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, invitation_token_hash(raw)


def invitation_link(*, base_url: str, raw_token: str) -> str:
    """The accept page on the client's host (`base_url` is that host's root URL)."""
    return f"{base_url.rstrip('/')}/invitations/{raw_token}/"


def _snapshot(invitation: Invitation) -> dict[str, object]:
    return {
        "email": invitation.email,
        "role": invitation.role,
        "departments": list(invitation.departments),
        "teams": list(invitation.teams),
        "languages": list(invitation.languages),
        "expires_at": invitation.expires_at.isoformat(),
    }


def _mail_on_commit(
    *, invitation: Invitation, raw_token: str, base_url: str, inviter: User, client: Client
) -> None:
    link = invitation_link(base_url=base_url, raw_token=raw_token)
    role = Role(invitation.role).label.lower()
    expires = invitation.expires_at.strftime("%d %b %Y, %H:%M UTC")
    body = (
        f"Hello,\n\n{inviter.display_name} invites you to work in {client.name} on Lotse "
        f"as {role}.\n\nOpen this link to accept (it works once, until {expires}):\n\n"
        f"{link}\n\nIf you did not expect this, ignore this e-mail; nothing happens "
        "without you.\n"
    )
    mail_send_on_commit(
        subject=f"You are invited to {client.name} on Lotse",
        body=body,
        to=[invitation.email],
        schema_name=client.schema_name,
    )


def _check_inviter(*, by_role: str | None) -> None:
    if by_role is None or ROLE_RANK[by_role] < ROLE_RANK[Role.CLIENT_ADMIN]:
        raise NotAllowed("Only client admins may invite people or change invitations.")


@dataclass(frozen=True)
class StaffPlace:
    """What the invitee's staff profile will hold (checked by the caller, in the tenant)."""

    departments: Sequence[str] = ()
    teams: Sequence[int] = ()
    languages: Sequence[str] = ()


@transaction.atomic
def invitation_issue(
    *,
    client: Client,
    email: str,
    role: str,
    place: StaffPlace,
    by: User,
    by_role: str | None,
    base_url: str,
) -> Invitation:
    """Invite `email` to `client` as `role`; the mail goes out after commit."""
    _check_inviter(by_role=by_role)
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["enter a valid e-mail address"]
    if role not in INVITABLE_ROLES:
        errors["role"] = [f"one of {', '.join(INVITABLE_ROLES)}"]
    if errors:
        raise DomainError("The invitation has invalid fields.", fields=errors)
    if Membership.objects.filter(
        client=client, user__email=email, deactivated_at__isnull=True, user__is_active=True
    ).exists():
        raise Conflict(
            f"{email} already works in {client.name}.", fields={"email": ["already a member"]}
        )
    now = timezone.now()
    open_ones = Invitation.objects.select_for_update().filter(
        client=client, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    )
    for old in open_ones:
        if old.state_at(now) == InvitationState.PENDING:
            raise Conflict(
                f"{email} has an invitation already; resend it or revoke it first.",
                fields={"email": ["already invited"]},
            )
        old.revoked_at = now  # an expired one makes room for the new one
        old.save(update_fields=["revoked_at"])
    raw, token_hash = _new_token()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                client=client,
                email=email,
                role=role,
                departments=list(place.departments),
                teams=list(place.teams),
                languages=list(place.languages),
                token_hash=token_hash,
                invited_by=by,
                created_at=now,
                sent_at=now,
                expires_at=now + timedelta(days=INVITATION_DAYS),
            )
    except IntegrityError as exc:  # a second admin invited the same address just now
        raise Conflict(
            f"{email} has an invitation already.", fields={"email": ["already invited"]}
        ) from exc
    audit_record(
        actor=by,
        action="invitation.created",
        target_type="invitation",
        target_id=invitation.pk,
        summary=f"Invited {email} as {role}",
        after=_snapshot(invitation),
    )
    _mail_on_commit(
        invitation=invitation, raw_token=raw, base_url=base_url, inviter=by, client=client
    )
    return invitation


def _locked(*, client: Client, invitation_id: int) -> Invitation:
    found = Invitation.objects.select_for_update().filter(client=client, pk=invitation_id).first()
    if found is None:
        raise DomainError("No such invitation.")
    return found


@transaction.atomic
def invitation_resend(
    *, client: Client, invitation: Invitation, by: User, by_role: str | None, base_url: str
) -> Invitation:
    """A new link for another `INVITATION_DAYS`; the previous link stops working."""
    _check_inviter(by_role=by_role)
    invitation = _locked(client=client, invitation_id=invitation.pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict(
            f"This invitation was {invitation.state}; invite {invitation.email} again instead."
        )
    raw, invitation.token_hash = _new_token()
    now = timezone.now()
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit_record(
        actor=by,
        action="invitation.resent",
        target_type="invitation",
        target_id=invitation.pk,
        summary=f"Sent the invitation to {invitation.email} again (new link)",
        after={"expires_at": invitation.expires_at.isoformat()},
    )
    _mail_on_commit(
        invitation=invitation, raw_token=raw, base_url=base_url, inviter=by, client=client
    )
    return invitation


@transaction.atomic
def invitation_revoke(
    *, client: Client, invitation: Invitation, by: User, by_role: str | None
) -> Invitation:
    _check_inviter(by_role=by_role)
    invitation = _locked(client=client, invitation_id=invitation.pk)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was accepted already; deactivate the person instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=by,
            action="invitation.revoked",
            target_type="invitation",
            target_id=invitation.pk,
            summary=f"Revoked the invitation to {invitation.email}",
            before=_snapshot(invitation),
        )
    return invitation


def invitation_for_token(*, client: Client, raw_token: str) -> Invitation | None:
    """The invitation behind a link opened on `client`'s host (any state), or None."""
    if not raw_token or len(raw_token) > 100:
        return None
    return (
        Invitation.objects.select_related("client", "invited_by")
        .filter(client=client, token_hash=invitation_token_hash(raw_token))
        .first()
    )


def invitations_open(*, client: Client) -> list[Invitation]:
    """Invitations of `client` that are waiting for an answer or expired (not yet replaced)."""
    return list(
        Invitation.objects.select_related("invited_by").filter(
            client=client, accepted_at__isnull=True, revoked_at__isnull=True
        )
    )


def invitation_get(*, client: Client, invitation_id: int) -> Invitation | None:
    """One of `client`'s invitations (never another client's), or None."""
    return (
        Invitation.objects.select_related("invited_by")
        .filter(client=client, pk=invitation_id)
        .first()
    )


def _password_errors(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


@transaction.atomic
def invitation_accept(
    *, client: Client, raw_token: str, user: User | None, name: str = "", password: str = ""
) -> tuple[Invitation, User]:
    """Accept the invitation behind `raw_token`.

    `user` is the person already logged in (or who just proved their password); without one,
    an account is made with `name` and `password` (or an account that has no password yet
    gets them). Returns the invitation and the person, now a member of `client`."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(client=client, token_hash=invitation_token_hash(raw_token))
        .first()
    )
    if invitation is None:
        raise DomainError("This invitation link is not valid.")
    state = invitation.state
    if state != InvitationState.PENDING:
        raise Conflict(f"This invitation is {InvitationState(state).label.lower()}.")
    if user is None:
        existing = User.objects.filter(email=invitation.email).first()
        if existing is not None and existing.has_usable_password():
            raise NotAllowed("An account with this address exists: log in to accept.")
        candidate = existing or User(email=invitation.email)
        candidate.name = (name or "").strip()[:200] or candidate.name
        errors: dict[str, list[str]] = {}
        if not candidate.name:
            errors["name"] = ["tell us your name (it signs your replies)"]
        problems = _password_errors(password, candidate)
        if not password:
            problems = ["choose a password"]
        if problems:
            errors["password"] = problems
        if errors:
            raise DomainError("Please fix the fields below.", fields=errors)
        candidate.set_password(password)
        candidate.save()
        user = candidate
    elif user.email.lower() != invitation.email:
        raise NotAllowed(
            f"This invitation is for {invitation.email}; you are logged in as {user.email}."
        )
    if not user.is_active:
        raise NotAllowed("This account is switched off; ask the agency.")
    current = Membership.objects.filter(user=user, client=client).first()
    if current is None:
        Membership.objects.create(user=user, client=client, role=invitation.role)
    else:
        current.role = invitation.role
        current.deactivated_at = None
        current.save(update_fields=["role", "deactivated_at"])
    user.__dict__.pop("_lotse_roles", None)  # the memo of roles is stale now
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action="invitation.accepted",
        target_type="invitation",
        target_id=invitation.pk,
        summary=f"{user.display_name} accepted the invitation as {invitation.role}",
        after={"user_id": user.pk, "role": invitation.role},
    )
    return invitation, user
