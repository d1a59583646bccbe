"""Where the worker's time goes for one pushed mention: phases, SQL statements, Python.

Runs the worker's part of a push in this process, `--count` times, against a demo client
(`make demo` first): each time a one-mention batch (the push benchmark's text) is written
as the web side writes it, then `ingest_batch_process` runs as the worker would, with every
statement timed (`connection.execute_wrapper`) and the live event's send timed. Prints the
median wall and CPU time of each phase, the statements by total time, the time until the
inbox event was handed to the channel layer ("announced"), and with `--profile` the top of
cProfile's cumulative listing.

    LOTSE_DB_NAME=... LOTSE_REDIS_URL=... .venv/bin/python bench/push_breakdown.py --count 50

No broker message is sent (nothing else takes these batches); the channel layer gets the
events as in production, so an open inbox shows them.

Measured (nordbahn with 365 days of demo history, 74,000 mentions; a shared 2-core machine
at load 8-10; `--count 30`), main → announced first:
- the push benchmark's text (kind other, no case): until the event 126-135 → 82-100 ms,
  CPU 22 → 21 ms, 14 → 15 statements (two SET LOCAL in, the source counter out), but two
  commits without a WAL flush (8-14 ms each here);
- a complaint that joins an open case (`--text`): until the event 162 → 88 ms, SQL 98 →
  47 ms, 23 → 15 statements, CPU 27 → 21 ms; the whole task's CPU 29 → 35 ms (the second
  transaction re-reads the reports it clusters).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from django.db import connection

import config.live
from accounts.models import Client
from config.tenancy import use_client, use_public_schema
from sources.formats import mention_item_validate
from sources.models import IngestBatch, Source
from sources.services import ingest_batch_process, source_create

_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+\b")


class Clock:
    """Statement times of the current push, and when the live event went out."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.cpu_started = time.process_time()
        self.statements: list[tuple[str, float]] = []
        self.announced: float | None = None
        self.announced_cpu = 0.0
        self.announced_statements = 0

    def wrapper(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, ctx)
        finally:
            self.statements.append((sql, (time.perf_counter() - began) * 1000))


def statement_shape(sql: str) -> str:
    shape = _LITERALS.sub("?", " ".join(sql.split()))
    return shape[:110]


BENCH_TEXT = "Benchmark mention {n}: Die App zeigt einen Fehler beim Login"


def push_item(number: int, text: str = BENCH_TEXT) -> dict[str, Any]:
    item, errors = mention_item_validate(
        {
            "external_id": f"breakdown-{uuid.uuid4().hex}",
            "text": text.format(n=number),
            "published_at": datetime.now(UTC).isoformat(),
            "author": {"handle": f"bench{number % 20}", "followers": 100},
            "language": "de",
        }
    )
    assert item is not None, errors
    return item


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--client", default="nordbahn")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top 40")
    parser.add_argument(
        "--text",
        default=BENCH_TEXT,
        help="the mentions' text ({n}: their number); the default is the push benchmark's "
        "(kind other: no problem case); a complaint like one of the client's open cases "
        "joins that case",
    )
    args = parser.parse_args()

    client = Client.objects.get(slug=args.client)
    use_client(client)
    source = Source.objects.filter(name="Breakdown").first() or source_create(
        kind="webhook", name="Breakdown", network="bench"
    )

    clock: Clock | None = None
    send = config.live._send

    def timed_send(by_group: dict[str, list[dict[str, Any]]]) -> None:
        if clock is not None and clock.announced is None:
            clock.announced_statements = len(clock.statements)
            clock.announced_cpu = time.process_time()
        send(by_group)
        if clock is not None and clock.announced is None:
            clock.announced = time.perf_counter()

    config.live._send = timed_send

    profiler = cProfile.Profile() if args.profile else None
    totals: dict[str, list[float]] = defaultdict(list)
    by_shape: dict[str, list[float]] = defaultdict(list)
    counts: list[int] = []
    before: list[int] = []
    # Two warm-up pushes: the first loads triage models, the routing matrix, lingua.
    for number in range(-2, args.count):
        batch = IngestBatch.objects.create(
            source=source, items=[push_item(number, args.text)], received=1, enqueued_at=None
        )
        clock = Clock(time.perf_counter())
        if profiler is not None and number >= 0:
            profiler.enable()
        with connection.execute_wrapper(clock.wrapper):
            ingest_batch_process(batch_id=batch.pk)
        if profiler is not None and number >= 0:
            profiler.disable()
        ended = time.perf_counter()
        if number < 0:
            continue
        sql = sum(ms for _, ms in clock.statements)
        totals["worker total, wall"].append((ended - clock.started) * 1000)
        totals["worker total, CPU (this process)"].append(
            (time.process_time() - clock.cpu_started) * 1000
        )
        totals["SQL (sum of statements)"].append(sql)
        if clock.announced is not None:
            totals["until the event was sent, wall"].append(
                (clock.announced - clock.started) * 1000
            )
            totals["until the event was sent, CPU"].append(
                (clock.announced_cpu - clock.cpu_started) * 1000
            )
            totals["SQL until the event was sent"].append(
                sum(ms for _, ms in clock.statements[: clock.announced_statements])
            )
            before.append(clock.announced_statements)
        counts.append(len(clock.statements))
        for statement, ms in clock.statements:
            by_shape[statement_shape(statement)].append(ms)
    use_public_schema()

    print(f"one pushed mention, worker side, median of {args.count} (load {load()})")
    for name, values in totals.items():
        print(f"  {name:40s} {statistics.median(values):7.1f} ms")
    print(f"  statements per batch                     {statistics.median(counts):7.0f}")
    if before:
        print(f"  statements until the event was sent      {statistics.median(before):7.0f}")
    print("statements by total time (ms per batch: median, mean; calls per batch)")
    for shape, values in sorted(by_shape.items(), key=lambda kv: -sum(kv[1])):
        print(
            f"  {statistics.median(values):6.2f} {sum(values) / args.count:6.2f} "
            f"{len(values) / args.count:4.1f}  {shape}"
        )
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue())


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


if __name__ == "__main__":
    main()
