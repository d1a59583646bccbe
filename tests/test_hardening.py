"""Findings of the outside review (issue 16): each one answered, and held by a test."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from django.db import OperationalError, connection
from django_tenants.middleware.main import TenantMainMiddleware

from accounts.services import api_token_create
from mentions.models import Author, Mention
from sources.services import ingest_batch_process, mentions_submit, signature_compute
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


def _store(world, *items):
    connection.set_tenant(world.acme.client)
    result = mentions_submit(source=world.acme.source, items=list(items))
    ingest_batch_process(batch_id=result.batch_ids[0])


def test_a_replayed_older_post_never_rolls_an_author_back(world, in_acme):
    old = mention_item(
        published_at="2026-11-20T10:00:00+00:00",
        author={"handle": "jana", "name": "Jana Old", "followers": 40, "following": 400},
    )
    new = mention_item(
        published_at="2026-11-23T10:00:00+00:00",
        author={"handle": "jana", "name": "Jana Neu", "followers": 90_000, "following": 80},
    )
    _store(world, old)
    _store(world, new)
    _store(world, old)  # replayed byte for byte: a duplicate, and an older profile
    _store(world, mention_item(published_at="2026-11-21T10:00:00+00:00", author=old["author"]))
    author = Author.objects.get(handle="jana")
    assert (author.name, author.followers, author.following) == ("Jana Neu", 90_000, 80)
    assert author.profile_seen_at == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert author.segment == "mass_connector"


def test_within_one_batch_the_newest_post_gives_the_profile(world, in_acme):
    _store(
        world,
        mention_item(
            published_at="2026-11-23T10:00:00+00:00",
            author={"handle": "kai", "name": "Kai New", "followers": 500},
        ),
        mention_item(
            published_at="2026-11-22T10:00:00+00:00",
            author={"handle": "kai", "name": "Kai Old", "followers": 5},
        ),
    )
    author = Author.objects.get(handle="kai")
    assert (author.name, author.followers) == ("Kai New", 500)


def _push_stamped(world, *, stamp: str, signed_stamp: str | None = None):
    body = json.dumps({"mentions": [mention_item()]}).encode()
    signature = signature_compute(
        secret=world.acme.source.secret, body=body, timestamp=signed_stamp or stamp
    )
    return api_client(world.acme).generic(
        "POST",
        f"/api/v1/sources/{world.acme.source.pk}/mentions",
        body,
        content_type="application/json",
        HTTP_X_LOTSE_SIGNATURE=signature,
        HTTP_X_LOTSE_TIMESTAMP=stamp,
    )


def test_a_push_with_a_fresh_signed_timestamp_is_accepted(world):
    assert _push_stamped(world, stamp=str(int(time.time()))).status_code == 202


@pytest.mark.parametrize("offset", [-301, 400])
def test_a_push_whose_timestamp_is_more_than_five_minutes_off_is_refused(world, offset):
    response = _push_stamped(world, stamp=str(int(time.time()) + offset))
    assert response.status_code == 401
    assert "X-Lotse-Timestamp" in response.json()["error"]["message"]


def test_a_timestamp_the_signature_does_not_cover_is_refused(world):
    now = int(time.time())
    assert _push_stamped(world, stamp=str(now), signed_stamp=str(now - 1)).status_code == 401


@pytest.mark.parametrize("stamp", ["soon", "-5", "١٢٣", "9" * 40])
def test_a_malformed_timestamp_is_refused(world, stamp):
    assert _push_stamped(world, stamp=stamp, signed_stamp=stamp).status_code == 401


def test_a_push_that_is_not_json_is_refused_with_415(world):
    body = json.dumps({"mentions": [mention_item()]}).encode()
    response = api_client(world.acme).generic(
        "POST",
        f"/api/v1/sources/{world.acme.source.pk}/mentions",
        body,
        content_type="text/plain",
        HTTP_X_LOTSE_SIGNATURE=signature_compute(secret=world.acme.source.secret, body=body),
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_an_oversized_push_is_answered_in_the_error_shape(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"mentions": [mention_item(text="x" * 5000)]}).encode()
    response = api_client(world.acme).generic(
        "POST",
        f"/api/v1/sources/{world.acme.source.pk}/mentions",
        body,
        content_type="application/json",
        HTTP_X_LOTSE_SIGNATURE=signature_compute(secret=world.acme.source.secret, body=body),
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": "The request body is larger than 1000 bytes.",
    }


@pytest.mark.parametrize("source_ids", [[999_999], [-1], [9 * 10**30], ["x"]])
def test_a_routing_rule_naming_a_source_the_client_does_not_have_is_refused(world, source_ids):
    api = api_client(world.acme)
    api.force_login(world.alice)
    department = api.get("/api/v1/routing/departments/").json()[0]["slug"]
    response = api.post(
        "/api/v1/routing/rules/",
        {"name": "Odd source", "department": department, "source_ids": source_ids},
        format="json",
    )
    assert response.status_code == 400
    assert "source_ids" in response.json()["error"]["fields"]


def test_a_routing_rule_may_name_the_clients_own_source(world):
    api = api_client(world.acme)
    api.force_login(world.alice)
    department = api.get("/api/v1/routing/departments/").json()[0]["slug"]
    response = api.post(
        "/api/v1/routing/rules/",
        {"name": "Pushes", "department": department, "source_ids": [world.acme.source.pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["source_ids"] == [world.acme.source.pk]


def _push_raw(world, **extra):
    body = json.dumps({"mentions": [mention_item()]}).encode()
    api = api_client(world.acme)
    api.raise_request_exception = False
    return api.generic(
        "POST",
        f"/api/v1/sources/{world.acme.source.pk}/mentions",
        body,
        content_type="application/json",
        HTTP_X_LOTSE_SIGNATURE=signature_compute(secret=world.acme.source.secret, body=body),
        **extra,
    )


def test_a_push_while_the_database_is_away_gets_503_with_retry_after(world, monkeypatch):
    def database_gone(**kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed")

    monkeypatch.setattr("sources.api.views.mentions_submit", database_gone)
    response = _push_raw(world)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json()["error"]["code"] == "unavailable"


def test_the_client_lookup_failing_before_any_view_still_answers_json(world, monkeypatch):
    def database_gone(self, *args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(TenantMainMiddleware, "get_tenant", database_gone)
    response = _push_raw(world)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_an_unexpected_api_error_is_a_json_500(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("sources.api.views.mentions_submit", broken)
    response = _push_raw(world)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "bug" not in response.content.decode()
