"""Sustained ingest throughput through triage and routing into PostgreSQL.

Start the stack first (`make run`: worker and database on this machine), then
`.venv/bin/python bench/ingest.py`. Two measurements on the demo client:

1. file import: `--import-count` mentions in a JSONL file through `import_mentions`
   (batches of 500 handed to the Celery worker), timed until every batch is stored;
2. polled feeds: `--feeds` RSS feeds of `--items` entries each, served from loopback,
   polled by the worker (one poll task per feed), timed until every entry is stored.

Prints mentions per second for each (target: 3,000 per second on the 2-core machine), the
workers' CPU milliseconds per stored mention (`time.process_time` in the worker, counted
in `lotse_ingest_cpu_seconds_total`: the figure a shared machine does not blur) and the
load average. `make run` starts one worker with two processes (`--concurrency 2`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")
os.environ.setdefault("LOTSE_ALLOW_PRIVATE_NETWORKS", "1")

import django

django.setup()

from django_tenants.utils import tenant_context

from accounts.models import Client
from config.metrics import INGEST_CPU, MENTIONS_STORED, metric_total
from mentions.models import Mention
from sources.demo_content import demo_mention
from sources.models import Source
from sources.services import source_create
from sources.services.polling import source_create_polled
from sources.tasks import poll_source_task
from tests.replay import ReplayServer


def wait_for(count_fn: Callable[[], int], expected: int, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if count_fn() >= expected:
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"timed out: {count_fn()} of {expected} stored after {timeout}s")


def bench_import(client: Client, count: int, rng: random.Random) -> float:
    with tenant_context(client):
        source = source_create(kind="import", name=f"Bench import {uuid.uuid4().hex[:6]}")
    now = datetime.now(UTC)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        for _ in range(count):
            handle.write(json.dumps(demo_mention(client_slug=client.slug, rng=rng, now=now)))
            handle.write("\n")
        path = handle.name
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_mentions",
            path,
            "--client",
            client.slug,
            "--source",
            str(source.pk),
            "--progress",
            "never",
            "--idle-timeout",
            "120",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    os.unlink(path)
    if result.returncode != 0 or f"Stored:     {count}" not in result.stdout:
        raise SystemExit(f"import failed:\n{result.stdout}\n{result.stderr}")
    return count / elapsed


def feed_xml(client_slug: str, index: int, items: int, rng: random.Random) -> bytes:
    now = datetime.now(UTC)
    entries = []
    for number in range(items):
        mention = demo_mention(client_slug=client_slug, rng=rng, now=now)
        published = format_datetime(now - timedelta(minutes=number), usegmt=True)
        guid = f"bench-{index}-{number}-{uuid.uuid4().hex[:8]}"
        entries.append(
            f"<item><guid>{guid}</guid><title>{escape(mention['text'][:80])}</title>"
            f"<link>https://feeds.example/{guid}</link><description>"
            f"{escape(mention['text'])}</description><pubDate>{published}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {index}</title>{''.join(entries)}</channel></rss>"
    ).encode()


def bench_feeds(client: Client, feeds: int, items: int, rng: random.Random) -> float:
    with ReplayServer() as server:
        for index in range(feeds):
            server.add(
                "GET",
                f"/feed-{index}",
                body=feed_xml(client.slug, index, items, rng),
                headers={"Content-Type": "application/rss+xml"},
            )
        with tenant_context(client):
            sources = [
                source_create_polled(
                    kind="rss",
                    name=f"Bench feed {index}",
                    apply_queries=False,
                    config={"url": f"{server.url}/feed-{index}"},
                    poll_interval_seconds=3600,
                )
                for index in range(feeds)
            ]
            ids = [source.pk for source in sources]

            def stored() -> int:
                return Mention.objects.filter(source_id__in=ids).count()

            started = time.perf_counter()
            for source_id in ids:
                poll_source_task.delay(client.schema_name, source_id)
            finished = wait_for(stored, feeds * items, timeout=300)
            Source.objects.filter(pk__in=ids).update(enabled=False)
    return feeds * items / (finished - started)


class WorkerCpu:
    """The workers' CPU per stored mention between `start` and `stop` (from the counters
    every worker keeps in Redis)."""

    def start(self) -> None:
        self.cpu = metric_total(INGEST_CPU)
        self.stored = metric_total(MENTIONS_STORED)

    def stop(self) -> str:
        cpu = metric_total(INGEST_CPU) - self.cpu
        stored = metric_total(MENTIONS_STORED) - self.stored
        per = f"{1000 * cpu / stored:5.2f}" if stored else "  n/a"
        load = Path("/proc/loadavg").read_text().split()[0]
        return f"worker CPU {per} ms/mention, load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--client", default="nordbahn")
    parser.add_argument("--import-count", type=int, default=20_000)
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--items", type=int, default=250)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    client = Client.objects.filter(slug=args.client).first()
    if client is None:
        raise SystemExit(f"No client {args.client!r}: run `make run` (or `make demo`) first")
    rng = random.Random(args.seed)
    print(f"ingest into {client.name}, worker and PostgreSQL on this machine")
    cpu = WorkerCpu()
    cpu.start()
    rate = bench_import(client, args.import_count, rng)
    print(
        f"  file import:  {args.import_count:>6} mentions  {rate:8.0f} mentions/s  "
        f"(target 3000)  {cpu.stop()}"
    )
    total = args.feeds * args.items
    cpu.start()
    rate = bench_feeds(client, args.feeds, args.items, rng)
    print(
        f"  polled feeds: {total:>6} entries   {rate:8.0f} mentions/s  (target 3000)  {cpu.stop()}"
    )


if __name__ == "__main__":
    main()
