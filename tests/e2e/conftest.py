"""A real stack for end-to-end tests: uvicorn serving the ASGI app and a Celery worker,
both separate processes on the test database and the test Redis database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
MAIL_DIR = ARTIFACTS / "mail"


@dataclass
class LiveStack:
    port: int
    base_url: str
    demo_network_port: int = 0  # where the worker delivers the demo sources' replies

    def host(self, slug: str) -> str:
        return f"{slug}.localhost:{self.port}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(check: Any, what: str, timeout: float, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
    raise RuntimeError(f"{what} did not come up within {timeout}s\n{tails}")


@pytest.fixture(scope="session")
def live_stack(django_db_setup: None, django_db_blocker: Any) -> Iterator[LiveStack]:
    ARTIFACTS.mkdir(exist_ok=True)
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    port = _free_port()
    demo_network_port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "LOTSE_DB_NAME": connection.settings_dict["NAME"],
        "LOTSE_REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
        # Mail the servers send lands in files here (the demo's var/mail/, for tests).
        "LOTSE_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "LOTSE_EMAIL_FILE_PATH": str(MAIL_DIR),
        "LOTSE_DEMO_NETWORK_URL": f"http://127.0.0.1:{demo_network_port}",
    }
    bin_dir = Path(sys.executable).parent
    web_log = ARTIFACTS / "uvicorn.log"
    worker_log = ARTIFACTS / "celery-worker.log"
    web = subprocess.Popen(
        [
            str(bin_dir / "uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--ws",
            "config.ws_server:GoingAwayWebSocketProtocol",
        ],
        cwd=ROOT,
        env=env,
        stdout=web_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    beat_log = ARTIFACTS / "celery-beat.log"
    beat = subprocess.Popen(
        [
            str(bin_dir / "celery"),
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(ARTIFACTS / "celerybeat-schedule"),
        ],
        cwd=ROOT,
        env={**env, "LOTSE_SLA_CHECK_SECONDS": "1", "LOTSE_SPIKE_CHECK_SECONDS": "2"},
        stdout=beat_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            str(bin_dir / "celery"),
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            "ingest,triage,notify,reports",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=worker_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:

        def web_ready() -> bool:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/login/",
                    headers={"Host": f"acme.localhost:{port}"},
                    timeout=1,
                )
                return response.status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for(web_ready, "uvicorn", 120, [web_log])  # a loaded machine
        _wait_for(lambda: "ready." in worker_log.read_text(), "celery worker", 60, [worker_log])
        yield LiveStack(
            port=port, base_url=f"http://127.0.0.1:{port}", demo_network_port=demo_network_port
        )
    finally:
        for process in (web, worker, beat):
            process.terminate()
        for process in (web, worker, beat):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
