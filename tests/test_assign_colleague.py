"""Managers assign a colleague: anyone who may see the mention (responders and up; staff
limited to departments only for their departments' mentions), chosen from a typeahead that
shows open load and shift; the colleague is told; nobody outside the client is offered or
reachable."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from accounts.audit.models import AuditEntry
from accounts.models import Role
from accounts.services import user_create_or_update
from mentions.models import Author, Mention
from routing.models import Department, Notification
from routing.services.assignment import staff_upsert
from tests.conftest import PASSWORD, api_client, web_client

pytestmark = pytest.mark.django_db


def person(world, email, name, role):
    return user_create_or_update(
        email=email, password=PASSWORD, name=name, client=world.acme.client, role=role
    )


@pytest.fixture
def team(world):
    """Mia manages; Tom works in tech support (on shift, two open), Hanna only in HR (off
    shift); Rita has no staff entry (sees everything); Vera only views."""
    mia = person(world, "mia@acme.test", "Mia Manager", Role.MANAGER)
    tom = person(world, "tom@acme.test", "Tom Tech", Role.RESPONDER)
    hanna = person(world, "hanna@acme.test", "Hanna HR", Role.RESPONDER)
    connection.set_tenant(world.acme.client)
    staff_upsert(user_id=tom.pk, name="Tom Tech", departments=["tech-support"])
    staff_upsert(user_id=hanna.pk, name="Hanna HR", departments=["hr"], on_shift=False)
    author = Author.objects.create(network="test", handle="kunde")
    tech = Department.objects.get(slug="tech-support")

    def mention(text, **extra):
        return Mention.objects.create(
            source=world.acme.source,
            external_id=f"assign-{text}",
            text=text,
            author=author,
            published_at=timezone.now(),
            department=tech,
            **extra,
        )

    target = mention("App login broken")
    mention("first", assignee=tom, status="assigned")
    mention("second", assignee=tom, status="assigned")
    connection.set_schema_to_public()
    return SimpleNamespace(mia=mia, tom=tom, hanna=hanna, target=target)


def test_typeahead_offers_those_who_may_see_it_with_load_and_shift(world, team):
    api = api_client(world.acme)
    api.force_authenticate(team.mia)
    people = api.get(f"/api/v1/mentions/{team.target.pk}/assignees").json()
    names = [p["name"] for p in people]
    assert "Tom Tech" in names and "Rita Responder" in names and "Mia Manager" in names
    assert "Hanna HR" not in names  # limited to HR: cannot see a tech-support mention
    assert "Vera Viewer" not in names  # viewers never take mentions
    tom_row = next(p for p in people if p["name"] == "Tom Tech")
    assert (tom_row["open_load"], tom_row["on_shift"], tom_row["max_open"]) == (2, True, 25)
    assert tom_row["display"] == "Tom Tech · 2 open of 25 · on shift"
    rita_row = next(p for p in people if p["name"] == "Rita Responder")
    assert rita_row["on_shift"] is None and rita_row["display"].endswith("no shift plan")
    assert [
        p["name"] for p in api.get(f"/api/v1/mentions/{team.target.pk}/assignees?q=TOM").json()
    ] == ["Tom Tech"]
    assert api.get(f"/api/v1/mentions/{team.target.pk}/assignees?q=nobody").json() == []


def test_the_mention_page_shows_managers_the_colleague_picker(world, team):
    page = web_client(world.acme, team.mia).get(f"/mentions/{team.target.pk}/").content.decode()
    assert 'id="assign-form"' in page and "Tom Tech · 2 open of 25 · on shift" in page
    assert "Hanna HR" not in page and "frontend/assign.js" in page
    rita_page = (
        web_client(world.acme, world.rita).get(f"/mentions/{team.target.pk}/").content.decode()
    )
    assert 'id="assign-form"' not in rita_page


def test_a_manager_assigns_a_colleague_who_is_told(world, team):
    web = web_client(world.acme, team.mia)
    response = web.post(
        f"/mentions/{team.target.pk}/action", {"action": "assign", "assignee": team.tom.pk}
    )
    assert response.status_code == 302
    page = web.get(response["Location"]).content.decode()
    assert "Assigned to Tom Tech" in page
    connection.set_tenant(world.acme.client)
    team.target.refresh_from_db()
    assert team.target.assignee_id == team.tom.pk and team.target.status == "assigned"
    notice = Notification.objects.get(user_id=team.tom.pk)
    assert "Mia Manager assigned you mention" in notice.text
    assert notice.link == f"/mentions/{team.target.pk}/"
    entry = AuditEntry.objects.get(action="mention.assigned", target_id=team.target.pk)
    assert entry.actor_id == team.mia.pk and "Tom Tech" in entry.summary


def test_nobody_gets_a_mention_they_cannot_see(world, team):
    web = web_client(world.acme, team.mia)
    page = web.post(
        f"/mentions/{team.target.pk}/action",
        {"action": "assign", "assignee": team.hanna.pk},
        follow=True,
    ).content.decode()
    assert "Hanna HR cannot see this mention" in page
    api = api_client(world.acme)
    api.force_authenticate(team.mia)
    response = api.patch(
        f"/api/v1/mentions/{team.target.pk}/", {"assignee": team.hanna.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["assignee"] == ["cannot see this mention"]
    connection.set_tenant(world.acme.client)
    team.target.refresh_from_db()
    assert team.target.assignee_id is None


def test_responders_take_mentions_themselves_but_do_not_assign_others(world, team):
    rita = api_client(world.acme, world.acme.token)
    assert rita.get(f"/api/v1/mentions/{team.target.pk}/assignees").status_code == 403
    response = rita.patch(
        f"/api/v1/mentions/{team.target.pk}/", {"assignee": team.tom.pk}, format="json"
    )
    assert response.status_code == 403
    assert "Only managers" in response.json()["error"]["message"]
    mine = rita.patch(
        f"/api/v1/mentions/{team.target.pk}/", {"assignee": world.rita.pk}, format="json"
    )
    assert mine.status_code == 200
    web = web_client(world.acme, world.rita)
    page = web.post(
        f"/mentions/{team.target.pk}/action",
        {"action": "assign", "assignee": team.tom.pk},
        follow=True,
    ).content.decode()
    assert "Only managers assign mentions to colleagues." in page


def test_other_clients_are_neither_offered_nor_reachable(world, team):
    api = api_client(world.acme)
    api.force_authenticate(team.mia)
    names = [p["name"] for p in api.get(f"/api/v1/mentions/{team.target.pk}/assignees").json()]
    assert "Bob Globex" not in names and "Olga" not in names
    response = api.patch(
        f"/api/v1/mentions/{team.target.pk}/", {"assignee": world.bob.pk}, format="json"
    )
    assert response.status_code == 400
    page = web_client(world.acme, team.mia).post(
        f"/mentions/{team.target.pk}/action",
        {"action": "assign", "assignee": world.bob.pk},
        follow=True,
    )
    assert "Choose a colleague from the list." in page.content.decode()
    bob = api_client(world.globex, world.globex.token)
    assert bob.get(f"/api/v1/mentions/{team.target.pk}/assignees").status_code == 404
