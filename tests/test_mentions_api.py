"""The mentions API: list with filters and cursors, detail, PATCH, clear 400s."""

from __future__ import annotations

import pytest
from django.db import connection

from mentions.models import Mention
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import api_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_mentions(world, in_acme):
    items = [
        mention_item(text="Die App stürzt beim Login ab, Fehler 500", language="de"),
        mention_item(
            text="Thanks, great service today!",
            language="en",
            published_at="2026-11-24T08:00:00+00:00",
        ),
        mention_item(text="Suche eine Ausbildung, wie bewerbe ich mich?", language="de"),
    ]
    result = mentions_submit(source=world.acme.source, items=items)
    ingest_batch_process(batch_id=result.batch_ids[0])
    ids = list(Mention.objects.order_by("id").values_list("pk", flat=True))
    connection.set_schema_to_public()
    return ids


def test_list_is_newest_first_with_cursor_pages(world, acme_mentions):
    api = api_client(world.acme, world.acme.token)
    first = api.get("/api/v1/mentions/?page_size=2").json()
    assert [m["id"] for m in first["results"]] == acme_mentions[::-1][:2]
    second = api.get(first["next"]).json()
    assert [m["id"] for m in second["results"]] == [acme_mentions[0]]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("query", "expected_texts"),
    [
        ("department=tech-support", ["Die App stürzt beim Login ab, Fehler 500"]),
        ("language=en", ["Thanks, great service today!"]),
        ("sentiment=positive", ["Thanks, great service today!"]),
        ("department=hr", ["Suche eine Ausbildung, wie bewerbe ich mich?"]),
        ("since=2026-11-24T00:00:00Z", ["Thanks, great service today!"]),
        ("status=resolved", []),
    ],
)
def test_list_filters(world, acme_mentions, query, expected_texts):
    response = api_client(world.acme, world.acme.token).get(f"/api/v1/mentions/?{query}")
    assert response.status_code == 200
    assert [m["text"] for m in response.json()["results"]] == expected_texts


@pytest.mark.parametrize("query", ["status=bogus", "sentiment=angry", "since=yesterday"])
def test_invalid_filters_get_400_with_field_errors(world, acme_mentions, query):
    response = api_client(world.acme, world.acme.token).get(f"/api/v1/mentions/?{query}")
    assert response.status_code == 400
    field = query.split("=")[0]
    assert field in response.json()["error"]["fields"]


def test_detail_shows_routing_and_author(world, acme_mentions):
    api = api_client(world.acme, world.acme.token)
    body = api.get(f"/api/v1/mentions/{acme_mentions[0]}/").json()
    assert body["department"]["slug"] == "tech-support"
    assert "App and website" in body["routing"]["reason"]
    assert body["author"]["handle"].startswith("author")
    assert body["raw"] == {}


def test_patch_assigns_and_resolves(world, acme_mentions):
    api = api_client(world.acme, world.acme.token)
    url = f"/api/v1/mentions/{acme_mentions[0]}/"
    body = api.patch(url, {"assignee": world.rita.pk}, format="json").json()
    assert body["assignee"]["name"] == "Rita Responder"
    assert body["status"] == "assigned"
    body = api.patch(url, {"status": "resolved"}, format="json").json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "done"}, "status"),
        ({"assignee": "me"}, "assignee"),
        ({}, "non_field_errors"),
        ({"assignee": 999999}, "assignee"),
    ],
)
def test_patch_with_invalid_input_gets_400(world, acme_mentions, payload, field):
    api = api_client(world.acme, world.acme.token)
    response = api.patch(f"/api/v1/mentions/{acme_mentions[0]}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_patch_cannot_assign_a_user_of_another_client(world, acme_mentions):
    api = api_client(world.acme, world.acme.token)
    response = api.patch(
        f"/api/v1/mentions/{acme_mentions[0]}/", {"assignee": world.bob.pk}, format="json"
    )
    assert response.status_code == 400


def test_patch_cannot_assign_a_viewer(world, acme_mentions):
    api = api_client(world.acme, world.acme.token)
    response = api.patch(
        f"/api/v1/mentions/{acme_mentions[0]}/", {"assignee": world.vera.pk}, format="json"
    )
    assert response.status_code == 400


def test_read_only_token_cannot_patch(world, acme_mentions):
    api = api_client(world.acme, world.acme.read_token)
    assert api.get("/api/v1/mentions/").status_code == 200
    response = api.patch(
        f"/api/v1/mentions/{acme_mentions[0]}/", {"status": "resolved"}, format="json"
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["error"]["message"]


def test_viewer_session_cannot_patch(world, acme_mentions):
    api = api_client(world.acme)
    api.force_login(world.vera)
    response = api.patch(
        f"/api/v1/mentions/{acme_mentions[0]}/", {"status": "resolved"}, format="json"
    )
    assert response.status_code == 403


def test_unauthenticated_requests_get_401(world, acme_mentions):
    assert api_client(world.acme).get("/api/v1/mentions/").status_code in (401, 403)
    response = api_client(world.acme, "lts_not-a-token").get("/api/v1/mentions/")
    assert response.status_code == 401


def test_creating_a_source_returns_its_secret_once(world):
    api = api_client(world.acme)
    api.force_login(world.alice)
    response = api.post("/api/v1/sources/", {"name": "Zendesk bridge"}, format="json")
    assert response.status_code == 201
    created = response.json()
    assert len(created["secret"]) == 64
    listed = api.get("/api/v1/sources/").json()
    assert "secret" not in listed[0]
    assert "Zendesk bridge" in [source["name"] for source in listed]


def test_responders_cannot_create_sources(world):
    response = api_client(world.acme, world.acme.token).post(
        "/api/v1/sources/", {"name": "x"}, format="json"
    )
    assert response.status_code == 403


def test_source_creation_validates_input(world):
    api = api_client(world.acme)
    api.force_login(world.alice)
    response = api.post("/api/v1/sources/", {"name": "", "kind": "carrier-pigeon"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"name", "kind"}


def test_openapi_schema_and_docs_are_served(world):
    api = api_client(world.acme)
    schema = api.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/sources/{id}/mentions" in paths
    assert "/api/v1/mentions/" in paths
    assert api.get("/api/docs/").status_code == 200


def test_a_forged_cursor_is_a_404_not_a_500(world, acme_mentions):
    import base64

    forged = base64.b64encode(b"p=abc").decode()
    response = api_client(world.acme, world.acme.token).get(f"/api/v1/mentions/?cursor={forged}")
    assert response.status_code == 404
