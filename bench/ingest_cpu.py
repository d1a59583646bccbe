"""CPU time per stored mention, and where it goes, for large ingest batches.

Runs in one process, without the worker: `--batches` batches of `--batch-size` demo
mentions are validated as `mentions_submit` validates them, kept as `IngestBatch` rows, and
stored by `ingest_batch_process` (what the worker's task runs), one after the other. Prints
CPU milliseconds per mention (`time.process_time`) for validation (the importing side) and
for storing (the worker side), and the PostgreSQL backend's CPU per mention while storing
(read from /proc: the server runs on this machine). With `--profile`, prints the top of a
cProfile of the storing, by own time and by cumulative time.

CPU time, not wall time: the machine is shared, and a busy neighbour stretches wall time
but not the CPU the work takes. Needs the demo client (`make demo`); no worker runs.

    .venv/bin/python bench/ingest_cpu.py --batches 8 --batch-size 500 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Client
from sources.demo_content import demo_mention
from sources.formats import mention_item_validate
from sources.models import IngestBatch
from sources.services import ingest_batch_process, source_create

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds() -> float | None:
    """User + system CPU of this connection's PostgreSQL backend (None if not readable)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields after the name: state is index 0, utime 11, stime 12.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class StatementTimes:
    """An execute wrapper: per statement (its first 90 characters), how many ran, their wall
    time and the backend's CPU time (/proc ticks: coarse per statement, fair summed)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.times: dict[str, list[float]] = {}

    def _cpu(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self.pid is None:
            self.pid = context["connection"].connection.info.backend_pid
        cpu, wall = self._cpu(), time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = self.times.setdefault(" ".join(sql.split())[:90], [0, 0.0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - wall
            entry[2] += self._cpu() - cpu

    def print(self, *, per: int) -> None:
        print(f"  {'count':>6} {'wall ms/mention':>16} {'PG cpu ms/mention':>18}  statement")
        for sql, (count, wall, cpu) in sorted(self.times.items(), key=lambda kv: -kv[1][1]):
            print(f"  {count:6d} {1000 * wall / per:16.4f} {1000 * cpu / per:18.4f}  {sql}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--client", default="nordbahn")
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=1, help="batches stored before timing")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--queries", action="store_true", help="per statement: count, wall and backend CPU"
    )
    args = parser.parse_args()
    client = Client.objects.filter(slug=args.client).first()
    if client is None:
        raise SystemExit(f"No client {args.client!r}: run `make demo` first")
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    total = args.batches + args.warmup
    raw = [
        [demo_mention(client_slug=client.slug, rng=rng, now=now) for _ in range(args.batch_size)]
        for _ in range(total)
    ]
    with tenant_context(client):
        source = source_create(kind="import", name=f"Bench CPU {uuid.uuid4().hex[:6]}")
        started = time.process_time()
        validated = [[mention_item_validate(item)[0] for item in batch] for batch in raw]
        validate_cpu = time.process_time() - started
        batch_ids = [
            IngestBatch.objects.create(source=source, items=items, received=len(items)).pk
            for items in validated
        ]
        for batch_id in batch_ids[: args.warmup]:
            ingest_batch_process(batch_id=batch_id)
        # CPU time, not wall time: a busy neighbour or a wait on the database adds none.
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        statements = StatementTimes() if args.queries else None
        stored = 0
        store_cpu = 0.0
        backend_before = backend_cpu_seconds()
        wall = time.perf_counter()
        for batch_id in batch_ids[args.warmup :]:
            started = time.process_time()
            if profiler is not None:
                profiler.enable()
            if statements is not None:
                with connection.execute_wrapper(statements):
                    batch = ingest_batch_process(batch_id=batch_id)
            else:
                batch = ingest_batch_process(batch_id=batch_id)
            if profiler is not None:
                profiler.disable()
            store_cpu += time.process_time() - started
            stored += batch.stored if batch is not None else 0
        wall = time.perf_counter() - wall
        backend_after = backend_cpu_seconds()
    count = args.batches * args.batch_size
    print(
        f"ingest CPU, {args.batches} batches of {args.batch_size} into {client.name} "
        f"(load average {Path('/proc/loadavg').read_text().split()[0]})"
    )
    validate_ms = 1000 * validate_cpu / (total * args.batch_size)
    print(f"  validate (importer): {validate_ms:6.3f} ms/mention")
    print(
        f"  store (worker):      {1000 * store_cpu / count:6.3f} ms/mention"
        f"{'  (profiled: slower)' if profiler else ''}"
    )
    if backend_before is not None and backend_after is not None:
        print(
            f"  PostgreSQL backend:  {1000 * (backend_after - backend_before) / count:6.3f} "
            "ms/mention"
        )
    print(f"  stored {stored} of {count}, {count / wall:.0f} mentions/s wall in one process")
    if statements is not None:
        statements.print(per=count)
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
