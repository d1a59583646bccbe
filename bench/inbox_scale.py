"""The inbox at scale: one client with 1,000,000 mentions, timed page by page.

    LOTSE_DB_NAME=lotse_bench_inbox .venv/bin/python bench/inbox_scale.py [--count 1000000]

Creates the database if it is missing (migrated with `migrate_schemas`), makes the client
`bench-inbox` with the transport matrix, stores 2,000 real triaged and routed mentions through
the ingest pipeline (demo texts), then multiplies them in SQL as a DBA would (new external ids,
publication times spread over a year, statuses spread like a working inbox) and ANALYZEs. A
department `empty` gets no mention; `legal` only a handful. Then it times, in process through
Django's test client (no network), p50/p95/p99 of: the mentions API with each filter and
search, the HTML inbox with each filter and search, a mention (API and page) and the alerts
page (`--only 'HTML,mention page,alerts'` times only those). Each line also gives the
median CPU time of this process per request (the Python side). Runs again reuse the data
(`--fresh` starts over). The machine's load average is
printed before and after (figures from a loaded machine are upper bounds). Targets
(issue 16): p95 under 100 ms each.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")
os.environ.setdefault("LOTSE_DB_NAME", "lotse_bench_inbox")
# One line per request would bury the figures.
os.environ.setdefault("LOTSE_LOG_LEVEL", "WARNING")

SLUG = "bench-inbox"
SEED = 2000


def _database_ready() -> None:
    name = os.environ["LOTSE_DB_NAME"]
    made = subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, text=True
    )
    if made.returncode != 0 and "already exists" not in made.stderr:
        raise SystemExit(made.stderr)
    subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--executor=standard", "-v", "0"],
        cwd=ROOT,
        check=True,
    )


_database_ready()

import django

django.setup()

from django.db import connection, transaction
from django.test import Client as WebClient
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Client, Role
from accounts.services import agency_ensure, user_create_or_update
from mentions.models import Mention
from mentions.pipeline import mentions_store
from routing.models import Department, RoutingRule
from routing.services import routing_apply_preset
from sources.demo_content import demo_mention
from sources.services import source_create
from sources.services.onboarding import client_create

MULTIPLY_SQL = """
INSERT INTO mentions_mention ({columns})
SELECT {values}
FROM mentions_mention AS m CROSS JOIN generate_series(1, %s) AS g
WHERE m.id <= %s
"""


def _seed(count: int, fresh: bool) -> Client:
    agency_ensure()
    client = Client.objects.filter(slug=SLUG).first()
    if client is not None and fresh:
        client.delete(force_drop=True)
        client = None
    if client is None:
        client = client_create(slug=SLUG, name="Bench inbox")
    user_create_or_update(
        email="bench@inbox.localhost",
        password=None,
        name="Bench Manager",
        client=client,
        role=Role.CLIENT_ADMIN,
    )
    with tenant_context(client):
        if Mention.objects.count() >= count:
            return client
        print(f"seeding {count:,} mentions …", flush=True)
        started = time.perf_counter()
        routing_apply_preset(preset="transport", by=None)
        Department.objects.get_or_create(slug="empty", defaults={"name": "Empty"})
        source = source_create(kind="import", name="Bench")
        rng = random.Random(5)
        now = datetime.now(UTC)
        items = []
        for n in range(SEED):
            item = demo_mention(client_slug="nordbahn", rng=rng, now=now - timedelta(minutes=n))
            items.append(item)
        with transaction.atomic():
            for start in range(0, len(items), 500):
                mentions_store(source=source, items=items[start : start + 500])
        # A rare department: only a handful of mentions.
        legal = Department.objects.filter(slug="legal").first()
        if legal is not None:
            Mention.objects.exclude(department=legal).filter(
                pk__in=Mention.objects.order_by("id").values("pk")[:5]
            ).update(department=legal)
        seed_max = Mention.objects.order_by("-id").values_list("id", flat=True).first() or 0
        copies = max(0, (count - Mention.objects.count()) // max(seed_max, 1))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'mentions_mention' "
                "AND column_name <> 'id' ORDER BY ordinal_position"
            )
            columns = [row[0] for row in cursor.fetchall()]
            changed = {
                "external_id": "m.external_id || '-copy-' || m.id || '-' || g",
                "url": "''",
                "canonical_url": "''",
                # Copy g is g * 17.5 hours older: 500 copies reach a year back.
                "published_at": "m.published_at - g * interval '1051 minutes'",
                "received_at": "m.received_at - g * interval '1051 minutes'",
                "updated_at": "m.updated_at - g * interval '1051 minutes'",
                # Older copies were worked: an inbox's open mentions are its recent ones.
                "status": "(ARRAY['resolved','resolved','resolved','resolved','resolved',"
                "'resolved','resolved','responded','ignored','ignored'])[1 + (g %% 10)]",
                "cluster_id": "NULL",
                "cluster_keys": "'{}'::bigint[]",
            }
            values = ", ".join(changed.get(column, f"m.{column}") for column in columns)
            sql = MULTIPLY_SQL.format(columns=", ".join(columns), values=values)
            cursor.execute(sql, [copies, seed_max])
        # As autovacuum would in production (it is off on these machines): statistics, and the
        # visibility map that lets counts read the index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE mentions_mention")
            cursor.execute("ANALYZE mentions_author, mentions_problemcluster")
        print(
            f"seeded {Mention.objects.count():,} mentions in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return client


def _time(web: WebClient, url: str, rounds: int) -> tuple[list[float], list[float]]:
    """Wall-clock times and this process's CPU times (ms) of `rounds` requests, sorted. The
    CPU time is the Python side alone (views, templates, the ORM; PostgreSQL works in its
    own process): it varies much less with the machine's load than the wall clock."""
    web.get(url)  # warm up
    times, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = web.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return sorted(times), sorted(cpu)


def bench_session(client: Client) -> tuple[WebClient, int]:
    """The bench manager's logged-in web client on the bench host, and a mention 500 from
    the newest (the mention page every page bench times)."""
    with tenant_context(client):
        mention_id = Mention.objects.order_by("-id").values_list("id", flat=True)[500]
    with schema_context("public"):
        web = WebClient(HTTP_HOST=f"{SLUG}.localhost")
        web.force_login(client.memberships.get(user__email="bench@inbox.localhost").user)
    return web, mention_id


def _load() -> str:
    """The machine's load average (1, 5, 15 minutes)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="drop the bench client first")
    parser.add_argument(
        "--only",
        default="",
        help="time only pages whose label starts with one of these (comma-separated), "
        "e.g. 'HTML,mention page,alerts'",
    )
    args = parser.parse_args()
    client = _seed(args.count, args.fresh)
    with tenant_context(client):
        total = Mention.objects.count()
        busiest = (
            RoutingRule.objects.filter(is_default=True)
            .values_list("department__slug", flat=True)
            .first()
            or "customer-care"
        )
    web, mention_id = bench_session(client)
    print(f"{total:,} mentions in {SLUG}; {args.rounds} requests each (ms); load {_load()}")
    pages = [
        ("API, newest", "/api/v1/mentions/"),
        ("API, open", "/api/v1/mentions/?status=new"),
        (f"API, department {busiest}", f"/api/v1/mentions/?department={busiest}"),
        ("API, rare department (legal)", "/api/v1/mentions/?department=legal"),
        ("API, empty department", "/api/v1/mentions/?department=empty"),
        ("API, language en", "/api/v1/mentions/?language=en"),
        ("API, sentiment negative", "/api/v1/mentions/?sentiment=negative"),
        ("API, search (app)", "/api/v1/mentions/?q=app"),
        ("API, search, rare word", "/api/v1/mentions/?q=Flughafen"),
        ("API, one mention", f"/api/v1/mentions/{mention_id}/"),
        ("HTML inbox, open", "/"),
        ("HTML inbox, all", "/?status=all"),
        ("HTML inbox, status new", "/?status=new"),
        ("HTML inbox, status resolved", "/?status=resolved"),
        (f"HTML inbox, department {busiest}", f"/?department={busiest}&status=all"),
        ("HTML inbox, rare department (legal)", "/?department=legal&status=all"),
        ("HTML inbox, empty department", "/?department=empty&status=all"),
        ("HTML inbox, search (app)", "/?q=app&status=all"),
        ("mention page", f"/mentions/{mention_id}/"),
        ("alerts page", "/alerts/"),
    ]
    wanted = tuple(prefix.strip() for prefix in args.only.split(",") if prefix.strip())
    for label, url in pages:
        if wanted and not label.startswith(wanted):
            continue
        times, cpu = _time(web, url, args.rounds)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(
            f"{label:<40} p50 {statistics.median(times):7.1f}  p95 {p95:7.1f}  p99 {p99:7.1f}"
            f"  (python cpu p50 {statistics.median(cpu):6.1f})"
        )
    print(f"load {_load()}")


if __name__ == "__main__":
    main()
