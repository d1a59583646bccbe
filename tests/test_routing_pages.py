"""The routing matrix pages: the matrix, try it, the rule editor, presets, the audit log."""

from __future__ import annotations

import pytest
from django.db import connection

from routing.models import RoutingRule
from tests.conftest import web_client

pytestmark = pytest.mark.django_db


def test_every_member_sees_the_matrix_and_can_try_it(world):
    page = (
        web_client(world.acme, world.vera)
        .get("/routing/?text=Ich+bewerbe+mich+um+eine+Ausbildung&followers=10")
        .content.decode()
    )
    assert "Everything else → Customer care" in page
    assert "Rule &quot;Jobs → HR&quot;: kind is job → HR / Recruiting" in page
    assert "Nothing was stored." in page
    assert "New rule" not in page  # viewers do not edit


def test_a_manager_creates_and_edits_a_rule_with_history(world):
    web = web_client(world.acme, world.alice)
    response = web.post(
        "/routing/rules/new",
        {
            "name": "Gleis → Tech",
            "department": "tech-support",
            "keywords": "Gleis, Bahnsteig",
            "kinds": "complaint",
            "priority": "3",
            "enabled": "on",
            "position": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    connection.set_tenant(world.acme.client)
    rule = RoutingRule.objects.get(name="Gleis → Tech")
    assert rule.keywords == ["Gleis", "Bahnsteig"] and rule.kinds == ["complaint"]
    connection.set_schema_to_public()
    response = web.post(
        f"/routing/rules/{rule.pk}/",
        {
            "name": "Gleis → Tech",
            "department": "tech-support",
            "keywords": "Gleis",
            "kinds": "complaint, question",
            "priority": "3",
            "enabled": "on",
            "position": "1",
        },
    )
    assert response.status_code == 302
    page = web.get(f"/routing/rules/{rule.pk}/").content.decode()
    assert "v2" in page and "Changed rule" in page and "Created rule" in page


def test_the_editor_shows_field_errors_and_keeps_input(world):
    web = web_client(world.acme, world.alice)
    response = web.post(
        "/routing/rules/new",
        {
            "name": "Kaputt",
            "department": "tech-support",
            "query": "Bahn AND (",
            "kinds": "rant",
            "priority": "2",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "position" in page and "unknown: rant" in page
    assert 'value="Bahn AND ("' in page


def test_presets_need_a_client_admin_and_are_audited(world):
    manager_free = web_client(world.acme, world.rita)
    assert manager_free.post("/routing/presets", {"preset": "airline"}).status_code == 403
    web = web_client(world.acme, world.alice)
    web.post("/routing/presets", {"preset": "airline"})
    audit = web.get("/audit/").content.decode()
    assert "Applied the Airline matrix" in audit and "Alice Admin" in audit
