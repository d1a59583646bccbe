"""The teams and staff page, and notifications arriving live on the person's own socket."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from accounts.audit.models import AuditEntry
from accounts.models import Role
from accounts.services import user_create_or_update
from routing.models import Department, StaffMember, Team
from routing.services.assignment import staff_upsert
from tests.conftest import PASSWORD, web_client
from tests.test_websocket import communicator, connect


def _in_acme(world):
    connection.set_tenant(world.acme.client)


@pytest.mark.django_db
def test_admins_see_forms_and_others_see_the_same_page_read_only(world, in_acme):
    staff_upsert(user_id=world.rita.pk, name="Rita Responder", departments=["hr"], on_shift=False)
    connection.set_schema_to_public()
    admin_page = web_client(world.acme, world.alice).get("/staff/")
    assert admin_page.status_code == 200
    html = admin_page.content.decode()
    assert "Rita Responder" in html and 'class="badge shift-away">away<' in html
    assert 'action="/staff/add"' in html and "Vera Viewer" in html  # addable
    for person in (world.rita, world.vera):
        page = web_client(world.acme, person).get("/staff/")
        assert page.status_code == 200
        body = page.content.decode()
        assert "Rita Responder" in body
        assert '<form method="post" action="/staff' not in body
        assert "Add department" not in body and "Away now" not in body


@pytest.mark.django_db
def test_empty_staff_list_explains_itself(world):
    page = web_client(world.acme, world.alice).get("/staff/").content.decode()
    assert "Nobody is on the staff list yet" in page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["bob", "olga"])
def test_people_of_other_clients_cannot_open_or_post_to_acme_staff(world, who):
    person = getattr(world, who)
    web = web_client(world.acme)
    web.force_login(person)  # the login form itself refuses them on acme's host
    assert web.get("/staff/").status_code == 403
    assert web.post("/staff/add", {"user_id": person.pk}).status_code == 403
    assert web.post("/staff/teams", {"name": "x", "department": "hr"}).status_code == 403
    _in_acme(world)
    assert not StaffMember.objects.exists() and not Team.objects.filter(name="x").exists()


@pytest.mark.django_db
def test_responders_cannot_change_staff(world, in_acme):
    staff_upsert(user_id=world.rita.pk, name="Rita")
    connection.set_schema_to_public()
    rita = web_client(world.acme, world.rita)
    assert rita.post("/staff/add", {"user_id": world.vera.pk}).status_code == 403
    assert rita.post(f"/staff/{world.rita.pk}/switch", {"on_shift": "0"}).status_code == 403
    assert rita.get(f"/staff/{world.rita.pk}/").status_code == 403
    _in_acme(world)
    assert StaffMember.objects.get().on_shift is True


@pytest.mark.django_db
def test_admin_adds_someone_sets_skills_and_shifts_and_it_is_audited(world):
    alice = web_client(world.acme, world.alice)
    added = alice.post("/staff/add", {"user_id": world.rita.pk})
    assert added.status_code == 302 and added["Location"] == f"/staff/{world.rita.pk}/"
    form = alice.get(added["Location"]).content.decode()
    assert 'name="shift_mon"' in form and "Remove from staff" in form
    _in_acme(world)
    team = Team.objects.create(
        department=Department.objects.get(slug="tech-support"), name="App", slug="app"
    )
    connection.set_schema_to_public()
    saved = alice.post(
        f"/staff/{world.rita.pk}/",
        {
            "departments": ["tech-support"],
            "teams": [str(team.pk)],
            "languages": "de, en",
            "countries": "de",
            "tags": "ios",
            "max_open": "12",
            "on_shift": "on",
            "shift_mon": "08:00-16:00",
            "shift_fri": "22:00-06:00",
            "timezone": "",
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    _in_acme(world)
    member = StaffMember.objects.get(user_id=world.rita.pk)
    assert member.shifts == {"mon": ["08:00-16:00"], "fri": ["22:00-06:00"]}
    assert (member.languages, member.countries, member.tags, member.max_open) == (
        ["de", "en"],
        ["DE"],
        ["ios"],
        12,
    )
    assert [t.pk for t in member.teams.all()] == [team.pk]
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "staff.created",
        "staff.updated",
    }
    connection.set_schema_to_public()
    listing = alice.get("/staff/").content.decode()
    assert "Mon 08:00-16:00 · Fri 22:00-06:00" in listing


@pytest.mark.django_db
def test_bad_shifts_show_the_error_and_keep_what_was_typed(world, in_acme):
    staff_upsert(user_id=world.rita.pk, name="Rita")
    connection.set_schema_to_public()
    response = web_client(world.acme, world.alice).post(
        f"/staff/{world.rita.pk}/",
        {"max_open": "5", "on_shift": "on", "shift_tue": "9 till <b>late</b>"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not like 08:00-16:00" in html
    assert "9 till &lt;b&gt;late&lt;/b&gt;" in html and "<b>late</b>" not in html


@pytest.mark.django_db
def test_away_switch_and_back(world, in_acme):
    staff_upsert(user_id=world.rita.pk, name="Rita")
    connection.set_schema_to_public()
    alice = web_client(world.acme, world.alice)
    alice.post(f"/staff/{world.rita.pk}/switch", {"on_shift": "0"})
    _in_acme(world)
    assert StaffMember.objects.get().on_shift is False
    connection.set_schema_to_public()
    alice.post(f"/staff/{world.rita.pk}/switch", {"on_shift": "1"})
    _in_acme(world)
    assert StaffMember.objects.get().on_shift is True
    assert AuditEntry.objects.filter(action="staff.updated").count() == 2


@pytest.mark.django_db
def test_departments_and_teams_from_the_page(world):
    alice = web_client(world.acme, world.alice)
    alice.post("/staff/departments", {"name": "Social Desk", "lead_id": str(world.rita.pk)})
    _in_acme(world)
    desk = Department.objects.get(slug="social-desk")
    assert desk.lead_id == world.rita.pk
    connection.set_schema_to_public()
    alice.post(
        "/staff/teams", {"name": "Nights", "department": "social-desk", "assignment": "least_load"}
    )
    _in_acme(world)
    team = Team.objects.get(slug="nights")
    assert team.assignment == "least_load"
    connection.set_schema_to_public()
    bad = alice.post("/staff/teams", {"team_id": str(team.pk), "assignment": "dice"}, follow=True)
    assert "assignment" in bad.content.decode()
    alice.post("/staff/teams", {"team_id": str(team.pk), "action": "delete"})
    _in_acme(world)
    assert not Team.objects.filter(pk=team.pk).exists()


@pytest.mark.django_db
def test_hostile_names_are_escaped_on_the_staff_page(world, in_acme):
    connection.set_schema_to_public()
    evil = user_create_or_update(
        email="evil@acme.test",
        password=PASSWORD,
        name="<img src=x onerror=alert(1)>",
        client=world.acme.client,
        role=Role.RESPONDER,
    )
    _in_acme(world)
    staff_upsert(user_id=evil.pk, name=evil.name, tags=["<script>"])
    connection.set_schema_to_public()
    html = web_client(world.acme, world.alice).get("/staff/").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "#&lt;script&gt;" in html


# --- notifications live -----------------------------------------------------------------


def test_a_notification_reaches_only_its_persons_sockets(live_db):
    from routing.services.notifications import notification_create, notifications_mark_read
    from tests.test_websocket import session_for

    world = live_db

    async def scenario():
        import asyncio

        alice = communicator(
            world.acme.host,
            cookie=await asyncio.to_thread(session_for, world.alice, world.acme.host),
            origin="http://acme.localhost",
        )
        rita = communicator(world.acme.host, token=world.acme.token)
        bob = communicator(world.globex.host, token=world.globex.token)
        for comm in (alice, rita, bob):
            assert (await connect(comm))[0]

        def notify() -> None:
            with tenant_context(world.acme.client), transaction.atomic():
                notification_create(user_id=world.alice.pk, text="Rita mentioned you", link="/x")

        await asyncio.to_thread(notify)
        created = await alice.receive_json_from(5)
        quiet_rita = await rita.receive_nothing(0.5)
        quiet_bob = await bob.receive_nothing(0.2)

        def read() -> None:
            with tenant_context(world.acme.client):
                notifications_mark_read(user_id=world.alice.pk)

        await asyncio.to_thread(read)
        cleared = await alice.receive_json_from(5)
        for comm in (alice, rita, bob):
            await comm.disconnect()
        return created, quiet_rita, quiet_bob, cleared

    try:
        created, quiet_rita, quiet_bob, cleared = async_to_sync(scenario)()
    finally:
        with tenant_context(world.acme.client):
            from routing.models import Notification

            Notification.objects.all().delete()
    assert created["type"] == "notification.created" and created["unread"] == 1
    assert created["notification"]["text"] == "Rita mentioned you"
    assert quiet_rita and quiet_bob
    assert cleared == {"type": "notifications.read", "unread": 0}
