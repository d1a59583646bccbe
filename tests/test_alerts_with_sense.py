"""Alerts with sense: no spike alert before a client has a baseline (7 days of data), so a
new client or the demo never starts in crisis; managers acknowledge an alert (the banner
goes for everyone, audited) and edit the thresholds; the banner shows only to people who
may act on it; and the alerts REST API, per client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.audit.models import AuditEntry
from accounts.models import Role
from accounts.services import user_create_or_update
from reports.models import Alert, AlertSettings
from reports.services import spike_check
from tests.conftest import PASSWORD, api_client, web_client
from tests.test_spike_alerts import NOW, history, seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def check(world, in_acme, django_capture_on_commit_callbacks):
    def run(now=NOW):
        with django_capture_on_commit_callbacks(execute=True):
            return spike_check(now=now)

    yield run
    connection.set_schema_to_public()


@pytest.fixture
def alert(world, check):
    """An open volume alert at acme (six weeks of history, then a burst)."""
    history(world)
    seed(world, at=NOW, count=30)
    [opened] = check().opened
    connection.set_schema_to_public()
    return opened


@pytest.fixture
def mia(world):
    """A second manager at acme."""
    return user_create_or_update(
        email="mia@acme.test",
        password=PASSWORD,
        name="Mia Manager",
        client=world.acme.client,
        role=Role.MANAGER,
    )


# -- no baseline, no alert ----------------------------------------------------------------
@pytest.mark.parametrize("days", [0, 1, 6])
def test_no_spike_alert_before_seven_days_of_data(world, check, days):
    seed(world, at=NOW - timedelta(days=days, minutes=30), count=5)
    seed(world, at=NOW, count=300, negative=250)  # a backlog, a demo starting, a first day
    assert check().opened == []
    assert not Alert.objects.exists()


def test_with_seven_days_of_data_a_burst_opens_an_alert(world, check):
    seed(world, at=NOW - timedelta(days=7, minutes=30), count=5)
    for hour in range(1, 24):
        seed(world, at=NOW - timedelta(hours=hour), count=1)
    seed(world, at=NOW, count=40)
    assert [a.kind for a in check().opened] == ["volume"]
    assert "last 24 hours" in Alert.objects.get().basis


def test_the_baseline_period_is_the_clients_setting(world, check):
    AlertSettings.objects.create(baseline_days=14)
    seed(world, at=NOW - timedelta(days=10), count=5)
    for hour in range(1, 24):
        seed(world, at=NOW - timedelta(hours=hour), count=1)
    seed(world, at=NOW, count=40)
    assert check().opened == []


def test_a_streaming_demo_never_starts_in_crisis(world, check):
    # demo_stream: a backlog of 30 at once, then a mention every two seconds for an hour.
    seed(world, at=NOW - timedelta(hours=1), count=30, negative=20)
    for minute in range(60):
        seed(world, at=NOW - timedelta(minutes=59 - minute), count=30, negative=15)
        assert check(NOW - timedelta(minutes=59 - minute)).opened == []


# -- thresholds -----------------------------------------------------------------------------
def test_raised_thresholds_keep_a_burst_below_them(world, check):
    history(world)
    AlertSettings.objects.create(min_volume=50, share_open_min=0.9)
    seed(world, at=NOW, count=30, negative=20)
    assert check().opened == []


def test_managers_edit_thresholds_on_the_alerts_page_audited(world, mia):
    web = web_client(world.acme, mia)
    response = web.post(
        "/alerts/thresholds",
        {
            "baseline_days": "10",
            "open_z": "5,5",
            "min_volume": "20",
            "share_open_min": "50",
            "share_open_lift": "25",
        },
    )
    assert response.status_code == 302
    with tenant_context(world.acme.client):
        settings = AlertSettings.objects.get()
        assert (settings.baseline_days, settings.open_z, settings.min_volume) == (10, 5.5, 20)
        assert (settings.share_open_min, settings.share_open_lift) == (0.5, 0.25)
        entry = AuditEntry.objects.get(action="alerts.thresholds")
        assert entry.actor_id == mia.pk and entry.before["open_z"] == 4.0
        assert entry.after["open_z"] == 5.5
    page = web.get("/alerts/").content.decode()
    assert 'name="open_z"' in page and 'value="5.5"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("open_z", "0", "between 1 and 20"), ("baseline_days", "x", "Not a number")],
)
def test_thresholds_out_of_range_are_refused_in_plain_words(world, mia, field, value, message):
    response = web_client(world.acme, mia).post("/alerts/thresholds", {field: value}, follow=True)
    assert response.status_code == 200 and message in response.content.decode()
    with tenant_context(world.acme.client):
        assert not AuditEntry.objects.filter(action="alerts.thresholds").exists()


def test_responders_and_viewers_cannot_edit_thresholds(world):
    for person in (world.rita, world.vera):
        web = web_client(world.acme, person)
        assert web.post("/alerts/thresholds", {"open_z": "9"}).status_code == 403
        assert 'name="open_z"' not in web.get("/alerts/").content.decode()


# -- acknowledging and the banner -----------------------------------------------------------
def test_the_banner_shows_only_to_people_who_may_act(world, alert, mia):
    assert "data-alert=" in web_client(world.acme, mia).get("/").content.decode()
    assert "data-alert=" in web_client(world.acme, world.alice).get("/").content.decode()
    for person in (world.rita, world.vera):
        page = web_client(world.acme, person).get("/").content.decode()
        assert 'id="alert-banner"' not in page


def test_acknowledging_removes_the_banner_for_everyone_and_is_audited(world, alert, mia):
    web = web_client(world.acme, mia)
    page = web.get("/").content.decode()
    assert f'action="/alerts/{alert.pk}/acknowledge"' in page
    response = web.post(f"/alerts/{alert.pk}/acknowledge", {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "data-alert=" not in web.get("/").content.decode()
    assert "data-alert=" not in web_client(world.acme, world.alice).get("/").content.decode()
    alerts_page = web.get("/alerts/").content.decode()
    assert "acknowledged by Mia Manager" in alerts_page
    with tenant_context(world.acme.client):
        alert.refresh_from_db()
        assert alert.acknowledged_by_id == mia.pk and alert.closed_at is None  # still open
        entry = AuditEntry.objects.get(action="alert.acknowledged")
        assert entry.actor_id == mia.pk and entry.target_id == alert.pk
        # Acknowledging again changes nothing and logs nothing more.
    web.post(f"/alerts/{alert.pk}/acknowledge")
    with tenant_context(world.acme.client):
        assert AuditEntry.objects.filter(action="alert.acknowledged").count() == 1


def test_responders_cannot_acknowledge(world, alert):
    response = web_client(world.acme, world.rita).post(f"/alerts/{alert.pk}/acknowledge")
    assert response.status_code == 403
    with tenant_context(world.acme.client):
        assert Alert.objects.get(pk=alert.pk).acknowledged_at is None


def test_an_unsafe_next_is_not_followed(world, alert):
    response = web_client(world.acme, world.alice).post(
        f"/alerts/{alert.pk}/acknowledge", {"next": "https://evil.test/"}
    )
    assert response["Location"] == "/alerts/"


# -- the REST API ----------------------------------------------------------------------------
def test_api_lists_reads_and_acknowledges_alerts(world, alert):
    api = api_client(
        world.acme, world.acme.token
    )  # rita's write token: a responder reads, may not act
    listed = api.get("/api/v1/alerts/?status=open").json()
    assert [a["id"] for a in listed["results"]] == [alert.pk]
    detail = api.get(f"/api/v1/alerts/{alert.pk}/").json()
    assert detail["kind"] == "volume" and detail["acknowledged_by"] is None
    assert detail["kind_label"] == "Volume spike" and detail["volume"] == 30
    refused = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge")
    assert refused.status_code == 403 and refused.json()["error"]["code"]

    manager = api_client(world.acme)
    manager.force_authenticate(world.alice)
    done = manager.post(f"/api/v1/alerts/{alert.pk}/acknowledge")
    assert done.status_code == 200
    assert done.json()["acknowledged_by"]["name"] == "Alice Admin"


def test_api_thresholds_read_and_change(world):
    manager = api_client(world.acme)
    manager.force_authenticate(world.alice)
    assert manager.get("/api/v1/alerts/thresholds").json()["baseline_days"] == 7
    changed = manager.patch("/api/v1/alerts/thresholds", {"min_volume": 25}, format="json")
    assert changed.status_code == 200 and changed.json()["min_volume"] == 25
    bad = manager.patch("/api/v1/alerts/thresholds", {"open_z": 99, "colour": "red"}, format="json")
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert fields["open_z"] == ["between 1 and 20"] and fields["colour"] == ["not a threshold"]
    responder = api_client(world.acme, world.acme.token).patch(
        "/api/v1/alerts/thresholds", {"min_volume": 1}, format="json"
    )
    assert responder.status_code == 403
    read_only = api_client(world.acme, world.acme.read_token)
    assert read_only.get("/api/v1/alerts/thresholds").status_code == 200
    assert read_only.post("/api/v1/alerts/1/acknowledge").status_code == 403


def test_api_alerts_stay_with_their_client(world, alert):
    globex = api_client(world.globex, world.globex.token)
    assert globex.get("/api/v1/alerts/").json()["results"] == []
    assert globex.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
    bob = api_client(world.globex)
    bob.force_authenticate(world.bob)
    assert bob.post(f"/api/v1/alerts/{alert.pk}/acknowledge").status_code == 404
    rita = api_client(world.acme, world.acme.token)
    assert rita.get("/api/v1/alerts/?status=maybe").status_code == 400
    assert api_client(world.acme).get("/api/v1/alerts/").status_code == 401


def test_alerts_api_is_in_the_openapi_schema(world):
    schema = api_client(world.acme).get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/alerts/",
        "/api/v1/alerts/{id}/",
        "/api/v1/alerts/{id}/acknowledge",
        "/api/v1/alerts/thresholds",
    ):
        assert path in schema["paths"], path
