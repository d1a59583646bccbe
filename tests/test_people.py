"""People of a client: invitations, password reset, profile, roles and deactivation."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.audit.models import AuditEntry
from accounts.audit.services import audit_record
from accounts.models import AgencyAuditEntry, Invitation, LoginSession, Membership, Role, User
from accounts.selectors import membership_role_for
from accounts.services import api_token_create, user_create_or_update
from config.errors import DomainError
from mentions.models import Mention
from routing.models import Department, StaffMember, Team
from routing.services import rule_create
from routing.services.assignment import assigner_load, staff_upsert
from routing.services.staff import staff_create
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import PASSWORD, api_client, web_client
from tests.factories import mention_item

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_worker")]
LINK = re.compile(r"http://[^\s]+/invitations/[^\s/]+/")


def _link(message) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _invite(web, capture, **data):
    body = {"email": "nina@acme.test", "role": "responder", **data}
    with capture(execute=True):
        return web.post("/staff/invitations", body)


@pytest.fixture
def admin_web(world):
    return web_client(world.acme, world.alice)


@pytest.fixture
def app_team(world):
    connection.set_tenant(world.acme.client)
    team = Team.objects.create(
        department=Department.objects.get(slug="tech-support"), name="App", slug="app"
    )
    connection.set_schema_to_public()
    return team


def test_the_invitee_sets_a_password_and_lands_in_the_inbox_with_a_staff_profile(
    world, admin_web, app_team, django_capture_on_commit_callbacks
):
    response = _invite(
        admin_web,
        django_capture_on_commit_callbacks,
        departments=["tech-support"],
        teams=[str(app_team.pk)],
        languages="de, en",
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@acme.test"]
    assert "Acme Rail" in message.subject
    link = _link(message)
    assert link.startswith("http://acme.localhost/invitations/")
    # Only the hash is stored: the raw token is nowhere in the database.
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert not Invitation.objects.filter(token_hash=token).exists()

    invitee = web_client(world.acme)
    page = invitee.get(_path(link))
    assert page.status_code == 200
    assert b"Join Acme Rail" in page.content
    response = invitee.post(_path(link), {"name": "Nina Neu", "password": "a fine long secret"})
    assert response.status_code == 302
    inbox = invitee.get(response["Location"])
    assert inbox.status_code == 200
    assert b"Nina Neu" in inbox.content

    nina = User.objects.get(email="nina@acme.test")
    assert membership_role_for(user=nina, client=world.acme.client) == Role.RESPONDER
    # One login like any other: "log out everywhere" reaches this session too.
    assert LoginSession.objects.filter(session_key=invitee.session.session_key).exists()
    connection.set_tenant(world.acme.client)
    member = StaffMember.objects.get(user_id=nina.pk)
    assert [d.slug for d in member.departments.all()] == ["tech-support"]
    assert [t.pk for t in member.teams.all()] == [app_team.pk]
    assert member.languages == ["de", "en"]
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"invitation.created", "invitation.accepted", "staff.created"} <= actions

    # The link works once.
    again = web_client(world.acme).get(_path(link))
    assert again.status_code == 410
    assert b"used already" in again.content


def test_a_short_password_is_refused_with_a_plain_message(
    world, admin_web, django_capture_on_commit_callbacks
):
    _invite(admin_web, django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    response = web_client(world.acme).post(_path(link), {"name": "Nina", "password": "short"})
    assert response.status_code == 400
    assert b"too short" in response.content
    assert not User.objects.filter(email="nina@acme.test").exists()


def test_an_existing_account_accepts_with_its_password_then_logs_in_as_usual(
    world, django_capture_on_commit_callbacks
):
    # Bob works for Globex; Acme invites him too.
    web = web_client(world.acme, world.alice)
    _invite(web, django_capture_on_commit_callbacks, email="bob@globex.test", role="manager")
    link = _link(mail.outbox[0])
    invitee = web_client(world.acme)
    page = invitee.get(_path(link))
    assert b"already have a Lotse account" in page.content
    wrong = invitee.post(_path(link), {"password": "not it"})
    assert wrong.status_code == 400
    assert membership_role_for(user=world.bob, client=world.acme.client) is None
    response = invitee.post(_path(link), {"password": PASSWORD})
    # He joins, but logs in through the login page (second factor, throttling).
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"
    assert "_auth_user_id" not in invitee.session
    bob = User.objects.get(pk=world.bob.pk)
    assert membership_role_for(user=bob, client=world.acme.client) == Role.MANAGER
    assert membership_role_for(user=bob, client=world.globex.client) == Role.CLIENT_ADMIN
    login = invitee.post("/login/", {"username": bob.email, "password": PASSWORD})
    assert login.status_code == 302


def test_someone_logged_in_just_accepts_and_others_are_told_to_log_out(
    world, django_capture_on_commit_callbacks
):
    _invite(
        web_client(world.acme, world.alice),
        django_capture_on_commit_callbacks,
        email="olga@nowhere.test",
        role="viewer",
    )
    path = _path(_link(mail.outbox[0]))
    stranger = web_client(world.acme, world.alice).get(path)
    assert b"Log out first" in stranger.content
    olga = web_client(None, world.olga)  # logged in on the agency host, not yet in Acme
    olga.defaults["HTTP_HOST"] = world.acme.host
    assert b"Accept and open the inbox" in olga.get(path).content
    assert olga.post(path).status_code == 302
    assert membership_role_for(
        user=User.objects.get(pk=world.olga.pk), client=world.acme.client
    ) == (Role.VIEWER)
    connection.set_tenant(world.acme.client)
    assert not StaffMember.objects.filter(user_id=world.olga.pk).exists()  # viewers only look


def test_an_invitation_expires_after_seven_days(
    world, admin_web, django_capture_on_commit_callbacks
):
    _invite(admin_web, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email="nina@acme.test")
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    link = _link(mail.outbox[0])
    page = web_client(world.acme).get(_path(link))
    assert page.status_code == 410
    assert b"has expired" in page.content
    post = web_client(world.acme).post(_path(link), {"name": "N", "password": "a fine long one"})
    assert post.status_code == 410
    assert not User.objects.filter(email="nina@acme.test").exists()


def test_resend_gives_a_new_link_and_kills_the_old_one(
    world, admin_web, django_capture_on_commit_callbacks
):
    _invite(admin_web, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email="nina@acme.test")
    with django_capture_on_commit_callbacks(execute=True):
        admin_web.post(f"/staff/invitations/{invitation.pk}/", {"action": "resend"})
    assert len(mail.outbox) == 2
    old, new = _link(mail.outbox[0]), _link(mail.outbox[1])
    assert old != new
    assert web_client(world.acme).get(_path(old)).status_code == 404
    assert web_client(world.acme).get(_path(new)).status_code == 200


def test_a_revoked_invitation_says_so(world, admin_web, django_capture_on_commit_callbacks):
    _invite(admin_web, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email="nina@acme.test")
    admin_web.post(f"/staff/invitations/{invitation.pk}/", {"action": "revoke"})
    page = web_client(world.acme).get(_path(_link(mail.outbox[0])))
    assert page.status_code == 410
    assert b"withdrawn" in page.content
    # The staff page no longer lists it; a new invitation to the address is possible.
    admin_web.get("/staff/")  # shows (and uses up) the "Revoked" message
    assert f'data-invitation="{invitation.pk}"' not in admin_web.get("/staff/").content.decode()
    assert _invite(admin_web, django_capture_on_commit_callbacks).status_code == 302
    assert len(mail.outbox) == 2


def test_the_staff_page_lists_open_invitations_with_their_expiry(
    world, admin_web, django_capture_on_commit_callbacks
):
    _invite(admin_web, django_capture_on_commit_callbacks)
    page = admin_web.get("/staff/").content.decode()
    assert "nina@acme.test" in page
    assert "valid until" in page
    assert "Resend" in page and "Revoke" in page


def test_a_responder_cannot_invite(world, django_capture_on_commit_callbacks):
    web = web_client(world.acme, world.rita)
    assert _invite(web, django_capture_on_commit_callbacks).status_code == 403
    assert b"nina@acme.test" not in web.get("/staff/").content
    response = api_client(world.acme, world.acme.token).post(
        "/api/v1/invitations/", {"email": "x@acme.test", "role": "viewer"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    listing = api_client(world.acme, world.acme.token).get("/api/v1/invitations/")
    assert listing.status_code == 403
    assert mail.outbox == []


def test_an_admin_of_one_client_never_reaches_another_clients_invitations(
    world, django_capture_on_commit_callbacks
):
    _, acme_key = api_token_create(client=world.acme.client, user=world.alice)
    _, globex_key = api_token_create(client=world.globex.client, user=world.bob)
    acme_api = api_client(world.acme, acme_key)
    with django_capture_on_commit_callbacks(execute=True):
        created = api_client(world.globex, globex_key).post(
            "/api/v1/invitations/", {"email": "gina@globex.test", "role": "viewer"}, format="json"
        )
    assert created.status_code == 201
    globex_id = created.json()["id"]
    assert acme_api.get("/api/v1/invitations/").json() == []
    assert acme_api.get(f"/api/v1/invitations/{globex_id}/").status_code == 404
    assert acme_api.post(f"/api/v1/invitations/{globex_id}/revoke").status_code == 404
    assert acme_api.post(f"/api/v1/invitations/{globex_id}/resend").status_code == 404
    # Acme's admin's token does not open Globex's host, nor the web pages there.
    assert api_client(world.globex, acme_key).get("/api/v1/invitations/").status_code in (401, 403)
    # Globex's link does not work on Acme's host.
    link = _link(mail.outbox[0])
    assert link.startswith("http://globex.localhost/")
    assert web_client(world.acme).get(_path(link)).status_code == 404
    # People lists are per client too.
    emails = {p["email"] for p in acme_api.get("/api/v1/people/").json()}
    assert "bob@globex.test" not in emails and "alice@acme.test" in emails
    assert acme_api.get(f"/api/v1/people/{world.bob.pk}/").status_code == 404
    assert acme_api.post(f"/api/v1/people/{world.bob.pk}/deactivate").status_code == 404


def test_invitation_api_errors_come_in_the_one_shape(world, django_capture_on_commit_callbacks):
    _, key = api_token_create(client=world.acme.client, user=world.alice)
    api = api_client(world.acme, key)
    bad = api.post("/api/v1/invitations/", {"email": "nope", "role": "boss"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"
    assert set(bad.json()["error"]["fields"]) == {"email", "role"}
    unknown_team = api.post(
        "/api/v1/invitations/",
        {"email": "n@acme.test", "role": "responder", "teams": [999999]},
        format="json",
    )
    assert unknown_team.status_code == 400
    assert "teams" in unknown_team.json()["error"]["fields"]
    viewer_with_team = api.post(
        "/api/v1/invitations/",
        {"email": "n@acme.test", "role": "viewer", "departments": ["tech-support"]},
        format="json",
    )
    assert viewer_with_team.status_code == 400
    assert "role" in viewer_with_team.json()["error"]["fields"]
    member = api.post("/api/v1/invitations/", {"email": "rita@acme.test", "role": "viewer"})
    assert member.status_code == 409
    assert member.json()["error"]["fields"] == {"email": ["already a member"]}
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post("/api/v1/invitations/", {"email": "n@acme.test", "role": "responder"})
    assert first.status_code == 201
    assert first.json()["state"] == "pending"
    twice = api.post("/api/v1/invitations/", {"email": "n@acme.test", "role": "responder"})
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "conflict"
    revoked = api.post(f"/api/v1/invitations/{first.json()['id']}/revoke")
    assert revoked.json()["state"] == "revoked"
    resend = api.post(f"/api/v1/invitations/{first.json()['id']}/resend")
    assert resend.status_code == 409
    assert api.get("/api/v1/invitations/424242/").json()["error"]["code"] == "not_found"
    assert api.patch(f"/api/v1/people/{world.rita.pk}/", {"role": "owner"}).status_code == 400
    myself = api.post(f"/api/v1/people/{world.alice.pk}/deactivate")
    assert myself.status_code == 409
    schema = api_client(world.acme).get("/api/v1/schema/").content.decode()
    assert "/api/v1/invitations/" in schema and "/api/v1/people/{user_id}/deactivate" in schema


# --- password reset and profile -----------------------------------------------------------


def test_password_reset_by_e_mail_sets_a_new_password(world, django_capture_on_commit_callbacks):
    web = web_client(world.acme)
    assert b"Forgot your password?" in web.get("/login/").content
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post("/password-reset/", {"email": "rita@acme.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = re.search(r"http://acme\.localhost/password-reset/[^\s]+", body).group(0)
    page = web.get(_path(link), follow=True)
    assert page.status_code == 200
    assert b"Set a new password" in page.content
    set_url = page.redirect_chain[-1][0]
    done = web.post(
        set_url, {"new_password1": "brand new secret 9", "new_password2": "brand new secret 9"}
    )
    assert done.status_code == 302
    login = web_client(world.acme).post(
        "/login/", {"username": "rita@acme.test", "password": "brand new secret 9"}
    )
    assert login.status_code == 302
    # The link worked once.
    assert b"does not work any more" in web_client(world.acme).get(_path(link), follow=True).content


@pytest.mark.parametrize(
    "email", ["nobody@nowhere.test", "olga@nowhere.test", "bob@globex.test"], ids=str
)
def test_password_reset_tells_nobody_which_addresses_exist(
    world, email, django_capture_on_commit_callbacks
):
    """Unknown addresses and people of other clients get the same answer and no mail."""
    with django_capture_on_commit_callbacks(execute=True):
        response = web_client(world.acme).post("/password-reset/", {"email": email})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent"
    assert mail.outbox == []


def test_password_reset_on_the_agency_host(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        web_client(None).post("/password-reset/", {"email": "ada@agency.test"})
    assert len(mail.outbox) == 1
    assert "http://localhost/password-reset/" in mail.outbox[0].body


def _reset_entries() -> list[AuditEntry]:
    with schema_context("c_acme"):
        return list(AuditEntry.objects.filter(action__startswith="password_reset.").order_by("id"))


def test_password_reset_requests_are_audited_and_the_answer_is_the_same_either_way(
    world, django_capture_on_commit_callbacks
):
    web = web_client(world.acme)
    with django_capture_on_commit_callbacks(execute=True):
        known = web.post("/password-reset/", {"email": "Rita@acme.test"})
        unknown = web.post("/password-reset/", {"email": "nobody@nowhere.test"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert web.get(known["Location"]).content == web.get(unknown["Location"]).content
    mailed, nothing = _reset_entries()
    assert (mailed.action, mailed.target_type, mailed.target_id) == (
        "password_reset.requested",
        "user",
        world.rita.pk,
    )
    assert mailed.after["sent"] is True and mailed.after["address"] == "127.0.0.1"
    assert nothing.target_id is None and nothing.after["sent"] is False
    assert nothing.after["email"] == "nobody@nowhere.test"


def test_a_password_set_with_a_reset_link_is_audited(world, django_capture_on_commit_callbacks):
    web = web_client(world.acme)
    with django_capture_on_commit_callbacks(execute=True):
        web.post("/password-reset/", {"email": "rita@acme.test"})
    link = re.search(r"http://acme\.localhost/password-reset/[^\s]+", mail.outbox[0].body)
    set_url = web.get(_path(link.group(0)), follow=True).redirect_chain[-1][0]
    new = "brand new secret 9"
    web.post(set_url, {"new_password1": new, "new_password2": new})
    completed = _reset_entries()[-1]
    assert completed.action == "password_reset.completed"
    assert (completed.actor_id, completed.target_id) == (world.rita.pk, world.rita.pk)


def test_password_resets_on_the_agency_host_are_audited_in_the_agency_log(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        web_client(None).post("/password-reset/", {"email": "ada@agency.test"})
        web_client(None).post("/password-reset/", {"email": "nobody@nowhere.test"})
    entries = AgencyAuditEntry.objects.filter(action="password_reset.requested").order_by("id")
    assert [entry.client_slug for entry in entries] == ["agency", "agency"]
    assert "ada@agency.test" in entries[0].summary and "link mailed" in entries[0].summary
    assert "nothing sent" in entries[1].summary


def test_the_profile_sets_name_time_zone_signature_and_languages(world, in_acme):
    staff_upsert(user_id=world.rita.pk, name="Rita Responder", languages=["de"])
    connection.set_schema_to_public()
    web = web_client(world.acme, world.rita)
    assert web.get("/profile/").status_code == 200
    response = web.post(
        "/profile/",
        {
            "name": "Rita R.",
            "timezone": "Europe/Berlin",
            "signature": "^RR",
            "languages": "de, fr",
        },
    )
    assert response.status_code == 302
    rita = User.objects.get(pk=world.rita.pk)
    assert (rita.name, rita.timezone) == ("Rita R.", "Europe/Berlin")
    connection.set_tenant(world.acme.client)
    member = StaffMember.objects.get(user_id=rita.pk)
    assert (member.name, member.signature, member.languages) == ("Rita R.", "^RR", ["de", "fr"])
    connection.set_schema_to_public()
    bad = web.post("/profile/", {"name": "Rita", "timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert b"is not a time zone" in bad.content


def test_times_are_shown_in_the_readers_time_zone(world):
    User.objects.filter(pk=world.alice.pk).update(timezone="Asia/Tokyo")
    web = web_client(world.acme, world.alice)
    connection.set_tenant(world.acme.client)
    entry = audit_record(
        actor=world.alice, action="x", target_type="x", target_id=1, summary="tz check"
    )
    connection.set_schema_to_public()
    page = web.get("/audit/").content.decode()
    tokyo = timezone.localtime(entry.at, timezone=ZoneInfo("Asia/Tokyo"))
    utc = timezone.localtime(entry.at, timezone=ZoneInfo("UTC"))
    assert date_filter(tokyo, "DATETIME_FORMAT") in page
    assert date_filter(utc, "DATETIME_FORMAT") not in page


def test_changing_the_password_on_the_profile_keeps_you_logged_in(world):
    web = web_client(world.acme, world.rita)
    response = web.post(
        "/profile/password",
        {
            "old_password": PASSWORD,
            "new_password1": "another long secret",
            "new_password2": "another long secret",
        },
    )
    assert response.status_code == 302
    assert web.get("/profile/").status_code == 200
    assert User.objects.get(pk=world.rita.pk).check_password("another long secret")


# --- roles, deactivation, viewers ---------------------------------------------------------


@pytest.fixture
def team_of_two(world, in_acme):
    tech = Department.objects.get(slug="tech-support")
    team = Team.objects.create(department=tech, name="App", slug="app")
    rule_create(
        data={
            "name": "App → App team",
            "department": "tech-support",
            "team": team.pk,
            "keywords": ["app"],
            "position": 1,
        },
        by=world.alice,
        client=world.acme.client,
    )
    connection.set_schema_to_public()
    tom = user_create_or_update(
        email="tom@acme.test",
        password=PASSWORD,
        name="Tom",
        client=world.acme.client,
        role=Role.RESPONDER,
    )
    connection.set_tenant(world.acme.client)
    staff_upsert(user_id=world.rita.pk, name="Rita", teams=[team])
    staff_upsert(user_id=tom.pk, name="Tom", teams=[team])
    return team, tom


def _ingest(world, texts):
    result = mentions_submit(source=world.acme.source, items=[mention_item(text=t) for t in texts])
    ingest_batch_process(batch_id=result.batch_ids[0])


def test_deactivating_someone_hands_their_open_mentions_back_to_the_team(world, team_of_two):
    _, tom = team_of_two
    _ingest(world, ["Die App stürzt ab", "Die App ist langsam", "Die App lädt nicht"])
    ritas = list(Mention.objects.filter(assignee_id=world.rita.pk).values_list("pk", flat=True))
    assert ritas
    loose = Mention.objects.exclude(pk__in=ritas).first()
    # One of Rita's mentions has no team: it goes back to its department's queue.
    Mention.objects.filter(pk=ritas[0]).update(team=None)
    connection.set_schema_to_public()
    _, key = api_token_create(client=world.acme.client, user=world.alice)
    response = api_client(world.acme, key).post(f"/api/v1/people/{world.rita.pk}/deactivate")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["released"] == len(ritas)
    assert body["person"]["active"] is False
    connection.set_tenant(world.acme.client)
    assert not Mention.objects.filter(assignee_id=world.rita.pk).exists()
    no_team = Mention.objects.get(pk=ritas[0])
    assert (no_team.assignee_id, no_team.status) == (None, "new")
    for mention in Mention.objects.filter(pk__in=ritas[1:]):
        assert (mention.assignee_id, mention.status) == (tom.pk, "assigned")
    assert loose is None or Mention.objects.get(pk=loose.pk).assignee_id == tom.pk
    assert not StaffMember.objects.filter(user_id=world.rita.pk).exists()
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "member.deactivated" in actions and "mention.released" in actions
    # New mentions never go to her; she can no longer work in Acme.
    _ingest(world, ["Die App schon wieder"])
    assert not Mention.objects.filter(assignee_id=world.rita.pk).exists()
    connection.set_schema_to_public()
    rita = User.objects.get(pk=world.rita.pk)
    assert membership_role_for(user=rita, client=world.acme.client) is None
    login = web_client(world.acme).post(
        "/login/", {"username": "rita@acme.test", "password": PASSWORD}
    )
    assert login.status_code == 200  # refused, the form again
    assert api_client(world.acme, world.acme.token).get("/api/v1/mentions/").status_code in (
        401,
        403,
    )
    # Reactivation gives access back.
    again = api_client(world.acme, key).post(f"/api/v1/people/{world.rita.pk}/reactivate")
    assert again.json()["person"]["active"] is True
    assert membership_role_for(user=User.objects.get(pk=rita.pk), client=world.acme.client)


def test_deactivation_keeps_the_persons_other_clients(world):
    user_create_or_update(
        email="bob@globex.test", password=None, client=world.acme.client, role=Role.RESPONDER
    )
    web = web_client(world.acme, world.alice)
    web.post(f"/staff/people/{world.bob.pk}/", {"action": "deactivate"})
    bob = User.objects.get(pk=world.bob.pk)
    assert membership_role_for(user=bob, client=world.acme.client) is None
    assert membership_role_for(user=bob, client=world.globex.client) == Role.CLIENT_ADMIN
    assert Membership.objects.get(user=bob, client=world.acme.client).deactivated_at is not None


def test_a_new_viewer_leaves_the_staff_and_their_mentions_go_back(world, team_of_two):
    _, tom = team_of_two
    _ingest(world, ["Die App a", "Die App b"])
    connection.set_schema_to_public()
    web = web_client(world.acme, world.alice)
    response = web.post(f"/staff/people/{world.rita.pk}/", {"action": "role", "role": "viewer"})
    assert response.status_code == 302
    assert membership_role_for(
        user=User.objects.get(pk=world.rita.pk), client=world.acme.client
    ) == (Role.VIEWER)
    connection.set_tenant(world.acme.client)
    assert not StaffMember.objects.filter(user_id=world.rita.pk).exists()
    assert set(Mention.objects.values_list("assignee_id", flat=True)) == {tom.pk}
    assert AuditEntry.objects.filter(action="member.role_changed").exists()


def test_a_viewer_cannot_become_staff(world, in_acme):
    with pytest.raises(DomainError) as refused:
        staff_create(data={"user_id": world.vera.pk}, by=world.alice, client=world.acme.client)
    assert "viewer" in refused.value.fields["user_id"][0]
    connection.set_schema_to_public()
    _, key = api_token_create(client=world.acme.client, user=world.alice)
    response = api_client(world.acme, key).post(
        "/api/v1/routing/staff/", {"user_id": world.vera.pk}, format="json"
    )
    assert response.status_code == 400
    assert "user_id" in response.json()["error"]["fields"]
    page = web_client(world.acme, world.alice).get("/staff/").content.decode()
    add_form = page.split('id="add-user"', 1)[1].split("</select>", 1)[0]
    assert "Vera" not in add_form


def test_assignment_never_picks_a_viewer_even_with_a_stale_staff_entry(world, in_acme):
    team = Team.objects.create(
        department=Department.objects.get(slug="tech-support"), name="App", slug="app"
    )
    staff_upsert(user_id=world.vera.pk, name="Vera", teams=[team])
    staff_upsert(user_id=world.rita.pk, name="Rita", teams=[team])
    assigner = assigner_load({team.pk})
    assert assigner.user_ids == {world.rita.pk}
    assert {assigner.pick(team_id=team.pk) for _ in range(3)} == {world.rita.pk}
