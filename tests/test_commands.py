"""The management commands an agency uses to onboard clients, staff and integrators."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Client, Domain, Membership
from mentions.models import Mention
from routing.models import Department
from sources.models import IngestBatch
from sources.services import ingest_batch_process
from tests.conftest import api_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_client_makes_schema_domain_and_default_departments():
    output = run("create_client", "initech", "--name", "Initech GmbH")
    assert "http://initech.localhost:8000/" in output
    client = Client.objects.get(slug="initech")
    assert Domain.objects.get(tenant=client).domain == "initech.localhost"
    with tenant_context(client):
        assert Department.objects.get(is_default=True).name == "Customer care"


@pytest.mark.parametrize("slug", ["Bad Slug", "public", "acme", "a_b", "-x", "x-"])
def test_create_client_refuses_bad_or_taken_slugs(world, slug):
    with pytest.raises(CommandError):
        run("create_client", slug, "--name", "X")


def test_create_user_gives_a_role_and_login_by_email(world):
    run(
        "create_user",
        "Neu@Acme.test",
        "--client",
        "acme",
        "--role",
        "manager",
        "--password",
        "pw-long-enough",
    )
    membership = Membership.objects.get(user__email="neu@acme.test")
    assert (membership.client, membership.role) == (world.acme.client, "manager")


def test_create_user_refuses_unknown_client(world):
    with pytest.raises(CommandError, match="No client"):
        run("create_user", "x@y.test", "--client", "nope", "--role", "viewer", "--password", "p")


def test_create_api_token_prints_a_token_for_that_client_only(world):
    token = run("create_api_token", "--client", "acme", "--user", world.alice.email).strip()
    assert token.startswith("lts_")
    assert api_client(world.acme, token).get("/api/v1/mentions/").status_code == 200
    assert api_client(world.globex, token).get("/api/v1/mentions/").status_code == 401


def test_create_api_token_needs_a_membership(world):
    with pytest.raises(CommandError, match="no role"):
        run("create_api_token", "--client", "globex", "--user", world.alice.email)


def test_import_mentions_reports_accepted_and_rejected_lines(world, tmp_path):
    lines = [
        json.dumps(mention_item(external_id="imp-1")),
        "{broken json",
        json.dumps(mention_item(external_id="imp-2", text="")),
        "",
        json.dumps(mention_item(external_id="imp-3")),
    ]
    path = tmp_path / "mentions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = run(
        "import_mentions",
        str(path),
        "--client",
        "acme",
        "--source",
        str(world.acme.source.pk),
        "--no-wait",
    )
    assert "Accepted:   2" in output
    assert "Rejected:   2" in output
    assert "line 2: The body is not valid JSON" in output
    assert "line 3: text: This field may not be blank." in output
    connection.set_tenant(world.acme.client)
    for batch in IngestBatch.objects.all():
        ingest_batch_process(batch_id=batch.pk)
    assert set(Mention.objects.values_list("external_id", flat=True)) == {"imp-1", "imp-3"}


def test_import_mentions_refuses_unknown_source(world, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(CommandError, match="No source"):
        run("import_mentions", str(path), "--client", "acme", "--source", "999999")
