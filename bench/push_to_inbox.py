"""Time from POST to websocket event, mention by mention, against the running stack.

Start the stack first (`make run`), then: `.venv/bin/python bench/push_to_inbox.py`.
Pushes `--count` mentions one by one (each waits for its own event) to a demo client and
prints the median, p95, p99 and max latency. Target (issue 16): p50 < 40 ms, p99 < 100 ms.
Then where the median went: the web side (POST until its 202), and from the batches' own
times in PostgreSQL the time from writing the batch row (the web's INSERT and commit, the
send to the broker, the worker taking it) to the worker's claim, and the worker's time
until the batch was done (its case settled after the event was sent).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import logging

import django

django.setup()
logging.getLogger("httpx").setLevel(logging.WARNING)

import httpx
import websockets

from accounts.models import Client, Membership, Role
from accounts.services import api_token_create
from config.tenancy import use_client, use_public_schema
from sources.models import IngestBatch
from sources.services import signature_compute

PUSHES_PER_SOURCE = 100


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def bench_token(slug: str) -> str:
    """A fresh token of the client's admin (the bench creates a source, which needs it)."""
    client = Client.objects.filter(slug=slug).first()
    admin = (
        Membership.objects.filter(client=client, role=Role.CLIENT_ADMIN)
        .select_related("user")
        .first()
    )
    if client is None or admin is None:
        raise SystemExit(f"No client {slug!r} with an admin; run `make demo` first")
    return api_token_create(client=client, user=admin.user, name="bench")[1]


class Timings:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.accepted: list[float] = []  # POST until its 202
        self.batch_ids: list[int] = []


async def run_until(
    base_url: str,
    slug: str,
    token: str,
    count: int,
    *,
    status: str | None = None,
    timings: Timings | None = None,
    text: str = "Benchmark mention {n}: Die App zeigt einen Fehler beim Login",
) -> list[float]:
    """Push `count` mentions one by one; time each until its event arrives (with `status`)."""
    timings = timings or Timings()
    port = urlsplit(base_url).port or 80
    host = f"{slug}.localhost:{port}"
    auth = {"Authorization": f"Token {token}", "Host": host}
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        # Signed pushes are limited per source (the client's push budget a minute, 120 in
        # the demo): one source per 100 pushes keeps the benchmark under it.
        sources = []
        for _ in range(-(-count // PUSHES_PER_SOURCE)):
            created = await http.post(
                "/api/v1/sources/", json={"name": "Benchmark", "network": "bench"}, headers=auth
            )
            created.raise_for_status()
            sources.append(created.json())
        async with websockets.connect(
            f"ws://{host}/ws/inbox/",
            host=urlsplit(base_url).hostname,
            port=port,
            additional_headers={"Authorization": f"Token {token}"},
            max_size=None,
        ) as socket:
            latencies = timings.latencies
            for number in range(count):
                source = sources[number // PUSHES_PER_SOURCE]
                external_id = f"bench-{uuid.uuid4().hex}"
                mention = {
                    "external_id": external_id,
                    "text": text.format(n=number),
                    "published_at": datetime.now(UTC).isoformat(),
                    "author": {"handle": f"bench{number % 20}", "followers": 100},
                    "language": "de",
                }
                body = json.dumps({"mentions": [mention]}).encode()
                headers = {
                    "Host": host,
                    "Content-Type": "application/json",
                    "X-Lotse-Signature": signature_compute(secret=source["secret"], body=body),
                }
                started = time.perf_counter()
                response = await http.post(
                    f"/api/v1/sources/{source['id']}/mentions", content=body, headers=headers
                )
                if response.status_code != 202:
                    raise SystemExit(f"push failed: {response.status_code} {response.text}")
                timings.accepted.append((time.perf_counter() - started) * 1000)
                timings.batch_ids.append(response.json()["batch_id"])
                while True:
                    event = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
                    mention = event.get("mention") or {}
                    if mention.get("external_id") == external_id:
                        if status is not None and mention.get("status") != status:
                            raise SystemExit(f"expected {status}, got {mention.get('status')}")
                        break
                latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--client", default="nordbahn")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument(
        "--text",
        default="Benchmark mention {n}: Die App zeigt einen Fehler beim Login",
        help="the pushed text ({n}: its number); the default is kind other (no problem "
        "case); a complaint like one of the client's open cases joins it",
    )
    args = parser.parse_args()
    try:
        httpx.get(f"{args.base_url}/login/", timeout=2)
    except httpx.HTTPError:
        raise SystemExit(
            f"Nothing answers at {args.base_url}: start the stack with `make run`"
        ) from None
    token = bench_token(args.client)
    timings = Timings()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    latencies = asyncio.run(
        run_until(args.base_url, args.client, token, args.count, timings=timings, text=args.text)
    )
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"push → websocket event, {len(latencies)} mentions pushed one by one")
    print(f"  p50  {statistics.median(latencies):7.1f} ms   (target < 40 ms)")
    print(f"  p95  {percentile(latencies, 95):7.1f} ms")
    print(f"  p99  {percentile(latencies, 99):7.1f} ms   (target < 100 ms)")
    print(f"  max  {max(latencies):7.1f} ms")
    print(f"  mean {statistics.fmean(latencies):7.1f} ms")
    print("where the time went (medians)")
    print(f"  POST until 202 (web side)          {statistics.median(timings.accepted):7.1f} ms")
    use_client(Client.objects.get(slug=args.client))
    batches = list(
        IngestBatch.objects.filter(pk__in=timings.batch_ids).values_list(
            "enqueued_at", "started_at", "finished_at"
        )
    )
    use_public_schema()
    waits = [(s - e).total_seconds() * 1000 for e, s, _ in batches if e and s]
    work = [(f - s).total_seconds() * 1000 for _, s, f in batches if s and f]
    if waits and work:
        # From the batch row's time: the web's INSERT and commit, the send, the broker.
        print(f"  batch written until worker claim   {statistics.median(waits):7.1f} ms")
        print(f"  claim until the batch was done     {statistics.median(work):7.1f} ms")
    print(f"load average before {' '.join(load_before)}, after {' '.join(load_after)}")


if __name__ == "__main__":
    main()
