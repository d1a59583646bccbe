"""Problem clusters: mentions that report the same problem within a time window become one
case ("23 people report: app · login · not working · since 14:05").

Only relevant complaints, questions and crisis reports are clustered. A mention's text becomes a set
of normalised terms (stop words out, a light stemmer, failure words folded into one term);
two mentions report the same problem when their term sets are similar (Jaccard ≥ 0.4 and at
least two shared content terms) and they share an aspect where both have one. Candidates are
found through MinHash LSH band keys stored on the mention (`Mention.cluster_keys`,
GIN-indexed while it is unclustered) and on the cluster (`ProblemCluster.keys`), so a batch
costs two indexed queries however many mentions the window holds. A cluster row is made
only when a second similar report arrives; until then the first one waits, unclustered,
with its keys.

Ingest uses it around the insert (see `mentions.pipeline.mentions_store`): `clusters_plan`
before routing (which cluster each new mention joins, making the rows of new clusters, and
the cluster's size, which routing rules may look at); `ClusterPlan.columns` gives each row's
`cluster_id` and `cluster_keys` for the INSERT; `ClusterPlan.settle` after it (attach the
earlier report a new cluster started from, count what was really stored, push live).
Planning takes a per-client advisory lock, held to commit, so two workers never make two
clusters for one problem; the cluster rows it will update are locked in id order.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import User
from config.errors import DomainError
from config.live import live_send_on_commit
from config.stamps import Stamps
from config.tenancy import current_client
from mentions.models import ClusterStatus, Kind, Mention, ProblemCluster, Status
from mentions.selectors import cluster_members_for_user
from mentions.services import MAX_BULK, mentions_bulk
from mentions.triage.stopwords import ALL as ALL_STOPWORDS
from mentions.triage.stopwords import stopwords_for
from webhooks.models import EventType
from webhooks.outbox import webhook_events_emit

CLUSTER_KINDS = frozenset({Kind.COMPLAINT, Kind.QUESTION, Kind.CRISIS})
OPEN_CLUSTER_STATUSES = (ClusterStatus.OPEN, ClusterStatus.WAITING)
WINDOW = timedelta(hours=6)
THRESHOLD = 0.4
MIN_SHARED = 2
BANDS, ROWS = 24, 2
MAX_CLUSTER_KEYS = 400
MAX_CLUSTER_TERMS = 60
MAX_CANDIDATES = 5000
CLUSTER_UPDATED = "cluster.updated"

# --- text → terms ------------------------------------------------------------------------

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@\uff20]\w+|&\w+;")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W\d_]+)?", re.UNICODE)
# Filler words besides each language's stop words: common in complaints, about nothing.
_EXTRA_STOP = frozenset(
    """anyone anything something someone everything seem seems make want need time times
    day days guys because though work works working until first go goes both back another
    other schon noch mal immer wieder seit heute""".split()
)
_STOP = ALL_STOPWORDS | _EXTRA_STOP


def stop_words(*, languages: Iterable[str]) -> frozenset[str]:
    """What is left out of a case's terms for a client with these languages."""
    return stopwords_for(languages=languages) | _EXTRA_STOP


# Words that say "it does not work": folded into one term, so "can't log in" and "login
# fails" share it. It never counts as one of the shared content terms.
FAIL = "⚠fail"
_FAIL_WORDS = frozenset(
    """fail fails failed failing failure error errors broken broke doesn't doesnt don't dont
    can't cant cannot won't wont isn't isnt didn't didnt aren't arent not unable
    stopped stops stop crash crashes
    crashed crashing bug bugs buggy glitch glitches issue issues problem problems wrong
    down outage kaputt fehler geht nicht funktioniert störung absturz stürzt abgestürzt""".split()
)
_CANON = {
    "login": "log",
    "logon": "log",
    "logins": "log",
    "signin": "log",
    "logout": "logout",
    "pw": "password",
    "passwort": "password",
    "iphone": "ios",
    "ipad": "ios",
    "android": "android",
    "bezahlung": "payment",
    "zahlung": "payment",
}
_SURFACE = {FAIL: "not working", "log": "login"}


def _stem(word: str) -> str:
    word = _CANON.get(word, word)
    if len(word) <= 4:
        return word
    if word.endswith("ies") and len(word) > 5:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiousl":
                word = word[:-1]  # stopped → stop, logging → log
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # update/updated/updates → updat
    return _CANON.get(word, word)


def text_terms(text: str, *, stop: frozenset[str] = _STOP) -> dict[str, str]:
    """The normalised terms of a text in the order they first appear, each with the first
    word it came from (as written). Stop words (`stop`) and numbers are left out."""
    terms: dict[str, str] = {}
    for written in _WORD.findall(_NOISE.sub(" ", text[:2000])):
        raw = written.lower()
        word = raw.replace("\u2019", "'")
        if word in _FAIL_WORDS:
            terms.setdefault(FAIL, _SURFACE[FAIL])
            continue
        if word in stop or len(word) < 2 or word.isdigit():
            continue
        stem = _stem(word.replace("'", ""))
        if stem in _FAIL_WORDS:
            terms.setdefault(FAIL, _SURFACE[FAIL])
        elif stem not in stop:
            terms.setdefault(stem, _SURFACE.get(stem, written.replace("\u2019", "'")))
        if len(terms) >= 40:
            break
    return terms


@lru_cache(maxsize=50_000)
def _stored_terms(mention_id: int, text: str, stop: frozenset[str]) -> dict[str, str]:
    """Terms of a stored, still unclustered report: it is a candidate batch after batch."""
    return text_terms(text, stop=stop)


def similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """Jaccard of two term sets; 0 unless they share at least MIN_SHARED content terms."""
    if not isinstance(a, frozenset | set):
        a = set(a)
    if not isinstance(b, frozenset | set):
        b = set(b)
    shared = a & b
    if len(shared - {FAIL}) < MIN_SHARED:
        return 0.0
    return len(shared) / len(a | b)


# --- MinHash LSH ----------------------------------------------------------------------------

_P = (1 << 31) - 1
_PERMS = [
    ((zlib.crc32(f"a{n}".encode()) % (_P - 1)) + 1, zlib.crc32(f"b{n}".encode()) % _P)
    for n in range(BANDS * ROWS)
]
_MASK = (1 << 63) - 1


@lru_cache(maxsize=200_000)
def _term_minhashes(term: str) -> tuple[int, ...]:
    h = zlib.crc32(term.encode()) % _P
    return tuple((a * h + b) % _P for a, b in _PERMS)


def band_keys(terms: Iterable[str]) -> list[int]:
    """LSH band keys of the content terms: similar sets share a key with high probability."""
    rows_of_terms = [_term_minhashes(term) for term in terms if term != FAIL]
    if not rows_of_terms:
        return []
    signature = [min(column) for column in zip(*rows_of_terms, strict=True)]
    keys = []
    for band in range(BANDS):
        rows = signature[band * ROWS : (band + 1) * ROWS]
        key = band * 0x9E3779B97F4A7C15
        for value in rows:
            key = (key * 1_000_003 + value) & _MASK
        keys.append(key)
    return keys


# --- keys by time: what the unclustered-keys index holds --------------------------------

# Each stored report's keys are indexed mixed with its twelve-hour bucket (counted from the
# epoch; `public.mention_window_keys`, mentions migration 0027), so a lookup finds only the
# reports of the buckets it names, not every unclustered report since the first. A report's
# window (WINDOW either side) touches two buckets: each key is looked up twice.
BUCKET = 2 * WINDOW
_BUCKET_MIX = 2654435761
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_keys(keys: Iterable[int], published_at: datetime) -> list[int]:
    """`public.mention_window_keys(keys, published_at)`: the keys as the index holds them."""
    mix = ((published_at - _EPOCH) // BUCKET) * _BUCKET_MIX
    return [key ^ mix for key in keys]


def window_lookup_keys(keys: Iterable[int], published_at: datetime) -> set[int]:
    """The indexed keys of every report within WINDOW of `published_at` that shares one of
    `keys`: each key in each bucket the window touches."""
    first = (published_at - WINDOW - _EPOCH) // BUCKET
    last = (published_at + WINDOW - _EPOCH) // BUCKET
    keys = list(keys)
    return {key ^ (bucket * _BUCKET_MIX) for bucket in range(first, last + 1) for key in keys}


# --- planning and settling a batch ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClusterInput:
    external_id: str
    text: str
    kind: str
    published_at: datetime
    aspects: tuple[str, ...] = ()
    relevant: bool = True


@dataclass(eq=False)
class _Cluster:
    id: int | None
    aspect: str
    terms: dict[str, list[Any]]
    keys: list[int]
    first_seen: datetime
    last_seen: datetime
    size: int
    seed_ids: list[int] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    keys_changed: bool = False
    created: bool = False
    _core: frozenset[str] | None = None

    def core(self) -> frozenset[str]:
        """The terms most members share: what a new report is compared with."""
        if self._core is None:
            need = max(2, -(-3 * self.size // 10))
            core = frozenset(t for t, entry in self.terms.items() if entry[0] >= need)
            if not core:
                ranked = sorted(self.terms.items(), key=lambda kv: -kv[1][0])
                core = frozenset(t for t, _ in ranked[:5])
            self._core = core
        return self._core

    def add(self, terms: dict[str, str], keys: list[int], published_at: datetime) -> list[int]:
        """Count the report in; returns the keys the cluster newly found itself by."""
        for place, (term, surface) in enumerate(terms.items()):
            entry = self.terms.setdefault(term, [0, surface, 0])
            if len(entry) < 3:
                entry.append(0)  # stored before positions were kept
            entry[0] += 1
            entry[2] += place
        if len(self.terms) > MAX_CLUSTER_TERMS:
            ranked = sorted(self.terms.items(), key=lambda kv: -kv[1][0])
            self.terms = dict(ranked[:MAX_CLUSTER_TERMS])
        added: list[int] = []
        room = MAX_CLUSTER_KEYS - len(self.keys)
        if room > 0:
            known = set(self.keys)
            added = [k for k in dict.fromkeys(keys) if k not in known][:room]
            self.keys.extend(added)
            self.keys_changed = self.keys_changed or bool(added)
        self.first_seen = min(self.first_seen, published_at)
        self.last_seen = max(self.last_seen, published_at)
        self.size += 1
        self._core = None
        return added

    def title(self, *, stop: frozenset[str] = _STOP) -> str:
        return cluster_title(self.terms, stop=stop)


def cluster_title(terms: dict[str, list[Any]], *, stop: frozenset[str] = _STOP) -> str:
    """The three content terms most members use, as people wrote them, in the order they
    usually come in the text ("Anschluss · Uelzen · verpasst"); the failure term last.

    Each entry is [count, surface, sum of positions]: a term's position is its place among
    the content terms of a report, so the average puts the title's words in reading order.
    Stop words (of the client's languages) never make a title, even in stored terms."""

    def place(term: str) -> float:
        entry = terms[term]
        return float(entry[2]) / max(1, int(entry[0])) if len(entry) > 2 else 0.0

    usable = [t for t in terms if t == FAIL or str(terms[t][1]).lower() not in stop]
    ranked = sorted(usable, key=lambda t: (-int(terms[t][0]), t == FAIL, place(t)))
    top = ranked[:3]
    top.sort(key=lambda t: (t == FAIL, place(t)))
    return " · ".join(str(terms[t][1]) for t in top)[:200] or "same problem"


@dataclass(eq=False)
class _Candidate:
    """An earlier unclustered report (stored, or earlier in this batch)."""

    terms: frozenset[str]
    surfaces: dict[str, str]
    keys: list[int]
    published_at: datetime
    aspects: frozenset[str]
    mention_id: int | None = None
    cluster: _Cluster | None = None


@dataclass
class ClusterPlan:
    """Which cluster each new mention joins; `settle` writes it after the insert."""

    source_id: int
    # The client's stop words (its languages'): left out of terms and titles.
    stop: frozenset[str] = _STOP
    sizes: dict[str, int] = field(default_factory=dict)
    member_of: dict[str, _Cluster] = field(default_factory=dict)
    keys: dict[str, list[int]] = field(default_factory=dict)
    clusters: list[_Cluster] = field(default_factory=list)
    # Reports of this batch that stayed single when they were planned.
    pending: dict[str, _Candidate] = field(default_factory=dict)

    def size(self, external_id: str) -> int:
        """Reports of the same problem so far, this one included (1 when unclustered)."""
        return self.sizes.get(external_id, 1)

    def columns(self, external_id: str) -> tuple[int | None, str | None]:
        """The new mention's `cluster_id` and `cluster_keys` (an array literal) to insert."""
        cluster = self.member_of.get(external_id)
        keys = self.keys.get(external_id)
        return (
            cluster.id if cluster is not None else None,
            _int_array(keys) if keys is not None else None,
        )

    def settle(
        self, *, mention_ids: Sequence[int], stamps: Stamps | None = None
    ) -> list[ProblemCluster]:
        """Write the clusters and attach the stored mentions (call in the same transaction,
        after the insert; `mention_ids` are the rows actually inserted; `stamps`: the
        configuration stamps the batch read, for its `case.updated` webhooks)."""
        return _settle(self, mention_ids=mention_ids, stamps=stamps)


def _int_array(values: Iterable[int]) -> str:
    """A PostgreSQL array literal: much cheaper to send than a list of Python ints."""
    return "{" + ",".join(map(str, values)) + "}"


# Earlier unclustered reports sharing a key with the batch, newest first (parameters: the
# keys in their time buckets, `window_lookup_keys`; window start and end, source id, the
# batch's external ids, limit).
# The key match is the inner query, fenced (OFFSET 0) so the window is a filter on its rows:
# the planner prices `&&` with a batch's thousands of keys as cheap per row, and otherwise
# reads the whole window (or the table newest first) comparing every row with all the keys,
# 1 s for 50 reports and 8 s for 500 at 60,000 mentions in the window. Run it with
# sequential scans off (`clusters_plan`): the GIN index is then its only path.
CANDIDATES_SQL = (
    "SELECT id, text, published_at, cluster_keys, aspects FROM ("
    "SELECT id, text, published_at, cluster_keys, aspects, source_id, external_id "
    "FROM mentions_mention WHERE public.mention_window_keys(cluster_keys, published_at) "
    "&& %s::bigint[] AND cluster_keys IS NOT NULL "
    "AND cluster_id IS NULL OFFSET 0) AS keyed "
    "WHERE published_at BETWEEN %s AND %s "
    "AND NOT (source_id = %s AND external_id = ANY(%s)) "
    "ORDER BY id DESC LIMIT %s"
)


# The candidate lookup runs with sequential scans off (the GIN index is then its only
# path), and without JIT compilation and parallel workers: the planner expects thousands of
# rows from thousands of keys, and compiled the query (80 ms) and started two workers for a
# lookup that finds a handful. One statement sets them for the transaction, one resets them.
_LOOKUP_SETTINGS = (
    "SELECT set_config(name, value, true) FROM (VALUES ('enable_seqscan', 'off'), "
    "('jit', 'off'), ('max_parallel_workers_per_gather', '0')) AS s(name, value)"
)
_LOOKUP_SETTINGS_RESET = (
    "SELECT set_config(name, reset_val, true) FROM pg_settings "
    "WHERE name IN ('enable_seqscan', 'jit', 'max_parallel_workers_per_gather')"
)


def _lock_key() -> int:
    return zlib.crc32(f"lotse.clusters:{current_client().schema_name}".encode())


_Prepared = tuple[ClusterInput, dict[str, str], frozenset[str], list[int]]


def _plan_prepare(
    *, source_id: int, items: Sequence[ClusterInput]
) -> tuple[ClusterPlan, list[_Prepared]]:
    """A plan with the band keys of the reports that can be clustered (no clusters yet),
    and those reports with their terms and aspects."""
    plan = ClusterPlan(
        source_id=source_id, stop=stop_words(languages=current_client().languages or ())
    )
    prepared: list[_Prepared] = []
    for item in items:
        if item.kind not in CLUSTER_KINDS or not item.relevant:
            continue
        terms = text_terms(item.text, stop=plan.stop)
        if len(terms.keys() - {FAIL}) < MIN_SHARED:
            continue  # too little said to be matched with anything
        item_aspects = frozenset(a.lower()[:60] for a in item.aspects)
        keys = band_keys(terms)
        if not keys:
            continue
        plan.keys[item.external_id] = keys
        prepared.append((item, terms, item_aspects, keys))
    return plan, prepared


def clusters_keys(*, source_id: int, items: Sequence[ClusterInput]) -> ClusterPlan:
    """A plan that only gives each report its band keys (`ClusterPlan.columns`), for a
    batch stored before its clusters are settled: no lock, no query. The reports are
    inserted unclustered, with their keys, and `clusters_join_stored` settles them after
    the commit that announced them. Never `settle` this plan."""
    return _plan_prepare(source_id=source_id, items=items)[0]


# The stored reports of a batch that still wait to be clustered (parameter: their ids).
_STORED_UNCLUSTERED_SQL = (
    "SELECT id, external_id, text, kind, published_at, aspects, relevant "
    "FROM mentions_mention WHERE id = ANY(%s) AND cluster_id IS NULL "
    "AND cluster_keys IS NOT NULL ORDER BY id"
)


def clusters_join_stored(
    *, source_id: int, mention_ids: Sequence[int], stamps: Stamps | None = None
) -> list[ProblemCluster]:
    """Cluster reports that were stored (and announced) unclustered with their band keys
    (`clusters_keys`): plan them as a new batch would be, write their cluster ids, settle the
    clusters and push `cluster.updated` (with the ids that joined) after commit.

    Idempotent, and safe against racing workers: under the client's clustering lock it
    reads only those reports still unclustered, so a report another batch has meanwhile
    taken into a cluster (as the earlier report it paired with) is neither moved nor
    counted twice. Must run inside a transaction in the client's schema; returns the
    clusters that changed."""
    if not mention_ids:
        return []
    with connection.cursor() as cursor:
        # The clustering lock before the read: what is unclustered stays so until commit.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key()])
        cursor.execute(_STORED_UNCLUSTERED_SQL, [list(mention_ids)])
        rows = cursor.fetchall()
    if not rows:
        return []
    plan = clusters_plan(
        source_id=source_id,
        locked=True,
        items=[
            ClusterInput(
                external_id=external_id,
                text=text,
                kind=kind,
                published_at=published_at,
                aspects=tuple(aspects or ()),
                relevant=relevant,
            )
            for _, external_id, text, kind, published_at, aspects, relevant in rows
        ],
    )
    stored = {external_id: mention_id for mention_id, external_id, *_ in rows}
    joined = [
        (stored[external_id], cluster.id)
        for external_id, cluster in plan.member_of.items()
        if cluster.id is not None
    ]
    if joined:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE mentions_mention AS m SET cluster_id = t.cluster_id "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS t(id, cluster_id) "
                "WHERE m.id = t.id AND m.cluster_id IS NULL",
                [[pk for pk, _ in joined], [cluster_id for _, cluster_id in joined]],
            )
    return plan.settle(mention_ids=sorted(stored.values()), stamps=stamps)


def clusters_plan(
    *, source_id: int, items: Sequence[ClusterInput], locked: bool = False
) -> ClusterPlan:
    """Decide, for a batch about to be stored, which problem cluster each mention joins.

    Must run inside the storing transaction, in the client's schema (`locked`: the caller
    already holds the client's clustering lock).
    """
    plan, prepared = _plan_prepare(source_id=source_id, items=items)
    if not prepared:
        return plan

    all_keys = sorted({key for *_, keys in prepared for key in keys})
    low = min(item.published_at for item, *_ in prepared) - WINDOW
    high = max(item.published_at for item, *_ in prepared) + WINDOW
    if not locked:
        with connection.cursor() as cursor:
            # One clustering step at a time per client, to commit: a second worker sees the
            # first one's reports and joins them instead of starting a rival cluster.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key()])
    by_key: dict[int, list[_Cluster | _Candidate]] = {}
    keys_param = _int_array(all_keys)
    with connection.cursor() as cursor:
        # The open clusters these reports may join, locked in id order (no deadlocks).
        cursor.execute(
            "SELECT id, aspect, terms, keys, first_seen, last_seen, member_count "
            "FROM mentions_problemcluster WHERE status IN ('open', 'waiting') "
            "AND keys && %s::bigint[] AND last_seen >= %s AND first_seen <= %s "
            "ORDER BY id FOR UPDATE",
            [keys_param, low, high],
        )
        for cluster_id, aspect, stored, keys, first_seen, last_seen, size in cursor.fetchall():
            known = _Cluster(
                id=cluster_id,
                aspect=aspect,
                terms=stored if isinstance(stored, dict) else json.loads(stored),
                keys=list(keys),
                first_seen=first_seen,
                last_seen=last_seen,
                size=size,
            )
            for key in known.keys:
                by_key.setdefault(key, []).append(known)
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SETTINGS)
        lookup: set[int] = set()
        for item, *_, keys in prepared:
            lookup |= window_lookup_keys(keys, item.published_at)
        cursor.execute(
            CANDIDATES_SQL,
            [
                _int_array(sorted(lookup)),
                low,
                high,
                source_id,
                [item.external_id for item, *_ in prepared],
                MAX_CANDIDATES,
            ],
        )
        rows = cursor.fetchall()
        cursor.execute(_LOOKUP_SETTINGS_RESET)
        for mention_id, text, published_at, keys, aspects in rows:
            surfaces = _stored_terms(mention_id, text, plan.stop)
            candidate = _Candidate(
                terms=frozenset(surfaces),
                surfaces=surfaces,
                keys=keys,
                published_at=published_at,
                aspects=frozenset(aspects or ()),
                mention_id=mention_id,
            )
            for key in keys:
                by_key.setdefault(key, []).append(candidate)

    for item, terms, item_aspects, keys in sorted(prepared, key=lambda p: p[0].published_at):
        match = _best_match(
            terms, keys, by_key, published_at=item.published_at, aspects=item_aspects
        )
        cluster = match if isinstance(match, _Cluster) else None
        if isinstance(match, _Candidate):
            first = match
            shared = sorted(item_aspects & first.aspects) or sorted(item_aspects | first.aspects)
            cluster = _Cluster(
                id=None,
                aspect=shared[0] if shared else "",
                terms={},
                keys=[],
                first_seen=first.published_at,
                last_seen=first.published_at,
                size=0,
            )
            for key in cluster.add(first.surfaces, first.keys, first.published_at):
                by_key.setdefault(key, []).append(cluster)
            first.cluster = cluster
            if first.mention_id is not None:
                cluster.seed_ids.append(first.mention_id)
            plan.clusters.append(cluster)
        if cluster is None:
            candidate = _Candidate(
                terms=frozenset(terms),
                surfaces=terms,
                keys=keys,
                published_at=item.published_at,
                aspects=item_aspects,
            )
            for key in keys:
                by_key.setdefault(key, []).append(candidate)
            plan.pending[item.external_id] = candidate
            continue
        if cluster not in plan.clusters:
            plan.clusters.append(cluster)
        for key in cluster.add(terms, keys, item.published_at):
            by_key.setdefault(key, []).append(cluster)
        cluster.joined.append(item.external_id)
        plan.member_of[item.external_id] = cluster
        plan.sizes[item.external_id] = cluster.size
    # Earlier items of this batch that a later one paired with belong to its cluster too.
    # Its routing was decided alone (size 1), but it is the cluster's first report.
    for external_id, candidate in plan.pending.items():
        if candidate.cluster is not None:
            plan.member_of[external_id] = candidate.cluster
            candidate.cluster.joined.append(external_id)
    # New clusters get their rows now, so the mentions are inserted with their cluster id
    # (counted in `settle`, once it is known which mentions were really stored).
    new = [cluster for cluster in plan.clusters if cluster.id is None]
    if new:
        now = timezone.now()
        rows = ProblemCluster.objects.bulk_create(
            [
                ProblemCluster(
                    aspect=cluster.aspect,
                    title=cluster.title(stop=plan.stop),
                    terms=cluster.terms,
                    keys=cluster.keys,
                    first_seen=cluster.first_seen,
                    last_seen=cluster.last_seen,
                    member_count=0,
                    created_at=now,
                    updated_at=now,
                )
                for cluster in new
            ]
        )
        for cluster, row in zip(new, rows, strict=True):
            cluster.id = row.pk
            cluster.created = True
    return plan


def _best_match(
    terms: dict[str, str],
    keys: list[int],
    by_key: dict[int, list[_Cluster | _Candidate]],
    *,
    published_at: datetime,
    aspects: frozenset[str],
) -> _Cluster | _Candidate | None:
    """The cluster this report joins (best similarity; a member's cluster counts as that
    cluster), else the earlier unclustered report it pairs with, else None. Where both
    sides have aspects, they must share one."""
    mine = frozenset(terms)
    seen: set[int] = set()
    best_cluster: _Cluster | None = None
    best_cluster_score = 0.0
    best_single: _Candidate | None = None
    best_single_score = 0.0
    for key in keys:
        for other in by_key.get(key, ()):
            if id(other) in seen:
                continue
            seen.add(id(other))
            if isinstance(other, _Cluster):
                if aspects and other.aspect and other.aspect not in aspects:
                    continue
                if (
                    published_at - other.last_seen > WINDOW
                    or other.first_seen - published_at > WINDOW
                ):
                    continue
                score = similarity(mine, other.core())
                if score >= THRESHOLD and score > best_cluster_score:
                    best_cluster, best_cluster_score = other, score
                continue
            if abs(published_at - other.published_at) > WINDOW:
                continue
            if aspects and other.aspects and not aspects & other.aspects:
                continue
            score = similarity(mine, other.terms)
            if score < THRESHOLD:
                continue
            if other.cluster is not None:
                if score > best_cluster_score:
                    best_cluster, best_cluster_score = other.cluster, score
            elif score > best_single_score:
                best_single, best_single_score = other, score
    return best_cluster or best_single


_COUNT = """
WITH m AS (
    SELECT id, cluster_id, published_at, department_id, copied_to FROM mentions_mention
    WHERE id = ANY(%s) AND cluster_id IS NOT NULL
), n AS (
    SELECT cluster_id, count(*) AS added, min(published_at) AS first_seen,
           max(published_at) AS last_seen,
           (array_agg(department_id ORDER BY id DESC)
                FILTER (WHERE department_id IS NOT NULL))[1] AS department_id
    FROM m GROUP BY cluster_id
), d AS (
    SELECT cluster_id, array_agg(DISTINCT x) AS ids
    FROM m, unnest(m.copied_to || m.department_id) AS x WHERE x IS NOT NULL
    GROUP BY cluster_id
)
UPDATE mentions_problemcluster AS c
SET member_count = c.member_count + n.added,
    first_seen = LEAST(c.first_seen, n.first_seen),
    last_seen = GREATEST(c.last_seen, n.last_seen),
    department_id = COALESCE(n.department_id, c.department_id),
    department_ids = ARRAY(
        SELECT DISTINCT i FROM unnest(c.department_ids || COALESCE(d.ids, '{}')) AS i ORDER BY i
    ),
    updated_at = %s
FROM n LEFT JOIN d ON d.cluster_id = n.cluster_id
WHERE c.id = n.cluster_id
"""


def _settle(
    plan: ClusterPlan, *, mention_ids: Sequence[int], stamps: Stamps | None
) -> list[ProblemCluster]:
    if not plan.keys:
        return []
    now = timezone.now()
    new = [cluster for cluster in plan.clusters if cluster.created]
    existing = [cluster for cluster in plan.clusters if cluster not in new]
    if existing:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE mentions_problemcluster AS c SET terms = t.terms::jsonb, "
                "title = t.title, keys = COALESCE(t.keys::bigint[], c.keys) "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) "
                "AS t(id, terms, title, keys) WHERE c.id = t.id",
                [
                    [c.id for c in existing],
                    [json.dumps(c.terms, ensure_ascii=False) for c in existing],
                    [c.title(stop=plan.stop) for c in existing],
                    [_int_array(c.keys) if c.keys_changed else None for c in existing],
                ],
            )
    seed_ids = sorted({i for cluster in plan.clusters for i in cluster.seed_ids})
    touched = [cluster.id for cluster in plan.clusters]
    with connection.cursor() as cursor:
        if seed_ids:
            cursor.execute(
                "UPDATE mentions_mention AS m SET cluster_id = t.cluster_id "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS t(id, cluster_id) "
                "WHERE m.id = t.id AND m.cluster_id IS NULL",
                [
                    [i for c in plan.clusters for i in c.seed_ids],
                    [c.id for c in plan.clusters for _ in c.seed_ids],
                ],
            )
        if touched:
            cursor.execute(_COUNT, [[*mention_ids, *seed_ids], now])
    if not touched:
        return []
    # A new cluster whose second report turned out to be a duplicate is no cluster.
    lonely = []
    if new:
        lonely = list(
            ProblemCluster.objects.filter(
                pk__in=[c.id for c in new], member_count__lt=2
            ).values_list("pk", flat=True)
        )
    if lonely:
        Mention.objects.filter(cluster_id__in=lonely).update(cluster=None)
        ProblemCluster.objects.filter(pk__in=lonely).delete()
    clusters = list(
        ProblemCluster.objects.filter(pk__in=touched).select_related("department").order_by("id")
    )
    joined: dict[int, list[int]] = {}
    for mention_id, cluster_id in Mention.objects.filter(
        pk__in=[*mention_ids, *seed_ids], cluster_id__in=touched
    ).values_list("pk", "cluster_id"):
        joined.setdefault(cluster_id, []).append(mention_id)
    clusters_broadcast(clusters=clusters, joined=joined, stamps=stamps)
    return clusters


# --- live ------------------------------------------------------------------------------------


def cluster_payload(cluster: ProblemCluster) -> dict[str, Any]:
    department = cluster.department
    return {
        "id": cluster.pk,
        "title": cluster.title,
        "aspect": cluster.aspect,
        "count": cluster.member_count,
        "first_seen": cluster.first_seen,
        "last_seen": cluster.last_seen,
        "status": cluster.status,
        "department": (
            None
            if department is None
            else {"id": department.pk, "slug": department.slug, "name": department.name}
        ),
    }


def cluster_departments(cluster: ProblemCluster) -> set[int]:
    """Where the cluster's members were routed or copied: the staff who see some member."""
    return set(cluster.department_ids)


def clusters_broadcast(
    *,
    clusters: Sequence[ProblemCluster],
    joined: dict[int, list[int]] | None = None,
    stamps: Stamps | None = None,
) -> None:
    """Push each cluster's count and state (and which mentions just joined it, so inboxes
    fold their rows into the case) to the people who see its members, after commit."""
    events = []
    departments = []
    for cluster in clusters:
        payload = cluster_payload(cluster)
        payload["joined_ids"] = sorted((joined or {}).get(cluster.pk, []))
        events.append({"type": CLUSTER_UPDATED, "cluster": payload})
        departments.append(cluster_departments(cluster))
    live_send_on_commit(client_id=current_client().pk, events=events, departments=departments)
    # Integrators know a problem cluster as a case.
    webhook_events_emit(
        event_type=EventType.CASE_UPDATED,
        items=[{"case": cluster_payload(cluster)} for cluster in clusters],
        stamps=stamps,
    )


# --- care actions on a whole cluster ----------------------------------------------------------

CLUSTER_ACTIONS = {
    "assign_me": "Assigned to you",
    "waiting": "Marked waiting on a fix",
    "resolved": "Resolved",
    "new": "Reopened",
}
_CLUSTER_STATUS_AFTER = {
    "waiting": ClusterStatus.WAITING,
    "resolved": ClusterStatus.RESOLVED,
    "new": ClusterStatus.OPEN,
}
# Which members an action changes (the others already are in that state, or are closed).
_CLOSED = (Status.RESOLVED, Status.IGNORED)


def cluster_member_ids(cluster: ProblemCluster) -> list[int]:
    """All member mention ids of a cluster, oldest first.

    For the responses composer (answering every member with one reply): the composer must
    still check, per member, that the replying user may see it (`mentions.selectors`).
    """
    return list(cluster.members.order_by("id").values_list("pk", flat=True))


@transaction.atomic
def cluster_act(*, cluster: ProblemCluster, action: str, by: User) -> int:
    """Apply one care action to every member of the cluster the user may see, through
    `mentions_bulk` (each member's change audited and pushed like a single one), record
    the action on the cluster, and push the cluster's new state. Returns members changed."""

    if action not in CLUSTER_ACTIONS:
        raise DomainError(f"Unknown action {action!r}", fields={"action": list(CLUSTER_ACTIONS)})
    cluster = ProblemCluster.objects.select_for_update().get(pk=cluster.pk)
    members = cluster_members_for_user(user=by, cluster=cluster)
    if action == "assign_me":
        members = members.exclude(status__in=_CLOSED).exclude(assignee_id=by.pk)
    elif action == "waiting":
        members = members.exclude(status__in=(*_CLOSED, Status.WAITING))
    elif action == "resolved":
        members = members.exclude(status=Status.RESOLVED)
    else:
        members = members.filter(status__in=(Status.RESOLVED, Status.WAITING))
    ids = list(members.order_by("id").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), MAX_BULK):
        changed += mentions_bulk(
            mention_ids=ids[start : start + MAX_BULK], action=action, by=by
        ).changed
    before = {"status": cluster.status}
    now = timezone.now()
    status = _CLUSTER_STATUS_AFTER.get(action)
    if status is not None and not _sees_every_member(cluster, by=by):
        # Staff who see only some reports change those; the case itself (and other
        # departments' reports in it) stays as it is.
        status = None
    if status is not None:
        cluster.status = status
        cluster.resolved_at = now if status == ClusterStatus.RESOLVED else None
    cluster.updated_at = now
    cluster.save(update_fields=["status", "resolved_at", "updated_at"])
    audit_record(
        actor=by,
        action=f"cluster.{action}",
        target_type="cluster",
        target_id=cluster.pk,
        summary=(
            f"{CLUSTER_ACTIONS[action]}: problem cluster {cluster.pk} "
            f"({cluster.member_count} reports: {cluster.title}), {changed} mentions changed"
        ),
        before=before,
        after={"status": cluster.status, "mentions_changed": changed},
    )
    clusters_broadcast(clusters=[cluster])
    return changed


def _sees_every_member(cluster: ProblemCluster, *, by: User) -> bool:

    return cluster_members_for_user(user=by, cluster=cluster).count() == cluster.members.count()
