"""CPU seconds the worker and PostgreSQL spent between two calls: a figure the load of other
work on the machine does not inflate (wall-clock throughput does).

    .venv/bin/python bench/stack_cpu.py start --worker-pid PID
    .venv/bin/python bench/ingest.py ...
    .venv/bin/python bench/stack_cpu.py end --worker-pid PID --mentions 15000

Counts the Celery worker (PID and its children) and every PostgreSQL backend connected to
this settings' database (the worker's keep their connections: LOTSE_DB_CONN_MAX_AGE=60, as
`make run` starts it). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

import psycopg

STATE = Path(__file__).resolve().parents[1] / "var" / "stack-cpu.json"


def _cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids(worker_pid: int, database: str) -> set[int]:
    found = {worker_pid}
    children = subprocess.run(["pgrep", "-P", str(worker_pid)], capture_output=True, text=True)
    found.update(int(pid) for pid in children.stdout.split())
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=database) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    found.update(row[0] for row in rows)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["start", "end"])
    parser.add_argument("--worker-pid", type=int, required=True)
    parser.add_argument("--database", default=os.environ.get("LOTSE_DB_NAME", "lotse"))
    parser.add_argument("--mentions", type=int, default=0)
    args = parser.parse_args()
    pids = _pids(args.worker_pid, args.database)
    if args.step == "start":
        STATE.parent.mkdir(exist_ok=True)
        STATE.write_text(json.dumps({pid: _cpu(pid) for pid in pids}))
        return
    before = {int(pid): cpu for pid, cpu in json.loads(STATE.read_text()).items()}
    total = 0.0
    for pid in pids | set(before):
        now = _cpu(pid)
        if now is not None:
            total += now - (before.get(pid) or 0.0)
    print(f"worker + PostgreSQL CPU: {total:.1f} s", end="")
    if args.mentions:
        per = total / args.mentions * 1000
        print(f" = {per:.2f} ms a mention (2 idle cores: at most {2000 / per:,.0f} a second)")
    else:
        print()


if __name__ == "__main__":
    main()
