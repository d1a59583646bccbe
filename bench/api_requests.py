"""Per-request latency of the API against a running web server, and how many PostgreSQL
sessions (connections) the requests opened.

Start a web server on the database first (`make run`, or uvicorn alone), then:

    .venv/bin/python bench/api_requests.py --base-url http://127.0.0.1:8000 [--client nordbahn]

Sends `--count` GETs of `/api/v1/mentions/` one by one with a client admin's token and prints
the median, p90 and p99 and the sessions PostgreSQL counted for the database meanwhile
(`pg_stat_database.sessions`: about one per request without the pool, none with a warm
pool; the web's `LOTSE_DB_POOL_MAX_SIZE`, issue 16).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

import httpx
from django.db import connection

from bench.push_to_inbox import bench_token, percentile


def sessions_opened() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--client", default="nordbahn")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    token = bench_token(args.client)
    port = urlsplit(args.base_url).port
    headers = {"Authorization": f"Token {token}", "Host": f"{args.client}.localhost:{port}"}
    latencies: list[float] = []
    with httpx.Client(base_url=args.base_url, headers=headers, timeout=30) as http:
        for _ in range(5):  # warm up: imports, the pool's first connections
            http.get("/api/v1/mentions/").raise_for_status()
        before = sessions_opened()
        for _ in range(args.count):
            started = time.perf_counter()
            http.get("/api/v1/mentions/").raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(2)  # backends report their statistics within a second
        opened = sessions_opened() - before
    print(
        f"{args.count} GET /api/v1/mentions/: p50 {statistics.median(latencies):.1f} ms, "
        f"p90 {percentile(latencies, 90):.1f}, p99 {percentile(latencies, 99):.1f}; "
        f"PostgreSQL sessions opened: {opened}; "
        f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    )


if __name__ == "__main__":
    main()
