"""The care workflow over the REST API: staff, teams and departments; notes, bulk actions
and notifications. Tenant isolation, department scoping, roles and token scopes."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.audit.models import AuditEntry
from mentions.models import Mention, Note
from routing.models import Notification, StaffMember, Team
from routing.services.assignment import staff_upsert
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import api_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


def _admin(world):
    api = api_client(world.acme)
    api.force_login(world.alice)
    return api


def _audit(action: str, client) -> list[AuditEntry]:
    connection.set_tenant(client)
    entries = list(AuditEntry.objects.filter(action=action).order_by("id"))
    connection.set_schema_to_public()
    return entries


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    return body["error"]


# --- staff, teams, departments ----------------------------------------------------------


def test_client_admin_adds_changes_and_removes_a_staff_member_with_audit(world):
    api = _admin(world)
    created = api.post(
        "/api/v1/routing/staff/",
        {
            "user_id": world.rita.pk,
            "departments": ["customer-care"],
            "languages": ["DE", "en"],
            "countries": ["de"],
            "tags": ["iOS"],
            "max_open": 10,
            "shifts": {"mon": ["08:00-16:00"], "fri": ["22:00-06:00"]},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    member = created.json()
    assert member["name"] == "Rita Responder"
    assert (member["languages"], member["countries"], member["tags"]) == (
        ["de", "en"],
        ["DE"],
        ["ios"],
    )
    assert member["departments"] == ["customer-care"] and isinstance(member["on_shift_now"], bool)

    patched = api.patch(
        f"/api/v1/routing/staff/{world.rita.pk}/",
        {"on_shift": False, "timezone": "Europe/Vienna"},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["on_shift_now"] is False  # away now, whatever the schedule
    listed = api.get("/api/v1/routing/staff/").json()
    assert [m["user_id"] for m in listed] == [world.rita.pk]
    assert api.delete(f"/api/v1/routing/staff/{world.rita.pk}/").status_code == 204
    assert api.get(f"/api/v1/routing/staff/{world.rita.pk}/").status_code == 404

    updated = _audit("staff.updated", world.acme.client)
    assert updated[0].before == {"on_shift": True, "timezone": ""}
    assert updated[0].after == {"on_shift": False, "timezone": "Europe/Vienna"}
    assert updated[0].actor_id == world.alice.pk
    assert len(_audit("staff.created", world.acme.client)) == 1
    assert len(_audit("staff.deleted", world.acme.client)) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"departments": ["nope"]}, "departments"),
        ({"shifts": {"mon": ["8-16"]}}, "shifts"),
        ({"shifts": {"someday": ["08:00-16:00"]}}, "shifts"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"countries": ["D1"]}, "countries"),
        ({"teams": [987654]}, "teams"),
        ({"max_open": -1}, "max_open"),
        ({"shifts": ["mon"]}, "shifts"),
    ],
)
def test_bad_staff_fields_get_a_400_naming_the_field(world, payload, field):
    response = _admin(world).post(
        "/api/v1/routing/staff/", {"user_id": world.vera.pk, **payload}, format="json"
    )
    assert field in _error(response, 400)["fields"]


def test_only_members_of_this_client_can_be_staff_or_leads(world):
    api = _admin(world)
    for outsider in (world.bob, world.olga):
        response = api.post("/api/v1/routing/staff/", {"user_id": outsider.pk}, format="json")
        assert "user_id" in _error(response, 400)["fields"]
    department = api.get("/api/v1/routing/departments/").json()[0]
    response = api.patch(
        f"/api/v1/routing/departments/{department['id']}/", {"lead_id": world.bob.pk}, format="json"
    )
    assert "lead_id" in _error(response, 400)["fields"]


def test_adding_someone_twice_is_a_conflict(world):
    api = _admin(world)
    assert (
        api.post("/api/v1/routing/staff/", {"user_id": world.rita.pk}, format="json").status_code
        == 201
    )
    response = api.post("/api/v1/routing/staff/", {"user_id": world.rita.pk}, format="json")
    assert _error(response, 409)["code"] == "conflict"


def test_departments_and_teams_are_managed_by_client_admins(world):
    api = _admin(world)
    created = api.post(
        "/api/v1/routing/departments/",
        {"name": "Social Media Desk", "lead_id": world.rita.pk},
        format="json",
    )
    assert created.status_code == 201, created.content
    department = created.json()
    assert (department["slug"], department["lead_id"]) == ("social-media-desk", world.rita.pk)
    assert _error(
        api.post("/api/v1/routing/departments/", {"name": "Social Media Desk"}, format="json"),
        409,
    )
    renamed = api.patch(
        f"/api/v1/routing/departments/{department['id']}/", {"name": "Social Desk"}, format="json"
    ).json()
    assert renamed["name"] == "Social Desk"

    team = api.post(
        "/api/v1/routing/teams/",
        {"name": "Night shift", "department": "social-media-desk", "assignment": "least_load"},
        format="json",
    )
    assert team.status_code == 201, team.content
    team_id = team.json()["id"]
    assert team.json()["assignment"] == "least_load"
    bad = api.patch(f"/api/v1/routing/teams/{team_id}/", {"assignment": "dice"}, format="json")
    assert "assignment" in _error(bad, 400)["fields"]
    missing = api.post("/api/v1/routing/teams/", {"name": "X", "department": "nope"}, format="json")
    assert "department" in _error(missing, 400)["fields"]
    patched = api.patch(
        f"/api/v1/routing/teams/{team_id}/", {"assignment": "round_robin"}, format="json"
    )
    assert patched.json()["assignment"] == "round_robin"
    assert api.delete(f"/api/v1/routing/teams/{team_id}/").status_code == 204
    actions = [e.action for e in _audit_all(world.acme.client)]
    for action in (
        "department.created",
        "department.updated",
        "team.created",
        "team.updated",
        "team.deleted",
    ):
        assert action in actions


def _audit_all(client) -> list[AuditEntry]:
    connection.set_tenant(client)
    entries = list(AuditEntry.objects.order_by("id"))
    connection.set_schema_to_public()
    return entries


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "/api/v1/routing/staff/", {"user_id": 1}),
        ("post", "/api/v1/routing/departments/", {"name": "X"}),
        ("post", "/api/v1/routing/teams/", {"name": "X", "department": "press"}),
    ],
)
def test_other_roles_may_read_but_not_change_staff(world, method, path, payload):
    rita = api_client(world.acme, world.acme.token)  # a responder with a write token
    assert rita.get(path).status_code == 200
    assert _error(getattr(rita, method)(path, payload, format="json"), 403)["code"]
    assert api_client(world.acme, world.acme.read_token).get(path).status_code == 200


def test_another_clients_admin_can_neither_see_nor_change_acme_staff(world, in_acme):
    staff_upsert(user_id=world.rita.pk, name="Rita", departments=["hr"])
    hr = StaffMember.objects.get().departments.get()
    team = Team.objects.create(department=hr, name="Recruiting", slug="recruiting")
    connection.set_schema_to_public()
    bob_token = api_client(world.acme, world.globex.token)
    assert bob_token.get("/api/v1/routing/staff/").status_code in {401, 403}
    bob = api_client(world.acme)
    bob.force_login(world.bob)
    assert bob.get("/api/v1/routing/staff/").status_code == 403
    assert bob.patch(
        f"/api/v1/routing/staff/{world.rita.pk}/", {"on_shift": False}, format="json"
    ).status_code in {401, 403}
    assert bob.delete(f"/api/v1/routing/teams/{team.pk}/").status_code == 403
    # On his own host he sees Globex's (empty) staff list, and none of acme's ids resolve.
    bob_home = api_client(world.globex, world.globex.token)
    assert bob_home.get("/api/v1/routing/staff/").json() == []
    assert bob_home.get(f"/api/v1/routing/staff/{world.rita.pk}/").status_code == 404
    assert bob_home.get(f"/api/v1/routing/teams/{team.pk}/").status_code == 404


# --- notes ------------------------------------------------------------------------------


@pytest.fixture
def mentions(world, in_acme):
    items = [
        mention_item(text="Die App stürzt beim Login ab", language="de"),
        mention_item(text="Suche eine Ausbildung, wie bewerbe ich mich?", language="de"),
    ]
    result = mentions_submit(source=world.acme.source, items=items)
    ingest_batch_process(batch_id=result.batch_ids[0])
    app = Mention.objects.get(department__slug="tech-support")
    job = Mention.objects.get(department__slug="hr")
    connection.set_schema_to_public()
    return app, job


def test_notes_are_added_and_listed_and_at_mentions_notify(world, mentions):
    app, _ = mentions
    rita = api_client(world.acme, world.acme.token)
    created = rita.post(
        f"/api/v1/mentions/{app.pk}/notes",
        {"text": "@alice bitte prüfen <b>dringend</b>"},
        format="json",
    )
    assert created.status_code == 201, created.content
    note = created.json()
    assert note["mentioned_user_ids"] == [world.alice.pk]
    assert note["author_name"] == "Rita Responder" and note["mention_id"] == app.pk
    listed = rita.get(f"/api/v1/mentions/{app.pk}/notes").json()
    assert [n["text"] for n in listed["results"]] == ["@alice bitte prüfen <b>dringend</b>"]
    connection.set_tenant(world.acme.client)
    assert Notification.objects.filter(user_id=world.alice.pk).count() == 1
    assert AuditEntry.objects.filter(action="mention.note", target_id=app.pk).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"text": "   "}, "text"), ({}, "text"), ({"text": "x" * 10_001}, "text")],
)
def test_bad_notes_get_a_400(world, mentions, payload, field):
    app, _ = mentions
    response = api_client(world.acme, world.acme.token).post(
        f"/api/v1/mentions/{app.pk}/notes", payload, format="json"
    )
    assert field in _error(response, 400)["fields"]


def test_notes_need_a_write_token_and_a_responder(world, mentions):
    app, _ = mentions
    read_only = api_client(world.acme, world.acme.read_token)
    assert read_only.get(f"/api/v1/mentions/{app.pk}/notes").status_code == 200
    assert _error(
        read_only.post(f"/api/v1/mentions/{app.pk}/notes", {"text": "hi"}, format="json"), 403
    )
    vera = api_client(world.acme)
    vera.force_login(world.vera)
    assert vera.get(f"/api/v1/mentions/{app.pk}/notes").status_code == 200
    assert vera.post(f"/api/v1/mentions/{app.pk}/notes", {"text": "hi"}).status_code == 403


def test_bob_of_globex_can_neither_read_nor_write_acme_notes(world, mentions):
    app, _ = mentions
    api_client(world.acme, world.acme.token).post(
        f"/api/v1/mentions/{app.pk}/notes", {"text": "intern"}, format="json"
    )
    with_token = api_client(world.acme, world.globex.token)
    assert with_token.get(f"/api/v1/mentions/{app.pk}/notes").status_code in {401, 403}
    bob = api_client(world.acme)
    bob.force_login(world.bob)
    assert bob.get(f"/api/v1/mentions/{app.pk}/notes").status_code == 403
    assert bob.post(f"/api/v1/mentions/{app.pk}/notes", {"text": "x"}).status_code == 403
    home = api_client(world.globex, world.globex.token)
    assert home.get(f"/api/v1/mentions/{app.pk}/notes").status_code == 404
    assert home.post(f"/api/v1/mentions/{app.pk}/notes", {"text": "x"}).status_code == 404
    connection.set_tenant(world.acme.client)
    assert list(Note.objects.values_list("text", flat=True)) == ["intern"]


def test_department_scoped_staff_see_notes_only_on_their_departments_mentions(world, mentions):
    app, job = mentions
    connection.set_tenant(world.acme.client)
    staff_upsert(user_id=world.rita.pk, name="Rita", departments=["hr"])
    connection.set_schema_to_public()
    rita = api_client(world.acme, world.acme.token)
    assert rita.get(f"/api/v1/mentions/{job.pk}/notes").status_code == 200
    assert _error(rita.get(f"/api/v1/mentions/{app.pk}/notes"), 404)
    assert rita.post(f"/api/v1/mentions/{app.pk}/notes", {"text": "x"}).status_code == 404


# --- bulk -------------------------------------------------------------------------------


def test_bulk_answers_per_id_and_changes_only_visible_mentions(world, mentions):
    app, job = mentions
    connection.set_tenant(world.acme.client)
    staff_upsert(user_id=world.rita.pk, name="Rita", departments=["hr"])
    connection.set_schema_to_public()
    rita = api_client(world.acme, world.acme.token)
    response = rita.post(
        "/api/v1/mentions/bulk", {"ids": [job.pk, app.pk, 999999], "action": "resolved"}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "changed": 1,
        "results": [
            {"id": job.pk, "outcome": "changed"},
            {"id": app.pk, "outcome": "not_found"},  # another department's: not hers
            {"id": 999999, "outcome": "not_found"},
        ],
    }
    again = rita.post("/api/v1/mentions/bulk", {"ids": [job.pk], "action": "resolved"}).json()
    assert again["results"] == [{"id": job.pk, "outcome": "unchanged"}]
    connection.set_tenant(world.acme.client)
    assert Mention.objects.get(pk=job.pk).status == "resolved"
    assert Mention.objects.get(pk=app.pk).status != "resolved"
    assert AuditEntry.objects.filter(action="mention.status", target_id=job.pk).count() == 1


def test_bulk_assign_to_me_through_the_api(world, mentions):
    app, job = mentions
    rita = api_client(world.acme, world.acme.token)
    body = rita.post(
        "/api/v1/mentions/bulk", {"ids": [app.pk, job.pk], "action": "assign_me"}, format="json"
    ).json()
    assert body["changed"] == 2
    connection.set_tenant(world.acme.client)
    assert set(Mention.objects.values_list("assignee_id", flat=True)) == {world.rita.pk}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ids": [1], "action": "explode"}, "action"),
        ({"ids": [], "action": "resolved"}, "ids"),
        ({"ids": list(range(1, 202)), "action": "resolved"}, "ids"),
        ({"ids": ["x"], "action": "resolved"}, "ids"),
        ({"ids": [2**70], "action": "resolved"}, "ids"),
        ({"action": "resolved"}, "ids"),
    ],
)
def test_bad_bulk_requests_get_a_400(world, mentions, payload, field):
    response = api_client(world.acme, world.acme.token).post(
        "/api/v1/mentions/bulk", payload, format="json"
    )
    assert field in _error(response, 400)["fields"]


def test_bulk_needs_write_scope_and_stays_in_its_client(world, mentions):
    app, _ = mentions
    payload = {"ids": [app.pk], "action": "resolved"}
    assert _error(
        api_client(world.acme, world.acme.read_token).post(
            "/api/v1/mentions/bulk", payload, format="json"
        ),
        403,
    )
    bob = api_client(world.acme)
    bob.force_login(world.bob)
    assert bob.post("/api/v1/mentions/bulk", payload, format="json").status_code == 403
    home = api_client(world.globex, world.globex.token).post(
        "/api/v1/mentions/bulk", payload, format="json"
    )
    assert home.json()["results"] == [{"id": app.pk, "outcome": "not_found"}]
    connection.set_tenant(world.acme.client)
    assert Mention.objects.get(pk=app.pk).status != "resolved"


# --- notifications ----------------------------------------------------------------------


def test_notifications_are_ones_own_and_can_be_marked_read(world, in_acme):
    mine = [Notification.objects.create(user_id=world.rita.pk, text=f"n{i}") for i in range(3)]
    theirs = Notification.objects.create(user_id=world.alice.pk, text="alice's")
    connection.set_schema_to_public()
    rita = api_client(world.acme, world.acme.token)
    listed = rita.get("/api/v1/notifications/").json()
    assert [n["text"] for n in listed["results"]] == ["n2", "n1", "n0"]
    marked = rita.post(
        "/api/v1/notifications/read", {"ids": [mine[0].pk, theirs.pk]}, format="json"
    ).json()
    assert marked == {"marked": 1, "unread": 2}
    unread = rita.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [n["text"] for n in unread] == ["n2", "n1"]
    assert rita.post("/api/v1/notifications/read", {}, format="json").json() == {
        "marked": 2,
        "unread": 0,
    }
    connection.set_tenant(world.acme.client)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_notifications_of_one_client_are_invisible_from_another(world, in_acme):
    Notification.objects.create(user_id=world.bob.pk, text="acme secret")  # odd, but isolated
    connection.set_schema_to_public()
    bob = api_client(world.globex, world.globex.token)
    assert bob.get("/api/v1/notifications/").json()["results"] == []
    assert api_client(world.acme, world.globex.token).get("/api/v1/notifications/").status_code in {
        401,
        403,
    }


def test_viewers_may_mark_their_notifications_read_but_read_tokens_may_not(world, in_acme):
    Notification.objects.create(user_id=world.vera.pk, text="hi vera")
    Notification.objects.create(user_id=world.rita.pk, text="hi rita")
    connection.set_schema_to_public()
    vera = api_client(world.acme)
    vera.force_login(world.vera)
    assert vera.post("/api/v1/notifications/read", {}, format="json").json()["marked"] == 1
    read_only = api_client(world.acme, world.acme.read_token)
    assert _error(read_only.post("/api/v1/notifications/read", {}, format="json"), 403)
    bad = api_client(world.acme, world.acme.token).post(
        "/api/v1/notifications/read", {"ids": "all"}, format="json"
    )
    assert "ids" in _error(bad, 400)["fields"]


def test_the_openapi_schema_documents_the_new_endpoints(world):
    schema = api_client(world.acme).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/routing/staff/",
        "/api/v1/routing/staff/{user_id}/",
        "/api/v1/routing/teams/",
        "/api/v1/routing/departments/{id}/",
        "/api/v1/mentions/{id}/notes",
        "/api/v1/mentions/bulk",
        "/api/v1/notifications/",
        "/api/v1/notifications/read",
    ):
        assert path in paths, path
