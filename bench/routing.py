"""Routing throughput with a 200-rule matrix, and ingest → routed, assigned mention latency.

`.venv/bin/python bench/routing.py` measures decisions per second on one core (no database
needed for that part). With `make run` going, `--live` also pushes mentions that a rule
assigns to a person and times POST → the websocket event showing them assigned.
Target: over 20,000 decisions per second on one core.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from mentions.triage import triage_texts
from routing.engine import Matrix, RoutingInput, RuleSpec
from sources.demo_content import demo_mention

KINDS = ["complaint", "question", "praise", "idea", "crisis", "news", "job", "spam", "other"]
WORDS = (
    "app login passwort ticket zug bahn verspätung ausfall wlan rechnung tarif vertrag netz "
    "störung paket lieferung retoure gepäck flug buchung preis angebot anwalt datenschutz "
    "presse interview bewerbung ausbildung delay refund baggage outage invoice signal crash "
    "website checkout coupon sale station platform conductor seat toilet heating smoke"
).split()


def matrix_200(rng: random.Random) -> Matrix:
    rules = []
    for number in range(199):
        conditions: dict[str, Any] = {}
        if rng.random() < 0.6:
            conditions["kinds"] = rng.sample(KINDS, rng.randint(1, 2))
        if rng.random() < 0.3:
            conditions["languages"] = [rng.choice(["de", "en"])]
        if rng.random() < 0.2:
            conditions["sentiments"] = [rng.choice(["negative", "positive"])]
        if rng.random() < 0.1:
            conditions["min_followers"] = rng.choice([1_000, 10_000, 100_000])
        if rng.random() < 0.15:
            a, b = rng.sample(WORDS, 2)
            conditions["query"] = f'{a} AND NOT "{b} {rng.choice(WORDS)}"'
        else:
            conditions["keywords"] = rng.sample(WORDS, rng.randint(2, 6))
        rules.append(
            RuleSpec(
                id=number + 1,
                name=f"rule {number + 1}",
                department_id=1 + number % 6,
                department_name=f"dept {number % 6}",
                **conditions,
            )
        )
    rules.append(
        RuleSpec(id=200, name="default", department_id=1, department_name="care", is_default=True)
    )
    return Matrix(rules)


def inputs(rng: random.Random, count: int) -> list[RoutingInput]:
    now = datetime.now(UTC)
    result = []
    items = [
        demo_mention(client_slug=rng.choice(["nordbahn", "brightcell"]), rng=rng, now=now)
        for _ in range(count)
    ]
    triaged = triage_texts(
        [item["text"] for item in items], languages=[item.get("language", "") for item in items]
    )
    for item, triage in zip(items, triaged, strict=True):
        result.append(
            RoutingInput(
                text=item["text"],
                kind=triage.kind,
                language=triage.language,
                sentiment=triage.sentiment,
                author_handle=item["author"]["handle"],
                author_followers=item["author"]["followers"] or 0,
                source_kind="webhook",
            )
        )
    return result


def bench_decisions(count: int, seed: int) -> None:
    rng = random.Random(seed)
    matrix = matrix_200(rng)
    items = inputs(rng, count)
    for item in items[:200]:  # warm up
        matrix.decide(item)
    rounds = []
    for _ in range(3):
        started = time.perf_counter()
        decisions = [matrix.decide(item) for item in items]
        rounds.append(len(items) / (time.perf_counter() - started))
    defaults = sum(1 for d in decisions if d.rule_id == 200)
    print(f"routing with a {matrix.size}-rule matrix, one core, {count} triaged demo mentions")
    print(f"  {max(rounds):9.0f} decisions/s (best of 3; target > 20,000)")
    print(f"  {statistics.median(rounds):9.0f} decisions/s (median)")
    print(f"  {100 * defaults / len(items):8.1f} % fell through to the default rule")


def bench_live(base_url: str, slug: str, count: int) -> None:
    import asyncio

    from django_tenants.utils import tenant_context

    from accounts.models import Client, Membership, Role
    from bench.push_to_inbox import bench_token, percentile, run_until
    from routing.services import rule_create, rule_delete

    client = Client.objects.get(slug=slug)
    member = (
        Membership.objects.filter(client=client, role=Role.RESPONDER).select_related("user").first()
    )
    if member is None:
        raise SystemExit(f"{slug} has no responder to assign to; run `make demo` first")
    with tenant_context(client):
        rule = rule_create(
            data={
                "name": "Benchmark → responder",
                "department": "customer-care",
                "position": 1,
                "keywords": ["Benchmark"],
                "assignee_id": member.user.pk,
            },
            by=None,
            client=client,
        )
    token = bench_token(slug)
    try:
        latencies = asyncio.run(run_until(base_url, slug, token, count, status="assigned"))
    finally:
        with tenant_context(client):
            rule_delete(rule=rule, by=None)
    print(f"push → routed and assigned to {member.user.email} in the inbox, {count} mentions")
    print(f"  p50 {statistics.median(latencies):7.1f} ms   p99 {percentile(latencies, 99):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--live", action="store_true", help="also time push → assigned")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--client", default="nordbahn")
    args = parser.parse_args()
    bench_decisions(args.count, args.seed)
    if args.live:
        bench_live(args.base_url, args.client, 100)


if __name__ == "__main__":
    main()
