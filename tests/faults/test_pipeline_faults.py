"""The whole pipeline under faults, with counts: its own PostgreSQL cluster and Redis on
spare ports, a real web server, a real prefork worker and beat, and a pusher that keeps
pushing signed batches (and retries what is refused, honouring Retry-After, as integrators
are told to).

Each experiment asserts that every accepted mention is stored exactly once, that the worker
survives (or its replacement picks up the work) and that recovery takes under 30 s after
the service returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import psycopg.sql
import pytest
import websockets

from sources.services import signature_compute
from tests.faults.conftest import OwnPostgres, OwnRedis, free_port
from tests.faults.template import database_restore

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SLUG = "faults"
SCHEMA = "c_faults"
RECOVERY_SECONDS = 30
# The client, its admin and an API token (as `create_client`, `create_user` and
# `create_api_token` make them) and a feed source, in one process.
CLIENT_SETUP = """
from accounts.models import Role
from django_tenants.utils import schema_context
from accounts.services import api_token_create, user_create_or_update
from sources.services.onboarding import client_create
from sources.services.polling import source_create_polled
client = client_create(slug={slug!r}, name="Faults")
admin = user_create_or_update(
    email="admin@faults.test",
    password="faults-password-4711",
    name="Faults admin",
    client=client,
    role=Role.CLIENT_ADMIN,
)
with schema_context(client.schema_name):  # the feed source, polled by beat from the start
    source_create_polled(
        kind="rss",
        name="Fault feed",
        config={{"url": {feed_url!r}}},
        poll_interval_seconds=30,
        apply_queries=False,
    )
print(api_token_create(client=client, user=admin)[1])
"""


def _wait(check: Any, what: str, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s")


class Feed:
    """An RSS feed on loopback; the test chooses which entries it lists (`show`). Entry n has
    the id `feed-n` and is published n minutes after the feed's start."""

    def __init__(self) -> None:
        self.first = self.last = 0
        self.requests = 0
        self.start = datetime.now(UTC) - timedelta(hours=2)
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.requests += 1
                body = feed.xml()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/feed.xml"

    def show(self, first: int, last: int) -> None:
        self.first, self.last = first, last

    def xml(self) -> bytes:
        items = "".join(
            f"<item><guid>feed-{n}</guid><title>Zug {n} fällt aus</title>"
            f"<link>https://example.org/feed/{n}</link>"
            f"<pubDate>{format_datetime(self.start + timedelta(minutes=n))}</pubDate></item>"
            for n in range(self.first, self.last + 1)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Fault feed</title><link>https://example.org/</link>{items}</channel></rss>"
        ).encode()


@dataclass
class Stack:
    folder: Path
    pg: OwnPostgres
    redis: OwnRedis
    env: dict[str, str]
    web_port: int
    web2_port: int = 0  # the second web node (started by the two-node experiment)
    feed: Feed = field(default_factory=Feed)  # polled by the client's feed source
    source_id: int = 0
    secret: str = ""
    token: str = ""
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
        def web(port: int) -> list[str]:
            return [
                str(BIN / "uvicorn"),
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--ws",
                "config.ws_server:GoingAwayWebSocketProtocol",
            ]

        def worker(node: str) -> list[str]:
            return [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--hostname",
                f"{node}@%h",
                "--concurrency",
                "2",
                "--queues",
                "ingest,triage,notify,reports",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ]

        commands = {
            "web": web(self.web_port),
            "web2": web(self.web2_port),
            "worker": worker("worker"),
            "worker2": worker("worker2"),
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
        # Web nodes take their connections from a pool, as `make run` and production do.
        web_env = {"LOTSE_DB_POOL_MAX_SIZE": "10"} if name.startswith("web") else {}
        self.processes[name] = subprocess.Popen(
            commands[name],
            cwd=ROOT,
            env={**self.env, **web_env},
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

    def web_up(self, port: int) -> bool:
        try:
            return httpx.get(
                f"http://127.0.0.1:{port}/login/", headers={"Host": self.host}, timeout=1
            ).is_success
        except httpx.HTTPError:
            return False

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
    ports: tuple[int, ...] = ()  # web nodes, taken in turn (default: the first one)
    accepted: set[str] = field(default_factory=set)
    by_port: dict[int, int] = field(default_factory=dict)  # accepted batches per node
    statuses: list[int] = field(default_factory=list)
    unavailable: list[httpx.Response] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        ports = self.ports or (self.stack.web_port,)
        with httpx.Client(timeout=15) as http:
            for number in range(self.batches):
                port = ports[number % len(ports)]
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
                            f"http://127.0.0.1:{port}/api/v1/sources/{self.stack.source_id}/mentions",
                            content=body,
                            headers=headers,
                        )
                    except httpx.HTTPError:
                        time.sleep(0.5)
                        continue
                    self.statuses.append(response.status_code)
                    if response.status_code == 202:
                        self.accepted.update(ids)
                        self.by_port[port] = self.by_port.get(port, 0) + 1
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


class Phases:
    """How long each part of the setup took, printed for the record."""

    def __init__(self) -> None:
        self.took: list[tuple[str, float]] = []
        self._since = time.monotonic()

    def done(self, what: str) -> None:
        now = time.monotonic()
        self.took.append((what, now - self._since))
        self._since = now

    def __str__(self) -> str:
        parts = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in self.took)
        return f"{parts}; {sum(seconds for _, seconds in self.took):.1f} s in all"


@pytest.fixture(scope="module")
def stack(migrated_database_dump: Path | None) -> Iterator[Stack]:
    for tool in ("redis-server", "pg_ctl", "initdb"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    phases = Phases()
    folder = Path(tempfile.mkdtemp(prefix="lotse-faults-"))
    folder.chmod(0o755)  # the cluster's owner (postgres, when tests run as root) gets in
    pg = OwnPostgres(port=free_port(), folder=folder / "pg")
    pg.init()
    pg.start()
    own_redis = OwnRedis(port=free_port(), folder=folder)
    own_redis.start()
    phases.done("cluster and Redis")
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
            # The feed of the beat experiment is served on loopback.
            "LOTSE_ALLOW_PRIVATE_NETWORKS": "1",
            # Report schedules are looked for every minute (as spike checks are), so both
            # are due at once when beat comes back from its 2-minute outage.
            "LOTSE_REPORT_SCHEDULE_SECONDS": "60",
        }
    )
    with psycopg.connect(
        host="127.0.0.1", port=pg.port, user="postgres", dbname="postgres", autocommit=True
    ) as db:
        db.execute("CREATE DATABASE lotse_faults")
    result = Stack(
        folder=folder, pg=pg, redis=own_redis, env=env, web_port=free_port(), web2_port=free_port()
    )
    result.feed.show(0, 9)
    try:
        restored = migrated_database_dump is not None and database_restore(
            path=migrated_database_dump, port=pg.port, name="lotse_faults"
        )
        if restored:
            phases.done("migrated database restored")
        else:
            result.manage("migrate_schemas", "--executor=standard", "-v", "0")
            phases.done("database migrated")
        # One process for the three (each manage.py start costs seconds on a loaded machine).
        token = result.token = result.manage(
            "shell",
            "--verbosity",
            "0",
            "-c",
            CLIENT_SETUP.format(slug=SLUG, feed_url=result.feed.url),
        ).split()[-1]
        phases.done("client, user, token and feed source")
        for name in ("web", "worker", "beat"):
            result.start(name)
        _wait(lambda: result.web_up(result.web_port), "the web server answered", 60)
        _wait(lambda: "ready." in result.log("worker"), "the worker started", 60)
        created = httpx.post(
            f"http://127.0.0.1:{result.web_port}/api/v1/sources/",
            json={"name": "Fault pushes", "network": "web"},
            headers={"Host": result.host, "Authorization": f"Token {token}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        result.source_id, result.secret = created.json()["id"], created.json()["secret"]
        phases.done("web, worker and beat up")
        print(f"\n[faults] setup: {phases}")
        yield result
    finally:
        for name in list(result.processes):
            result.kill(name)  # kill -9: the cluster and Redis go next anyway
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
    # The service is back when the new worker is ready: how long its process takes to start
    # depends on the machine's load, not on Lotse's recovery.
    booted = _wait(lambda: stack.log("worker").count("ready.") >= 2, "the new worker ready", 90)
    print(f"\n[faults] the restarted worker was ready {booted:.1f} s after it was started")
    _recovery(stack, pusher, "worker kill -9 mid-batch, restarted and ready")
    thread.join(timeout=120)
    assert pusher.done.is_set()
    _exactly_once(stack, pusher)
    assert len(pusher.accepted) == 40 * 25


def test_redis_down_for_20_seconds_during_pushes(stack: Stack) -> None:
    pusher = Pusher(stack=stack, prefix="redis", batches=40, pause=0.5)
    thread = pusher.start()
    _wait(lambda: stack.stored("redis")[0] >= 50, "the worker was storing", 60)
    stack.redis.stop()
    stopped = time.monotonic()
    web_log = len(stack.log("web"))
    # A websocket handshake meanwhile is refused cleanly (live.js retries with backoff).
    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(_handshake_then_event(stack, "ws-during"))
    assert refused.value.response.status_code == 503
    assert refused.value.response.headers["Retry-After"]
    time.sleep(max(0.0, 20 - (time.monotonic() - stopped)))
    stack.redis.start()
    assert "Exception in ASGI application" not in stack.log("web")[web_log:]
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


async def _handshake_then_event(stack: Stack, external_id: str) -> float:
    """Opens the inbox websocket (5 s to complete the handshake, as live.js allows), pushes
    one mention and waits for its event; returns the seconds from push to event."""
    async with websockets.connect(
        f"ws://{stack.host}/ws/inbox/",
        host="127.0.0.1",
        port=stack.web_port,
        additional_headers={"Authorization": f"Token {stack.token}"},
        open_timeout=5,
        max_size=None,
    ) as socket:
        pusher = Pusher(stack=stack, prefix=external_id, batches=1, size=1)
        started = time.monotonic()
        await asyncio.to_thread(pusher.run)
        while True:
            event = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            mention = event.get("mention") or {}
            if str(mention.get("external_id", "")).startswith(external_id):
                return time.monotonic() - started


def test_the_first_websocket_after_a_redis_restart_opens_and_gets_events(stack: Stack) -> None:
    asyncio.run(_handshake_then_event(stack, "ws-before"))
    stack.redis.stop()
    time.sleep(5)
    stack.redis.start()
    try:
        took = asyncio.run(_handshake_then_event(stack, "ws-after"))
    except (TimeoutError, websockets.InvalidStatus) as exc:
        raise AssertionError(f"no websocket after the restart\n{stack.log('web')[-4000:]}") from exc
    print(f"\n[faults] first websocket after a Redis restart: event {took:.1f} s after the push")
    assert stack.alive("web")


def _socket(stack: Stack, port: int) -> Any:
    return websockets.connect(
        f"ws://{stack.host}/ws/inbox/",
        host="127.0.0.1",
        port=port,
        additional_headers={"Authorization": f"Token {stack.token}"},
        open_timeout=5,
        max_size=None,
    )


async def _event_where(socket: Any, matches: Any) -> dict[str, Any]:
    while True:
        event = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
        if matches(event):
            return dict(event)


def _is_mention(prefix: str) -> Any:
    def matches(event: dict[str, Any]) -> bool:
        mention = event.get("mention") or {}
        return str(mention.get("external_id", "")).startswith(prefix)

    return matches


async def _events_and_presence_cross_nodes(stack: Stack) -> None:
    """Sockets on both nodes: a mention pushed via one node reaches the socket on the other,
    and so does presence sent on the other node's socket."""
    async with _socket(stack, stack.web_port) as on_a, _socket(stack, stack.web2_port) as on_b:
        for prefix, port, receiver, sender in (
            ("via-b", stack.web2_port, on_a, on_b),
            ("via-a", stack.web_port, on_b, on_a),
        ):
            pusher = Pusher(stack=stack, prefix=prefix, batches=1, size=1, ports=(port,))
            await asyncio.to_thread(pusher.run)
            event = await _event_where(receiver, _is_mention(prefix))
            mention_id = event["mention"]["id"]
            await sender.send(
                json.dumps({"type": "presence", "mention_id": mention_id, "state": "viewing"})
            )
            presence = await _event_where(
                receiver,
                lambda e, m=mention_id: e.get("type") == "presence" and e.get("mention_id") == m,
            )
            assert presence["state"] == "viewing"


def _tasks_received(stack: Stack, task: str) -> int:
    return sum(stack.log(name).count(f"Task {task}[") for name in ("worker", "worker2"))


def _batches_running(stack: Stack, worker: str) -> int:
    """Ingest batches `worker` has received and not yet finished (from its log)."""
    log = stack.log(worker)
    received = len(re.findall(r"Task sources\.ingest_batch\[[^\]]+\] received", log))
    return received - len(re.findall(r"Task sources\.ingest_batch\[[^\]]+\] succeeded", log))


BEAT_OUTAGE_SECONDS = 120


def test_beat_stopped_for_two_minutes_while_two_web_nodes_and_two_workers_take_pushes(
    stack: Stack,
) -> None:
    """Beat is stopped for 2 minutes. Meanwhile a second web node and a second worker join:
    pushes go to both nodes, one worker is killed mid-batch, events and presence cross the
    nodes. Pushes are stored without beat; what beat drives (the sweep that recovers the
    killed worker's batches, feed polling, spike checks, report schedules) resumes when it
    is back, with nothing lost or doubled."""
    feed = stack.feed
    _wait(lambda: stack.stored("feed") == (10, 10), "the feed polled by beat", 60)
    stack.kill("beat", signal.SIGTERM)
    stopped = time.monotonic()
    stack.start("web2")
    stack.start("worker2")
    time.sleep(2)  # a poll beat queued just before it stopped may still run
    polls_before = feed.requests
    feed.show(5, 19)  # overlaps what was polled before: entries 5 to 9 again
    _wait(lambda: stack.web_up(stack.web2_port), "the second web node answered", 60)
    _wait(lambda: "ready." in stack.log("worker2"), "the second worker started", 60)

    asyncio.run(_events_and_presence_cross_nodes(stack))
    pusher = Pusher(
        stack=stack,
        prefix="twonodes",
        batches=40,
        pause=0.2,
        ports=(stack.web_port, stack.web2_port),
    )
    thread = pusher.start()
    _wait(lambda: stack.stored("twonodes")[0] >= 200, "both workers were storing", 60)
    _wait(lambda: _batches_running(stack, "worker2") > 0, "the second worker in a batch", 60)
    stack.kill("worker2")  # kill -9 mid-batch: only the sweep (beat) hands its batches back
    stack.start("worker2")
    thread.join(timeout=BEAT_OUTAGE_SECONDS)
    assert pusher.done.is_set()
    assert len(pusher.accepted) == 40 * 25
    assert all(pusher.by_port.get(port, 0) == 20 for port in (stack.web_port, stack.web2_port))
    # Without beat, pushes are still stored (they are queued directly): all but what the
    # killed worker held (at most two running and two reserved batches).
    _wait(
        lambda: stack.stored_of(sorted(pusher.accepted)) >= len(pusher.accepted) - 4 * 25,
        "pushes stored without beat",
        RECOVERY_SECONDS,
    )
    time.sleep(max(0.0, BEAT_OUTAGE_SECONDS - (time.monotonic() - stopped)))
    waiting = len(pusher.accepted) - stack.stored_of(sorted(pusher.accepted))
    assert feed.requests == polls_before, "the feed was polled without beat"
    assert stack.stored("feed") == (10, 10)
    spikes = _tasks_received(stack, "reports.spike_check_all_clients")
    reports = _tasks_received(stack, "reports.report_schedules_due_all_clients")

    beat_log = len(stack.log("beat"))  # earlier experiments took Redis away from it
    stack.start("beat")
    # Beat is back when it has started (its process start depends on the machine's load).
    booted = _wait(lambda: "Starting..." in stack.log("beat")[beat_log:], "beat started", 90)
    print(f"\n[faults] beat was up {booted:.1f} s after it was started")
    back = time.monotonic()
    _recovery(stack, pusher, f"beat back after 2 min ({waiting} held by the killed worker)")
    _wait(lambda: stack.stored("feed") == (20, 20), "the feed's new entries stored", 30)
    _wait(
        lambda: (
            _tasks_received(stack, "reports.spike_check_all_clients") > spikes
            and _tasks_received(stack, "reports.report_schedules_due_all_clients") > reports
        ),
        "spike checks and report schedules resumed",
        30,
    )
    took = time.monotonic() - back
    print(
        f"\n[faults] beat back after 2 min: sweep, feed ({feed.requests - polls_before} polls, "
        f"20 entries stored once), spike and report checks resumed {took:.1f} s after; "
        f"pushes per node {sorted(pusher.by_port.values())}"
    )
    assert took < RECOVERY_SECONDS
    _exactly_once(stack, pusher)
    assert stack.stored("feed") == (20, 20)  # entries polled twice are stored once
    assert all(stack.alive(name) for name in ("web", "web2", "worker", "worker2", "beat"))
    assert "Traceback" not in stack.log("beat")[beat_log:]
