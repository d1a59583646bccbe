"""Where a page's milliseconds go at 1,000,000 mentions: Python, round trips, PostgreSQL.

    LOTSE_DB_NAME=lotse_bench_inbox .venv/bin/python bench/page_time.py [--rounds 10]

Seeds like `bench/inbox_scale.py` (the same database and client). For the HTML inbox, the
mention page and the alerts page it prints, as medians over `--rounds` requests through
Django's test client: the wall clock, this process's CPU time (views, templates, the ORM),
the number of queries, the time Django waited for them (round trips), and what PostgreSQL
itself spent planning and executing them (EXPLAIN ANALYZE of each SELECT, once). On a
loaded machine the gap between the last two is waiting for a CPU, not work.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import inbox_scale  # creates and migrates the database, sets Django up

SLUG, _seed, _load = inbox_scale.SLUG, inbox_scale._seed, inbox_scale._load

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Client
from config.tenancy import use_client, use_public_schema


def _postgres_ms(client: Client, statements: list[str]) -> float:
    """Planning and execution time PostgreSQL reports for the SELECTs among `statements`."""
    total = 0.0
    use_client(client)
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "(SELECT")):
                continue
            cursor.execute("EXPLAIN (ANALYZE, SUMMARY) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for label in ("Planning Time", "Execution Time"):
                found = re.search(rf"{label}: ([\d.]+) ms", plan)
                total += float(found.group(1)) if found else 0.0
    use_public_schema()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    client = _seed(args.count, fresh=False)
    web, mention_id = inbox_scale.bench_session(client)
    print(f"medians of {args.rounds} requests (ms); load {_load()}")
    pages = [
        ("HTML inbox, open", "/"),
        ("HTML inbox, status new", "/?status=new"),
        ("mention page", f"/mentions/{mention_id}/"),
        ("alerts page", "/alerts/"),
    ]
    for label, url in pages:
        web.get(url)  # warm up
        wall, cpu, waited, counts = [], [], [], []
        statements: list[str] = []
        for _ in range(args.rounds):
            started, started_cpu = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as queries:
                web.get(url)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            waited.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
            counts.append(len(queries))
            statements = [q["sql"] for q in queries.captured_queries]
        print(
            f"{label:<24} wall {statistics.median(wall):6.1f}  python cpu "
            f"{statistics.median(cpu):6.1f}  queries {statistics.median(counts):3.0f}  "
            f"waited for them {statistics.median(waited):6.1f}  "
            f"PostgreSQL worked {_postgres_ms(client, statements):6.1f}"
        )
    print(f"load {_load()}")


if __name__ == "__main__":
    main()
