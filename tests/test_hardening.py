"""Findings of the outside review (issue 16): each one answered, and held by a test."""

from __future__ import annotations

import base64

import pytest
from django.db import connection

from accounts.services import api_token_create
from mentions.models import Mention
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import api_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

FORGED_CURSOR = base64.b64encode(b"p=abc").decode()


@pytest.fixture
def acme_mention_id(world):
    connection.set_tenant(world.acme.client)
    result = mentions_submit(source=world.acme.source, items=[mention_item()])
    ingest_batch_process(batch_id=result.batch_ids[0])
    mention_id = Mention.objects.get().pk
    connection.set_schema_to_public()
    return mention_id


@pytest.fixture
def admin_api(world):
    _, token = api_token_create(client=world.acme.client, user=world.alice)
    return api_client(world.acme, token)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/audit/",
        "/api/v1/responses/",
        "/api/v1/notifications/",
        "/api/v1/mentions/{id}/notes",
        "/api/v1/mentions/",
        "/api/v1/clusters/",
    ],
)
def test_a_cursor_whose_position_is_not_a_number_is_an_invalid_cursor_not_a_500(
    world, admin_api, acme_mention_id, path
):
    url = path.format(id=acme_mention_id) + f"?cursor={FORGED_CURSOR}"
    response = admin_api.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid cursor"


@pytest.mark.parametrize("who", ["vera", "rita"])
def test_the_audit_api_is_for_managers_like_the_audit_page(world, acme_mention_id, who):
    api = api_client(world.acme)
    api.force_login(getattr(world, who))
    response = api.get("/api/v1/audit/")
    assert response.status_code == 403
    assert response.json()["error"]["message"].startswith("Your role may not read this")
    assert api.get("/audit/", HTTP_HOST=world.acme.host).status_code in (302, 403)


def test_a_client_admin_reads_the_audit_of_mentions_they_may_see(world, admin_api, acme_mention_id):
    api = api_client(world.acme, world.acme.token)
    api.patch(f"/api/v1/mentions/{acme_mention_id}/", {"status": "resolved"}, format="json")
    entries = admin_api.get("/api/v1/audit/?target_type=mention").json()["results"]
    assert [entry["target_id"] for entry in entries] == [acme_mention_id]
