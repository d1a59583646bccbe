"""Report speed at 1,000,000 mentions, and what the rollups cost ingest.

Run it against a scratch database (it adds a client `bench` with a million mentions):

    createdb -h 127.0.0.1 -U postgres lotse_bench_reports
    LOTSE_DB_NAME=lotse_bench_reports .venv/bin/python manage.py migrate_schemas --executor=standard
    LOTSE_DB_NAME=lotse_bench_reports .venv/bin/python bench/reports.py

1. Seeds the client with `--mentions` mentions over 12 months (INSERT … SELECT
   generate_series, triggers off; once: a second run reuses them), rebuilds the rollups,
   VACUUM ANALYZE (autovacuum is off).
2. Prints p50/p95 of every report endpoint for a 90-day and a 12-month range (through the
   real URL stack: authentication, tenancy, serializers). Target: p95 < 300 ms.
3. Prints ingest throughput through `mentions.pipeline.mentions_store` (batches of 500,
   triage and routing included) with the rollup triggers on and off, interleaved.
   Target: at most 10 % slower with them on.
4. Prints the reports page at 1M: each section of `report_document` (the figure function
   behind it, timed alone), the whole `/reports/` page (HTML, every section) and the PDF
   (`GET /api/v1/reports/export.pdf`), p50/p95 for a 90-day and a 12-month range, with the
   load average. Target: each section p95 < 300 ms. `--only page` runs just this part.
5. Prints the agency overview's time for at least `--overview-clients` (100) clients: it
   adds empty clients `overview-NNN` until there are that many (once), then times the
   overview function and `GET /api/v1/overview/` on the agency host. Target: < 500 ms.
   `--only overview` runs just this part.
6. Prints what the rollup triggers cost a bulk care change: 1,000 answered mentions get a
   new arrival and response time and are resolved in one UPDATE (as a bulk resolve, a
   backfill or the demo history does), EXPLAIN ANALYZE in a transaction that is rolled
   back, `--repeat` rounds: p50 of each statement trigger and of the whole statement, with
   the load average. `--only bulk_update` runs just this part.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from django.conf import settings
from django.db import connection, transaction
from django.test import Client as WebClient
from django_tenants.utils import tenant_context

from accounts.models import Client, Role
from accounts.services import agency_ensure, api_token_create, user_create_or_update
from config.tenancy import client_schemas_serving
from mentions.clocks import mentions_clocks_restamp
from mentions.models import Mention
from mentions.pipeline import mentions_store
from mentions.queries import STORED_MATCH_FIELDS, mentions_queries_rematch, query_matcher_load
from reports import figures
from reports.care_figures import (
    approvals,
    care_by,
    care_clocks,
    escalations,
    first_response_distribution,
)
from reports.crisis import crisis
from reports.document import report_document
from reports.overview import agency_overview
from reports.services import rollups_rebuild
from reports.terms import rising_terms
from routing.models import Department
from sources.demo_content import demo_mention
from sources.formats import mention_item_validate
from sources.models import ListeningQuery, Source
from sources.services import source_create
from sources.services.onboarding import client_create

ROLLUP_TABLES = (
    "reports_mentionhour",
    "reports_aspecthour",
    "reports_dimensionhour",
    "reports_clockday",
    "reports_clockmonth",
    "reports_dimensionday",
    "reports_authormonth",
)
TRIGGERS = (
    "reports_rollup_insert",
    "reports_rollup_update",
    "reports_rollup_delete",
    "reports_clock_insert",
    "reports_clock_update",
    "reports_clock_delete",
)

_AUTHORS = """
INSERT INTO mentions_author (network, handle, name, followers, mention_count, first_seen_at,
    last_seen_at, likes_total, reposts_total, replies_total, engaged_mentions,
    recent_mentions, influence, segment)
SELECT 'bench', 'user' || i, 'User ' || i, (abs(hashint4(i)) %% 50000), 0, now(), now(),
       0, 0, 0, 0, 0, (abs(hashint4(i + 1)) %% 1000) / 1000.0,
       CASE WHEN i %% 97 = 0 THEN 'mass_connector' WHEN i %% 89 = 0 THEN 'mass_maven'
            ELSE 'regular' END
FROM generate_series(1, %s) AS i
ON CONFLICT DO NOTHING
"""

# A year of mentions, newest first from now; the negative share falls from ~45 % to ~20 %
# over the year (the story a report should tell), 5 % are irrelevant, 60 % answered.
_MENTIONS = """
INSERT INTO mentions_mention (source_id, external_id, url, canonical_url, text, published_at,
    received_at, author_id, in_reply_to, raw, language, sentiment, sentiment_score, kind,
    aspects, country, relevant, relevance_score, department_id, routing_reason, priority,
    copied_to, requires_approval, status, updated_at, sla_state, first_response_due,
    first_response_at, assignee_id, matched_queries)
SELECT %(source)s, 'seed-' || i, '', '',
       (ARRAY['Bench brand train late again', 'rival has better prices than bench brand',
              'love the new bench brand app', 'Bahn app crashes at checkout',
              'please add a quiet carriage', 'rival app is faster'])[1 + r2 %% 6],
       ts, ts + interval '1 minute', %(first_author)s + (abs(hashint4(i * 31)) %% %(authors)s),
       '', '{}', (ARRAY['de', 'de', 'de', 'en', 'en', 'fr'])[1 + r3 %% 6],
       CASE WHEN r1 < 200 + 250 * i / %(n)s THEN 'negative'
            WHEN r1 < 700 THEN 'neutral' ELSE 'positive' END,
       0, (ARRAY['complaint', 'question', 'praise', 'idea', 'other', 'other'])[1 + r2 %% 6],
       CASE r3 %% 5 WHEN 0 THEN ARRAY['app'] WHEN 1 THEN ARRAY['billing']
            WHEN 2 THEN ARRAY['delivery', 'app'] ELSE '{}' END::varchar[],
       '', r1 %% 20 <> 0, 1, (%(departments)s::bigint[])[1 + r3 %% %(department_count)s], '', 2,
       '{}', false,
       CASE WHEN i < 2000 THEN 'new' WHEN r2 %% 10 < 6 THEN 'resolved' ELSE 'ignored' END,
       ts, CASE WHEN r2 %% 10 < 6 AND r1 %% 7 = 0 THEN 'breached' ELSE 'ok' END,
       ts + interval '1 hour',
       CASE WHEN r2 %% 10 < 6 THEN ts + (r1 * 7) * interval '1 second' END,
       NULL,
       -- The listening queries the text matches (checked against the matcher afterwards).
       (ARRAY[%(brand)s, %(both)s, %(brand)s, '{}', '{}', %(rival)s]::text[])[1 + r2 %% 6]::bigint[]
FROM generate_series(%(lo)s, %(hi)s) AS i,
     LATERAL (SELECT now() - i * %(step)s * interval '1 second' AS ts,
                     abs(hashint4(i)) %% 1000 AS r1, abs(hashint4(i + 17)) %% 1000 AS r2,
                     abs(hashint4(i + 41)) %% 1000 AS r3) AS g
"""


def seed(client: Client, *, count: int) -> None:
    with tenant_context(client):
        source = Source.objects.filter(name="Bench seed").first()
        if source is None:
            source = source_create(kind="import", name="Bench seed")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM mentions_mention WHERE source_id = %s", [source.pk]
            )
            have = cursor.fetchone()[0]
            if have >= count:
                print(f"seed: reusing {have:,} mentions")
                return
            started = time.perf_counter()
            cursor.execute(_AUTHORS, [20_000])
            cursor.execute("SELECT min(id) FROM mentions_author WHERE network = 'bench'")
            first_author = cursor.fetchone()[0]
            departments = list(Department.objects.values_list("pk", flat=True))
            queries = {
                name: ListeningQuery.objects.get_or_create(
                    name=name, defaults={"expression": expression, "role": role}
                )[0].pk
                for name, expression, role in (
                    ("Bench brand", '"bench brand"', "brand"),
                    ("Rival", "rival", "competitor"),
                )
            }
            brand, rival = queries["Bench brand"], queries["Rival"]
            for trigger in TRIGGERS:
                cursor.execute(f"ALTER TABLE mentions_mention DISABLE TRIGGER {trigger}")
            step = 365 * 86400 / count
            chunk = 100_000
            for lo in range(have + 1, count + 1, chunk):
                cursor.execute(
                    _MENTIONS,
                    {
                        "source": source.pk,
                        "first_author": first_author,
                        "authors": 20_000,
                        "n": count,
                        "departments": departments,
                        "department_count": len(departments),
                        "lo": lo,
                        "hi": min(lo + chunk - 1, count),
                        "step": step,
                        "brand": f"{{{brand}}}",
                        "rival": f"{{{rival}}}",
                        "both": "{" + ",".join(map(str, sorted((brand, rival)))) + "}",
                    },
                )
                print(f"seed: {min(lo + chunk - 1, count):,} mentions", flush=True)
            # The pipeline decides which listening queries a mention matches on arrival: the
            # seeded matches must be what the matcher says (else match them all again).
            if not _seeded_matches_agree(source_id=source.pk):
                changed = mentions_queries_rematch()
                print(f"seed: matched the queries again ({changed:,} changed)", flush=True)
            for trigger in TRIGGERS:
                cursor.execute(f"ALTER TABLE mentions_mention ENABLE TRIGGER {trigger}")
            # Raw SQL stopped the clocks: store their business seconds as the app would.
            stamped = mentions_clocks_restamp(only_unstamped=True)
            print(f"seed: business seconds of {stamped:,} stopped clocks", flush=True)
            seeded = time.perf_counter()
            rollups_rebuild()
            built = time.perf_counter()
            for table in ("mentions_mention", "mentions_author", *ROLLUP_TABLES):
                cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute("SELECT count(*) FROM reports_mentionhour")
            hours = cursor.fetchone()[0]
            print(
                f"seed: {count:,} mentions in {seeded - started:.0f} s; rollups rebuilt in "
                f"{built - seeded:.1f} s ({hours:,} hour rows)"
            )


def _seeded_matches_agree(*, source_id: int, sample: int = 3000) -> bool:
    matcher = query_matcher_load()
    rows = (
        Mention.objects.filter(source_id=source_id)
        .order_by("?")
        .values_list(*STORED_MATCH_FIELDS, "matched_queries")[:sample]
    )
    return all(
        matcher.matches_stored(tuple(fields)) == sorted(matched) for *fields, matched in rows
    )


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def bench_endpoints(client: Client, token: str, *, repeat: int) -> None:
    web = WebClient(HTTP_HOST=f"{client.slug}.localhost", HTTP_AUTHORIZATION=f"Token {token}")
    today = datetime.now(UTC).date()
    ranges = {
        "90 days": (today - timedelta(days=89), today),
        "12 months": (today - timedelta(days=364), today),
    }
    endpoints = [
        ("volume day", "volume?interval=day"),
        ("volume week", "volume?interval=week"),
        ("summary", "summary?"),
        ("summary aspect=app", "summary?aspect=app"),
        ("care department", "care?by=department"),
        ("care team", "care?by=team"),
        ("care person", "care?by=person"),
        ("top aspects", "top?what=aspects"),
        ("top authors", "top?what=authors"),
        ("top ideas", "top?what=ideas"),
        ("top cases", "top?what=cases"),
        ("share of voice", "share-of-voice?"),
    ]
    # The first request of the process loads the URL map and views: not a report's time.
    web.get(f"/api/v1/reports/summary?from={today}&to={today}")
    print(f"\n{'endpoint':<22} {'range':<10} {'p50 ms':>8} {'p95 ms':>8}")
    over = []
    for label, (first, last) in ranges.items():
        for name, path in endpoints:
            url = f"/api/v1/reports/{path}&from={first}&to={last}"
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                answer = web.get(url)
                samples.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (url, answer.content[:300])
            p50, p95 = percentiles(samples)
            flag = "" if p95 < 300 else "  > 300"
            if flag:
                over.append(f"{name} ({label})")
            print(f"{name:<22} {label:<10} {p50:8.0f} {p95:8.0f}{flag}", flush=True)
    # The export streams every row: measured as rows per second over the last 7 days.
    first = today - timedelta(days=6)
    started = time.perf_counter()
    answer = web.get(f"/api/v1/reports/export.csv?from={first}&to={today}")
    chunks = answer.streaming_content  # type: ignore[attr-defined]
    rows = sum(chunk.count(b"\n") for chunk in chunks) - 1
    took = time.perf_counter() - started
    print(f"export.csv, 7 days: {rows:,} rows in {took:.1f} s ({rows / took:,.0f} rows/s)")
    print("over target: " + (", ".join(over) if over else "none"))


def _timed(call, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def _load() -> str:
    return "load average " + ", ".join(f"{n:.2f}" for n in os.getloadavg())


def _sections(period: figures.Period, slice_: figures.Slice, interval: str) -> dict:
    """The figure functions behind the page's sections (as `report_document` calls them)."""
    previous = period.previous()
    return {
        "summary (now + before)": lambda: (
            figures.summary(period=period, slice_=slice_),
            figures.summary(period=previous, slice_=slice_),
        ),
        "volume series": lambda: figures.volume_series(
            period=period, interval=interval, slice_=slice_
        ),
        "breakdowns (5)": lambda: [
            figures.breakdown(period=period, dimension=d, slice_=slice_)
            for d in ("source", "language", "kind", "department", "aspect")
        ],
        "share of voice": lambda: figures.share_of_voice(period=period, slice_=slice_),
        "top authors": lambda: figures.top_authors(period=period, slice_=slice_),
        "ideas": lambda: figures.ideas(period=period, slice_=slice_, limit=5),
        "top cases": lambda: figures.top_cases(period=period, slice_=slice_, limit=8),
        "care by department": lambda: care_by(period=period, by="department", slice_=slice_),
        "care by person": lambda: care_by(period=period, by="person", slice_=slice_),
        "first-response buckets": lambda: first_response_distribution(period=period, slice_=slice_),
        "care clocks": lambda: care_clocks(period=period, slice_=slice_),
        "approvals": lambda: approvals(period=period, slice_=slice_),
        "escalations": lambda: escalations(period=period, slice_=slice_),
        "rising terms": lambda: rising_terms(period=period, slice_=slice_),
        "crisis": lambda: crisis(period=period, slice_=slice_),
        "report_document (all)": lambda: report_document(period=period, slice_=slice_),
    }


def bench_page(client: Client, user, *, repeat: int, pdf_repeat: int) -> None:
    """Each section of the reports page alone, the whole page, and the PDF."""
    today = datetime.now(UTC).date()
    web = WebClient(HTTP_HOST=f"{client.slug}.localhost")
    web.force_login(user)
    api = WebClient(HTTP_HOST=f"{client.slug}.localhost")
    api.force_login(user)
    print(f"\nreports page sections and PDF ({_load()})")
    print(f"{'section':<26} {'range':<10} {'p50 ms':>8} {'p95 ms':>8}")
    over = []
    for label, days in (("90 days", 90), ("12 months", 365)):
        with tenant_context(client):
            period = figures.period_for(first=None, last=None, days=days)
            interval = "day" if days <= 92 else "week"
            sections = _sections(period, figures.Slice(), interval)
            for name, call in sections.items():
                p50, p95 = _timed(call, repeat)
                flag = "" if p95 < 300 or name.endswith("(all)") else "  > 300"
                if flag:
                    over.append(f"{name} ({label})")
                print(f"{name:<26} {label:<10} {p50:8.0f} {p95:8.0f}{flag}", flush=True)

        def page(days: int = days) -> None:
            answer = web.get(f"/reports/?range={days}")
            assert answer.status_code == 200, answer.content[:300]

        p50, p95 = _timed(page, repeat)
        print(f"{'GET /reports/ (page)':<26} {label:<10} {p50:8.0f} {p95:8.0f}", flush=True)
        first = today - timedelta(days=days - 1)

        def pdf(first: date = first) -> None:
            answer = api.get(f"/api/v1/reports/export.pdf?from={first}&to={today}")
            assert answer.status_code == 200, answer.content[:300]

        p50, p95 = _timed(pdf, pdf_repeat)
        print(
            f"{'GET export.pdf':<26} {label:<10} {p50:8.0f} {p95:8.0f}  ({pdf_repeat} runs)",
            flush=True,
        )
    print(f"({_load()})")
    print("sections over target: " + (", ".join(over) if over else "none"))


def bench_ingest(client: Client, *, batches: int, size: int) -> None:
    rng = random.Random(7)
    with tenant_context(client):
        source = Source.objects.filter(name="Bench ingest").first()
        if source is None:
            source = source_create(kind="import", name="Bench ingest")
        timings: dict[bool, list[float]] = {True: [], False: []}
        # Warm up (models loaded, caches filled) before measuring.
        with transaction.atomic():
            mentions_store(source=source, items=_items(client, rng, size))
        for i in range(batches):
            on = i % 2 == 0
            items = _items(client, rng, size)
            with connection.cursor() as cursor:
                for trigger in TRIGGERS:
                    state = "ENABLE" if on else "DISABLE"
                    cursor.execute(f"ALTER TABLE mentions_mention {state} TRIGGER {trigger}")
            started = time.perf_counter()
            with transaction.atomic():
                outcome = mentions_store(source=source, items=items)
            timings[on].append(time.perf_counter() - started)
            assert outcome.stored == size
        with connection.cursor() as cursor:
            for trigger in TRIGGERS:
                cursor.execute(f"ALTER TABLE mentions_mention ENABLE TRIGGER {trigger}")
        # The batches stored with the triggers off are missing from the rollups: recount
        # (and vacuum: autovacuum is off here, and index-only scans need the visibility map).
        rollups_rebuild()
        with connection.cursor() as cursor:
            for table in ROLLUP_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
    rate = {on: size * len(t) / sum(t) for on, t in timings.items()}
    print(
        f"\ningest through mentions_store, {batches} batches of {size} (interleaved): "
        f"rollups on {rate[True]:,.0f}/s, off {rate[False]:,.0f}/s "
        f"({(rate[False] - rate[True]) / rate[False]:+.1%} slower with rollups)"
    )


def _items(client: Client, rng: random.Random, size: int) -> list[dict]:
    """A batch of the rail demo's made-up mentions, validated like any push."""
    now = datetime.now(UTC)
    items = []
    for _ in range(size):
        item, errors = mention_item_validate(demo_mention(client_slug="nordbahn", rng=rng, now=now))
        assert item is not None, errors
        items.append(item)
    return items


_BULK_UPDATE = """
EXPLAIN (ANALYZE, FORMAT JSON)
UPDATE mentions_mention SET received_at = received_at + interval '1 minute',
       first_response_at = first_response_at + interval '3 minutes',
       resolved_at = first_response_at + interval '2 hours', status = 'resolved',
       updated_at = now()
WHERE id IN (SELECT id FROM mentions_mention WHERE first_response_at IS NOT NULL
             ORDER BY id DESC OFFSET %s LIMIT 1000)
"""


def bench_bulk_update(client: Client, *, repeat: int) -> None:
    """The rollup triggers' share of a bulk care change of 1,000 mentions (rolled back)."""
    triggers: dict[str, list[float]] = {}
    totals: list[float] = []
    with tenant_context(client):
        for round_ in range(repeat):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_BULK_UPDATE, [round_ * 1000])
                (plan,) = cursor.fetchone()[0]
                totals.append(plan["Execution Time"])
                for trigger in plan.get("Triggers", []):
                    triggers.setdefault(trigger["Trigger Name"], []).append(trigger["Time"])
                transaction.set_rollback(True)
    print(f"Bulk care update of 1,000 mentions, p50 of {repeat} rounds ({_load()}):")
    for name, times in sorted(triggers.items()):
        print(f"  trigger {name:28} {statistics.median(times):8.1f} ms")
    print(f"  whole statement {'':27} {statistics.median(totals):8.1f} ms")


def overview_clients_ensure(count: int) -> None:
    """Add empty clients until `count` are served (copies of the template schema)."""
    serving = len(client_schemas_serving())
    for i in range(serving, count):
        slug = f"overview-{i:03d}"
        if not Client.objects.filter(slug=slug).exists():
            client_create(slug=slug, name=f"Overview {i:03d}")
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def bench_overview(repeat: int, *, count: int) -> None:
    overview_clients_ensure(count)
    clients = list(Client.objects.filter(schema_name__in=client_schemas_serving()))
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        agency_overview(clients=clients)
        samples.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentiles(samples)
    print(f"\nagency overview, {len(clients)} clients: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    agency_ensure()
    staff = user_create_or_update(
        email="bench-agency@agency.test",
        password="bench bench bench",  # noqa: S106 (a scratch database)
        name="Bench Agency",
        client=None,
        role=Role.AGENCY_ADMIN,
    )
    web = WebClient(HTTP_HOST=settings.LOTSE_BASE_DOMAIN)
    web.force_login(staff)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = web.get("/api/v1/overview/")
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    p50, p95 = percentiles(samples)
    rows = len(response.json()["clients"])
    print(f"GET /api/v1/overview/, {rows} clients: p50 {p50:.0f} ms, p95 {p95:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=12)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--overview-clients", type=int, default=100)
    parser.add_argument("--pdf-repeat", type=int, default=3)
    parser.add_argument(
        "--only",
        choices=("all", "overview", "endpoints", "page", "ingest", "bulk_update"),
        default="all",
    )
    args = parser.parse_args()
    name = settings.DATABASES["default"]["NAME"]
    if name in {"lotse"}:
        raise SystemExit("Run it against a scratch database: LOTSE_DB_NAME=lotse_bench_reports")
    if args.only == "overview":
        bench_overview(args.repeat, count=args.overview_clients)
        return
    client = Client.objects.filter(slug="bench").first() or client_create(
        slug="bench", name="Bench Rail"
    )
    user = user_create_or_update(
        email="bench@agency.test",
        password="bench bench bench",  # noqa: S106 (a scratch database)
        name="Bench Manager",
        client=client,
        role=Role.MANAGER,
    )
    _, token = api_token_create(client=client, user=user, scope="read")
    seed(client, count=args.mentions)
    with tenant_context(client), connection.cursor() as cursor:
        for table in ("mentions_mention", *ROLLUP_TABLES):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"({_load()})")
    if args.only in ("all", "endpoints"):
        bench_endpoints(client, token, repeat=args.repeat)
    if args.only in ("all", "page"):
        bench_page(client, user, repeat=args.repeat, pdf_repeat=args.pdf_repeat)
    if args.only in ("all", "ingest"):
        bench_ingest(client, batches=args.batches, size=args.batch_size)
    if args.only in ("all", "bulk_update"):
        bench_bulk_update(client, repeat=args.repeat)
    if args.only == "all":
        bench_overview(args.repeat, count=args.overview_clients)


if __name__ == "__main__":
    main()
