"""The problem-cluster candidate lookup on a large table: its time and plan, before and
after ANALYZE.

Seeds one client's mentions with SQL (fast): `--total` mentions over three days, the last
`--window` of them in the last six hours; about a third are unclustered reports with band
keys (a few popular problems, many one-off texts), a few are clustered, the rest have no
keys. Then runs `mentions.clusters.CANDIDATES_SQL`, the query `clusters_plan` runs for each
stored batch, for batches of 1, 50 and 500 reports (24 keys each), first with the table's
statistics forgotten (as after a bulk load with autovacuum off), then after ANALYZE, and
prints the median time of `--rounds` runs with the plan's nodes.

    LOTSE_DB_NAME=lotse_bench .venv/bin/python bench/cluster_lookup.py

The database must be migrated (`manage.py migrate_schemas`); the client `--client` is
created when missing and its mentions are replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Client
from mentions.clusters import (
    _LOOKUP_SETTINGS,
    BANDS,
    CANDIDATES_SQL,
    MAX_CANDIDATES,
    WINDOW,
    _int_array,
    window_lookup_keys,
)
from sources.services import source_create
from sources.services.onboarding import client_create

# A fifth of the reports are about one of PROBLEMS popular problems (each shares about half
# of its band keys with the others about it); the rest have keys of their own.
PROBLEMS = 200
POOL = 1 << 39

SEED_SQL = """
INSERT INTO mentions_mention (
    source_id, external_id, url, text, published_at, received_at, in_reply_to, raw,
    language, sentiment, sentiment_score, kind, routing_reason, priority, status,
    updated_at, author_id, canonical_url, aspects, copied_to, country, requires_approval, sla_state,
    relevance_score, relevant, matched_queries, cluster_id, cluster_keys)
SELECT %(source)s, 'seed' || n, '', 'seeded report ' || n, published, published, '', '{}',
    'en', 'negative', -0.5, 'complaint', '', 1, 'new', published, %(author)s, '', '{}',
    '{}', '', false, 'ok', 1.0, true, '{}',
    CASE WHEN n %% 30 = 0 THEN %(cluster)s END,
    CASE WHEN n %% 3 <> 1 THEN NULL ELSE ARRAY(
        SELECT (band::bigint << 40) + CASE WHEN n %% 15 = 1 AND random() < 0.5
            THEN (n / 15) %% %(problems)s ELSE %(problems)s + floor(random() * %(pool)s)::bigint
            END
        FROM generate_series(0, %(bands)s - 1) AS band WHERE n > 0) END
FROM (
    SELECT n, CASE WHEN n <= %(window)s
        THEN %(now)s - (n * %(window_seconds)s / %(window)s) * interval '1 second'
        ELSE %(now)s - interval '6 hours'
             - ((n - %(window)s) * 66 * 3600.0 / %(older)s) * interval '1 second'
        END AS published
    FROM generate_series(1, %(total)s) AS n
) AS numbered
"""


def _seed(*, total: int, window: int) -> int:
    """Replace the client's mentions; return the seeding source's id."""
    source = source_create(kind="import", name=f"Bench lookup {time.time_ns()}")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE mentions_mention CASCADE")
        cursor.execute(
            "INSERT INTO mentions_problemcluster (aspect, title, terms, keys, status, "
            "first_seen, last_seen, member_count, department_ids, created_at, updated_at) "
            "VALUES ('', 'seeded', '{}', '{}', 'resolved', now(), now(), 0, '{}', now(), "
            "now()) RETURNING id"
        )
        cluster_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO mentions_author (network, handle, name, followers, mention_count, "
            "first_seen_at, last_seen_at, engaged_mentions, influence, likes_total, "
            "recent_mentions, replies_total, reposts_total, segment) VALUES ('web', "
            "'bench' || clock_timestamp(), '', 0, 0, now(), now(), 0, 0, 0, 0, 0, 0, '') "
            "RETURNING id"
        )
        author_id = cursor.fetchone()[0]
        cursor.execute(
            SEED_SQL,
            {
                "source": source.pk,
                "cluster": cluster_id,
                "author": author_id,
                "pool": POOL,
                "problems": PROBLEMS,
                "bands": BANDS,
                "now": timezone.now(),
                "window": window,
                "window_seconds": WINDOW.total_seconds(),
                "older": max(total - window, 1),
                "total": total,
            },
        )
    return source.pk


def _forget_statistics() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM pg_statistic WHERE starelid = 'mentions_mention'::regclass")


def _batch_keys(size: int, rng: random.Random) -> list[int]:
    """Keys of `size` new reports, the first of every five about a popular problem."""
    keys = set()
    for n in range(size):
        problem = rng.randrange(PROBLEMS)
        for band in range(BANDS):
            if n % 5 == 0 and rng.random() < 0.5:
                keys.add((band << 40) + problem)
            else:
                keys.add((band << 40) + PROBLEMS + rng.randrange(POOL))
    return sorted(keys)


def _nodes(plan: dict[str, Any]) -> list[str]:
    name = plan["Node Type"]
    if plan.get("Index Name"):
        name += f" {plan['Index Name']}"
    return [name] + [node for child in plan.get("Plans", ()) for node in _nodes(child)]


def _measure(*, source_id: int, size: int, rounds: int) -> tuple[float, int, str]:
    rng = random.Random(size)
    now = timezone.now()
    params: list[Any] = [
        _int_array(sorted(window_lookup_keys(_batch_keys(size, rng), now))),
        now - WINDOW,
        now + WINDOW,
        source_id,
        [f"new{n}" for n in range(size)],
        MAX_CANDIDATES,
    ]
    times = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SETTINGS)  # as clusters_plan runs it
        for _ in range(rounds):
            started = time.perf_counter()
            cursor.execute(CANDIDATES_SQL, params)
            found = len(cursor.fetchall())
            times.append(time.perf_counter() - started)
        cursor.execute("EXPLAIN (FORMAT JSON) " + CANDIDATES_SQL, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return statistics.median(times) * 1000, found, " > ".join(_nodes(plan[0]["Plan"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", default="bench-lookup")
    parser.add_argument("--total", type=int, default=300_000)
    parser.add_argument("--window", type=int, default=60_000, help="mentions in the last 6 h")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    client = Client.objects.filter(slug=args.client).first() or client_create(
        slug=args.client, name="Bench lookup"
    )
    with tenant_context(client):
        started = time.perf_counter()
        source_id = _seed(total=args.total, window=args.window)
        print(
            f"seeded {args.total:,} mentions ({args.window:,} in the last 6 h) "
            f"in {time.perf_counter() - started:.1f}s"
        )
        for label in ("before ANALYZE", "after ANALYZE"):
            if label.startswith("before"):
                _forget_statistics()
            else:
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE mentions_mention")
            for size in (1, 50, 500):
                ms, found, nodes = _measure(source_id=source_id, size=size, rounds=args.rounds)
                print(f"{label:15} batch {size:3}: {ms:8.1f} ms, {found:5} found  {nodes}")
    print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
