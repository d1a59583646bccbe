"""Channel-layer sends after a batch commits: milliseconds for one batch's events to four
groups (the client, two departments, one person), through the real Redis channel layer.

    .venv/bin/python bench/live_send.py [--rounds 300]

Needs Redis (the test settings' database 14 unless LOTSE_REDIS_URL says otherwise); nobody
has to listen. Prints p50 and p95.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

import django

django.setup()

from config import live

GROUPS = ["client-999.inbox", "client-999.dept-1", "client-999.dept-2", "client-999.user-5"]
EVENTS = [{"type": "mention.created", "mention": {"id": 1, "text": "x" * 300}}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    for _ in range(20):  # warm up: the sender loop and its connections
        live._send(dict.fromkeys(GROUPS, EVENTS))
    times = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        live._send(dict.fromkeys(GROUPS, EVENTS))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95)]
    print(f"one batch's sends to 4 groups: p50 {statistics.median(times):.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
