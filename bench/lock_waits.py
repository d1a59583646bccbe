"""What the ingest workers' database sessions wait on, sampled from pg_stat_activity.

Run it beside `bench/ingest.py` (or any load) against the same database:
`.venv/bin/python bench/lock_waits.py --seconds 60`. Every `--interval` seconds it reads
the other sessions of this database that are inside a transaction, and counts for each
what it is doing: running a statement, waiting on a lock (by lock type: the clustering
lock is `advisory`; a row another batch holds is `transactionid` or `tuple`), or idle in
its transaction (the worker is computing in Python). A waiting session is also labelled
with the statement it waits in (its first words), so an author upsert held up by another
batch's authors shows apart from a mention insert held up by rollup rows.

Prints the share of in-transaction samples per state (a sample is one session at one
moment), and the load average. Sampling shows where the time goes without changing the
code under test; it misses waits shorter than the interval.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection

_SAMPLE = """
SELECT a.state, a.wait_event_type, a.wait_event, left(a.query, 200),
       (SELECT string_agg(DISTINCT l.locktype, ',') FROM pg_locks l
        WHERE l.pid = a.pid AND NOT l.granted),
       (SELECT left(b.query, 200) FROM pg_stat_activity b
        WHERE b.pid = (pg_blocking_pids(a.pid))[1])
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
  AND a.backend_type = 'client backend' AND a.xact_start IS NOT NULL
"""


def _statement(query: str) -> str:
    """The statement's kind and main table, e.g. 'INSERT mentions_author'."""
    words = re.sub(r"\s+", " ", query).strip()
    if "pg_advisory_xact_lock" in words:
        return "advisory lock"
    match = re.search(r"(INSERT INTO|UPDATE|DELETE FROM|FROM) \"?([a-z_]+)", words)
    verb = words.split(" ", 1)[0].upper() if words else "?"
    return f"{verb} {match.group(2)}" if match else verb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=0.02)
    args = parser.parse_args()
    counts: Counter[str] = Counter()
    samples = 0
    ended = time.monotonic() + args.seconds
    with connection.cursor() as cursor:
        while time.monotonic() < ended:
            cursor.execute(_SAMPLE)
            for state, wait_type, wait_event, query, waiting_on, blocker in cursor.fetchall():
                samples += 1
                if wait_type == "Lock":
                    label = (
                        f"waiting on {waiting_on or wait_event} lock in {_statement(query)}"
                        f" (holder's last statement: {_statement(blocker or '')})"
                    )
                elif state == "active":
                    label = "running a statement"
                    if wait_type:
                        label += f" (waits on {wait_type}:{wait_event})"
                else:
                    label = "idle in transaction (Python)"
                counts[label] += 1
            time.sleep(args.interval)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"{samples} in-transaction samples over {args.seconds:.0f} s, load average {load}")
    for label, count in counts.most_common():
        print(f"  {100 * count / max(samples, 1):5.1f} %  {count:6}  {label}")


if __name__ == "__main__":
    main()
