"""Writes on mentions: storing ingested batches, and the care actions staff take."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import Role, User
from config.errors import DomainError
from config.tenancy import current_client
from mentions import events
from mentions.authors import authors_count_stored, authors_upsert
from mentions.clusters import ClusterInput, clusters_plan
from mentions.models import LabelField, Mention, Note, Sentiment, Status
from mentions.triage import ClientTriage, triage_texts
from mentions.triage.client import client_triage_load
from mentions.triage.engine import learned_department
from mentions.triage.learn import label_record
from routing.engine import RoutingDecision, RoutingInput
from routing.services import routing_matrix_load
from routing.services.assignment import assigner_load
from routing.services.sla import SlaPolicies, mention_sla_on_status, sla_dues, sla_policies_load
from sources.connectors.text import canonical_url
from sources.models import Source


@dataclass(frozen=True)
class StoreOutcome:
    stored: int
    duplicates: int
    mention_ids: list[int]


_MENTION_INSERT = """
INSERT INTO mentions_mention
    (source_id, external_id, url, canonical_url, text, published_at, received_at, author_id,
     in_reply_to, raw, language, sentiment, sentiment_score, kind, department_id,
     routing_rule_id, routing_reason, priority, status, updated_at, team_id, assignee_id,
     copied_to, requires_approval, aspects, country, sla_policy_id, first_response_due,
     resolution_due, sla_state, relevant, relevance_score, cluster_id, cluster_keys)
SELECT %s, external_id, url, canonical_url, text, published_at, %s, author_id, in_reply_to,
       raw::jsonb, language, sentiment, sentiment_score, kind, department_id, routing_rule_id,
       routing_reason, priority, status, %s, team_id, assignee_id,
       CASE WHEN copy_to IS NULL THEN '{}'::bigint[] ELSE ARRAY[copy_to] END,
       requires_approval,
       COALESCE(string_to_array(NULLIF(aspects, ''), ','), '{}')::varchar[], '',
       sla_policy_id, first_response_due, resolution_due, 'ok', relevant, relevance_score,
       cluster_id, cluster_keys::bigint[]
FROM unnest(
    %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::bigint[],
    %s::text[], %s::text[], %s::text[], %s::text[], %s::float8[], %s::text[], %s::bigint[],
    %s::bigint[], %s::text[], %s::smallint[], %s::text[], %s::bigint[], %s::bigint[],
    %s::bigint[], %s::boolean[], %s::bigint[], %s::timestamptz[], %s::timestamptz[],
    %s::text[], %s::boolean[], %s::float8[], %s::bigint[], %s::text[]
) AS t(external_id, url, canonical_url, text, published_at, author_id, in_reply_to, raw,
       language, sentiment, sentiment_score, kind, department_id, routing_rule_id,
       routing_reason, priority, status, team_id, assignee_id, copy_to, requires_approval,
       sla_policy_id, first_response_due, resolution_due, aspects, relevant, relevance_score,
       cluster_id, cluster_keys)
ORDER BY external_id
ON CONFLICT (source_id, external_id) DO NOTHING
RETURNING id, external_id
"""


def mentions_store(*, source: Source, items: list[dict[str, Any]]) -> StoreOutcome:
    """Store validated items in bulk: upsert authors, triage, route, insert once per
    (source, external_id) even when workers race, and push the new mentions live on commit.

    Must run inside a transaction in the client's schema.
    """
    unique: dict[str, dict[str, Any]] = {}
    for item in items:
        unique.setdefault(item["external_id"], item)
    # Each page's URL in one spelling, worked out once per item.
    canonical = {key: canonical_url(item.get("url", "")) for key, item in unique.items()}
    ordered = _drop_seen_elsewhere(
        sorted(unique.values(), key=lambda item: item["external_id"]),
        source=source,
        canonical=canonical,
    )
    if not ordered:
        return StoreOutcome(stored=0, duplicates=len(items), mention_ids=[])

    now = timezone.now()
    with connection.cursor() as cursor:
        authors = authors_upsert(cursor, network=source.network, items=ordered, now=now)
        matrix = routing_matrix_load()
        policies = sla_policies_load()
        columns: list[list[Any]] = [[] for _ in range(29)]
        decided = []
        texts = [item["text"] for item in ordered]
        client_triage = client_triage_load()
        triaged = triage_texts(
            texts,
            languages=[item.get("language", "") for item in ordered],
            client=client_triage,
        )
        learned_routes = _learned_routes(client_triage, texts)
        # Problem clusters: which cluster each report joins, and its size for routing.
        clustering = clusters_plan(
            source_id=source.pk,
            items=[
                ClusterInput(
                    external_id=item["external_id"],
                    text=item["text"],
                    kind=triage.kind,
                    published_at=datetime.fromisoformat(item["published_at"]),
                    aspects=tuple(triage.aspects),
                    relevant=triage.relevant,
                )
                for item, triage in zip(ordered, triaged, strict=True)
            ],
        )
        for item, triage, learned in zip(ordered, triaged, learned_routes, strict=True):
            handle = item["author"]["handle"]
            author = authors[handle]
            decision = matrix.decide(
                RoutingInput(
                    text=item["text"],
                    kind=triage.kind,
                    language=triage.language,
                    sentiment=triage.sentiment,
                    aspects=triage.aspects,
                    source_id=source.pk,
                    source_kind=source.kind,
                    source_name=source.name,
                    author_handle=handle,
                    author_followers=author.followers,
                    influence=author.influence.score,
                    segment=author.influence.segment,
                    cluster_size=clustering.size(item["external_id"]),
                )
            )
            if learned is not None and matrix.is_catch_all(decision):
                decision = replace(decision, department_id=learned[0], reason=learned[1])
            decided.append((item, triage, decision))
        # Teams hand mentions to their members (round robin or least load, on shift, with
        # the skills needed); the team rows are locked so concurrent batches take turns.
        assigner = assigner_load(
            {d.team_id for _, _, d in decided if d.team_id and d.assignee_id is None}
        )
        for item, triage, decision in decided:
            assignee_id = decision.assignee_id
            if assignee_id is None and decision.team_id and not decision.ignore:
                assignee_id = assigner.pick(
                    team_id=decision.team_id,
                    language=triage.language,
                    tags=decision.skill_tags,
                )
            row = (
                item["external_id"],
                item.get("url", ""),
                canonical[item["external_id"]],
                item["text"],
                datetime.fromisoformat(item["published_at"]),
                authors[item["author"]["handle"]].id,
                item.get("in_reply_to", ""),
                json.dumps(item.get("raw", {}), ensure_ascii=False),
                triage.language,
                triage.sentiment,
                triage.sentiment_score,
                triage.kind,
                decision.department_id,
                decision.rule_id,
                decision.reason,
                decision.priority,
                _initial_status(decision, assignee_id=assignee_id),
                decision.team_id,
                assignee_id,
                decision.copy_to_id,
                decision.require_approval,
                *_sla_columns(decision, policies=policies, now=now),
                ",".join(triage.aspects),
                triage.relevant,
                triage.relevance_score,
                *clustering.columns(item["external_id"]),
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        assigner.save()
        cursor.execute(_MENTION_INSERT, [source.pk, now, now, *columns])
        inserted = dict(cursor.fetchall())
        mention_ids = sorted(inserted)
        stored_ids = set(inserted.values())
        authors_count_stored(
            cursor,
            authors=authors,
            stored=[item for item in ordered if item["external_id"] in stored_ids],
            now=now,
        )
        clustering.settle(mention_ids=mention_ids)
        if mention_ids:
            cursor.execute(
                "UPDATE sources_source SET items_stored = items_stored + %s WHERE id = %s",
                [len(mention_ids), source.pk],
            )

    if len(mention_ids) > events.LIVE_EVENTS_PER_BATCH:
        departments: set[int] = set()
        for department_id, copied_to in Mention.objects.filter(id__in=mention_ids).values_list(
            "department_id", "copied_to"
        ):
            departments.update(copied_to or [])
            if department_id is not None:
                departments.add(department_id)
        events.mentions_arrived_broadcast(departments=departments)
    elif mention_ids:
        created = list(
            Mention.objects.filter(id__in=mention_ids)
            .select_related("author", "department", "assignee", "source")
            .order_by("id")
        )
        events.mentions_broadcast(event_type=events.MENTION_CREATED, mentions=created)
    return StoreOutcome(
        stored=len(mention_ids),
        duplicates=len(items) - len(mention_ids),
        mention_ids=mention_ids,
    )


# A learned department overrides the catch-all rule only when the model is this sure.
LEARNED_ROUTE_CONFIDENCE = 0.6


def _learned_routes(client: ClientTriage, texts: list[str]) -> list[tuple[int, str] | None]:
    """Where the client's own reroutings say a mention belongs, for mentions no explicit
    rule claims: (department id, reason) or None."""
    if "department" not in client.learned:
        return [None] * len(texts)
    from routing.models import Department

    ids = {name: pk for pk, name in Department.objects.values_list("id", "name")}
    routes: list[tuple[int, str] | None] = []
    for name, confidence in learned_department(client, texts):
        if name in ids and confidence >= LEARNED_ROUTE_CONFIDENCE:
            routes.append(
                (
                    ids[name],
                    f"Learned from this client's reroutings: looks like {name} "
                    f"({confidence:.0%} sure)",
                )
            )
        else:
            routes.append(None)
    return routes


def _drop_seen_elsewhere(
    items: list[dict[str, Any]], *, source: Source, canonical: dict[str, str]
) -> list[dict[str, Any]]:
    """Leave out items whose page another source has already brought in (same canonical
    URL). Items of one source that share a URL are all kept."""
    urls = {canonical[item["external_id"]] for item in items} - {""}
    if not urls:
        return items
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT canonical_url FROM mentions_mention "
            "WHERE canonical_url = ANY(%s) AND source_id <> %s",
            [list(urls), source.pk],
        )
        seen = {row[0] for row in cursor.fetchall()}
    if not seen:
        return items
    return [item for item in items if canonical[item["external_id"]] not in seen]


def _sla_columns(
    decision: RoutingDecision, *, policies: SlaPolicies, now: datetime
) -> tuple[int | None, datetime | None, datetime | None]:
    """The SLA policy and due times of a newly routed mention (none for ignored ones)."""
    policy = policies.get(decision.sla_policy_id)
    if policy is None or decision.ignore:
        return None, None, None
    first, resolution = sla_dues(
        policies=policies, policy=policy, priority=decision.priority, start=now
    )
    return policy.pk, first, resolution


def _initial_status(decision: RoutingDecision, *, assignee_id: int | None) -> str:
    if decision.ignore:
        return Status.IGNORED
    if decision.escalate:
        return Status.ESCALATED
    if assignee_id is not None:
        return Status.ASSIGNED
    return Status.NEW


def _mention_save(mention: Mention, fields: list[str]) -> Mention:
    mention.updated_at = timezone.now()
    mention.save(update_fields=[*fields, "updated_at"])
    events.mentions_broadcast(event_type=events.MENTION_UPDATED, mentions=[mention])
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
    from accounts.selectors import membership_role_for, role_at_least

    if assignee is not None:
        role = membership_role_for(user=assignee, client=current_client())
        if not role_at_least(role, Role.RESPONDER):
            raise DomainError(
                f"{assignee.display_name} cannot take mentions in this client.",
                fields={"assignee": ["not a responder of this client"]},
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


_AT_MENTION = re.compile(r"(?<![\w@])@([\w.-]{2,60})", re.UNICODE)
MAX_NOTE = 10_000


def _may_see(user: User, mention: Mention) -> bool:
    from accounts.selectors import membership_role_for, role_at_least
    from routing.services.assignment import visible_department_ids

    if role_at_least(membership_role_for(user=user, client=current_client()), Role.MANAGER):
        return True
    departments = visible_department_ids(user_id=user.pk)
    return departments is None or bool(departments & events.mention_departments(mention))


@transaction.atomic
def note_add(*, mention: Mention, text: str, by: User) -> Note:
    """Add an internal note; colleagues named as @firstname, @first.last or @email-name
    (members of this client who may see the mention) get an in-app notification."""
    from accounts.selectors import client_members
    from routing.services.notifications import notification_create

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
    from mentions.selectors import mention_list_for_user

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
    from mentions.models import Aspect, Kind
    from routing.models import Department

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
