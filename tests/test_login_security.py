"""One login across hosts, throttled logins, two-factor login and the admin's host.

Personas from tests/conftest.py: alice (acme admin), rita (acme responder), bob (globex
admin), ada (agency admin), olga (no client). `max` is made here: a responder in both acme
and globex.
"""

from __future__ import annotations

import time
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client as DjangoClient
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.handoff import handoff_issue, login_id_new
from accounts.models import Client, LoginSession, Role, User
from accounts.services import user_create_or_update
from config.errors import DomainError
from sources.services.onboarding import client_create
from tests.conftest import PASSWORD, api_client, web_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def max_user(world) -> User:
    user_create_or_update(
        email="max@both.test",
        password=PASSWORD,
        name="Max Both",
        client=world.acme.client,
        role=Role.RESPONDER,
    )
    return user_create_or_update(
        email="max@both.test", password=None, client=world.globex.client, role=Role.RESPONDER
    )


def follow_switch(web: DjangoClient, slug: str, *, address: str = "127.0.0.1"):
    """Click the switcher on `web`'s host; returns the target host's client and answer."""
    response = web.get(f"/switch/{slug}/")
    assert response.status_code == 302, response.content
    target = urlsplit(response["Location"])
    assert target.path == "/handoff/"
    # Production hosts share a site (agency.example, acme.agency.example): the browser says so.
    browser = DjangoClient(
        HTTP_HOST=target.netloc, REMOTE_ADDR=address, HTTP_SEC_FETCH_SITE="same-site"
    )
    return browser, browser.get(f"{target.path}?{target.query}"), response["Location"]


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    return str(token).zfill(device.digits)


def totp_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def login_with_code(tenant, user: User, device: TOTPDevice) -> DjangoClient:
    web = DjangoClient(HTTP_HOST=tenant.host if tenant else "localhost")
    step_one = web.post("/login/", {"username": user.email, "password": PASSWORD})
    assert step_one.status_code == 302 and step_one["Location"].startswith("/login/code/")
    step_two = web.post(step_one["Location"], {"code": code_for(device)})
    assert step_two.status_code == 302, step_two.content
    return web


# --- One login -----------------------------------------------------------------------


def test_switcher_moves_a_member_to_another_client_without_a_second_login(world, max_user):
    acme = web_client(world.acme, max_user)
    page = acme.get("/").content.decode()
    assert 'href="/switch/globex/"' in page and 'href="/switch/acme/"' in page
    assert "Globex Mobile" in page

    globex, landed, location = follow_switch(acme, "globex")
    assert location.startswith("http://globex.localhost/handoff/?token=")
    assert (landed.status_code, landed["Location"]) == (302, "/")
    inbox = globex.get("/")
    assert inbox.status_code == 200
    assert b"Log in" not in inbox.content.split(b"<main>")[1][:400]
    assert globex.get("/api/v1/mentions/").status_code == 200


def test_switcher_lists_only_the_clients_the_person_belongs_to(world, max_user):
    rita_page = web_client(world.acme, world.rita).get("/").content.decode()
    assert 'href="/switch/acme/"' in rita_page
    assert "/switch/globex/" not in rita_page and "Globex Mobile" not in rita_page
    agency_page = web_client(None, world.ada).get("/").content.decode()
    assert 'href="/switch/acme/"' in agency_page and 'href="/switch/globex/"' in agency_page


def test_switch_to_a_client_without_membership_is_refused_like_one_that_does_not_exist(world):
    rita = web_client(world.acme, world.rita)
    response = rita.get("/switch/globex/")
    assert response.status_code == 404
    assert b"Globex" not in response.content
    assert rita.get("/switch/no-such-client/").status_code == 404


def test_handoff_for_a_non_member_is_refused_by_the_target_host(world):
    # Even a correctly signed hand-off does not get past the target's membership check.
    token = handoff_issue(
        user=world.rita, client=world.globex.client, device_id=None, login_id=login_id_new()
    )
    web = DjangoClient(HTTP_HOST=world.globex.host)
    assert web.get("/handoff/", {"token": token}).status_code == 403
    assert web.get("/").status_code == 302  # still logged out: to the login page


def test_replayed_handoff_is_refused(world, max_user):
    _, first, location = follow_switch(web_client(world.acme, max_user), "globex")
    assert first.status_code == 302
    replay = DjangoClient(HTTP_HOST=world.globex.host)
    target = urlsplit(location)
    response = replay.get(f"{target.path}?{target.query}")
    assert response.status_code == 403
    assert replay.get("/").status_code == 302


def test_expired_handoff_is_refused(world, max_user):
    token = handoff_issue(
        user=max_user, client=world.globex.client, device_id=None, login_id=login_id_new()
    )
    later = time.time() + 61
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = DjangoClient(HTTP_HOST=world.globex.host).get("/handoff/", {"token": token})
    assert response.status_code == 403


@pytest.mark.parametrize("how", ["flipped-character", "other-host", "garbage", "empty"])
def test_tampered_or_misdirected_handoff_is_refused(world, max_user, how):
    token = handoff_issue(
        user=max_user, client=world.globex.client, device_id=None, login_id=login_id_new()
    )
    host = world.globex.host
    if how == "flipped-character":
        middle = len(token) // 2
        token = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    elif how == "other-host":
        host = world.acme.host  # a token for globex shown to acme
    elif how == "garbage":
        token = "not-a-token"
    else:
        token = ""
    web = DjangoClient(HTTP_HOST=host)
    assert web.get("/handoff/", {"token": token}).status_code == 403
    assert web.get("/").status_code == 302


def test_handoff_is_refused_after_the_password_changed(world, max_user):
    token = handoff_issue(
        user=max_user, client=world.globex.client, device_id=None, login_id=login_id_new()
    )
    max_user.set_password("a brand new password")
    max_user.save()
    assert (
        DjangoClient(HTTP_HOST=world.globex.host).get("/handoff/", {"token": token}).status_code
        == 403
    )


def test_agency_overview_and_back_through_the_switcher(world):
    acme = web_client(world.acme, world.ada)
    agency, _, location = follow_switch(acme, "agency")
    assert location.startswith("http://localhost/handoff/")
    overview = agency.get("/")
    assert overview.status_code == 200 and b"Acme Rail" in overview.content
    globex, _, _ = follow_switch(agency, "globex")
    assert b"Globex Mobile" in globex.get("/").content


def test_logging_out_on_one_host_ends_the_session_on_the_others(world, max_user):
    acme = web_client(world.acme, max_user)
    globex, _, _ = follow_switch(acme, "globex")
    assert globex.get("/").status_code == 200
    assert acme.post("/logout/").status_code == 302
    assert acme.get("/").status_code == 302
    assert globex.get("/").status_code == 302  # to the login page
    assert globex.get("/api/v1/mentions/").status_code in (401, 403)


# --- Throttling ----------------------------------------------------------------------


def wrong_login(host: str, email: str, *, address: str = "127.0.0.1"):
    web = DjangoClient(HTTP_HOST=host, REMOTE_ADDR=address)
    return web.post("/login/", {"username": email, "password": "not the password"})


def test_wrong_passwords_lock_the_account_with_a_clear_message(world, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = wrong_login(world.acme.host, world.rita.email, address=f"10.0.0.{attempt}")
        assert response.status_code == 200
        assert b"Too many failed logins" not in response.content
    locked = wrong_login(world.acme.host, world.rita.email, address="10.0.1.1")
    assert locked.status_code == 429
    assert b"try again in 15 minutes" in locked.content
    # Locked on every host, even with the right password, from a fresh address.
    for host in (world.acme.host, "localhost"):
        web = DjangoClient(HTTP_HOST=host, REMOTE_ADDR="10.0.2.2")
        right = web.post("/login/", {"username": "Rita@Acme.test", "password": PASSWORD})
        assert right.status_code == 429
        assert b"Too many failed logins" in right.content
        assert web.get("/").status_code == 302  # not logged in
    # Other people are not locked out.
    assert web_client(world.acme, world.alice).get("/").status_code == 200


def test_wrong_passwords_from_one_address_lock_that_address(world, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        wrong_login(world.acme.host, f"nobody{number}@acme.test", address="192.0.2.7")
    web = DjangoClient(HTTP_HOST=world.acme.host, REMOTE_ADDR="192.0.2.7")
    locked = web.post("/login/", {"username": world.alice.email, "password": PASSWORD})
    assert locked.status_code == 429 and b"try again in" in locked.content
    elsewhere = DjangoClient(HTTP_HOST=world.acme.host, REMOTE_ADDR="192.0.2.8")
    ok = elsewhere.post("/login/", {"username": world.alice.email, "password": PASSWORD})
    assert ok.status_code == 302


def test_right_password_on_a_foreign_client_counts_as_a_failure(world, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        web = DjangoClient(HTTP_HOST=world.globex.host, REMOTE_ADDR=f"10.1.0.{attempt}")
        response = web.post("/login/", {"username": world.rita.email, "password": PASSWORD})
        assert response.status_code in (200, 429)
        assert b"no access" not in response.content
    assert response.status_code == 429


# --- Two-factor login ----------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_turns_on_with_a_right_code(world):
    web = web_client(world.acme, world.rita)
    page = web.get("/account/2fa/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b"Type this key instead" in page.content
    device = TOTPDevice.objects.get(user=world.rita, confirmed=False)
    wrong = web.post("/account/2fa/", {"action": "confirm", "code": "000000"})
    assert b"That code is not right" in wrong.content
    device.refresh_from_db()
    device.throttle_reset()
    done = web.post("/account/2fa/", {"action": "confirm", "code": code_for(device)})
    assert b"Two-factor login is on" in done.content
    device.refresh_from_db()
    assert device.confirmed
    codes = StaticDevice.objects.get(user=world.rita).token_set.count()
    assert codes == 10


def test_login_asks_for_a_code_after_the_password(world):
    device = totp_device(world.rita)
    web = DjangoClient(HTTP_HOST=world.acme.host)
    step_one = web.post("/login/", {"username": world.rita.email, "password": PASSWORD})
    assert step_one["Location"].startswith("/login/code/")
    assert web.get("/").status_code == 302  # not logged in before the code
    assert web.get("/api/v1/mentions/").status_code in (401, 403)
    wrong = web.post("/login/code/", {"code": "123456"})
    assert wrong.status_code == 200 and b"That code is not right" in wrong.content
    device.refresh_from_db()
    device.throttle_reset()
    right = web.post("/login/code/", {"code": code_for(device), "next": "/alerts/"})
    assert (right.status_code, right["Location"]) == (302, "/alerts/")
    assert web.get("/").status_code == 200


def test_a_recovery_code_works_once(world):
    totp_device(world.rita)
    static = StaticDevice.objects.create(user=world.rita, name="Recovery codes")
    static.token_set.create(token="abcd2345")
    for expected in (302, 200):
        web = DjangoClient(HTTP_HOST=world.acme.host)
        web.post("/login/", {"username": world.rita.email, "password": PASSWORD})
        assert web.post("/login/code/", {"code": "ABCD 2345"}).status_code == expected


def test_wrong_codes_count_towards_the_lockout(world, settings):
    totp_device(world.rita)
    web = DjangoClient(HTTP_HOST=world.acme.host)
    web.post("/login/", {"username": world.rita.email, "password": PASSWORD})
    statuses = [
        web.post("/login/code/", {"code": "000000"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429


def test_client_requiring_2fa_sends_people_without_a_device_to_enrolment(world):
    Client.objects.filter(pk=world.acme.client.pk).update(require_2fa=True)
    web = web_client(world.acme, world.rita)
    inbox = web.get("/")
    assert inbox.status_code == 302
    assert inbox["Location"] == "/account/2fa/?next=%2F"
    enrol = web.get(inbox["Location"])
    assert b"requires a second factor" in enrol.content
    api = web.get("/api/v1/mentions/")
    assert api.status_code == 403 and "two-factor" in api.json()["error"]["message"]
    # Integrations with API tokens are not browser sessions.
    assert api_client(world.acme, world.acme.token).get("/api/v1/mentions/").status_code == 200
    # Another client that does not require it is unaffected.
    assert web_client(world.globex, world.bob).get("/").status_code == 200


def test_client_requiring_2fa_lets_in_people_who_passed_it(world):
    Client.objects.filter(pk=world.acme.client.pk).update(require_2fa=True)
    device = totp_device(world.rita)
    web = login_with_code(world.acme, world.rita, device)
    assert web.get("/").status_code == 200
    assert web.get("/api/v1/mentions/").status_code == 200


def test_second_factor_travels_with_the_switch(world, max_user):
    Client.objects.filter(pk=world.globex.client.pk).update(require_2fa=True)
    device = totp_device(max_user)
    acme = login_with_code(world.acme, max_user, device)
    globex, landed, _ = follow_switch(acme, "globex")
    assert landed.status_code == 302
    assert globex.get("/").status_code == 200  # no code asked again


def test_agency_can_require_2fa_for_agency_staff(world):
    Client.objects.filter(schema_name="public").update(require_2fa=True)
    overview = web_client(None, world.ada).get("/")
    assert overview.status_code == 302 and overview["Location"].startswith("/account/2fa/")
    # Client staff are not agency staff.
    assert web_client(world.acme, world.rita).get("/").status_code == 200


def test_admin_is_not_served_on_client_hosts(world):
    superuser = User.objects.create_superuser(email="root@agency.test", password=PASSWORD)
    for tenant in (world.acme, world.globex):
        web = DjangoClient(HTTP_HOST=tenant.host)
        assert web.get("/admin/").status_code == 404
        web.force_login(superuser)
        assert web.get("/admin/").status_code == 404
        assert web.get("/admin/login/").status_code == 404


def test_admin_on_the_agency_host_needs_the_login_page_and_a_second_factor(world):
    superuser = User.objects.create_superuser(email="root@agency.test", password=PASSWORD)
    web = DjangoClient(HTTP_HOST="localhost")
    to_login = web.get("/admin/", follow=True)
    assert to_login.redirect_chain[-1][0].startswith("/login/?next=")
    web.post("/login/", {"username": superuser.email, "password": PASSWORD})
    no_factor = web.get("/admin/", follow=True)
    assert no_factor.redirect_chain[-1][0].startswith("/account/2fa/")
    device = totp_device(superuser)
    verified = login_with_code(None, superuser, device)
    assert verified.get("/admin/").status_code == 200


def test_client_admin_requires_2fa_for_everyone_once_verified_and_it_is_audited(world):
    from django_tenants.utils import tenant_context

    from accounts.audit.models import AuditEntry

    unverified = web_client(world.acme, world.alice)
    unverified.post("/account/2fa/", {"action": "require", "required": "on"})
    assert not Client.objects.get(pk=world.acme.client.pk).require_2fa

    alice = login_with_code(world.acme, world.alice, totp_device(world.alice))
    page = alice.get("/account/2fa/").content.decode()
    assert "Require two-factor login" in page
    alice.post("/account/2fa/", {"action": "require", "required": "on"})
    assert Client.objects.get(pk=world.acme.client.pk).require_2fa
    with tenant_context(world.acme.client):
        entry = AuditEntry.objects.get(action="client.require_2fa")
    assert entry.actor_id == world.alice.pk and entry.after == {"require_2fa": True}
    # Rita (a responder) is now sent to enrolment, and may not change the rule herself.
    rita = web_client(world.acme, world.rita)
    assert rita.get("/")["Location"].startswith("/account/2fa/")
    assert "Require two-factor login" not in rita.get("/account/2fa/").content.decode()
    rita.post("/account/2fa/", {"action": "require", "required": "off"})
    assert Client.objects.get(pk=world.acme.client.pk).require_2fa


# --- Review findings -----------------------------------------------------------------


def test_a_handoff_link_from_elsewhere_asks_before_logging_anyone_in(world, max_user):
    """Login CSRF: a switch link an attacker sends must not silently log the victim's
    browser into the attacker's account."""
    acme = web_client(world.acme, max_user)
    location = urlsplit(acme.get("/switch/globex/")["Location"])
    victim = DjangoClient(HTTP_HOST=location.netloc)  # no Sec-Fetch-Site: not from Lotse
    asked = victim.get(f"{location.path}?{location.query}")
    assert asked.status_code == 200
    assert f"Continue as {max_user.email}".encode() in asked.content
    assert victim.get("/").status_code == 302  # nobody is logged in yet
    token = dict(parse_qsl(location.query))["token"]
    confirmed = victim.post("/handoff/", {"token": token})
    assert confirmed.status_code == 302
    assert victim.get("/").status_code == 200


def test_a_handoff_never_silently_replaces_another_persons_session(world, max_user):
    acme = web_client(world.acme, max_user)
    location = urlsplit(acme.get("/switch/acme/")["Location"])
    rita_browser = web_client(world.acme, world.rita)
    answer = rita_browser.get(f"{location.path}?{location.query}", HTTP_SEC_FETCH_SITE="same-site")
    assert answer.status_code == 200
    assert b"logged in here as <strong>rita@acme.test</strong>" in answer.content
    assert b"Rita Responder" in rita_browser.get("/").content  # still Rita until she confirms


def test_handoffs_cannot_wipe_the_failed_logins_of_another_account(world, max_user, settings):
    """One login (or hand-off) from an address used to clear every failure from it, so an
    account could guess another account's password forever."""
    attacker = DjangoClient(HTTP_HOST="localhost", REMOTE_ADDR="10.9.9.9")
    for _ in range(4):
        attacker.post("/login/", {"username": world.ada.email, "password": "guess"})
    follow_switch(web_client(world.acme, max_user), "globex", address="10.9.9.9")
    locked = attacker.post("/login/", {"username": world.ada.email, "password": "guess"})
    assert locked.status_code == 429


def test_the_agencys_2fa_rule_holds_for_agency_staff_on_client_hosts_too(world):
    Client.objects.filter(schema_name="public").update(require_2fa=True)
    inbox = web_client(world.acme, world.ada).get("/")
    assert inbox.status_code == 302 and inbox["Location"].startswith("/account/2fa/")
    api = api_client(world.acme)
    api.force_login(world.ada)
    assert api.get("/api/v1/mentions/").status_code == 403


def test_logging_out_ends_every_session_of_the_login_even_after_two_quick_switches(world, max_user):
    acme = web_client(world.acme, max_user)
    globex, _, _ = follow_switch(acme, "globex")
    agency, _, _ = follow_switch(acme, "agency")
    assert LoginSession.objects.count() >= 3
    acme.post("/logout/")
    assert globex.get("/").status_code == 302
    assert agency.get("/").status_code == 302
    assert not LoginSession.objects.exists()


def test_a_client_cannot_take_the_slug_agency(world):
    with pytest.raises(DomainError):
        client_create(slug="agency", name="Agency Two")
