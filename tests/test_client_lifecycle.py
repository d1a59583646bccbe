"""A client's life cycle on the agency host: deactivate (data kept, everyone refused with a
clear page, nothing polled), reactivate, export as a zip, delete after typing the slug."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context
from PIL import Image
from rest_framework.test import APIClient

from accounts.logos import client_logo_set
from accounts.models import AgencyAuditEntry, Client, ClientLogo
from accounts.selectors import membership_role_for
from accounts.services import agency_ensure, api_token_create, user_create_or_update
from config.tenancy import client_schemas_serving
from mentions.models import Mention
from sources.services import ingest_batch_process, mentions_submit, source_create
from sources.services.onboarding import client_create
from tests.conftest import PASSWORD, web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def delta(world):
    """A client of its own (acme and globex stay untouched), with a member and a mention."""
    client = client_create(slug="delta", name="Delta Air")
    dora = user_create_or_update(
        email="dora@delta.test", password=PASSWORD, name="Dora", client=client, role="responder"
    )
    with tenant_context(client):
        source = source_create(kind="webhook", name="Push", network="test")
        result = mentions_submit(source=source, items=[mention_item(text="Delta lost my bag")])
        ingest_batch_process(batch_id=result.batch_ids[0])
    connection.set_schema_to_public()
    _, token = api_token_create(client=client, user=dora)
    return client, dora, token, source


def agency_api(world) -> APIClient:
    _, key = api_token_create(client=agency_ensure(), user=world.ada)
    api = APIClient(HTTP_HOST="localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_deactivated_client_refuses_everyone_and_keeps_its_data(world, delta):
    client, dora, token, _ = delta
    dora_web = web_client(None)
    dora_web.defaults["HTTP_HOST"] = "delta.localhost"
    assert (
        dora_web.post("/login/", {"username": dora.email, "password": PASSWORD}).status_code == 302
    )

    admin = web_client(None, world.ada)
    response = admin.post("/clients/delta/", {"action": "deactivate"})
    assert response.status_code == 302
    client.refresh_from_db()
    assert not client.is_active

    page = dora_web.get("/")
    assert page.status_code == 403
    assert "Delta Air is deactivated" in page.content.decode()
    login = web_client(None)
    login.defaults["HTTP_HOST"] = "delta.localhost"
    assert "is deactivated" in login.get("/login/").content.decode()
    api = APIClient(HTTP_HOST="delta.localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    refused = api.get("/api/v1/mentions/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "client_inactive"
    assert membership_role_for(user=dora, client=client) is None  # websockets ask this
    assert "c_delta" not in client_schemas_serving()  # no polling, no background checks
    with tenant_context(client):
        assert Mention.objects.count() == 1
    assert AgencyAuditEntry.objects.filter(action="client.deactivated", client_slug="delta")

    admin.post("/clients/delta/", {"action": "reactivate"})
    assert dora_web.get("/").status_code == 200
    assert "c_delta" in client_schemas_serving()


def test_export_is_a_zip_of_every_table_without_secrets(world, delta):
    _, _, _, source = delta
    response = web_client(None, world.ada).get("/clients/delta/export")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="lotse-delta-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {"mentions_mention.jsonl", "mentions.csv", "routing_routingrule.jsonl"} <= names
    mentions = archive.read("mentions_mention.jsonl").decode().splitlines()
    assert json.loads(mentions[0])["text"] == "Delta lost my bag"
    assert "Delta lost my bag" in archive.read("mentions.csv").decode()
    sources = archive.read("sources_source.jsonl").decode()
    assert source.secret not in sources and "credentials_encrypted" not in sources
    assert len(archive.read("routing_department.jsonl").decode().splitlines()) >= 5
    assert "logo.png" not in names  # delta has no logo


def test_the_export_holds_the_clients_logo_and_deleting_the_client_removes_it(world, delta):
    client, dora, _, _ = delta
    with tenant_context(world.acme.client):
        client_logo_set(client=world.acme.client, data=_png((30, 30)), actor=world.alice)
    with tenant_context(client):
        stored = client_logo_set(client=client, data=_png((120, 40)), actor=dora)
    admin = web_client(None, world.ada)
    response = admin.get("/clients/delta/export")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.read("logo.png") == bytes(stored.image)  # delta's, not acme's
    assert "logo.png" in archive.read("README.txt").decode()

    admin.post("/clients/delta/", {"action": "delete", "confirm_slug": "delta"})
    assert not ClientLogo.objects.filter(client_id=client.pk).exists()
    assert ClientLogo.objects.filter(client=world.acme.client).exists()


def test_delete_needs_the_slug_typed_and_drops_the_schema(world, delta):
    admin = web_client(None, world.ada)
    wrong = admin.post("/clients/delta/", {"action": "delete", "confirm_slug": "delt"})
    assert wrong.status_code == 400
    assert "Type delta to confirm; nothing was deleted." in wrong.content.decode()
    assert schema_exists("c_delta")

    done = admin.post("/clients/delta/", {"action": "delete", "confirm_slug": "delta"})
    assert done.status_code == 302
    assert not Client.objects.filter(slug="delta").exists()
    assert not schema_exists("c_delta")
    entry = AgencyAuditEntry.objects.get(action="client.deleted")
    assert (entry.client_slug, entry.actor_id) == ("delta", world.ada.pk)


def test_life_cycle_through_the_agency_api(world, delta):
    api = agency_api(world)
    off = api.post("/api/v1/clients/delta/active", {"active": False}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    on = api.post("/api/v1/clients/delta/active", {"active": True}, format="json")
    assert on.json()["is_active"] is True
    export = api.get("/api/v1/clients/delta/export")
    assert export.status_code == 200
    assert export["Content-Type"] == "application/zip"
    bad = api.post("/api/v1/clients/delta/delete", {"confirm_slug": "nope"}, format="json")
    assert bad.status_code == 400
    assert "confirm_slug" in bad.json()["error"]["fields"]
    assert api.post("/api/v1/clients/nobody/active", {"active": False}).status_code == 404
    gone = api.post("/api/v1/clients/delta/delete", {"confirm_slug": "delta"}, format="json")
    assert gone.status_code == 204
    assert not Client.objects.filter(slug="delta").exists()


@pytest.mark.parametrize("persona", ["alice", "olga"])
def test_life_cycle_pages_are_for_agency_admins_only(world, delta, persona):
    web = web_client(None, getattr(world, persona))
    assert web.get("/clients/delta/").status_code == 403
    assert web.post("/clients/delta/", {"action": "deactivate"}).status_code == 403
    assert web.get("/clients/delta/export").status_code == 403
    assert Client.objects.get(slug="delta").is_active


def test_client_admins_and_client_tokens_cannot_use_the_life_cycle_api(world, delta):
    _, _, token, _ = delta
    api = APIClient(HTTP_HOST="localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post("/api/v1/clients/delta/active", {"active": False}).status_code == 401
    session = web_client(None, world.bob)
    response = session.post(
        "/api/v1/clients/delta/delete", {"confirm_slug": "delta"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert Client.objects.get(slug="delta").is_active


def test_the_agency_and_the_template_have_no_life_cycle_page(world):
    admin = web_client(None, world.ada)
    assert admin.get("/clients/agency/").status_code == 404
    assert admin.get("/clients/template/").status_code == 404


def test_agency_overview_links_each_client_to_its_page(world, delta):
    page = web_client(None, world.ada).get("/").content.decode()
    assert 'href="/clients/delta/"' in page
