"""Stopping the web server (Ctrl-C on `make run`, a deploy's SIGTERM) closes open websockets
with 1001 (going away) and finishes within the graceful-shutdown timeout."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets
from django.conf import settings
from django.db import connection

from tests.e2e.conftest import ARTIFACTS, _free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_stopping_the_server_closes_websockets_as_going_away(live_db):
    world = live_db
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "LOTSE_DB_NAME": connection.settings_dict["NAME"],
        "LOTSE_REDIS_URL": settings.REDIS_URL,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    # As scripts/run.sh starts it.
    web = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "5",
            "--ws",
            "config.ws_server:GoingAwayWebSocketProtocol",
        ],
        cwd=ROOT,
        env=env,
        stdout=(ARTIFACTS / "uvicorn-shutdown.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        host = f"acme.localhost:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"Host": host}, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)

        async def scenario() -> tuple[int | None, float]:
            socket = await websockets.connect(
                f"ws://{host}/ws/inbox/",
                host="127.0.0.1",
                port=port,
                additional_headers={"Authorization": f"Token {world.acme.token}"},
                open_timeout=10,
            )
            started = time.monotonic()
            web.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                while True:
                    await asyncio.wait_for(socket.recv(), timeout=10)
            except websockets.ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
            return code, time.monotonic() - started

        code, seconds = asyncio.run(scenario())
        assert code == 1001
        web.wait(timeout=10)
        assert seconds < 6
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()
