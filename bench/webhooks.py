"""Outbound webhooks: what a subscriber costs ingest, how fast events go out, and the lag.

Runs in one process against a migrated database with the demo clients (`make demo`, or
`LOTSE_DB_NAME=... manage.py migrate_schemas && manage.py demo_setup`); no worker needed:
senders are threads calling `webhook_deliveries_send_due`, exactly what each
`webhooks.deliver_due` task runs (several tasks share the work through SKIP LOCKED). The
threads share one interpreter lock, so N threads measure the claiming, not N workers'
speed; the receiver runs in its own process.

1. ingest throughput (`mentions_store`, batches of `--batch`) of `--count` mentions without
   any subscriber, then with one subscribed to mention.created and mention.routed;
2. events per second delivered to a loopback receiver by 1 and by `--senders` senders, from
   a backlog of outbox rows;
3. lag (event written → received) p50/p95/max under a burst of `--burst` mentions ingested
   while `--senders` senders deliver.

    .venv/bin/python bench/webhooks.py [--count 5000] [--burst 10000] [--senders 4]

Everything the bench makes is deleted at the end (its source, subscription and mentions).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")
os.environ.setdefault("LOTSE_ALLOW_PRIVATE_NETWORKS", "1")

import django

django.setup()

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from accounts.models import Client, Role
from accounts.selectors import client_members
from config.celery import task_lookup
from mentions.models import Mention
from mentions.pipeline import mentions_store
from sources.demo_content import demo_mention
from sources.formats import mention_item_validate
from sources.services import source_create
from webhooks.models import Delivery, DeliveryStatus, Event, Subscription
from webhooks.services import webhook_deliveries_send_due, webhook_subscription_create

_RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@contextmanager
def loopback_receiver() -> Iterator[str]:
    """A receiver in its own process (in this one it would compete for the GIL)."""
    process = subprocess.Popen([sys.executable, "-c", _RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{process.stdout.readline().strip()}/hook"
    finally:
        process.terminate()
        process.wait()


def items_for(client: Client, count: int, rng: random.Random) -> list[dict]:
    now = datetime.now(UTC)
    result = []
    for _ in range(count):
        item, errors = mention_item_validate(
            demo_mention(client_slug=client.slug, rng=rng, now=now)
        )
        assert item is not None, errors
        result.append(item)
    return result


def ingest(client: Client, source, items: list[dict], batch: int) -> float:
    """Seconds to store `items` in batches, each batch its own transaction."""
    started = time.perf_counter()
    with tenant_context(client):
        for start in range(0, len(items), batch):
            with transaction.atomic():
                mentions_store(source=source, items=items[start : start + batch])
    return time.perf_counter() - started


class Senders:
    """`n` threads delivering what is due, each with its own connection, until stopped."""

    def __init__(self, client: Client, n: int) -> None:
        self.client = client
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(n)]
        self.sent = 0
        self.lock = threading.Lock()

    def _run(self) -> None:
        try:
            with tenant_context(self.client):
                while not self.stop.is_set():
                    done = webhook_deliveries_send_due(limit=500)
                    with self.lock:
                        self.sent += done
                    if not done:
                        time.sleep(0.02)
        finally:
            connection.close()

    def __enter__(self) -> Senders:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def pending(client: Client) -> int:
    with tenant_context(client):
        return Delivery.objects.filter(status=DeliveryStatus.PENDING).count()


def drain(client: Client, senders: int, timeout: float = 600.0) -> tuple[int, float]:
    started = time.perf_counter()
    with Senders(client, senders) as running:
        while pending(client) and time.perf_counter() - started < timeout:
            time.sleep(0.05)
    return running.sent, time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", default="")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--senders", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(7)
    clients = Client.objects.exclude(schema_name__in=("public", settings.TENANT_BASE_SCHEMA))
    client = clients.get(slug=args.client) if args.client else clients.order_by("id").first()
    assert client is not None, "no client: run demo_setup first"
    admin = client_members(client=client, min_role=Role.CLIENT_ADMIN)[0]
    with tenant_context(client):
        source = source_create(kind="import", name=f"Bench webhooks {uuid.uuid4().hex[:6]}")
    task_lookup("webhooks.deliver_due")  # a worker has its task modules imported already
    print(f"client {client.slug}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}")

    # 1. Ingest without and with a subscriber (after a warm-up: triage models load once).
    ingest(client, source, items_for(client, 200, rng), args.batch)
    plain = ingest(client, source, items_for(client, args.count, rng), args.batch)
    print(f"ingest, no subscriber:   {args.count / plain:8.0f} mentions/s")
    with loopback_receiver() as url:
        with tenant_context(client):
            subscription = webhook_subscription_create(
                data={"url": url, "events": ["mention.created", "mention.routed"]},
                by=admin,
            ).subscription
        subscribed = ingest(client, source, items_for(client, args.count, rng), args.batch)
        queued = pending(client)
        print(
            f"ingest, one subscriber:  {args.count / subscribed:8.0f} mentions/s "
            f"({queued} deliveries queued, {subscribed / plain - 1:+.0%} time)"
        )

        # 2. Delivery rate from the backlog: half with one sender, the rest with several.
        with tenant_context(client):
            ids = list(
                Delivery.objects.filter(status=DeliveryStatus.PENDING)
                .order_by("id")
                .values_list("id", flat=True)
            )
            later = ids[len(ids) // 2 :]
            Delivery.objects.filter(id__in=later).update(status="held")
        sent, seconds = drain(client, 1)
        print(f"delivered, 1 sender:     {sent / seconds:8.0f} events/s ({sent} events)")
        with tenant_context(client):
            Delivery.objects.filter(id__in=later).update(status=DeliveryStatus.PENDING)
        sent, seconds = drain(client, args.senders)
        print(
            f"delivered, {args.senders} senders:    {sent / seconds:8.0f} events/s ({sent} events)"
        )

        # 3. Lag under a burst, senders running while the burst is ingested.
        with tenant_context(client):
            Subscription.objects.filter(pk=subscription.pk).update(events=["mention.created"])
        receiver_lags: list[float] = []
        burst = items_for(client, args.burst, rng)
        with tenant_context(client):
            first_event = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
        started = time.perf_counter()
        with Senders(client, args.senders):
            stored = ingest(client, source, burst, args.batch)
            while pending(client):
                time.sleep(0.02)
        total = time.perf_counter() - started
        with tenant_context(client):
            # Written (inside the batch's transaction) until the receiver answered.
            for created, attempted, took in Delivery.objects.filter(
                event_id__gt=first_event, status=DeliveryStatus.SUCCEEDED
            ).values_list("event__created_at", "attempted_at", "duration_ms"):
                assert attempted is not None
                lag = (attempted - created).total_seconds() + (took or 0) / 1000
                receiver_lags.append(lag)
        print(
            f"burst of {args.burst}: ingested in {stored:.1f}s, all delivered after "
            f"{total:.1f}s; lag p50 {pct(receiver_lags, 0.5):.2f}s, "
            f"p95 {pct(receiver_lags, 0.95):.2f}s, max {max(receiver_lags):.2f}s "
            f"({len(receiver_lags)} events)"
        )

    with tenant_context(client):
        Subscription.objects.filter(pk=subscription.pk).delete()
        Event.objects.filter(deliveries__isnull=True).delete()
        Mention.objects.filter(source=source).delete()
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
