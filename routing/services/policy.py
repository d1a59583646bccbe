"""The client's response policy (banned phrases, signatures, when approval is needed) and
who is certified to answer publicly without approval. Every change is audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import Role, User
from accounts.selectors import membership_role_for
from config.errors import DomainError
from config.tenancy import current_client
from routing.models import ResponsePolicy, StaffMember
from routing.services.matrix import SEGMENTS

POLICY_FIELDS = (
    "banned_phrases",
    "require_signature",
    "approval_uncertified",
    "approval_crisis",
    "approval_min_followers",
    "approval_segments",
)
MAX_PHRASES = 200


def response_policy_get() -> ResponsePolicy:
    """The current client's policy; created with the defaults the first time it is asked."""
    policy, _ = ResponsePolicy.objects.get_or_create(key="default")
    return policy


def _snapshot(policy: ResponsePolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def _phrases_clean(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise DomainError("Banned phrases are a list.", fields={"banned_phrases": ["a list"]})
    phrases: list[str] = []
    for raw in value:
        phrase = " ".join(str(raw).split())
        if len(phrase) > 200:
            raise DomainError(
                "A banned phrase has at most 200 characters.",
                fields={"banned_phrases": [f"too long: {phrase[:40]}…"]},
            )
        if phrase and phrase.casefold() not in {p.casefold() for p in phrases}:
            phrases.append(phrase)
    if len(phrases) > MAX_PHRASES:
        raise DomainError(
            f"At most {MAX_PHRASES} banned phrases.", fields={"banned_phrases": ["too many"]}
        )
    return phrases


@transaction.atomic
def response_policy_update(*, changes: Mapping[str, Any], by: User) -> ResponsePolicy:
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise DomainError(
            "Unknown policy fields.", fields={name: ["unknown field"] for name in sorted(unknown)}
        )
    response_policy_get()
    policy = ResponsePolicy.objects.select_for_update().get(key="default")
    before = _snapshot(policy)
    for name, value in changes.items():
        if name == "banned_phrases":
            value = _phrases_clean(value)
        elif name == "approval_segments":
            value = sorted({str(v) for v in value}) if isinstance(value, list | tuple) else value
            if not isinstance(value, list) or not set(value) <= set(SEGMENTS):
                raise DomainError(
                    "Unknown author segment.", fields={name: [f"from {', '.join(SEGMENTS)}"]}
                )
        elif name == "approval_min_followers":
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63
            ):
                raise DomainError(
                    "Followers are a whole number of at least 0, or empty for no limit.",
                    fields={name: ["a number ≥ 0 or null"]},
                )
        elif not isinstance(value, bool):
            raise DomainError(f"{name} is true or false.", fields={name: ["true or false"]})
        setattr(policy, name, value)
    after = _snapshot(policy)
    if after == before:
        return policy
    policy.version += 1
    policy.updated_at = timezone.now()
    policy.save()
    changed = sorted(name for name in POLICY_FIELDS if before[name] != after[name])
    audit_record(
        actor=by,
        action="policy.updated",
        target_type="response_policy",
        target_id=policy.pk,
        summary=f"Changed the response policy ({', '.join(changed)})",
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return policy


def staff_member_for(*, user_id: int) -> StaffMember | None:
    return StaffMember.objects.filter(user_id=user_id).first()


@transaction.atomic
def staff_certify(
    *, user: User, certified: bool, by: User, signature: str | None = None
) -> StaffMember:
    """Certify (or uncertify) a member of this client to answer publicly without approval,
    and optionally set how their replies are signed."""
    member = StaffMember.objects.select_for_update().filter(user_id=user.pk).first()
    if member is None:
        if membership_role_for(user=user, client=current_client()) == Role.VIEWER:
            raise DomainError(
                f"{user.display_name} is a viewer and cannot be on the staff.",
                fields={"user_id": ["a viewer only looks on; give them the responder role first"]},
            )
        member = StaffMember.objects.create(user_id=user.pk, name=user.display_name)
    before = {"certified": member.certified, "signature": member.signature}
    if signature is not None:
        signature = " ".join(signature.split())
        if len(signature) > 100:
            raise DomainError("At most 100 characters.", fields={"signature": ["too long"]})
        member.signature = signature
    if certified != member.certified:
        member.certified = certified
        member.certified_at = timezone.now() if certified else None
        member.certified_by_id = by.pk if certified else None
    after = {"certified": member.certified, "signature": member.signature}
    if after == before:
        return member
    member.save()
    verb = "Certified" if member.certified else "Uncertified"
    if before["certified"] == member.certified:
        verb = "Changed the signature of"
    audit_record(
        actor=by,
        action="staff.certified" if before["certified"] != member.certified else "staff.signature",
        target_type="staff",
        target_id=user.pk,
        summary=f"{verb} {user.display_name}",
        before=before,
        after=after,
    )
    return member
