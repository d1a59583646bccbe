"""The ingest pipeline: a validated batch is triaged, clustered, routed, stored and pushed.

`mentions_store` calls the parts in this order, each a decision made below this layer:
1. drop pages another source already brought in (canonical URL);
2. upsert the authors (influence preview for routing);
3. triage the texts (language, sentiment, kind, aspects, relevance; `mentions.triage`);
4. plan problem clusters (`mentions.clusters`: which cluster each report joins, and its size);
5. route (`routing.engine` via the compiled matrix; a learned department for the catch-all);
6. assign within teams (`routing.services.assignment`, with open loads counted here);
7. SLA due times (`routing.services.sla`);
8. insert once per (source, external_id), settle clusters, count authors' stored mentions;
9. push the new mentions live after commit (`mentions.events`), with the cases they joined,
   in one trip to the channel layer (`config.live.live_batch`).

A small batch (a push) can be announced first (`announce_first=True`, the worker's choice):
steps 4 and 8's cluster settling, the webhook outbox rows and the source's counter wait, so
the inbox gets the new mentions one commit earlier; `mentions_settle` does them after that
commit (clusters from the stored rows, `cluster.updated` with the mentions that joined,
webhooks). Not when a routing rule reads the cluster size: routing needs the plan first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from config.live import live_batch
from config.metrics import MENTIONS_INGESTED, MENTIONS_STORED, metric_inc
from config.stamps import Stamps, stamps_read
from mentions import events
from mentions.authors import authors_count_stored, authors_upsert
from mentions.clusters import ClusterInput, clusters_join_stored, clusters_keys, clusters_plan
from mentions.models import Mention, Status
from mentions.queries import query_matcher_load
from mentions.selectors import mentions_open_load
from mentions.triage import ClientTriage, triage_texts
from mentions.triage.client import client_triage_load
from mentions.triage.engine import learned_department
from routing.engine import RoutingDecision, RoutingInput
from routing.services import routing_matrix_load
from routing.services.assignment import assigner_load
from routing.services.matrix import department_ids_by_name
from routing.services.sla import SlaPolicies, sla_dues, sla_policies_load
from sources.connectors.text import canonical_url
from sources.models import Source


@dataclass(frozen=True)
class StoreOutcome:
    stored: int
    duplicates: int
    mention_ids: list[int]
    # Stored and announced, their clusters and webhooks still due (`mentions_settle`).
    settle_ids: list[int] = field(default_factory=list)


# The most mentions a batch may have to be announced before its clusters settle: pushes
# (most carry one); imports and backfills take the one-transaction path.
ANNOUNCE_FIRST_MAX = 20


# The search vector is computed here, from the author row the upsert returned, instead of by
# the per-row trigger (mentions migration 0014), which skips rows that bring one: the same
# function without a lookup of the author per row (about half of the trigger's time).
# The rows travel as one JSON array (one parameter, encoded by the C json module) instead
# of 29 Python lists that psycopg would quote element by element (about a third of a
# second per 500-mention batch on a loaded machine).
_MENTION_INSERT = """
INSERT INTO mentions_mention
    (source_id, external_id, url, canonical_url, text, published_at, received_at, author_id,
     in_reply_to, raw, language, sentiment, sentiment_score, kind, department_id,
     routing_rule_id, routing_reason, priority, status, updated_at, team_id, assignee_id,
     copied_to, requires_approval, aspects, country, sla_policy_id, first_response_due,
     resolution_due, sla_state, relevant, relevance_score, cluster_id, cluster_keys,
     matched_queries, search)
SELECT %s, external_id, url, canonical_url, text, published_at, %s, author_id, in_reply_to,
       raw, language, sentiment, sentiment_score, kind, department_id, routing_rule_id,
       routing_reason, priority, status, %s, team_id, assignee_id,
       CASE WHEN copy_to IS NULL THEN '{}'::bigint[] ELSE ARRAY[copy_to] END,
       requires_approval,
       COALESCE(string_to_array(NULLIF(aspects, ''), ','), '{}')::varchar[], '',
       sla_policy_id, first_response_due, resolution_due, 'ok', relevant, relevance_score,
       cluster_id, cluster_keys::bigint[],
       COALESCE(string_to_array(NULLIF(matched_queries, ''), ','), '{}')::bigint[],
       mention_search_vector(text, url, author_handle, author_name)
FROM json_to_recordset(%s::json) AS t(
    external_id text, url text, canonical_url text, text text, published_at timestamptz,
    author_id bigint, in_reply_to text, raw jsonb, language text, sentiment text,
    sentiment_score float8, kind text, department_id bigint, routing_rule_id bigint,
    routing_reason text, priority smallint, status text, team_id bigint, assignee_id bigint,
    copy_to bigint, requires_approval boolean, sla_policy_id bigint,
    first_response_due timestamptz, resolution_due timestamptz, aspects text,
    relevant boolean, relevance_score float8, cluster_id bigint, cluster_keys text,
    matched_queries text, author_handle text, author_name text
)
ORDER BY external_id
ON CONFLICT (source_id, external_id) DO NOTHING
RETURNING id, external_id
"""
_MENTION_COLUMNS = (
    "external_id",
    "url",
    "canonical_url",
    "text",
    "published_at",
    "author_id",
    "in_reply_to",
    "raw",
    "language",
    "sentiment",
    "sentiment_score",
    "kind",
    "department_id",
    "routing_rule_id",
    "routing_reason",
    "priority",
    "status",
    "team_id",
    "assignee_id",
    "copy_to",
    "requires_approval",
    "sla_policy_id",
    "first_response_due",
    "resolution_due",
    "aspects",
    "relevant",
    "relevance_score",
    "cluster_id",
    "cluster_keys",
    "matched_queries",
    "author_handle",
    "author_name",
)


@live_batch()
def mentions_store(
    *,
    source: Source,
    items: list[dict[str, Any]],
    now: datetime | None = None,
    announce_first: bool = False,
) -> StoreOutcome:
    """Store validated items in bulk: upsert authors, triage, route, insert once per
    (source, external_id) even when workers race, and push the new mentions live on commit.

    `now` is when they arrived (default: now); only generated back history passes it.
    With `announce_first`, a batch of at most ANNOUNCE_FIRST_MAX leaves its problem
    clusters and webhooks to `mentions_settle` (`StoreOutcome.settle_ids`), which the
    caller must run after this transaction commits, and make sure it runs.
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
        _count_on_commit(ingested=len(items), stored=0)
        return StoreOutcome(stored=0, duplicates=len(items), mention_ids=[])

    now = now or timezone.now()
    # Triage before the author upsert: it takes no lock, while the authors' rows stay
    # locked from the upsert to commit, so a concurrent batch of the client with some of
    # the same authors (the usual case) waited through this batch's triage too.
    texts = [item["text"] for item in ordered]
    # The client's configuration, compiled once per change (`config.stamps`): one query
    # for every stamp, and none of its tables while nothing changed.
    stamps = stamps_read()
    client_triage = client_triage_load(stamps=stamps)
    triaged = triage_texts(
        texts,
        languages=[item.get("language", "") for item in ordered],
        client=client_triage,
    )
    learned_routes = _learned_routes(client_triage, texts, stamps=stamps)
    with connection.cursor() as cursor:
        authors = authors_upsert(cursor, network=source.network, items=ordered, now=now)
        matrix = routing_matrix_load(stamps=stamps)
        policies = sla_policies_load(stamps=stamps)
        matcher = query_matcher_load(stamps=stamps)
        rows: list[dict[str, Any]] = []
        decided = []
        # Problem clusters: which cluster each report joins, and its size for routing; or,
        # announced first, only each report's band keys (its cluster settles after commit).
        announce_first = (
            announce_first and len(ordered) <= ANNOUNCE_FIRST_MAX and not matrix.reads_cluster_size
        )
        if announce_first:
            commit_without_flush()
        clustering = (clusters_keys if announce_first else clusters_plan)(
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
            {d.team_id for _, _, d in decided if d.team_id and d.assignee_id is None},
            stamps=stamps,
        )
        assigner.load.update(mentions_open_load(user_ids=assigner.user_ids))
        for item, triage, decision in decided:
            handle = item["author"]["handle"]
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
                item["published_at"],  # ISO 8601, as `mention_item_validate` wrote it
                authors[handle].id,
                item.get("in_reply_to", ""),
                item.get("raw", {}),
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
                ",".join(
                    str(pk)
                    for pk in matcher.matches(
                        text=item["text"],
                        language=triage.language,
                        author=item["author"]["handle"],
                        source_name=source.name,
                        source_kind=source.kind,
                    )
                ),
                handle,
                authors[handle].name,
            )
            rows.append(dict(zip(_MENTION_COLUMNS, row, strict=True)))
        assigner.save()
        cursor.execute(
            _MENTION_INSERT,
            [source.pk, now, now, json.dumps(rows, ensure_ascii=False, default=_json_value)],
        )
        inserted = dict(cursor.fetchall())
        mention_ids = sorted(inserted)
        stored_ids = set(inserted.values())
        authors_count_stored(
            cursor,
            authors=authors,
            stored=[item for item in ordered if item["external_id"] in stored_ids],
            now=now,
        )
        if not announce_first:
            clustering.settle(mention_ids=mention_ids, stamps=stamps)
            _source_count_stored(cursor, source=source, stored=len(mention_ids))

    # The outbox rows commit with the mentions (none when the client has no subscriber).
    if not announce_first:
        events.mentions_created_webhooks(mention_ids=mention_ids, stamps=stamps)
    if len(mention_ids) > events.LIVE_EVENTS_PER_BATCH:
        # Where the stored rows went, from the rows just written (no second read).
        departments = {
            department_id
            for row in rows
            if row["external_id"] in stored_ids
            for department_id in (row["department_id"], row["copy_to"])
            if department_id is not None
        }
        events.mentions_arrived_broadcast(departments=departments)
    elif mention_ids:
        created = list(
            Mention.objects.filter(id__in=mention_ids)
            .select_related("author", "department", "assignee", "source")
            .order_by("id")
        )
        events.mentions_broadcast(event_type=events.MENTION_CREATED, mentions=created)
    _count_on_commit(ingested=len(items), stored=len(mention_ids))
    return StoreOutcome(
        stored=len(mention_ids),
        duplicates=len(items) - len(mention_ids),
        mention_ids=mention_ids,
        settle_ids=mention_ids if announce_first else [],
    )


@live_batch()
def mentions_settle(*, source: Source, mention_ids: list[int]) -> None:
    """The follow-ups of mentions stored with `announce_first`, after the commit that
    announced them: their problem clusters (`cluster.updated` with the ids that joined, so
    open inboxes fold the rows into the case) and their webhook events (which then carry
    the cluster). Idempotent only together with the caller's bookkeeping (the batch's
    status): run it once per stored batch, inside a transaction in the client's schema."""
    if not mention_ids:
        return
    # One read of the configuration stamps for both (whether anyone gets their webhooks).
    stamps = stamps_read()
    clusters_join_stored(source_id=source.pk, mention_ids=mention_ids, stamps=stamps)
    events.mentions_created_webhooks(mention_ids=mention_ids, stamps=stamps)
    with connection.cursor() as cursor:
        _source_count_stored(cursor, source=source, stored=len(mention_ids))


def _source_count_stored(cursor: Any, *, source: Source, stored: int) -> None:
    """The source's count of stored mentions (the sources page)."""
    if stored:
        cursor.execute(
            "UPDATE sources_source SET items_stored = items_stored + %s WHERE id = %s",
            [stored, source.pk],
        )


def commit_without_flush() -> None:
    """The current transaction's commit returns before its WAL reaches the disk
    (`synchronous_commit = off`, this transaction only): one fsync less, 8-14 ms on a busy
    machine, on the way to a pushed mention's event.

    Only for writes whose source stays durable elsewhere: an ingest batch's claim and the
    store of a batch announced first. The batch row was committed durably before the push
    was answered; a database crash within the WAL writer's few hundred milliseconds loses
    the store and its claim together (a transaction is still all or nothing) and leaves the
    batch pending, and the stalled-batch sweep has it stored again, once. Webhooks, which
    reach the outside world, are written by the settling transaction, which commits
    durably (and flushes everything before it)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")


# Autovacuum's default rule for ANALYZE: 50 rows plus a tenth of the table.
ANALYZE_BASE_ROWS = 50
ANALYZE_SCALE = 0.1


def mentions_statistics_refresh(*, stored: int) -> bool:
    """ANALYZE the client's mentions and authors after a bulk load (a file import, a
    backfill, generated history) that grew the table by more than autovacuum's rule.

    The planner estimates from the statistics the last ANALYZE left; a table that grew
    from thousands of rows to a million but is still planned as small gets plans that
    read all of it. Production keeps autovacuum on (docs/operations.md), which gets there
    too, but only on its next round; where it is off (these development machines) nobody
    would. Returns whether it analyzed. Runs after the load committed, in the client's
    schema; ANALYZE reads a sample (30,000 rows), well under a second at 1,000,000."""
    if stored <= 0:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'mentions_mention'::regclass")
        (estimate,) = cursor.fetchone()
        # -1: never analyzed.
        if estimate >= 0 and stored < ANALYZE_BASE_ROWS + ANALYZE_SCALE * estimate:
            return False
        cursor.execute("ANALYZE mentions_mention, mentions_author")
    return True


def _count_on_commit(*, ingested: int, stored: int) -> None:
    """Count for /metrics once the mentions are really there (config.metrics)."""

    def record() -> None:
        metric_inc(MENTIONS_INGESTED, ingested)
        metric_inc(MENTIONS_STORED, stored)

    transaction.on_commit(record, robust=True)


# A learned department overrides the catch-all rule only when the model is this sure.
LEARNED_ROUTE_CONFIDENCE = 0.6


def _learned_routes(
    client: ClientTriage, texts: list[str], *, stamps: Stamps
) -> list[tuple[int, str] | None]:
    """Where the client's own reroutings say a mention belongs, for mentions no explicit
    rule claims: (department id, reason) or None."""
    if "department" not in client.learned:
        return [None] * len(texts)
    ids = department_ids_by_name(stamps=stamps)
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
            # `<> ''` matches the partial index mention_canonical_url: without it the
            # planner cannot use the index and reads the whole table (0.5 s at 75,000 rows).
            "SELECT DISTINCT canonical_url FROM mentions_mention "
            "WHERE canonical_url = ANY(%s) AND canonical_url <> '' AND source_id <> %s",
            [list(urls), source.pk],
        )
        seen = {row[0] for row in cursor.fetchall()}
    if not seen:
        return items
    return [item for item in items if canonical[item["external_id"]] not in seen]


def _json_value(value: object) -> str:
    """The rows' only values json cannot write itself: SLA due times."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a mention row")


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
