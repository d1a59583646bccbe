"""The agency overview: every client on one table, one query per client, sorted by what
needs attention, and nobody sees a client they may not open."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from mentions.models import Author, Mention
from reports.models import Alert
from reports.overview import agency_overview
from tests.conftest import web_client

_ids = itertools.count(1)


def add(source, **fields) -> Mention:
    author, _ = Author.objects.get_or_create(network="test", handle="ov")
    return Mention.objects.create(
        source=source,
        external_id=f"ov-{next(_ids)}",
        text="About the brand",
        published_at=fields.pop("published_at", timezone.now() - timedelta(minutes=5)),
        author=author,
        **fields,
    )


@pytest.fixture
def two_busy_clients(world):
    now = timezone.now()
    with tenant_context(world.acme.client):
        for days_ago in (0, 0, 1, 3):
            add(
                world.acme.source,
                published_at=now - timedelta(days=days_ago, minutes=5),
                sentiment="negative" if days_ago == 0 else "neutral",
            )
        add(world.acme.source, published_at=now - timedelta(days=9), sentiment="neutral")
        add(
            world.acme.source,
            status="assigned",
            assignee_id=world.rita.pk,
            first_response_at=now,
            received_at=now - timedelta(minutes=30),
            first_response_due=now + timedelta(minutes=5),
        )
    with tenant_context(world.globex.client):
        add(world.globex.source, sla_state="breached")
        Alert.objects.create(
            kind="volume",
            window_minutes=15,
            volume=50,
            negative=5,
            baseline_volume=3,
            baseline_share=0.1,
            basis="test",
            peak_volume=50,
            peak_share=0.1,
        )
    return world


@pytest.mark.django_db
def test_the_overview_has_each_clients_figures(two_busy_clients):
    world = two_busy_clients
    rows = {
        row.client.slug: row
        for row in agency_overview(clients=[world.acme.client, world.globex.client])
    }
    acme = rows["acme"]
    assert acme.today >= 2 and acme.week == 5  # the 9-day-old one is in the week before
    assert acme.negative_week == 2 and acme.total_before == 1
    assert acme.negative_trend == pytest.approx(2 / 5)
    assert (acme.open, acme.unassigned, acme.overdue) == (6, 5, 0)
    assert acme.sla_met_share == 1.0
    assert acme.median_first_response_seconds == 30 * 60
    globex = rows["globex"]
    assert (globex.open, globex.overdue, globex.open_alerts) == (1, 1, 1)
    # Globex has an open alert and an overdue mention: it comes first.
    assert [
        row.client.slug for row in agency_overview(clients=[world.acme.client, world.globex.client])
    ] == ["globex", "acme"]


@pytest.mark.django_db
def test_the_overview_page_runs_one_query_per_client(two_busy_clients, monkeypatch):
    import frontend.views

    world = two_busy_clients
    web = web_client(None, world.ada)
    web.get("/")  # warm up the session

    def page_queries() -> tuple[int, int, str]:
        with CaptureQueriesContext(connection) as queries:
            page = web.get("/")
        assert page.status_code == 200
        per_client = [q for q in queries.captured_queries if "reports_dimensionhour" in q["sql"]]
        main = page.content.decode().split("<main>", 1)[1]  # not the header's client menu
        return len(queries.captured_queries), len(per_client), main

    both, per_client, html = page_queries()
    assert per_client == 2
    assert html.index("Globex Mobile") < html.index("Acme Rail")
    assert '<svg class="spark"' in html and "1 open" in html
    # With one client fewer, exactly one query fewer: nothing else grows with the clients.
    everyone = frontend.views.clients_for_user
    monkeypatch.setattr(
        frontend.views,
        "clients_for_user",
        lambda *, user: everyone(user=user).filter(slug="acme"),
    )
    one, per_client, html = page_queries()
    assert per_client == 1 and "Globex Mobile" not in html
    assert both - one == 1


@pytest.mark.django_db
def test_a_client_admin_sees_only_their_clients_row(two_busy_clients):
    html = web_client(None, two_busy_clients.bob).get("/").content.decode()
    assert "Globex Mobile" in html and "Acme Rail" not in html


@pytest.mark.django_db
def test_the_overview_api_has_the_pages_figures_for_agency_staff(two_busy_clients):
    world = two_busy_clients
    response = web_client(None, world.ada).get("/api/v1/overview/")
    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()["clients"]}
    page_rows = {
        row.client.slug: row
        for row in agency_overview(clients=[world.acme.client, world.globex.client])
    }
    acme = rows["acme"]
    assert acme["week"] == page_rows["acme"].week == 5
    assert acme["negative_trend"] == pytest.approx(2 / 5)
    assert acme["first_response_median_seconds"] == pytest.approx(1800)
    assert len(acme["daily"]) == 7 and acme["host"].startswith("acme.")
    # Sorted by what needs attention: globex has an open alert.
    assert response.json()["clients"][0]["slug"] == "globex"
    assert rows["globex"]["open_alerts"] == 1 and rows["globex"]["overdue"] == 1


@pytest.mark.django_db
def test_the_overview_api_is_for_agency_staff_on_the_agency_host_only(two_busy_clients):
    world = two_busy_clients
    assert web_client(None, world.bob).get("/api/v1/overview/").status_code == 403
    assert web_client(None).get("/api/v1/overview/").status_code in (401, 403)
    # A client's host has no overview endpoint.
    assert web_client(world.acme, world.alice).get("/api/v1/overview/").status_code == 404


@pytest.mark.django_db
def test_the_overview_api_is_in_the_agency_schema(world):
    schema = web_client(None).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert "/api/v1/overview/" in schema.json()["paths"]
