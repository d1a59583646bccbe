"""The inbox websocket: who may connect, and that events never cross clients.

Runs the real ASGI application in-process against the real channels-redis layer.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.http import HttpRequest
from django.test import Client as DjangoClient
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Client
from config.asgi import application
from frontend.consumers import CLOSE_TRY_AGAIN_LATER
from mentions.events import inbox_group
from tests.conftest import PASSWORD


def communicator(
    host: str, *, token: str | None = None, cookie: str | None = None, origin: str | None = None
) -> WebsocketCommunicator:
    headers = [(b"host", host.encode())]
    if token:
        headers.append((b"authorization", f"Token {token}".encode()))
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, "/ws/inbox/", headers=headers)


def session_for(user, host: str) -> str:
    web = DjangoClient(HTTP_HOST=host)
    assert web.login(request=HttpRequest(), username=user.email, password=PASSWORD)
    return web.cookies["sessionid"].value


async def connect(comm: WebsocketCommunicator):
    connected, code = await comm.connect(timeout=5)
    return connected, code


@pytest.mark.parametrize(
    "case",
    [
        "no-auth",
        "other-clients-token",
        "bogus-token",
        "agency-host",
        "outsider-session",
        "session-without-origin",
        "session-cross-origin",
    ],
)
def test_websocket_refuses(live_db, case):
    world = live_db
    acme = world.acme
    kwargs: dict = {}
    host = acme.host
    if case == "other-clients-token":
        kwargs["token"] = world.globex.token
    elif case == "bogus-token":
        kwargs["token"] = "lts_nope"
    elif case == "agency-host":
        host = "localhost"
        kwargs["token"] = acme.token
    elif case == "outsider-session":
        kwargs = {"cookie": session_for(world.olga, acme.host), "origin": "http://acme.localhost"}
    elif case == "session-without-origin":
        kwargs = {"cookie": session_for(world.rita, acme.host)}
    elif case == "session-cross-origin":
        kwargs = {"cookie": session_for(world.rita, acme.host), "origin": "http://evil.example"}

    async def scenario():
        comm = communicator(host, **kwargs)
        connected, code = await connect(comm)
        await comm.disconnect()
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected
    assert code == 4403


def test_a_handshake_while_the_channel_layers_redis_is_down_is_refused_to_retry_later(
    live_db, settings
):
    """No Redis, no events: the socket is refused with 1013 "try again later" (HTTP 503 with
    Retry-After where the server offers denial responses, `tests/faults`), not a 500."""
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        unused_port = sock.getsockname()[1]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{unused_port}/0"]},
        }
    }

    async def scenario():
        comm = communicator(live_db.acme.host, token=live_db.acme.token)
        connected, code = await connect(comm)
        await comm.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, CLOSE_TRY_AGAIN_LATER)


def test_events_reach_only_the_clients_own_sockets(live_db):
    world = live_db

    async def scenario():
        acme_token = communicator(world.acme.host, token=world.acme.token)
        acme_session = communicator(
            world.acme.host,
            cookie=await asyncio.to_thread(session_for, world.rita, world.acme.host),
            origin="http://acme.localhost",
        )
        globex = communicator(world.globex.host, token=world.globex.token)
        for comm in (acme_token, acme_session, globex):
            connected, _ = await connect(comm)
            assert connected
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        event = {"type": "mention.created", "mention": {"id": 1, "text": "for acme only"}}
        await layer.group_send(
            inbox_group(world.acme.client.pk), {"type": "inbox.events", "events": [event]}
        )
        received = [await acme_token.receive_json_from(5), await acme_session.receive_json_from(5)]
        leaked = await globex.receive_nothing(timeout=0.5)
        for comm in (acme_token, acme_session, globex):
            await comm.disconnect()
        return received, leaked

    received, nothing_for_globex = async_to_sync(scenario)()
    assert received[0] == received[1]
    assert received[0]["mention"]["text"] == "for acme only"
    assert nothing_for_globex


def test_an_idle_channel_layer_receive_waits_instead_of_timing_out(live_db):
    """redis-py 8 defaults to a 5 s socket timeout that kills the layer's blocking pop."""
    import time

    from channels.layers import get_channel_layer

    async def scenario() -> float:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(channel), timeout=6.5)
        return time.monotonic() - started

    assert async_to_sync(scenario)() >= 6


def test_department_staff_listen_only_to_their_departments_events(live_db):
    """The websocket joins department groups for scoped staff: events of other
    departments never reach them."""
    from django_tenants.utils import tenant_context

    from config.live import client_group, department_group
    from routing.models import Department, StaffMember
    from routing.services.assignment import staff_upsert

    world = live_db
    with tenant_context(world.acme.client):
        hr = Department.objects.get(slug="hr")
        legal = Department.objects.get(slug="legal")
        staff_upsert(user_id=world.rita.pk, name="Rita", departments=["hr"])

    async def scenario():
        from channels.layers import get_channel_layer

        comm = communicator(world.acme.host, token=world.acme.token)
        connected, _ = await connect(comm)
        assert connected
        layer = get_channel_layer()
        cid = world.acme.client.pk
        for group, text in (
            (client_group(cid), "all"),
            (department_group(cid, legal.pk), "legal"),
            (department_group(cid, hr.pk), "hr"),
        ):
            await layer.group_send(
                group,
                {
                    "type": "inbox.events",
                    "events": [{"type": "mention.created", "mention": {"id": 1, "text": text}}],
                },
            )
        first = await comm.receive_json_from(5)
        nothing_else = await comm.receive_nothing(0.5)
        await comm.disconnect()
        return first, nothing_else

    try:
        first, nothing_else = async_to_sync(scenario)()
    finally:
        with tenant_context(world.acme.client):
            StaffMember.objects.all().delete()
    assert first["mention"]["text"] == "hr" and nothing_else


def test_presence_reaches_colleagues_who_can_see_the_mention_only(live_db):
    from django.db import transaction
    from django_tenants.utils import tenant_context

    from mentions.models import Mention
    from mentions.pipeline import mentions_store
    from sources.formats import mention_item_validate
    from tests.factories import mention_item

    world = live_db
    with tenant_context(world.acme.client):
        item, _ = mention_item_validate(mention_item(text="Die App hängt"))
        with transaction.atomic():
            mentions_store(source=world.acme.source, items=[item])
        mention_id = Mention.objects.get().pk

    async def scenario():
        rita = communicator(
            world.acme.host,
            cookie=await asyncio.to_thread(session_for, world.rita, world.acme.host),
            origin="http://acme.localhost",
        )
        alice = communicator(
            world.acme.host,
            cookie=await asyncio.to_thread(session_for, world.alice, world.acme.host),
            origin="http://acme.localhost",
        )
        globex = communicator(world.globex.host, token=world.globex.token)
        for comm in (rita, alice, globex):
            assert (await connect(comm))[0]
        await rita.send_json_to({"type": "presence", "mention_id": mention_id, "state": "typing"})
        seen_by_alice = await alice.receive_json_from(5)
        nothing_for_globex = await globex.receive_nothing(0.5)
        # Globex cannot announce presence on an Acme mention id: nobody hears it.
        await globex.send_json_to(
            {"type": "presence", "mention_id": mention_id, "state": "viewing"}
        )
        nothing_for_alice = await alice.receive_nothing(0.5)
        for comm in (rita, alice, globex):
            await comm.disconnect()
        return seen_by_alice, nothing_for_globex, nothing_for_alice

    seen, quiet_globex, quiet_alice = async_to_sync(scenario)()
    assert seen["type"] == "presence" and seen["state"] == "typing"
    assert seen["user"]["name"] == "Rita Responder" and seen["mention_id"] == mention_id
    assert quiet_globex and quiet_alice


def test_session_socket_on_a_client_requiring_2fa_needs_a_verified_factor(live_db):
    world = live_db
    acme = world.acme
    Client.objects.filter(pk=acme.client.pk).update(require_2fa=True)
    device = TOTPDevice.objects.create(user=world.rita, name="Phone", confirmed=True)
    try:
        unverified = session_for(world.rita, acme.host)  # test login: no second step
        browser = DjangoClient(HTTP_HOST=acme.host)
        browser.post("/login/", {"username": world.rita.email, "password": PASSWORD})
        code = str(totp(device.bin_key, step=device.step, t0=device.t0)).zfill(device.digits)
        assert browser.post("/login/code/", {"code": code}).status_code == 302
        verified = browser.cookies["sessionid"].value

        async def scenario(cookie: str):
            comm = communicator(acme.host, cookie=cookie, origin="http://acme.localhost")
            connected, close_code = await connect(comm)
            await comm.disconnect()
            return connected, close_code

        assert async_to_sync(scenario)(unverified) == (False, 4403)
        assert async_to_sync(scenario)(verified)[0] is True
    finally:
        Client.objects.filter(pk=acme.client.pk).update(require_2fa=False)
        device.delete()


def test_a_deactivated_persons_open_socket_closes_at_once(live_db):
    """No waiting for the next ping: deactivation tells the person's sockets to check."""
    from django_tenants.utils import tenant_context

    from accounts.models import Membership
    from sources.services.people import person_deactivate

    world = live_db

    async def scenario():
        rita = communicator(world.acme.host, token=world.acme.token)
        alice = communicator(
            world.acme.host,
            cookie=await asyncio.to_thread(session_for, world.alice, world.acme.host),
            origin="http://acme.localhost",
        )
        assert (await connect(rita))[0] and (await connect(alice))[0]

        def deactivate() -> None:
            with tenant_context(world.acme.client):
                person_deactivate(
                    client=world.acme.client,
                    user_id=world.rita.pk,
                    by=world.alice,
                    by_role="client_admin",
                )

        await asyncio.to_thread(deactivate)
        closed = await rita.receive_output(5)
        alice_quiet = await alice.receive_nothing(0.5)
        await alice.disconnect()
        return closed, alice_quiet

    try:
        closed, alice_quiet = async_to_sync(scenario)()
    finally:
        Membership.objects.filter(user=world.rita, client=world.acme.client).update(
            deactivated_at=None
        )
    assert closed == {"type": "websocket.close", "code": 4403}
    assert alice_quiet  # the notice went to Rita's group only
