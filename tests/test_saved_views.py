"""Saved inbox views: a person saves filters + sort + search under a name, one is their
default (the inbox opens with it), and a view shared with a team shows in its members'
sidebars, nobody else's; only the owner changes or deletes it."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from mentions.models import SavedView
from routing.models import Department, Team
from routing.services.assignment import staff_upsert
from tests.conftest import web_client

pytestmark = pytest.mark.django_db


def _save(web, **fields):
    data = {"name": "App trouble", "status": "all", "q": "app login", "sort": "sla", **fields}
    return web.post("/views/", data)


def _views(world, **filters) -> list[SavedView]:
    with tenant_context(world.acme.client):
        views = list(SavedView.objects.filter(**filters).order_by("id"))
    connection.set_schema_to_public()
    return views


def test_a_saved_view_keeps_filters_sort_and_search_and_shows_in_the_sidebar(world):
    web = web_client(world.acme, world.rita)
    response = _save(web, department="tech-support", segment="", junk="x")
    assert response.status_code == 302
    (view,) = _views(world)
    assert view.params == {
        "status": "all",
        "department": "tech-support",
        "sort": "sla",
        "q": "app login",
    }
    assert view.owner_id == world.rita.pk
    assert response["Location"] == (
        f"/?status=all&department=tech-support&sort=sla&q=app+login&view={view.pk}"
    )
    page = web.get(response["Location"]).content.decode()
    assert "App trouble" in page
    assert 'aria-current="page"' in page


def test_the_default_view_opens_with_the_inbox(world):
    web = web_client(world.acme, world.rita)
    _save(web, name="Mine", is_default="1", status="assigned", sort="", q="")
    (view,) = _views(world)
    response = web.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"/?status=assigned&view={view.pk}"
    # Any explicit filter shows what was asked for.
    assert web.get("/?status=open").status_code == 200


def test_only_one_default_per_person(world):
    web = web_client(world.acme, world.rita)
    _save(web, name="First", is_default="1")
    _save(web, name="Second", is_default="1")
    assert [v.name for v in _views(world, is_default=True)] == ["Second"]
    first = _views(world, name="First")[0]
    web.post(f"/views/{first.pk}/", {"action": "default"})
    assert [v.name for v in _views(world, is_default=True)] == ["First"]


def test_saving_a_name_again_replaces_that_view(world):
    web = web_client(world.acme, world.rita)
    _save(web, q="app")
    _save(web, q="login")
    assert [v.params["q"] for v in _views(world)] == ["login"]


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"q": '"app AND (login'},
        {"status": "weird"},
        {"sort": "loudest"},
        {"department": "Not A Slug!"},
    ],
)
def test_a_view_that_cannot_be_read_is_not_saved(world, fields):
    web = web_client(world.acme, world.rita)
    response = _save(web, **fields)
    assert response.status_code == 302
    assert _views(world) == []
    page = web.get(response["Location"]).content.decode()
    assert "cannot be saved" in page or "could not be read" in page or "name" in page


@pytest.fixture
def app_team(world):
    with tenant_context(world.acme.client):
        tech = Department.objects.get(slug="tech-support")
        team = Team.objects.create(department=tech, name="App team", slug="app")
        staff_upsert(user_id=world.rita.pk, name="Rita", teams=[team])
    connection.set_schema_to_public()
    return team


def test_a_view_shared_with_a_team_shows_to_its_members_only(world, app_team):
    alice = web_client(world.acme, world.alice)  # a client admin: may share with any team
    _save(alice, name="Team queue", team=str(app_team.pk))
    (view,) = _views(world)
    assert view.team_id == app_team.pk
    rita = web_client(world.acme, world.rita)
    page = rita.get("/?status=open").content.decode()
    assert "Team queue" in page and "by Alice Admin" in page
    vera = web_client(world.acme, world.vera)  # not in the team
    assert "Team queue" not in vera.get("/?status=open").content.decode()
    # Rita sees it but cannot delete or re-default it: it is not hers.
    assert rita.post(f"/views/{view.pk}/", {"action": "delete"}).status_code == 404
    assert rita.post(f"/views/{view.pk}/", {"action": "default"}).status_code == 404
    assert len(_views(world)) == 1


def test_a_person_shares_only_with_their_own_teams(world, app_team):
    with tenant_context(world.acme.client):
        other = Team.objects.create(department=app_team.department, name="Other", slug="other")
    connection.set_schema_to_public()
    rita = web_client(world.acme, world.rita)
    _save(rita, team=str(other.pk))
    assert _views(world) == []
    _save(rita, team=str(app_team.pk))
    assert len(_views(world)) == 1


def test_the_owner_deletes_a_view(world):
    web = web_client(world.acme, world.rita)
    _save(web)
    (view,) = _views(world)
    assert web.post(f"/views/{view.pk}/", {"action": "delete"}).status_code == 302
    assert _views(world) == []


def test_views_stay_in_their_client(world):
    _save(web_client(world.acme, world.rita), name="Acme only")
    bob = web_client(world.globex, world.bob)
    assert "Acme only" not in bob.get("/?status=open").content.decode()
    (view,) = _views(world)
    assert bob.post(f"/views/{view.pk}/", {"action": "delete"}).status_code == 404
    assert len(_views(world)) == 1


def test_a_viewer_may_save_views_too(world):
    web = web_client(world.acme, world.vera)
    assert _save(web).status_code == 302
    assert len(_views(world)) == 1
