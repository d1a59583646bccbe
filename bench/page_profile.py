"""Where a page's CPU goes at 1,000,000 mentions, in figures a loaded machine inflates less.

    LOTSE_DB_NAME=lotse_bench_inbox .venv/bin/python bench/page_profile.py \
        [--rounds 20] [--only 'HTML inbox, open;alerts'] [--stages] [--queries] [--top 25]

Seeds like `bench/inbox_scale.py` (the same database and client). For each page it prints,
through Django's test client (the whole middleware stack, no network):
- this process's CPU time per request (`time.process_time`: views, templates, the ORM,
  middleware; p50 and the minimum over `--rounds`); on a busy machine CPU time grows too
  (shared caches and cores), by up to a half at load 10;
- Python function calls per request (cProfile's count): the same on any machine, so a
  before/after that load cannot blur;
- the number of queries, and what PostgreSQL itself spent on them (EXPLAIN (ANALYZE,
  BUFFERS) of each SELECT once, planning plus execution, under the SET LOCAL the page ran
  it with; `--queries` lists each);
- `--stages`: the CPU of each stage (views and selectors, compiling SQL, psycopg, building
  model instances, templates, the inbox rows, serializers; each without the stages it
  calls), by wrapping those functions in this process only;
- `--top N`: the N functions with the most CPU of their own (cProfile, which slows Python
  down about fourfold: read it for shares, not totals).

"Quiet estimate" is CPU p50 + PostgreSQL: what a page would take on an idle machine, round
trips and connection set-up left out (a few ms).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import pstats
import re
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import inbox_scale  # creates and migrates the database, sets Django up

SLUG, _seed, _load = inbox_scale.SLUG, inbox_scale._seed, inbox_scale._load

from django.core.handlers.base import BaseHandler
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import Model
from django.db.models.sql.compiler import SQLCompiler
from django.template import engines
from django.template.base import Template
from django.test.utils import CaptureQueriesContext
from psycopg import Cursor
from rest_framework.serializers import ListSerializer

import frontend.templatetags.lotse as tags
from accounts.models import Client
from config.tenancy import use_client, use_public_schema


class Stages:
    """CPU time (`time.process_time`) of a request's stages, each exclusive of the stages it
    calls: the functions below are wrapped while the bench runs (never in the app)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._stack: list[list[float]] = []  # per open stage: [started, children's time]

    def wrap(self, owner: object, attribute: str, label: str) -> None:
        raw = vars(owner).get(attribute) if isinstance(owner, type) else None
        is_classmethod = isinstance(raw, classmethod)
        original = raw.__func__ if isinstance(raw, classmethod) else getattr(owner, attribute)
        stages = self

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.process_time(), 0.0]
            stages._stack.append(frame)
            try:
                return original(*args, **kwargs)
            finally:
                stages._stack.pop()
                spent = time.process_time() - frame[0]
                stages.totals[label] = stages.totals.get(label, 0.0) + spent - frame[1]
                if stages._stack:
                    stages._stack[-1][1] += spent

        setattr(owner, attribute, classmethod(timed) if is_classmethod else timed)

    def install(self) -> None:
        self.wrap(BaseHandler, "_get_response", "view (own code, selectors, querysets)")
        self.wrap(SQLCompiler, "as_sql", "ORM: compile SQL")
        self.wrap(Cursor, "execute", "psycopg: execute (send, wait, parse)")
        self.wrap(Cursor, "fetchmany", "psycopg: fetch rows")
        self.wrap(Cursor, "fetchall", "psycopg: fetch rows")
        self.wrap(Cursor, "fetchone", "psycopg: fetch rows")
        self.wrap(Model, "from_db", "ORM: build model instances")
        self.wrap(BaseDatabaseWrapper, "connect", "connect to PostgreSQL")
        self.wrap(Template, "render", "templates (own work)")
        # Context processors run inside `RequestContext.bind_template` (a context manager):
        # each processor is wrapped where the engine keeps them.
        engine = engines["django"].engine  # type: ignore[attr-defined]
        processors = []
        for processor in engine.template_context_processors:
            holder = types.SimpleNamespace(call=processor)
            self.wrap(holder, "call", "context processors (header)")
            processors.append(holder.call)
        engine.__dict__["template_context_processors"] = tuple(processors)
        self.wrap(tags, "mention_rows_html", "inbox rows (frontend.rows)")
        self.wrap(tags, "case_items_html", "case strip (frontend.rows)")
        self.wrap(ListSerializer, "to_representation", "serializers (DRF)")

    def report(self, total: float, rounds: int) -> list[str]:
        lines = []
        known = 0.0
        for label, spent in sorted(self.totals.items(), key=lambda item: -item[1]):
            known += spent
            lines.append(f"    {label:<40} {spent * 1000 / rounds:6.1f}")
        lines.append(
            f"    {'middleware, handler, test client':<40} {(total - known) * 1000 / rounds:6.1f}"
        )
        self.totals = {}
        return lines


def _postgres(
    client: Client, statements: list[str], *, verbose: bool = False
) -> tuple[float, int, int]:
    """Planning + execution ms PostgreSQL reports for the SELECTs among `statements`, and
    the shared buffers they hit and read."""
    total, hit, read = 0.0, 0, 0
    use_client(client)
    local: list[str] = []  # SET LOCAL statements the next SELECT ran under (jit = off)
    with connection.cursor() as cursor:
        for sql in statements:
            if sql.lstrip().upper().startswith("SET LOCAL"):
                local.append(sql)
                continue
            if not sql.lstrip().upper().startswith(("SELECT", "(SELECT", "WITH")):
                continue
            with transaction.atomic():
                for setting in local:
                    cursor.execute(setting)
                local = []
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, SUMMARY) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            spent = 0.0
            for label in ("Planning Time", "Execution Time"):
                found = re.search(rf"{label}: ([\d.]+) ms", plan)
                spent += float(found.group(1)) if found else 0.0
            total += spent
            if verbose:
                print(f"      {spent:6.2f} ms  {' '.join(sql.split())[:110]}")
            # The top node's buffers count its children's.
            first = re.search(r"Buffers: shared( hit=(\d+))?( read=(\d+))?", plan)
            if first:
                hit += int(first.group(2) or 0)
                read += int(first.group(4) or 0)
    use_public_schema()
    return total, hit, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", default="", help="labels to profile (prefixes, separated by ;)")
    parser.add_argument(
        "--stages", action="store_true", help="CPU per stage (exclusive, process_time)"
    )
    parser.add_argument(
        "--queries", action="store_true", help="PostgreSQL's time for each statement"
    )
    parser.add_argument("--top", type=int, default=0, help="print the N costliest functions")
    args = parser.parse_args()
    client = _seed(args.count, fresh=False)
    web, mention_id = inbox_scale.bench_session(client)
    pages = [
        ("HTML inbox, open", "/"),
        ("HTML inbox, all", "/?status=all"),
        ("HTML inbox, rare department (legal)", "/?department=legal&status=all"),
        ("mention page", f"/mentions/{mention_id}/"),
        ("alerts page", "/alerts/"),
        ("API, newest", "/api/v1/mentions/"),
        ("API, rare department (legal)", "/api/v1/mentions/?department=legal"),
        ("API, empty department", "/api/v1/mentions/?department=empty"),
    ]
    wanted = tuple(prefix.strip() for prefix in args.only.split(";") if prefix.strip())
    stages = Stages()
    if args.stages:
        stages.install()
    print(f"{args.rounds} requests per page (ms); load {_load()}")
    for label, url in pages:
        if wanted and not label.startswith(wanted):
            continue
        web.get(url)  # warm up
        cpu, counts = [], []
        stages.totals = {}
        statements: list[str] = []
        for _ in range(args.rounds):
            started = time.process_time()
            with CaptureQueriesContext(connection) as queries:
                response = web.get(url)
            cpu.append((time.process_time() - started) * 1000)
            counts.append(len(queries))
            statements = [q["sql"] for q in queries.captured_queries]
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        stage_lines = stages.report(sum(cpu) / 1000, args.rounds) if args.stages else []
        # Python function calls per request: a count the machine's load does not change.
        counter = cProfile.Profile()
        counter.enable()
        for _ in range(3):
            web.get(url)
        counter.disable()
        calls = pstats.Stats(counter).total_calls // 3  # type: ignore[attr-defined]
        cpu_p50 = statistics.median(cpu)
        print(
            f"{label:<38} python cpu p50 {cpu_p50:5.1f} min {min(cpu):5.1f}  "
            f"calls {calls:,}  queries {statistics.median(counts):3.0f}",
            flush=True,
        )
        postgres, hit, read = _postgres(client, statements, verbose=args.queries)
        print(
            f"  PostgreSQL {postgres:5.1f} (buffers hit {hit}, read {read})  "
            f"quiet estimate (cpu p50 + PostgreSQL) {cpu_p50 + postgres:5.1f}"
        )
        if args.stages:
            print(f"  CPU by stage, ms per request (mean of {args.rounds}):")
            print("\n".join(stage_lines))
        if args.top:
            profiler = cProfile.Profile(time.process_time)  # CPU, not the wall clock
            profiler.enable()
            for _ in range(args.rounds):
                web.get(url)
            profiler.disable()
            stats = pstats.Stats(profiler)
            total = stats.total_tt * 1000 / args.rounds  # type: ignore[attr-defined]
            print(f"  profiled: {total:.1f} ms per request (with cProfile's overhead)")
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
            lines = out.getvalue().splitlines()
            start = next(i for i, line in enumerate(lines) if "ncalls" in line)
            for line in lines[start : start + args.top + 1]:
                print("   ", line[:160])
    print(f"load {_load()}")


if __name__ == "__main__":
    main()
