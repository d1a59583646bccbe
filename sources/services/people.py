"""Onboarding and offboarding people of a client: invitations, roles, deactivation.

This is orchestration across three layers, which is why it lives here and not lower: the
invitation and the membership are identity (`accounts`, public schema), the staff profile
is routing's (`routing.services.staff`, the client's schema), and handing a person's open
mentions back is care's (`mentions.services.mentions_release`). `accounts` must not import
routing and routing must not touch mentions, so only a layer above care may call all three;
`sources.services` is that layer and already onboards clients (`onboarding.py`).
Callers pass the actor's role in this client (`by_role`); every step is audited by the
service that makes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.invitations import (
    StaffPlace,
    invitation_accept,
    invitation_issue,
    invitation_resend,
    invitation_revoke,
)
from accounts.models import Client, Invitation, Role, User
from accounts.services import (
    membership_deactivate,
    membership_reactivate,
    membership_role_change,
    profile_update,
)
from config.errors import DomainError
from config.live import ACCESS_CHANGED, live_send_to_user_on_commit
from mentions.services import mentions_release
from routing.selectors import department_list, staff_get, team_list
from routing.services.policy import staff_certify
from routing.services.staff import (
    staff_create,
    staff_delete,
    staff_place_clean,
    staff_rename,
    staff_update,
)

INVITE_FIELDS = ("email", "role", "departments", "teams", "languages")


@transaction.atomic
def person_invite(
    *, client: Client, data: Mapping[str, Any], by: User, by_role: str | None, base_url: str
) -> Invitation:
    """Invite someone by e-mail with a role and, for staff, departments, teams, languages."""
    unknown = sorted(set(data) - set(INVITE_FIELDS))
    if unknown:
        raise DomainError(
            "The invitation has unknown fields.", fields={k: ["unknown field"] for k in unknown}
        )
    departments = data.get("departments") or []
    teams = data.get("teams") or []
    languages = data.get("languages") or []
    if data.get("role") == Role.VIEWER and (departments or teams or languages):
        raise DomainError(
            "A viewer only looks on: no departments, teams or languages.",
            fields={"role": ["a viewer has no place in the routing"]},
        )
    slugs, team_ids, codes = staff_place_clean(
        departments=departments, teams=teams, languages=languages, client=client
    )
    return invitation_issue(
        client=client,
        email=str(data.get("email") or ""),
        role=str(data.get("role") or ""),
        place=StaffPlace(departments=slugs, teams=team_ids, languages=codes),
        by=by,
        by_role=by_role,
        base_url=base_url,
    )


def person_invitation_resend(
    *, client: Client, invitation: Invitation, by: User, by_role: str | None, base_url: str
) -> Invitation:
    return invitation_resend(
        client=client, invitation=invitation, by=by, by_role=by_role, base_url=base_url
    )


def person_invitation_revoke(
    *, client: Client, invitation: Invitation, by: User, by_role: str | None
) -> Invitation:
    return invitation_revoke(client=client, invitation=invitation, by=by, by_role=by_role)


@transaction.atomic
def person_accept(
    *, client: Client, raw_token: str, user: User | None, name: str = "", password: str = ""
) -> User:
    """Accept an invitation and, for everyone but viewers, make (or update) their staff
    profile in this client with the departments, teams and languages it names (those that
    still exist)."""
    invitation, user = invitation_accept(
        client=client, raw_token=raw_token, user=user, name=name, password=password
    )
    if invitation.role == Role.VIEWER:
        return user
    place: dict[str, Any] = {
        "departments": sorted(
            set(invitation.departments) & set(department_list().values_list("slug", flat=True))
        ),
        "teams": sorted(set(invitation.teams) & set(team_list().values_list("pk", flat=True))),
        "languages": list(invitation.languages),
    }
    member = staff_get(user_id=user.pk)
    if member is None:
        staff_create(data={"user_id": user.pk, **place}, by=user, client=client)
    else:
        staff_update(member=member, changes=place, by=user, client=client)
    return user


def _access_changed(*, client: Client, user_id: int) -> None:
    """Open sockets of the person in this client re-check their access after commit."""
    live_send_to_user_on_commit(
        client_id=client.pk, user_id=user_id, events=[{"type": ACCESS_CHANGED}]
    )


@dataclass(frozen=True)
class PersonChange:
    changed: bool
    released: int = 0


def _off_the_staff(*, user_id: int, by: User, reason: str) -> int:
    """Take the person off the staff list (no more assignments) and hand their open
    mentions back to their teams."""
    member = staff_get(user_id=user_id)
    if member is not None:
        staff_delete(member=member, by=by)
    return mentions_release(user_id=user_id, by=by, reason=reason)


@transaction.atomic
def person_role_change(
    *, client: Client, user_id: int, role: str, by: User, by_role: str | None
) -> PersonChange:
    """Change a person's role. Becoming a viewer takes them off the staff list (teams,
    departments) and hands their open mentions back: a viewer only looks on."""
    membership, old = membership_role_change(
        client=client, user_id=user_id, role=role, by=by, by_role=by_role
    )
    released = 0
    if role == Role.VIEWER and old != Role.VIEWER:
        released = _off_the_staff(user_id=membership.user_id, by=by, reason="now a viewer")
    if old != role:
        _access_changed(client=client, user_id=user_id)
    return PersonChange(changed=old != role, released=released)


@transaction.atomic
def person_deactivate(
    *, client: Client, user_id: int, by: User, by_role: str | None
) -> PersonChange:
    """The person can no longer work in this client; their open mentions go back to their
    teams' assignment (or their department's queue)."""
    changed = membership_deactivate(client=client, user_id=user_id, by=by, by_role=by_role)
    released = 0
    if changed:
        released = _off_the_staff(user_id=user_id, by=by, reason="deactivated")
        _access_changed(client=client, user_id=user_id)
    return PersonChange(changed=changed, released=released)


def person_reactivate(
    *, client: Client, user_id: int, by: User, by_role: str | None
) -> PersonChange:
    """Access again, with the same role; an admin puts them back on teams (staff page)."""
    return PersonChange(
        changed=membership_reactivate(client=client, user_id=user_id, by=by, by_role=by_role)
    )


@transaction.atomic
def person_profile_update(
    *,
    user: User,
    client: Client | None,
    name: str,
    timezone_name: str,
    languages: list[str] | None = None,
    signature: str | None = None,
) -> User:
    """A person's own profile: name and time zone (everywhere); in a client where they are
    on the staff also their languages and how their public replies are signed."""
    profile_update(user=user, name=name, timezone_name=timezone_name)
    member = staff_get(user_id=user.pk) if client is not None else None
    if member is None or client is None:
        return user
    staff_rename(user_id=user.pk, name=user.display_name)
    if languages is not None:
        staff_update(member=member, changes={"languages": languages}, by=user, client=client)
    if signature is not None:
        staff_certify(user=user, certified=member.certified, by=user, signature=signature)
    return user
