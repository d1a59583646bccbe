"""A user or token of one client never sees another client's data."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from mentions.models import Mention
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import api_client, web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_clients_with_mentions(world):
    ids = {}
    for tenant, text in ((world.acme, "acme secret"), (world.globex, "globex secret")):
        with tenant_context(tenant.client):
            result = mentions_submit(source=tenant.source, items=[mention_item(text=text)])
            ingest_batch_process(batch_id=result.batch_ids[0])
            ids[tenant.client.slug] = Mention.objects.get().pk
    connection.set_schema_to_public()
    return ids


def test_each_schema_holds_only_its_own_mentions(world, two_clients_with_mentions):
    with tenant_context(world.acme.client):
        assert list(Mention.objects.values_list("text", flat=True)) == ["acme secret"]
    with tenant_context(world.globex.client):
        assert list(Mention.objects.values_list("text", flat=True)) == ["globex secret"]


def test_api_token_of_another_client_gets_401(world, two_clients_with_mentions):
    response = api_client(world.acme, world.globex.token).get("/api/v1/mentions/")
    assert response.status_code == 401
    assert b"globex secret" not in response.content


def test_api_lists_only_the_hosts_client(world, two_clients_with_mentions):
    response = api_client(world.globex, world.globex.token).get("/api/v1/mentions/")
    assert response.status_code == 200
    assert [m["text"] for m in response.json()["results"]] == ["globex secret"]


def test_api_detail_of_another_clients_mention_id_is_404(world, two_clients_with_mentions):
    acme_id = two_clients_with_mentions["acme"]
    globex_id = two_clients_with_mentions["globex"]
    api = api_client(world.globex, world.globex.token)
    if acme_id != globex_id:
        assert api.get(f"/api/v1/mentions/{acme_id}/").status_code == 404
    assert api.get(f"/api/v1/mentions/{globex_id}/").json()["text"] == "globex secret"


def test_session_of_a_user_without_membership_is_refused_by_the_api(world):
    api = api_client(world.globex)
    api.force_login(world.alice)
    assert api.get("/api/v1/mentions/").status_code == 403


def test_login_on_another_clients_host_is_refused_like_a_wrong_password(world):
    web = web_client(world.globex)
    right = web.post(
        "/login/", {"username": world.alice.email, "password": "correct horse battery"}
    )
    wrong = web.post("/login/", {"username": world.alice.email, "password": "wrong password"})
    assert right.status_code == wrong.status_code == 200
    errors = right.context["form"].non_field_errors()
    assert errors == wrong.context["form"].non_field_errors()
    assert "correct email and password" in errors[0]
    assert b"no access" not in right.content


def test_inbox_of_another_client_is_forbidden_even_with_a_session(world, two_clients_with_mentions):
    web = web_client(world.globex)
    web.force_login(world.alice)
    response = web.get("/")
    assert response.status_code == 403
    assert b"globex secret" not in response.content


def test_outsider_is_refused_everywhere(world, two_clients_with_mentions):
    for tenant in (world.acme, world.globex):
        web = web_client(tenant)
        web.force_login(world.olga)
        assert web.get("/").status_code == 403
        mention_id = two_clients_with_mentions[tenant.client.slug]
        assert web.get(f"/mentions/{mention_id}/").status_code == 403


def test_agency_admin_sees_every_client(world, two_clients_with_mentions):
    for tenant, text in ((world.acme, b"acme secret"), (world.globex, b"globex secret")):
        web = web_client(tenant, world.ada)
        assert text in web.get("/").content
    overview = web_client(None, world.ada).get("/")
    assert b"Acme Rail" in overview.content and b"Globex Mobile" in overview.content


def test_client_overview_lists_only_own_clients(world):
    overview = web_client(None, world.bob).get("/")
    assert b"Globex Mobile" in overview.content
    assert b"Acme Rail" not in overview.content
