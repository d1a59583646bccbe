"""`/api/v1/training/…`: the quiz without its key, attempts, certificates by user,
guidelines, authoring rights, the error shape and isolation."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.audit.models import AuditEntry
from routing.training.models import CertificationLevel
from routing.training.services import level_update, module_create
from tests.conftest import api_client
from tests.test_training import QUIZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def module(world):
    with tenant_context(world.acme.client):
        module = module_create(data={"title": "Basics", "questions": QUIZ}, by=world.alice)
        level = CertificationLevel.objects.get(name="Responder")
        level_update(level=level, module_ids=[module.pk], by=world.alice)
    connection.set_schema_to_public()
    return module


def rita_api(world):
    return api_client(world.acme, world.acme.token)  # the token is Rita's (responder)


def alice_api(world):
    api = api_client(world.acme)
    api.force_login(world.alice)
    return api


def answer_key(api, module_id):
    body = alice_api_key(api, module_id)
    right = {str(q["id"]): [c["id"] for c in q["choices"] if c["correct"]] for q in body}
    wrong = {str(q["id"]): [c["id"] for c in q["choices"] if not c["correct"]][:1] for q in body}
    return right, wrong


def alice_api_key(api, module_id):
    return api.get(f"/api/v1/training/modules/{module_id}/?key=1").json()["questions"]


def test_the_quiz_is_sent_without_its_key(world, module):
    api = rita_api(world)
    body = api.get(f"/api/v1/training/modules/{module.pk}/").json()
    assert body["questions"] and all(
        set(choice) == {"id", "text"} for q in body["questions"] for choice in q["choices"]
    )
    assert all("explanation" not in q for q in body["questions"])
    refused = api.get(f"/api/v1/training/modules/{module.pk}/?key=1")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_an_attempt_answers_passed_score_and_the_certificate(world, module):
    right, wrong = answer_key(alice_api(world), module.pk)
    api = rita_api(world)
    url = f"/api/v1/training/modules/{module.pk}/attempts"
    failed = api.post(url, {"answers": wrong}, format="json")
    assert failed.status_code == 201, failed.content
    assert failed.json()["passed"] is False and failed.json()["certificate"] is None
    assert failed.json()["score"] == 0
    passed = api.post(url, {"answers": right}, format="json").json()
    assert passed["passed"] is True and passed["score"] == 1.0
    assert passed["certificate"]["level"] == "Responder" and passed["certificate"]["valid"]
    explanations = [r["explanation"] for r in passed["results"].values()]
    assert "A named employee signs every public reply." in explanations
    mine = api.get("/api/v1/training/certificates/").json()
    assert [c["level"] for c in mine] == ["Responder"]
    others = alice_api(world).get(f"/api/v1/training/certificates/?user={world.rita.pk}")
    assert others.status_code == 200 and len(others.json()) == 1
    assert api.get(f"/api/v1/training/certificates/?user={world.alice.pk}").status_code == 403
    bad = alice_api(world).get("/api/v1/training/certificates/?user=abc")
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "payload",
    [{}, {"answers": "x"}, {"answers": {"999999": [1]}}, {"answers": {"1": ["a"]}}],
)
def test_bad_answers_get_a_clear_400(world, module, payload):
    response = rita_api(world).post(
        f"/api/v1/training/modules/{module.pk}/attempts", payload, format="json"
    )
    assert response.status_code == 400, response.content
    assert "error" in response.json()


def test_authoring_needs_a_manager_and_is_audited(world, module):
    created = rita_api(world).post("/api/v1/training/modules/", {"title": "Mine"}, format="json")
    assert created.status_code == 403
    api = alice_api(world)
    created = api.post(
        "/api/v1/training/modules/", {"title": "Mine", "questions": QUIZ}, format="json"
    )
    assert created.status_code == 201 and len(created.json()["questions"]) == 2
    published = api.post("/api/v1/training/guidelines/", {"body": "Be kind."}, format="json")
    assert published.status_code == 201 and published.json()["version"] == 1
    ack = rita_api(world).post(
        "/api/v1/training/guidelines/current/acknowledge", {"version": 1}, format="json"
    )
    assert ack.status_code == 201
    stale = rita_api(world).post(
        "/api/v1/training/guidelines/current/acknowledge", {"version": 7}, format="json"
    )
    assert stale.status_code == 400
    acks = api.get("/api/v1/training/acknowledgements/").json()
    assert [(a["user_id"], a["version"]) for a in acks] == [(world.rita.pk, 1)]
    assigned = api.post(
        "/api/v1/training/assignments/",
        {"module": module.pk, "role": "responder", "due_date": "2026-12-31"},
        format="json",
    )
    assert assigned.status_code == 201
    with tenant_context(world.acme.client):
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "training.module_created",
        "training.guideline_published",
        "training.guideline_acknowledged",
        "training.assigned",
    } <= actions


def test_another_client_cannot_see_or_take_the_module(world, module):
    bob = api_client(world.globex, world.globex.token)
    assert bob.get(f"/api/v1/training/modules/{module.pk}/").status_code == 404
    assert bob.get("/api/v1/training/modules/").json() == []
    taken = bob.post(
        f"/api/v1/training/modules/{module.pk}/attempts", {"answers": {}}, format="json"
    )
    assert taken.status_code == 404
    assert bob.get(f"/api/v1/training/certificates/?user={world.rita.pk}").status_code == 404
