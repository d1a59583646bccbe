"""Requiring two-factor login over the API: `PUT /api/v1/security/two-factor` on a client's
host (client admins, for everyone with a role there) and on the agency host (agency admins,
for agency staff). Audited; only someone who uses a second factor may turn it on."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from accounts.audit.models import AuditEntry
from accounts.models import AgencyAuditEntry, Client
from accounts.services import agency_ensure, api_token_create
from tests.conftest import api_client, web_client
from tests.test_login_security import login_with_code, totp_device

pytestmark = pytest.mark.django_db

PATH = "/api/v1/security/two-factor"


def _token(client, user, scope="write") -> str:
    return api_token_create(client=client, user=user, scope=scope)[1]


def _agency_api(key: str) -> APIClient:
    api = APIClient(HTTP_HOST="localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_a_client_admin_requires_2fa_over_the_api_and_it_is_audited(world):
    totp_device(world.alice)
    api = api_client(world.acme, _token(world.acme.client, world.alice))
    assert api.get(PATH).json() == {"require_2fa": False}
    response = api.put(PATH, {"require_2fa": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"require_2fa": True}
    assert Client.objects.get(pk=world.acme.client.pk).require_2fa
    assert not Client.objects.get(pk=world.globex.client.pk).require_2fa
    assert api.get(PATH).json() == {"require_2fa": True}
    assert api.put(PATH, {"require_2fa": False}, format="json").json() == {"require_2fa": False}
    with tenant_context(world.acme.client):
        entries = list(AuditEntry.objects.filter(action="client.require_2fa").order_by("id"))
    assert [(e.actor_id, e.after) for e in entries] == [
        (world.alice.pk, {"require_2fa": True}),
        (world.alice.pk, {"require_2fa": False}),
    ]


def test_a_verified_session_may_require_it_an_unverified_one_may_not(world):
    unverified = web_client(world.acme, world.alice)
    refused = unverified.put(PATH, {"require_2fa": True}, content_type="application/json")
    assert refused.status_code == 409
    assert "require_2fa" in refused.json()["error"]["fields"]
    assert not Client.objects.get(pk=world.acme.client.pk).require_2fa

    verified = login_with_code(world.acme, world.alice, totp_device(world.alice))
    done = verified.put(PATH, {"require_2fa": True}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert Client.objects.get(pk=world.acme.client.pk).require_2fa


def test_an_admin_without_a_second_factor_cannot_require_it_with_a_token(world):
    api = api_client(world.acme, _token(world.acme.client, world.alice))
    response = api.put(PATH, {"require_2fa": True}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert not Client.objects.get(pk=world.acme.client.pk).require_2fa


def test_bad_input_is_a_400_in_the_one_error_shape(world):
    totp_device(world.alice)
    api = api_client(world.acme, _token(world.acme.client, world.alice))
    response = api.put(PATH, {"require_2fa": "perhaps"}, format="json")
    assert response.status_code == 400
    assert "require_2fa" in response.json()["error"]["fields"]


def test_only_client_admins_of_this_client_may_read_or_change_it(world):
    totp_device(world.rita)
    rita = api_client(world.acme, world.acme.token)  # a responder's token
    assert rita.get(PATH).status_code == 403
    assert rita.put(PATH, {"require_2fa": True}, format="json").status_code == 403
    viewer = web_client(world.acme, world.vera)
    assert viewer.get(PATH).status_code == 403
    # Another client's admin: their token is not valid here (nor can they log in here).
    assert api_client(world.acme, world.globex.token).get(PATH).status_code == 401
    # An agency token is not valid on a client's host.
    assert api_client(world.acme, _token(agency_ensure(), world.ada)).get(PATH).status_code == 401
    # A read-only token of an admin may read, not change.
    totp_device(world.alice)
    reader = api_client(world.acme, _token(world.acme.client, world.alice, scope="read"))
    assert reader.get(PATH).status_code == 200
    assert reader.put(PATH, {"require_2fa": True}, format="json").status_code == 403
    assert not Client.objects.get(pk=world.acme.client.pk).require_2fa


def test_the_agency_requires_2fa_of_its_staff_over_the_api_and_it_is_audited(world):
    totp_device(world.ada)
    api = _agency_api(_token(agency_ensure(), world.ada))
    assert api.get(PATH).json() == {"require_2fa": False}
    response = api.put(PATH, {"require_2fa": True}, format="json")
    assert response.status_code == 200, response.content
    assert Client.objects.get(schema_name="public").require_2fa
    assert not Client.objects.get(pk=world.acme.client.pk).require_2fa
    entry = AgencyAuditEntry.objects.get(action="client.require_2fa")
    assert entry.actor_id == world.ada.pk and entry.client_slug == "agency"
    assert "agency staff" in entry.summary


def test_only_agency_admins_change_the_agencys_rule_on_the_agency_host(world):
    assert _agency_api(world.acme.token).get(PATH).status_code == 401  # a client token
    alice = web_client(None, world.alice)
    assert alice.put(PATH, {"require_2fa": True}, content_type="application/json").status_code == (
        403
    )
    # Without a second factor of their own, not even the agency admin.
    refused = _agency_api(_token(agency_ensure(), world.ada)).put(
        PATH, {"require_2fa": True}, format="json"
    )
    assert refused.status_code == 409
    assert not Client.objects.get(schema_name="public").require_2fa


def test_both_hosts_document_the_endpoint(world):
    for host in ("localhost", world.acme.host):
        schema = APIClient(HTTP_HOST=host).get("/api/v1/schema/", {"format": "json"}).json()
        assert "put" in schema["paths"][PATH], host
