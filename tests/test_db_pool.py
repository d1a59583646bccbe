"""The web's connection pool (`LOTSE_DB_POOL_MAX_SIZE`, config/dbpool.py) never carries one
client's search_path into another request: a real uvicorn with a pool of ONE connection, so
every request below runs on the same PostgreSQL backend, one client after the other."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from config.dbpool import pool_connection_reset
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import World
from tests.e2e.conftest import ARTIFACTS, _free_port, _wait_for
from tests.factories import mention_item

ROOT = Path(__file__).resolve().parents[1]


def _backends(app_name: str) -> list[tuple[int, str, str]]:
    """The web's PostgreSQL backends: pid, state and last statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = %s",
            [app_name],
        )
        return list(cursor.fetchall())


def _idle_after_reset(app_name: str) -> list[tuple[int, str, str]]:
    """The backends once the pool has taken the connection back (it resets in a thread)."""
    deadline = time.monotonic() + 10
    backends = _backends(app_name)
    while time.monotonic() < deadline:
        if backends and all(b[1] == "idle" and b[2] == "RESET search_path" for b in backends):
            break
        time.sleep(0.05)
        backends = _backends(app_name)
    return backends


@pytest.fixture
def pooled_web(live_db: World) -> Iterator[tuple[str, str]]:
    """Each client holds one mention; uvicorn serves them from a pool of one connection."""
    for tenant in (live_db.acme, live_db.globex):
        with tenant_context(tenant.client):
            result = mentions_submit(
                source=tenant.source, items=[mention_item(text=f"{tenant.client.slug} secret")]
            )
            ingest_batch_process(batch_id=result.batch_ids[0])
    connection.set_schema_to_public()
    port = _free_port()
    app_name = f"lotse-pool-test-{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "LOTSE_DB_NAME": connection.settings_dict["NAME"],
        "LOTSE_DB_CONN_MAX_AGE": "0",
        "LOTSE_DB_POOL_MAX_SIZE": "1",
        "LOTSE_DB_POOL_MIN_SIZE": "1",
        "PGAPPNAME": app_name,  # libpq names the web's connections, so the test finds them
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "uvicorn-pool.log"
    web = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "uvicorn"),
            "config.asgi:application",
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/healthz", timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    try:
        _wait_for(ready, "uvicorn with the pool", 120, [log])
        yield base_url, app_name
    finally:
        web.terminate()
        try:
            web.wait(15)
        except subprocess.TimeoutExpired:
            web.kill()


def _mention_texts(base_url: str, tenant: Any) -> list[str]:
    port = base_url.rsplit(":", 1)[1]
    response = httpx.get(
        f"{base_url}/api/v1/mentions/",
        headers={"Host": f"{tenant.host}:{port}", "Authorization": f"Token {tenant.token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [mention["text"] for mention in response.json()["results"]]


def test_two_clients_alternating_on_one_pooled_connection_each_see_only_their_own(
    live_db: World, pooled_web: tuple[str, str]
) -> None:
    base_url, app_name = pooled_web
    pids = set()
    for _ in range(5):
        for tenant in (live_db.acme, live_db.globex, live_db.globex, live_db.acme):
            slug = tenant.client.slug
            assert _mention_texts(base_url, tenant) == [f"{slug} secret"]
            backends = _idle_after_reset(app_name)
            # Given back to the pool with the path of a new connection, not the client's.
            assert [(b[1], b[2]) for b in backends] == [("idle", "RESET search_path")]
            pids.add(backends[0][0])
    assert len(pids) == 1  # all twenty requests ran on the same PostgreSQL connection


def test_a_connection_a_client_gave_back_serves_the_agency_host_then_the_other_client(
    live_db: World, pooled_web: tuple[str, str]
) -> None:
    base_url, app_name = pooled_web
    port = base_url.rsplit(":", 1)[1]
    assert _mention_texts(base_url, live_db.acme) == ["acme secret"]
    agency = {"Host": f"localhost:{port}"}
    # The agency host reads the public schema: its login page, and it refuses a client's
    # token (looked up in the public schema) on its client list.
    assert httpx.get(f"{base_url}/login/", headers=agency, timeout=30).status_code == 200
    clients = httpx.get(
        f"{base_url}/api/v1/clients/",
        headers={**agency, "Authorization": f"Token {live_db.acme.token}"},
        timeout=30,
    )
    assert clients.status_code in (401, 403), clients.text
    assert "acme secret" not in clients.text
    assert _mention_texts(base_url, live_db.globex) == ["globex secret"]
    assert _mention_texts(base_url, live_db.acme) == ["acme secret"]
    assert len({b[0] for b in _idle_after_reset(app_name)}) == 1


@pytest.mark.django_db
def test_the_pools_reset_gives_a_client_connection_the_path_of_a_new_one(world: World) -> None:
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=False) as raw:
        fresh = raw.execute("SHOW search_path").fetchone()
        raw.execute(f'SET search_path = "{world.acme.client.schema_name}", public')
        raw.commit()
        pool_connection_reset(raw)
        assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE  # kept
        assert raw.execute("SHOW search_path").fetchone() == fresh
