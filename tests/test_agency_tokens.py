"""Agency API tokens on the agency host's /api/tokens/ page (agency admins): create one
(shown once), list them with who made each and when it was last used, revoke; audited in
the agency's log. They work on the agency host only."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from accounts.models import AgencyAuditEntry, ApiToken
from accounts.services import agency_ensure
from tests.conftest import api_client, web_client
from tests.test_login_security import login_with_code, totp_device

pytestmark = pytest.mark.django_db

KEY = re.compile(r'value="(lts_[^"]+)"')


def _agency_api(key: str) -> APIClient:
    api = APIClient(HTTP_HOST="localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def _create(web, name: str = "CRM onboarding", scope: str = "write") -> str:
    response = web.post("/api/tokens/", {"name": name, "scope": scope, "expires": ""})
    assert response.status_code == 302, response.content
    page = web.get("/api/tokens/").content.decode()
    return KEY.search(page).group(1)


def test_an_agency_admin_creates_a_token_shown_once_that_works_on_the_agency_host_only(world):
    web = web_client(None, world.ada)
    assert web.get("/api/tokens/").status_code == 200
    key = _create(web)
    assert key not in web.get("/api/tokens/").content.decode()  # shown once
    token = ApiToken.objects.get(name="CRM onboarding")
    assert token.client == agency_ensure() and token.user == world.ada
    assert _agency_api(key).get("/api/v1/clients/").status_code == 200
    assert api_client(world.acme, key).get("/api/v1/mentions/").status_code == 401


def test_the_list_says_who_made_each_token_and_when_it_was_last_used(world):
    web = web_client(None, world.ada)
    key = _create(web, name="Billing export", scope="read")
    page = web.get("/api/tokens/").content.decode()
    row = page[page.index("Billing export") :].split("</tr>")[0]
    assert "Ada Agency" in row and "never" in row and "Read" in row
    _agency_api(key).get("/api/v1/clients/")
    row = web.get("/api/tokens/").content.decode()
    row = row[row.index("Billing export") :].split("</tr>")[0]
    last_used = re.findall(r'data-label="Last used"><time datetime="([^"]+)"', row)
    assert last_used, row


def test_revoking_an_agency_token_stops_it_and_both_steps_are_audited(world):
    web = web_client(None, world.ada)
    key = _create(web)
    token = ApiToken.objects.get(name="CRM onboarding")
    response = web.post(f"/api/tokens/{token.pk}/revoke")
    assert response.status_code == 302
    assert _agency_api(key).get("/api/v1/clients/").status_code == 401
    entries = AgencyAuditEntry.objects.filter(action__startswith="api_token.").order_by("id")
    assert [(e.action, e.actor_id, e.client_slug) for e in entries] == [
        ("api_token.create", world.ada.pk, "agency"),
        ("api_token.revoke", world.ada.pk, "agency"),
    ]
    assert token.key_prefix in entries[0].summary


@pytest.mark.parametrize("persona", ["alice", "olga"])
def test_only_agency_admins_open_the_agency_token_page(world, persona):
    web = web_client(None, getattr(world, persona))
    assert web.get("/api/tokens/").status_code == 403
    response = web.post("/api/tokens/", {"name": "Sneaky", "scope": "write", "expires": ""})
    assert response.status_code == 403
    assert not ApiToken.objects.filter(name="Sneaky").exists()
    token = ApiToken.objects.filter(client__slug="acme").first()
    assert web.post(f"/api/tokens/{token.pk}/revoke").status_code == 403


def test_anonymous_visitors_are_asked_to_log_in(world):
    response = web_client(None).get("/api/tokens/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_agency_page_cannot_revoke_a_clients_token(world):
    web = web_client(None, world.ada)
    acme_token = ApiToken.objects.filter(client__slug="acme", revoked_at__isnull=True).first()
    web.post(f"/api/tokens/{acme_token.pk}/revoke")
    acme_token.refresh_from_db()
    assert acme_token.revoked_at is None
    assert acme_token.key_prefix not in web.get("/api/tokens/").content.decode()


def test_a_client_host_lists_its_own_tokens_not_the_agencys(world):
    _create(web_client(None, world.ada), name="Agency only")
    page = web_client(world.acme, world.ada).get("/api/tokens/").content.decode()
    assert "Agency only" not in page


def test_the_agency_header_offers_the_token_page_to_agency_admins_only(world):
    header = web_client(None, world.ada).get("/").content.decode().split("</header>")[0]
    assert 'href="/api/tokens/"' in header and 'href="/clients/new"' in header
    header = web_client(None, world.alice).get("/").content.decode().split("</header>")[0]
    assert 'href="/api/tokens/"' not in header and 'href="/clients/new"' not in header


def test_the_agency_log_is_readable_in_the_admin_and_cannot_be_changed(world):
    web = web_client(None, world.ada)
    _create(web, name="Logged token")
    admin = login_with_code(None, world.ada, totp_device(world.ada))
    page = admin.get("/admin/accounts/agencyauditentry/")
    assert page.status_code == 200
    assert "Created API token &#x27;Logged token&#x27;" in page.content.decode()
    entry = AgencyAuditEntry.objects.get(action="api_token.create")
    assert admin.post(f"/admin/accounts/agencyauditentry/{entry.pk}/delete/", {"post": "yes"})
    assert AgencyAuditEntry.objects.filter(pk=entry.pk).exists()
