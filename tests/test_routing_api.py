"""The routing matrix over the REST API: list, edit, reorder, try, presets, audit."""

from __future__ import annotations

import pytest

from tests.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_api(world):
    api = api_client(world.acme)
    api.force_login(world.alice)  # client admin, above manager
    return api


def test_the_matrix_lists_in_evaluation_order(world, manager_api):
    rules = manager_api.get("/api/v1/routing/rules/").json()
    assert rules[-1]["is_default"] is True
    positions = [rule["position"] for rule in rules[:-1]]
    assert positions == sorted(positions)


def test_create_patch_delete_a_rule_with_audit(world, manager_api):
    created = manager_api.post(
        "/api/v1/routing/rules/",
        {
            "name": "Gleis → Care",
            "department": "customer-care",
            "keywords": ["Gleis"],
            "languages": ["de"],
            "position": 1,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    patched = manager_api.patch(
        f"/api/v1/routing/rules/{rule['id']}/", {"priority": 4, "copy_to": "press"}, format="json"
    ).json()
    assert (patched["priority"], patched["copy_to"], patched["version"]) == (4, "press", 2)
    tried = manager_api.post(
        "/api/v1/routing/try", {"text": "Gleis 3 ist gesperrt und der Zug fällt aus"}, format="json"
    ).json()
    assert tried["rule"]["name"] == "Gleis → Care"
    assert tried["actions"]["copy_to_department_id"] is not None
    assert manager_api.delete(f"/api/v1/routing/rules/{rule['id']}/").status_code == 204
    audit = manager_api.get(f"/api/v1/audit/?target_type=rule&target_id={rule['id']}").json()
    assert [entry["action"] for entry in audit["results"]] == [
        "rule.deleted",
        "rule.updated",
        "rule.created",
    ]
    assert audit["results"][1]["before"]["priority"] == 2


def test_invalid_rules_get_400_with_field_errors(world, manager_api):
    response = manager_api.post(
        "/api/v1/routing/rules/",
        {"name": "x", "department": "nowhere", "kinds": ["rant"], "query": "a AND ("},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"department", "kinds", "query"}
    response = manager_api.post(
        "/api/v1/routing/rules/", {"name": "x", "priority": "high"}, format="json"
    )
    assert response.status_code == 400 and "priority" in response.json()["error"]["fields"]


def test_responders_may_try_but_not_edit(world):
    api = api_client(world.acme, world.acme.token)  # rita, a responder
    assert (
        api.post(
            "/api/v1/routing/try", {"text": "Bewerbung als Lokführer"}, format="json"
        ).status_code
        == 200
    )
    response = api.post(
        "/api/v1/routing/rules/", {"name": "x", "department": "press"}, format="json"
    )
    assert response.status_code == 403


def test_try_explains_a_decision_for_an_influencer(world, manager_api):
    response = manager_api.post(
        "/api/v1/routing/try",
        {
            "text": "Das ist eine Frechheit, nie wieder!",
            "author": {"handle": "star", "followers": 250_000},
        },
        format="json",
    ).json()
    assert response["triage"]["kind"] == "complaint"
    assert response["rule"]["name"] == "Influencer complaints → Customer care, copy to PR"
    assert "250,000 followers ≥ 50,000" in response["reason"]
    assert response["actions"]["require_approval"] is True


def test_try_rejects_bad_input_with_400(world, manager_api):
    response = manager_api.post("/api/v1/routing/try", {"author": {"followers": -1}}, format="json")
    assert response.status_code == 400
    assert {"text", "author"} <= set(response.json()["error"]["fields"])


def test_reorder_and_presets(world, manager_api):
    presets = manager_api.get("/api/v1/routing/presets/").json()
    assert {p["name"] for p in presets} >= {"retail", "telecom", "transport", "airline"}
    rules = manager_api.post("/api/v1/routing/presets/telecom/apply").json()
    assert "Outages → Tech support" in [rule["name"] for rule in rules]
    ids = [rule["id"] for rule in rules if not rule["is_default"]]
    reordered = manager_api.post(
        "/api/v1/routing/rules/reorder", {"rule_ids": list(reversed(ids))}, format="json"
    ).json()
    assert reordered[0]["id"] == ids[-1]
    assert manager_api.post("/api/v1/routing/presets/nonsense/apply").status_code == 400


def test_another_clients_token_sees_no_matrix(world):
    assert (
        api_client(world.acme, world.globex.token).get("/api/v1/routing/rules/").status_code == 401
    )


def test_assignments_and_status_changes_are_audited(world):
    from django.db import connection

    from mentions.models import Mention
    from sources.services import ingest_batch_process, mentions_submit
    from tests.factories import mention_item

    connection.set_tenant(world.acme.client)
    result = mentions_submit(source=world.acme.source, items=[mention_item()])
    ingest_batch_process(batch_id=result.batch_ids[0])
    mention_id = Mention.objects.get().pk
    connection.set_schema_to_public()
    api = api_client(world.acme, world.acme.token)
    api.patch(
        f"/api/v1/mentions/{mention_id}/",
        {"assignee": world.rita.pk, "status": "resolved"},
        format="json",
    )
    # The audit log is for managers and up, as the /audit/ page (a responder gets 403).
    audit_url = f"/api/v1/audit/?target_type=mention&target_id={mention_id}"
    assert api.get(audit_url).status_code == 403
    manager = api_client(world.acme)
    manager.force_login(world.alice)
    entries = manager.get(audit_url).json()
    assert [e["action"] for e in entries["results"]] == ["mention.status", "mention.assigned"]
    assert entries["results"][1]["actor_name"] == "Rita Responder"
