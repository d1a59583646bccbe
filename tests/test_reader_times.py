"""Times in the reader's zone (their profile's, else the client's), with the zone named, and
relative where it helps: inbox rows, the mention page, the alerts chart, the reports page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.dateformat import format as django_date_format

from accounts.models import User
from frontend.times import format_local, reader_zone, relative_text, sla_text
from mentions.models import Author, Mention
from reports.chart import volume_chart
from reports.selectors import SeriesPoint
from tests.conftest import api_client, web_client

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 6, 13, 0, tzinfo=UTC)
# Long enough ago that rows show it as a date, not "… ago".
OLD = datetime(2026, 1, 10, 13, 5, tzinfo=UTC)
EVENING = datetime(2026, 12, 5, 21, tzinfo=UTC)


def test_the_profile_zone_wins_then_the_clients_then_utc():
    assert reader_zone(profile_zone="Asia/Tokyo", client_zone="Europe/Berlin").key == "Asia/Tokyo"
    assert reader_zone(profile_zone="", client_zone="Europe/Berlin").key == "Europe/Berlin"
    assert reader_zone(profile_zone="Mars/Olympus", client_zone="Europe/Vienna").key == (
        "Europe/Vienna"
    )
    assert reader_zone(profile_zone=None, client_zone=None).key == "UTC"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-20), "just now"),
        (timedelta(minutes=-12), "12 min ago"),
        (timedelta(minutes=8), "in 8 min"),
        (timedelta(hours=-3), "3 h ago"),
        (timedelta(days=-3), "3 d ago"),
        (timedelta(days=-9), ""),  # a date says more
    ],
)
def test_relative_times_read_as_people_say_them(delta, text):
    assert relative_text(at=NOW + delta, now=NOW) == text


def test_sla_clocks_read_due_in_or_overdue():
    assert sla_text(due=NOW + timedelta(minutes=8), paused=False, now=NOW) == "due in 8 min"
    assert sla_text(due=NOW - timedelta(minutes=5), paused=False, now=NOW) == "overdue 5 min"
    assert sla_text(due=NOW - timedelta(minutes=5), paused=True, now=NOW) == "paused"


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("pattern", ["D j M Y, H:i T", "d M H:i T", "D j M H:i T", "c"])
def test_page_times_read_exactly_as_djangos_date_format(zone, pattern):
    """The pages' fast formatter writes what `|date` writes, DST changes included (an
    ambiguous hour has no abbreviation)."""
    tz = ZoneInfo(zone)
    start = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # across the spring change
    instants = [start + timedelta(minutes=37 * n) for n in range(120)]
    autumn = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # and the autumn one
    instants += [autumn + timedelta(minutes=37 * n) for n in range(120)]
    for at in instants:
        local = at.astimezone(tz)
        assert format_local(local, pattern) == django_date_format(local, pattern)


def test_volume_chart_hours_are_read_in_the_readers_zone():
    # 23:00 UTC on 5 December is midnight in Berlin: a tick there, labelled in Berlin time.
    points = [
        SeriesPoint(start=EVENING + timedelta(hours=h), volume=1, baseline=None)
        for h in range(3)  # 21:00 to 23:00 UTC: no midnight in UTC
    ]
    berlin = volume_chart(points, [], now=NOW, zone=BERLIN)
    utc = volume_chart(points, [], now=NOW)
    assert [t.label for t in berlin.ticks] == ["Sun 00:00"]
    assert [t.label for t in utc.ticks] == []


@pytest.fixture
def mentions(world):
    connection.set_tenant(world.acme.client)
    author = Author.objects.create(network="test", handle="kunde")
    old = Mention.objects.create(
        source=world.acme.source,
        external_id="tz-old",
        text="Zug fällt aus",
        author=author,
        published_at=OLD,
    )
    recent = Mention.objects.create(
        source=world.acme.source,
        external_id="tz-recent",
        text="Schon wieder Verspätung",
        author=author,
        published_at=timezone.now() - timedelta(minutes=12, seconds=10),
        first_response_due=timezone.now() + timedelta(minutes=8, seconds=30),
    )
    connection.set_schema_to_public()
    return old, recent


@pytest.mark.django_db
def test_without_a_profile_zone_times_are_in_the_clients_zone_and_say_so(world, mentions):
    assert world.acme.client.time_zone == "Europe/Berlin"
    assert not User.objects.get(pk=world.vera.pk).timezone
    page = web_client(world.acme, world.vera).get("/").content.decode()
    assert '<body data-zone="Europe/Berlin">' in page
    assert "Times are in Europe/Berlin" in page
    # 13:05 UTC in January is 14:05 in Berlin (CET), named in the row.
    assert ">10 Jan 14:05 CET</time>" in page
    assert 'title="Sat 10 Jan 2026, 14:05 CET (Europe/Berlin)"' in page
    # Recent ones read relative, and the SLA clock counts down.
    assert "data-relative>12 min ago</time>" in page
    assert ">due in 8 min</span>" in page


@pytest.mark.django_db
def test_a_profile_zone_beats_the_clients(world, mentions):
    User.objects.filter(pk=world.vera.pk).update(timezone="Asia/Tokyo")
    web = web_client(world.acme, world.vera)
    page = web.get("/").content.decode()
    assert ">10 Jan 22:05 JST</time>" in page and "14:05 CET" not in page
    assert '<body data-zone="Asia/Tokyo">' in page
    detail = web.get(f"/mentions/{mentions[0].pk}/").content.decode()
    assert ">10 Jan 22:05 JST</time>" in detail
    reports = web.get("/reports/")
    assert reports.context["zone"] == "Asia/Tokyo"
    assert "(Asia/Tokyo)" in reports.content.decode()


@pytest.mark.django_db
def test_the_alerts_chart_names_the_readers_zone(world):
    page = web_client(world.acme, world.alice).get("/alerts/").content.decode()
    assert "(UTC)" not in page
    assert "Europe/Berlin)</span></h2>" in page


@pytest.mark.django_db
def test_the_api_keeps_answering_in_utc(world, mentions):
    api = api_client(world.acme, world.acme.token)
    found = api.get("/api/v1/mentions/").json()
    stamps = [row["published_at"] for row in found["results"]]
    assert "2026-01-10T13:05:00Z" in stamps
