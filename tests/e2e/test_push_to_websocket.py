"""End to end: a mention pushed over HTTP reaches the client's websocket, and only it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets
from django.db import connection

from sources.services import signature_compute
from tests.factories import mention_item

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


async def open_socket(stack, slug: str, token: str):
    return await websockets.connect(
        f"ws://{stack.host(slug)}/ws/inbox/",
        host="127.0.0.1",
        port=stack.port,
        additional_headers={"Authorization": f"Token {token}"},
        open_timeout=5,
    )


def signed_push(stack, tenant, items) -> httpx.Response:
    body = json.dumps({"mentions": items}).encode()
    return httpx.post(
        f"{stack.base_url}/api/v1/sources/{tenant.source.pk}/mentions",
        content=body,
        headers={
            "Host": stack.host(tenant.client.slug),
            "Content-Type": "application/json",
            "X-Lotse-Signature": signature_compute(secret=tenant.source.secret, body=body),
        },
        timeout=10,
    )


def test_pushed_mention_arrives_on_the_clients_websocket_only(live_stack, live_db):
    world = live_db
    text = "E2E: <script>alert(1)</script> Die App stürzt ab 😡 \u202eRTL"

    async def scenario():
        acme = await open_socket(live_stack, "acme", world.acme.token)
        globex = await open_socket(live_stack, "globex", world.globex.token)
        started = time.monotonic()
        response = await asyncio.to_thread(
            signed_push, live_stack, world.acme, [mention_item(external_id="e2e-1", text=text)]
        )
        assert response.status_code == 202, response.text
        event = json.loads(await asyncio.wait_for(acme.recv(), timeout=10))
        latency = time.monotonic() - started
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(globex.recv(), timeout=0.5)
        await acme.close()
        await globex.close()
        return event, latency

    event, latency = asyncio.run(scenario())
    assert event["type"] == "mention.created"
    mention = event["mention"]
    assert mention["text"] == text
    assert mention["external_id"] == "e2e-1"
    assert mention["department"]["slug"] == "tech-support"
    assert "App and website" in mention["routing"]["reason"]
    assert set(mention) >= {"id", "author", "status", "assignee", "sentiment", "kind", "language"}
    assert latency < 5


def test_patch_over_the_api_is_pushed_as_mention_updated(live_stack, live_db):
    world = live_db

    async def scenario():
        sock = await open_socket(live_stack, "acme", world.acme.token)
        await asyncio.to_thread(signed_push, live_stack, world.acme, [mention_item()])
        created = json.loads(await asyncio.wait_for(sock.recv(), timeout=10))
        mention_id = created["mention"]["id"]
        response = await asyncio.to_thread(
            httpx.patch,
            f"{live_stack.base_url}/api/v1/mentions/{mention_id}/",
            json={"assignee": world.rita.pk, "status": "resolved"},
            headers={"Host": live_stack.host("acme"), "Authorization": f"Token {world.acme.token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        # Other events of the client, and of this mention (beat's SLA check warns about an
        # urgent one at once), may come in between: read until the status change arrives.
        updates: list[dict] = []
        while not updates or updates[-1]["mention"]["status"] != "resolved":
            event = json.loads(await asyncio.wait_for(sock.recv(), timeout=10))
            if event.get("mention", {}).get("id") == mention_id:
                updates.append(event)
        await sock.close()
        return updates

    updates = asyncio.run(scenario())
    assert {u["type"] for u in updates} == {"mention.updated"}
    assigned = [u for u in updates[:-1] if (u["mention"]["assignee"] or {}).get("name")]
    assert assigned, "the assignment was pushed before the status change"
    assert updates[-1]["mention"]["status"] == "resolved"
    assert updates[-1]["mention"]["assignee"]["name"] == "Rita Responder"


def test_import_command_waits_for_the_worker_and_reports(live_stack, live_db, tmp_path):
    world = live_db
    items = [mention_item(external_id=f"imp-{n}") for n in range(1200)]
    items.append(mention_item(external_id="imp-0"))  # a duplicate
    path = tmp_path / "import.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in items) + "\nnot json\n")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "LOTSE_DB_NAME": connection.settings_dict["NAME"],
    }
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_mentions",
            str(path),
            "--client",
            "acme",
            "--source",
            str(world.acme.source.pk),
            "--idle-timeout",
            "60",
            "--progress",
            "always",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Accepted:   1201" in result.stdout
    assert "Stored:     1200" in result.stdout
    assert "Duplicates: 1" in result.stdout
    assert "Rejected:   1" in result.stdout
    assert "Storing" in result.stderr  # the progress bar
