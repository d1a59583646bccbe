"""Problem clustering in the ingest path: mentions per second, and what the clusters look like.

Stores mentions in batches through `mentions_store` (triage, clustering, routing, insert) in
one transaction that is rolled back at the end (nothing is kept, nothing is pushed), and
times the clustering step on its own (`clusters_plan` + `ClusterPlan.settle`).

    LOTSE_DB_NAME=lotse_bench .venv/bin/python bench/clusters.py            # synthetic
    LOTSE_DB_NAME=lotse_bench .venv/bin/python bench/clusters.py \\
        --csv ../shared/data/customer-support-on-twitter/spotifycares_support_requests_derived.csv

The database must be migrated (`manage.py migrate_schemas`); the client `--client` is
created when missing. With `--csv` (columns `text`, `created_at` as Twitter writes it) the
mentions are replayed in time order and the largest clusters are printed for a look.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from django.db import transaction
from django_tenants.utils import tenant_context

import mentions.clusters as cluster_module
import mentions.pipeline as store_module
from accounts.models import Client
from mentions.clusters import ClusterPlan
from mentions.models import Kind, Mention, ProblemCluster
from mentions.pipeline import mentions_store
from sources.services import source_create
from sources.services.onboarding import client_create

PROBLEMS = [
    "app login fails",
    "can't log into the app",
    "payment with credit card failed",
    "card payment does not go through",
    "train delayed again",
    "wifi on the train is broken",
    "refund still not arrived",
    "my refund never came",
    "app crashes on startup",
    "the app keeps crashing when I open it",
]
FILLER = "today again since morning really please help why annoying terrible error".split()


def synthetic(count: int, rng: random.Random) -> list[tuple[str, datetime]]:
    start = datetime(2026, 11, 23, 8, tzinfo=UTC)
    rows = []
    for n in range(count):
        if rng.random() < 0.6:
            text = rng.choice(PROBLEMS) + " " + " ".join(rng.sample(FILLER, 3))
        else:
            text = " ".join(rng.sample(FILLER + PROBLEMS[0].split(), 6)) + f" no. {n}"
        rows.append((text, start + timedelta(seconds=n * 2)))
    return rows


def from_csv(path: str, limit: int) -> list[tuple[str, datetime]]:
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row.get("created_at") or not row.get("text"):
                continue
            published = datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y")
            rows.append((row["text"], published))
    rows.sort(key=lambda r: r[1])
    return rows[:limit] if limit else rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", default="bench-clusters")
    parser.add_argument("--csv", default="")
    parser.add_argument("--count", type=int, default=10_000, help="synthetic mentions")
    parser.add_argument("--limit", type=int, default=0, help="at most this many CSV rows")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--top", type=int, default=25, help="clusters to print")
    parser.add_argument("--off", action="store_true", help="cluster nothing (the store's baseline)")
    args = parser.parse_args()
    if args.off:
        cluster_module.CLUSTER_KINDS = frozenset()

    client = Client.objects.filter(slug=args.client).first() or client_create(
        slug=args.client, name="Bench clusters"
    )
    rows = from_csv(args.csv, args.limit) if args.csv else synthetic(args.count, random.Random(7))

    spent = {"plan": 0.0, "settle": 0.0}
    plan_original = store_module.clusters_plan
    settle_original = ClusterPlan.settle

    def timed_plan(**kwargs: Any) -> ClusterPlan:
        started = time.perf_counter()
        try:
            return plan_original(**kwargs)
        finally:
            spent["plan"] += time.perf_counter() - started

    def timed_settle(self: ClusterPlan, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return settle_original(self, **kwargs)
        finally:
            spent["settle"] += time.perf_counter() - started

    store_module.clusters_plan = timed_plan
    ClusterPlan.settle = timed_settle  # type: ignore[method-assign]

    with tenant_context(client), transaction.atomic():
        source = source_create(kind="import", name=f"Bench clusters {time.time_ns()}")
        started = time.perf_counter()
        for start in range(0, len(rows), args.batch):
            items = [
                {
                    "external_id": f"b{start + n}",
                    "text": text,
                    "published_at": published.isoformat(),
                    "author": {"handle": f"user{(start + n) % 997}"},
                }
                for n, (text, published) in enumerate(rows[start : start + args.batch])
            ]
            mentions_store(source=source, items=items)
        total = time.perf_counter() - started
        mentions = Mention.objects.filter(source=source)
        kinds = Counter(mentions.values_list("kind", flat=True))
        clusterable = sum(kinds[k] for k in (Kind.COMPLAINT, Kind.QUESTION, Kind.CRISIS))
        clustered = mentions.filter(cluster__isnull=False).count()
        clusters = list(ProblemCluster.objects.order_by("-member_count")[: args.top])
        cluster_count = ProblemCluster.objects.count()
        transaction.set_rollback(True)

    clustering = spent["plan"] + spent["settle"] or 1e-9
    print(f"mentions: {len(rows)} in batches of {args.batch}; kinds {dict(kinds)}")
    print(f"clustered: {clustered} of {clusterable} complaints/questions/crisis reports")
    print(f"clusters: {cluster_count}")
    step = (
        "off"
        if args.off
        else f"{len(rows) / clustering:,.0f} mentions/s "
        f"(plan {spent['plan']:.2f}s, settle {spent['settle']:.2f}s)"
    )
    print(f"clustering step: {step}; whole store: {len(rows) / total:,.0f} mentions/s")
    for cluster in clusters:
        span = f"{cluster.first_seen:%d %b %H:%M} to {cluster.last_seen:%H:%M}"
        print(f"  {cluster.member_count:4d}  {span}  {cluster.title}")


if __name__ == "__main__":
    main()
