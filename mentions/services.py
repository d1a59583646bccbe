"""Writes on mentions: the care actions staff take (storing batches is `mentions.pipeline`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import Role, User
from accounts.selectors import client_members, membership_role_for, role_at_least
from config.errors import DomainError, NotAllowed
from config.tenancy import current_client
from mentions import events
from mentions.assignees import mention_may_take
from mentions.clocks import CLOCK_SOURCES, mention_clocks_stamp
from mentions.models import Aspect, Kind, LabelField, Mention, Note, Sentiment, Status
from mentions.selectors import OPEN_LOAD_STATUSES, mention_list_for_user, mentions_open_load
from mentions.triage.learn import label_record
from routing.models import Department
from routing.services.assignment import assigner_load, visible_department_ids
from routing.services.notifications import notification_create
from routing.services.sla import mention_sla_on_status


def _mention_save(mention: Mention, fields: list[str]) -> Mention:
    stamps: list[str] = []
    if CLOCK_SOURCES.intersection(fields):
        # A clock stopped, restarted or moved: measure it in business time now.
        stamps = mention_clocks_stamp(mention=mention)
    mention.updated_at = timezone.now()
    mention.save(update_fields=[*fields, *stamps, "updated_at"])
    events.mentions_broadcast(event_type=events.MENTION_UPDATED, mentions=[mention])
    events.mention_changed_webhooks(mention=mention, fields=fields)
    return mention


def _mention_lock(mention: Mention) -> Mention:
    """The current row, locked until the transaction ends: decisions use fresh state."""
    return (
        Mention.objects.select_for_update(of=("self",))
        .select_related("author", "department", "assignee", "source")
        .get(pk=mention.pk)
    )


@transaction.atomic
def mention_assign(*, mention: Mention, assignee: User | None, by: User) -> Mention:
    """Give the mention to `assignee` (or nobody). New mentions become assigned."""
    mention = _mention_lock(mention)

    if assignee is not None:
        role = membership_role_for(user=assignee, client=current_client())
        if not role_at_least(role, Role.RESPONDER):
            raise DomainError(
                f"{assignee.display_name} cannot take mentions in this client.",
                fields={"assignee": ["not a responder of this client"]},
            )
        if assignee.pk != by.pk:
            # Giving a colleague a mention is a manager's call; and only to someone who
            # may see it (staff limited to departments see only theirs).
            if not role_at_least(
                membership_role_for(user=by, client=current_client()), Role.MANAGER
            ):
                raise NotAllowed("Only managers assign mentions to colleagues.")
            if not mention_may_take(mention=mention, user=assignee):
                raise DomainError(
                    f"{assignee.display_name} cannot see this mention (other departments).",
                    fields={"assignee": ["cannot see this mention"]},
                )
    before = {"assignee_id": mention.assignee_id, "status": mention.status}
    mention.assignee = assignee
    fields = ["assignee"]
    if assignee is not None and mention.status == Status.NEW:
        mention.status = Status.ASSIGNED
        fields.append("status")
    elif assignee is None and mention.status == Status.ASSIGNED:
        mention.status = Status.NEW
        fields.append("status")
    whom = assignee.display_name if assignee else "nobody"
    if before["assignee_id"] is not None and mention.assignee_id != before["assignee_id"]:
        # A person overruled the assignment: the learning loop keeps that as a label.
        label_record(
            field_name=LabelField.ASSIGNEE,
            value=mention.assignee_id,
            previous=before["assignee_id"],
            text=mention.text,
            language=mention.language,
            mention=mention,
            origin="reassignment",
            user_id=by.pk,
        )
    audit_record(
        actor=by,
        action="mention.assigned",
        target_type="mention",
        target_id=mention.pk,
        summary=f"Assigned mention {mention.pk} to {whom}",
        before=before,
        after={"assignee_id": mention.assignee_id, "status": mention.status},
    )
    if assignee is not None and assignee.pk != by.pk and before["assignee_id"] != assignee.pk:
        notification_create(
            user_id=int(assignee.pk),
            text=f"{by.display_name} assigned you mention {mention.pk}: {mention.text[:120]}",
            link=f"/mentions/{mention.pk}/",
        )
    return _mention_save(mention, fields)


@transaction.atomic
def mention_set_status(*, mention: Mention, status: str, by: User) -> Mention:
    if status not in Status.values:
        raise DomainError(f"Unknown status {status!r}", fields={"status": ["invalid choice"]})
    mention = _mention_lock(mention)
    before = {"status": mention.status}
    fields = mention_sla_on_status(
        mention=mention, old=mention.status, new=status, now=timezone.now()
    )
    mention.status = status
    fields.append("status")
    if status == Status.RESOLVED:
        mention.resolved_at = timezone.now()
        fields.append("resolved_at")
    elif mention.resolved_at is not None:
        mention.resolved_at = None
        fields.append("resolved_at")
    if before["status"] != status:
        audit_record(
            actor=by,
            action="mention.status",
            target_type="mention",
            target_id=mention.pk,
            summary=f"Set mention {mention.pk} from {before['status']} to {status}",
            before=before,
            after={"status": status},
        )
    return _mention_save(mention, fields)


@transaction.atomic
def mentions_release(*, user_id: int, by: User, reason: str) -> int:
    """Hand `user_id`'s open mentions back (they left the client or became a viewer): each
    goes to its team's assignment again (round robin or least load, whoever is on shift
    with the skills), or, with no team or nobody free, back to its department's queue as
    new. Call after their staff entry is gone, so they are not picked again. Returns how
    many mentions were handed back; each is audited and pushed live."""
    mentions = list(
        Mention.objects.select_for_update(of=("self",))
        .select_related("routing_rule")
        .filter(assignee_id=user_id, status__in=OPEN_LOAD_STATUSES)
        .order_by("pk")
    )
    if not mentions:
        return 0
    assigner = assigner_load({m.team_id for m in mentions if m.team_id is not None})
    assigner.load.update(mentions_open_load(user_ids=assigner.user_ids))
    for mention in mentions:
        picked = None
        if mention.team_id is not None:
            rule = mention.routing_rule
            picked = assigner.pick(
                team_id=mention.team_id,
                language=mention.language,
                country=mention.country,
                tags=tuple(rule.skill_tags) if rule is not None else (),
            )
        before = {"assignee_id": mention.assignee_id, "status": mention.status}
        mention.assignee_id = picked
        if picked is None and mention.status == Status.ASSIGNED:
            mention.status = Status.NEW
        elif picked is not None and mention.status == Status.NEW:
            mention.status = Status.ASSIGNED
        whom = f"user {picked}" if picked is not None else "the department queue"
        audit_record(
            actor=by,
            action="mention.released",
            target_type="mention",
            target_id=mention.pk,
            summary=f"Handed mention {mention.pk} back to {whom} ({reason})",
            before=before,
            after={"assignee_id": mention.assignee_id, "status": mention.status},
        )
        _mention_save(mention, ["assignee", "status"])
    assigner.save()
    return len(mentions)


_AT_MENTION = re.compile(r"(?<![\w@])@([\w.-]{2,60})", re.UNICODE)
MAX_NOTE = 10_000


def _may_see(user: User, mention: Mention) -> bool:

    if role_at_least(membership_role_for(user=user, client=current_client()), Role.MANAGER):
        return True
    departments = visible_department_ids(user_id=user.pk)
    return departments is None or bool(departments & events.mention_departments(mention))


@transaction.atomic
def note_add(*, mention: Mention, text: str, by: User) -> Note:
    """Add an internal note; colleagues named as @firstname, @first.last or @email-name
    (members of this client who may see the mention) get an in-app notification."""

    text = text.strip()
    if not text:
        raise DomainError("A note needs some text.", fields={"text": ["required"]})
    if len(text) > MAX_NOTE:
        raise DomainError(f"At most {MAX_NOTE} characters.", fields={"text": ["too long"]})
    handles = {handle.lower().rstrip(".") for handle in _AT_MENTION.findall(text)}
    mentioned = []
    if handles:
        for member in client_members(client=current_client()):
            names = {member.email.split("@")[0].lower()}
            if member.name:
                parts = member.name.lower().split()
                names |= {parts[0], ".".join(parts), "".join(parts)}
            if names & handles and member.pk != by.pk and _may_see(member, mention):
                mentioned.append(member)
    note = Note.objects.create(
        mention=mention,
        author_id=by.pk,
        author_name=by.display_name,
        text=text,
        mentioned_user_ids=[member.pk for member in mentioned],
    )
    for member in mentioned:
        notification_create(
            user_id=member.pk,
            text=f"{by.display_name} mentioned you on mention {mention.pk}: {text[:200]}",
            link=f"/mentions/{mention.pk}/#note-{note.pk}",
        )
    audit_record(
        actor=by,
        action="mention.note",
        target_type="mention",
        target_id=mention.pk,
        summary=f"Note on mention {mention.pk}"
        + (f" mentioning {', '.join(m.display_name for m in mentioned)}" if mentioned else ""),
    )
    events.notes_broadcast(mention=mention, note=note)
    return note


BULK_ACTIONS = ("assign_me", "unassign", "resolved", "waiting", "ignored", "new")
MAX_BULK = 200


@dataclass(frozen=True)
class BulkResult:
    """What happened to one id: `changed`, `unchanged` (already so), `not_found` (no such
    mention, or one the user may not see: the same answer, so nothing leaks) or `failed`."""

    id: int
    outcome: str
    message: str = ""


@dataclass(frozen=True)
class BulkOutcome:
    results: list[BulkResult]

    @property
    def changed(self) -> int:
        return sum(1 for result in self.results if result.outcome == "changed")


def _bulk_already(mention: Mention, *, action: str, by: User) -> bool:
    if action == "assign_me":
        return mention.assignee_id == by.pk and mention.status != Status.NEW
    if action == "unassign":
        return mention.assignee_id is None
    return mention.status == action


@transaction.atomic
def mentions_bulk(*, mention_ids: list[int], action: str, by: User) -> BulkOutcome:
    """Apply one care action to many mentions the user may see (each change audited and
    pushed like a single one), and say per id what happened."""

    if action not in BULK_ACTIONS:
        raise DomainError(f"Unknown action {action!r}", fields={"action": list(BULK_ACTIONS)})
    ids = list(dict.fromkeys(mention_ids))
    if len(ids) > MAX_BULK:
        raise DomainError(f"At most {MAX_BULK} mentions at once.", fields={"ids": ["too many"]})
    # Lock the rows in one order (by id) so two bulk actions cannot deadlock.
    visible = {
        mention.pk: mention
        for mention in mention_list_for_user(user=by)
        .filter(pk__in=ids)
        .order_by("pk")
        .select_for_update(of=("self",))
    }
    results = []
    for mention_id in ids:
        mention = visible.get(mention_id)
        if mention is None:
            results.append(BulkResult(mention_id, "not_found"))
            continue
        if _bulk_already(mention, action=action, by=by):
            results.append(BulkResult(mention_id, "unchanged"))
            continue
        try:
            with transaction.atomic():
                if action == "assign_me":
                    mention_assign(mention=mention, assignee=by, by=by)
                elif action == "unassign":
                    mention_assign(mention=mention, assignee=None, by=by)
                else:
                    mention_set_status(mention=mention, status=action, by=by)
        except DomainError as exc:
            results.append(BulkResult(mention_id, "failed", exc.message))
        else:
            results.append(BulkResult(mention_id, "changed"))
    return BulkOutcome(results)


CORRECTABLE = ("sentiment", "kind", "aspects", "relevant", "department")


@transaction.atomic
def mention_correct(
    *, mention: Mention, changes: dict[str, Any], by: User, origin: str = "inbox"
) -> Mention:
    """A person corrects triage (sentiment, kind, aspects, relevance) or moves the mention to
    another department. Each changed field is stored as a label the client's models learn
    from, audited, and pushed live. Moving to another department hands the mention back to
    that department's queue (unassigned)."""

    mention = _mention_lock(mention)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    fields: list[str] = []
    for name in CORRECTABLE:
        if name not in changes:
            continue
        value = changes[name]
        if name == "sentiment" and value not in Sentiment.values:
            raise DomainError("Unknown sentiment.", fields={name: ["invalid choice"]})
        if name == "kind" and value not in Kind.values:
            raise DomainError("Unknown kind.", fields={name: ["invalid choice"]})
        if name == "aspects":
            known = set(Aspect.objects.filter(slug__in=value).values_list("slug", flat=True))
            unknown = sorted(set(value) - known)
            if unknown:
                raise DomainError(
                    "Unknown aspect.", fields={name: [f"no aspect {', '.join(unknown)}"]}
                )
            value = sorted(known)
        if name == "department":
            department = Department.objects.filter(pk=value).first()
            if department is None:
                raise DomainError("No such department.", fields={name: ["unknown department"]})
            old = mention.department.name if mention.department else None
            if department.pk == mention.department_id:
                continue
            before["department"], after["department"] = old, department.name
            mention.department = department
            mention.routing_rule = None
            mention.routing_reason = f"Moved to {department.name} by {by.display_name}"[:500]
            fields += ["department", "routing_rule", "routing_reason"]
            if mention.status == Status.ASSIGNED:
                mention.assignee, mention.status = None, Status.NEW
                fields += ["assignee", "status"]
            label_value: Any = department.name
            previous: Any = old
        else:
            previous = getattr(mention, name)
            if previous == value:
                continue
            before[name], after[name] = previous, value
            setattr(mention, name, value)
            fields.append(name)
            if name == "relevant":
                mention.relevance_score = 1.0 if value else 0.0
                fields.append("relevance_score")
            label_value = value
        label_record(
            field_name=name,
            value=label_value,
            previous=previous,
            text=mention.text,
            language=mention.language,
            mention=mention,
            origin=origin,
            user_id=by.pk,
        )
    if not fields:
        return mention
    audit_record(
        actor=by,
        action="mention.corrected",
        target_type="mention",
        target_id=mention.pk,
        summary=f"Corrected {', '.join(sorted(after))} of mention {mention.pk}",
        before=before,
        after=after,
    )
    return _mention_save(mention, fields)
