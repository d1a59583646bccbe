"""API tokens managed by client admins on /api/tokens/: shown once, last used, expiry,
revocation, audit, and never another client's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.audit.models import AuditEntry
from accounts.models import ApiToken
from accounts.tokens import api_token_issue, api_token_revoke
from config.errors import DomainError, NotAllowed
from tests.conftest import api_client, web_client

pytestmark = pytest.mark.django_db
KEY = re.compile(r'value="(lts_[^"]+)"')


def _create(web, **fields):
    data = {"name": "CRM sync", "scope": "read", "expires": "", "expires_on": ""} | fields
    return web.post("/api/tokens/", data)


def test_admin_creates_a_token_that_is_shown_once_and_works(world):
    web = web_client(world.acme, world.alice)
    response = _create(web)
    assert response.status_code == 302
    page = web.get("/api/tokens/").content.decode()
    raw_key = KEY.search(page).group(1)
    assert "shown only this once" in page
    assert KEY.search(web.get("/api/tokens/").content.decode()) is None  # gone on reload
    token = ApiToken.objects.get(client=world.acme.client, name="CRM sync")
    assert token.user == world.alice and token.scope == "read" and token.last_used_at is None
    assert raw_key not in token.key_hash and token.key_prefix == raw_key[:12]

    api = api_client(world.acme, raw_key)
    assert api.get("/api/v1/mentions/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert "never" not in web.get("/api/tokens/").content.decode().split("CRM sync")[1][:400]


def test_read_token_from_the_page_cannot_write(world):
    _, raw_key = api_token_issue(
        client=world.acme.client,
        by=world.alice,
        by_role="client_admin",
        name="BI",
        scope="read",
        expires_at=None,
    )
    api = api_client(world.acme, raw_key)
    assert api.post("/api/v1/routing/departments/", {"name": "X"}).status_code == 403


def test_revoked_and_expired_tokens_are_refused(world):
    admin = {"client": world.acme.client, "by": world.alice, "by_role": "client_admin"}
    token, raw_key = api_token_issue(**admin, name="Old", scope="write", expires_at=None)
    web = web_client(world.acme, world.alice)
    assert web.post(f"/api/tokens/{token.pk}/revoke").status_code == 302
    assert api_client(world.acme, raw_key).get("/api/v1/mentions/").status_code == 401

    soon, soon_key = api_token_issue(
        **admin, name="Soon", scope="read", expires_at=timezone.now() + timedelta(days=1)
    )
    assert api_client(world.acme, soon_key).get("/api/v1/mentions/").status_code == 200
    ApiToken.objects.filter(pk=soon.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_client(world.acme, soon_key).get("/api/v1/mentions/").status_code == 401
    page = web.get("/api/tokens/").content.decode()
    assert "token-state-revoked" in page and "token-state-expired" in page


def test_creation_and_revocation_are_audited_in_the_clients_log(world):
    admin = {"client": world.acme.client, "by": world.alice, "by_role": "client_admin"}
    token, _ = api_token_issue(**admin, name="Audited", scope="write", expires_at=None)
    api_token_revoke(
        client=world.acme.client, token_id=token.pk, by=world.alice, by_role="client_admin"
    )
    connection.set_tenant(world.acme.client)
    actions = list(
        AuditEntry.objects.filter(target_type="api_token", target_id=token.pk)
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions == [("api_token.create", world.alice.pk), ("api_token.revoke", world.alice.pk)]
    connection.set_tenant(world.globex.client)
    assert not AuditEntry.objects.filter(target_type="api_token").exists()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"name": ""}, "give the token a name"),
        ({"scope": "admin"}, "one of read, write"),
        ({"expires_on": "2001-01-01"}, "must be in the future"),
        ({"expires_on": "someday"}, "pick a valid date"),
        ({"expires": "-3"}, "pick one"),
    ],
)
def test_bad_input_is_explained_on_the_page(world, fields, problem):
    response = _create(web_client(world.acme, world.alice), **fields)
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not ApiToken.objects.filter(client=world.acme.client, name="CRM sync").exists()


def test_expiry_date_ends_at_the_end_of_that_day(world):
    web = web_client(world.acme, world.alice)
    day = (timezone.now() + timedelta(days=10)).date()
    assert _create(web, name="Dated", expires_on=day.isoformat()).status_code == 302
    token = ApiToken.objects.get(client=world.acme.client, name="Dated")
    assert token.expires_at.date() >= day


def test_only_client_admins_see_or_change_tokens(world):
    token = ApiToken.objects.filter(client=world.acme.client).first()
    for user in (world.rita, world.vera):
        web = web_client(world.acme, user)
        assert web.get("/api/tokens/").status_code == 403
        assert web.post(f"/api/tokens/{token.pk}/revoke").status_code == 403
    with pytest.raises(NotAllowed):
        api_token_revoke(
            client=world.acme.client, token_id=token.pk, by=world.rita, by_role="responder"
        )
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_cannot_see_or_revoke_another_clients_tokens(world):
    globex_token = ApiToken.objects.filter(client=world.globex.client).first()
    web = web_client(world.acme, world.alice)
    assert globex_token.key_prefix not in web.get("/api/tokens/").content.decode()
    web.post(f"/api/tokens/{globex_token.pk}/revoke")
    globex_token.refresh_from_db()
    assert globex_token.revoked_at is None
    with pytest.raises(DomainError):
        api_token_revoke(
            client=world.acme.client,
            token_id=globex_token.pk,
            by=world.alice,
            by_role="client_admin",
        )
