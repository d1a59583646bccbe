"""The whole pipeline under faults, with counts: its own PostgreSQL cluster and Redis on
spare ports, a real web server, a real prefork worker and beat, and a pusher that keeps
pushing signed batches (and retries what is refused, honouring Retry-After, as integrators
are told to).

Each experiment asserts that every accepted mention is stored exactly once, that the worker
survives (or its replacement picks up the work) and that recovery takes under 30 s after
the service returns.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import psycopg.sql
import pytest

from sources.services import signature_compute
from tests.faults.conftest import OwnPostgres, OwnRedis, free_port

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SLUG = "faults"
SCHEMA = "c_faults"
RECOVERY_SECONDS = 30


def _wait(check: Any, what: str, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s")


@dataclass
class Stack:
    folder: Path
    pg: OwnPostgres
    redis: OwnRedis
    env: dict[str, str]
    web_port: int
    source_id: int = 0
    secret: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self, name: str) -> None:
        commands = {
            "web": [
                str(BIN / "uvicorn"),
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.web_port),
                "--log-level",
                "warning",
            ],
            "worker": [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--concurrency",
                "2",
                "--queues",
                "ingest,triage,notify,reports",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            "beat": [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.folder / "celerybeat-schedule"),
            ],
        }
        log = (self.folder / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            commands[name],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 takes the children too
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    @property
    def host(self) -> str:
        return f"{SLUG}.localhost:{self.web_port}"

    def stored(self, prefix: str) -> tuple[int, int]:
        """(rows, distinct external ids) stored for the experiment's mentions."""
        with psycopg.connect(
            host="127.0.0.1", port=self.pg.port, user="postgres", dbname="lotse_faults"
        ) as db:
            row = db.execute(
                psycopg.sql.SQL(
                    "SELECT count(*), count(DISTINCT external_id) FROM {}.mentions_mention "
                    "WHERE external_id LIKE %s"
                ).format(psycopg.sql.Identifier(SCHEMA)),
                [f"{prefix}-%"],
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def stored_of(self, external_ids: list[str]) -> int:
        with psycopg.connect(
            host="127.0.0.1", port=self.pg.port, user="postgres", dbname="lotse_faults"
        ) as db:
            row = db.execute(
                psycopg.sql.SQL(
                    "SELECT count(DISTINCT external_id) FROM {}.mentions_mention "
                    "WHERE external_id = ANY(%s)"
                ).format(psycopg.sql.Identifier(SCHEMA)),
                [external_ids],
            ).fetchone()
        assert row is not None
        return int(row[0])

    def stored_or_none(self, prefix: str) -> tuple[int, int] | None:
        try:
            return self.stored(prefix)
        except psycopg.OperationalError:
            return None


@dataclass
class Pusher:
    """Pushes `batches` signed batches of `size` mentions, one after the other; a refused or
    failed push is retried (Retry-After honoured, at most 2 s here) until it is accepted."""

    stack: Stack
    prefix: str
    batches: int
    size: int = 25
    pause: float = 0.05
    accepted: set[str] = field(default_factory=set)
    statuses: list[int] = field(default_factory=list)
    unavailable: list[httpx.Response] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{self.stack.web_port}", timeout=15) as http:
            for number in range(self.batches):
                ids = [f"{self.prefix}-{number}-{n}" for n in range(self.size)]
                body = json.dumps(
                    {
                        "mentions": [
                            {
                                "external_id": external_id,
                                "text": f"Der Zug {external_id} fällt aus, keine Durchsage",
                                "published_at": datetime.now(UTC).isoformat(),
                                "author": {"handle": f"fault{n % 7}", "followers": 10},
                                "language": "de",
                            }
                            for n, external_id in enumerate(ids)
                        ]
                    }
                ).encode()
                headers = {
                    "Host": self.stack.host,
                    "Content-Type": "application/json",
                    "X-Lotse-Signature": signature_compute(secret=self.stack.secret, body=body),
                }
                while True:
                    try:
                        response = http.post(
                            f"/api/v1/sources/{self.stack.source_id}/mentions",
                            content=body,
                            headers=headers,
                        )
                    except httpx.HTTPError:
                        time.sleep(0.5)
                        continue
                    self.statuses.append(response.status_code)
                    if response.status_code == 202:
                        self.accepted.update(ids)
                        break
                    if response.status_code == 503:
                        self.unavailable.append(response)
                    wait = float(response.headers.get("Retry-After", "1"))
                    time.sleep(min(wait, 2.0))
                time.sleep(self.pause)
        self.done.set()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    for tool in ("redis-server", "pg_ctl", "initdb"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    folder = Path(tempfile.mkdtemp(prefix="lotse-faults-"))
    folder.chmod(0o755)  # the cluster's owner (postgres, when tests run as root) gets in
    pg = OwnPostgres(port=free_port(), folder=folder / "pg")
    pg.init()
    pg.start()
    own_redis = OwnRedis(port=free_port(), folder=folder)
    own_redis.start()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LOTSE_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOTSE_DEBUG": "1",
            "LOTSE_SECRET_KEY": "faults-" + "x" * 50,
            "LOTSE_DB_HOST": "127.0.0.1",
            "LOTSE_DB_PORT": str(pg.port),
            "LOTSE_DB_NAME": "lotse_faults",
            "LOTSE_REDIS_URL": own_redis.url,
            "LOTSE_LOG_FORMAT": "console",
            "PYTHONUNBUFFERED": "1",
        }
    )
    with psycopg.connect(
        host="127.0.0.1", port=pg.port, user="postgres", dbname="postgres", autocommit=True
    ) as db:
        db.execute("CREATE DATABASE lotse_faults")
    result = Stack(folder=folder, pg=pg, redis=own_redis, env=env, web_port=free_port())
    try:
        result.manage("migrate_schemas", "--executor=standard", "-v", "0")
        result.manage("create_client", SLUG, "--name", "Faults")
        result.manage(
            "create_user",
            "admin@faults.test",
            "--client",
            SLUG,
            "--role",
            "client_admin",
            "--password",
            "faults-password-4711",
        )
        token = result.manage(
            "create_api_token", "--client", SLUG, "--user", "admin@faults.test"
        ).split()[-1]
        for name in ("web", "worker", "beat"):
            result.start(name)

        def web_up() -> bool:
            try:
                return httpx.get(
                    f"http://127.0.0.1:{result.web_port}/login/",
                    headers={"Host": result.host},
                    timeout=1,
                ).is_success
            except httpx.HTTPError:
                return False

        _wait(web_up, "the web server answered", 60)
        _wait(lambda: "ready." in result.log("worker"), "the worker started", 60)
        created = httpx.post(
            f"http://127.0.0.1:{result.web_port}/api/v1/sources/",
            json={"name": "Fault pushes", "network": "web"},
            headers={"Host": result.host, "Authorization": f"Token {token}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        result.source_id, result.secret = created.json()["id"], created.json()["secret"]
        yield result
    finally:
        for name in list(result.processes):
            result.kill(name, signal.SIGTERM)
        own_redis.stop()
        pg.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def _recovery(stack: Stack, pusher: Pusher, what: str) -> float:
    """From the moment the service is back: how long until every mention accepted so far
    (before and during the fault) is stored. Printed for the record (`make test-faults`)."""
    started = time.monotonic()
    backlog = sorted(pusher.accepted)

    def caught_up() -> bool:
        try:
            return stack.stored_of(backlog) == len(backlog)
        except psycopg.OperationalError:
            return False

    _wait(caught_up, f"the {len(backlog)} mentions accepted before recovery stored", 60)
    took = time.monotonic() - started
    print(f"\n[faults] {what}: {len(backlog)} accepted mentions stored {took:.1f} s after")
    assert took < RECOVERY_SECONDS, f"recovery took {took:.1f} s"
    return took


def _exactly_once(stack: Stack, pusher: Pusher) -> float:
    """Waits until every accepted mention is stored; returns how long that took."""
    expected = len(pusher.accepted)

    def all_stored() -> bool:
        counts = stack.stored_or_none(pusher.prefix)
        return counts is not None and counts[1] >= expected

    took = _wait(all_stored, f"all {expected} accepted mentions stored", RECOVERY_SECONDS)
    assert stack.stored(pusher.prefix) == (expected, expected)  # none lost, none doubled
    return took


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(stack: Stack) -> None:
    pusher = Pusher(stack=stack, prefix="kill9", batches=40)
    thread = pusher.start()
    _wait(lambda: stack.stored("kill9")[0] >= 200, "the worker was storing", 60)
    stack.kill("worker")  # kill -9, children included, mid-batch
    time.sleep(2)
    stack.start("worker")
    _recovery(stack, pusher, "worker kill -9 mid-batch, restarted")
    thread.join(timeout=120)
    assert pusher.done.is_set()
    _wait(lambda: stack.log("worker").count("ready.") >= 2, "the new worker started", 60)
    _exactly_once(stack, pusher)
    assert len(pusher.accepted) == 40 * 25


def test_redis_down_for_20_seconds_during_pushes(stack: Stack) -> None:
    pusher = Pusher(stack=stack, prefix="redis", batches=40, pause=0.5)
    thread = pusher.start()
    _wait(lambda: stack.stored("redis")[0] >= 50, "the worker was storing", 60)
    stack.redis.stop()
    time.sleep(20)
    stack.redis.start()
    _recovery(stack, pusher, "Redis down for 20 s")
    thread.join(timeout=120)
    assert pusher.done.is_set()
    _exactly_once(stack, pusher)
    assert stack.alive("worker"), "the worker died with Redis"
    assert 500 not in pusher.statuses


def test_postgres_stopped_for_15_seconds_during_pushes(stack: Stack) -> None:
    pusher = Pusher(stack=stack, prefix="pgdown", batches=40, pause=0.5)
    thread = pusher.start()
    _wait(lambda: stack.stored("pgdown")[0] >= 50, "the worker was storing", 60)
    stack.pg.stop("fast")
    time.sleep(15)
    stack.pg.start()
    _recovery(stack, pusher, "PostgreSQL stopped for 15 s")
    thread.join(timeout=180)
    assert pusher.done.is_set()
    _exactly_once(stack, pusher)
    assert stack.alive("worker"), "the worker died with PostgreSQL"
    # Pushes during the outage were told to come back, in the API's JSON shape.
    assert 500 not in pusher.statuses
    for refused in pusher.unavailable:
        assert refused.headers["Retry-After"]
        assert refused.json()["error"]["code"] == "unavailable"
