"""The reports page's crisis section: the period's alerts with the volume, negative share,
aspects and cases around each, linking into the inbox on exactly those hours; an empty state; and
department-limited readers seeing their departments' figures only."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from mentions.models import Author, Mention, ProblemCluster
from reports.crisis import crisis
from reports.figures import Period, Slice
from reports.models import Alert
from routing.models import Department, SlaPolicy, StaffMember
from tests.conftest import web_client
from tests.test_report_pdf import pdf_text

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = "range=custom&from=2026-11-23&to=2026-11-29"
OPENED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 in Berlin
_ids = itertools.count(1)


def add(source, *, at: datetime, sentiment: str = "neutral", **fields) -> Mention:
    author, _ = Author.objects.get_or_create(network="test", handle="crisis")
    return Mention.objects.create(
        source=source,
        external_id=f"crisis-{next(_ids)}",
        text="Trains late again",
        published_at=at,
        received_at=at,
        author=author,
        sentiment=sentiment,
        **fields,
    )


def alert(*, opened: datetime, closed: datetime | None, **fields) -> Alert:
    values = {
        "kind": "volume",
        "window_minutes": 60,
        "volume": 40,
        "negative": 30,
        "baseline_volume": 4.0,
        "baseline_share": 0.2,
        "basis": "same hour, last 4 weeks",
        "peak_volume": 55,
        "peak_share": 0.8,
        "last_checked_at": closed or opened,
        **fields,
    }
    return Alert.objects.create(opened_at=opened, closed_at=closed, **values)


@pytest.fixture
def storm(world, in_acme):
    """A volume alert on Wednesday 25 Nov 2026, 10:00-14:00 UTC, with mentions around it."""
    SlaPolicy.objects.filter(is_default=True).update(timezone="Europe/Berlin")
    mine, other = Department.objects.order_by("pk")[:2]
    source = world.acme.source
    for minutes, sentiment, department in (
        (-150, "neutral", mine),  # 07:30 UTC: inside the 3 hours before
        (30, "negative", mine),
        (60, "negative", other),
        (120, "negative", other),
        (300, "neutral", other),  # 15:00 UTC: inside the 3 hours after closing
    ):
        add(
            source,
            at=OPENED + timedelta(minutes=minutes),
            sentiment=sentiment,
            department=department,
            aspects=["punctuality"],
        )
    add(source, at=OPENED - timedelta(hours=12), department=mine)  # the day before
    add(source, at=OPENED + timedelta(hours=30), department=mine)  # long after: not counted
    ProblemCluster.objects.create(
        title="Signal failure at Central",
        aspect="punctuality",
        first_seen=OPENED,
        last_seen=OPENED + timedelta(hours=2),
        member_count=3,
        department_ids=[other.pk],
    )
    ProblemCluster.objects.create(  # a week later: not around this alert
        title="Heating broken",
        first_seen=OPENED + timedelta(days=7),
        last_seen=OPENED + timedelta(days=7, hours=1),
        member_count=9,
    )
    found = alert(
        opened=OPENED,
        closed=OPENED + timedelta(hours=4),
        acknowledged_at=OPENED + timedelta(minutes=20),
        acknowledged_by_name="Alice Admin",
    )
    alert(opened=datetime(2026, 10, 1, 9, tzinfo=UTC), closed=datetime(2026, 10, 1, 12, tzinfo=UTC))
    return world, found, mine, other


def week() -> Period:
    return Period(date(2026, 11, 23), date(2026, 11, 29), BERLIN)


@pytest.mark.django_db
def test_alerts_of_the_period_come_with_the_hours_around_them(storm):
    _, found, _, _ = storm
    result = crisis(period=week(), slice_=Slice())
    assert result.total == 1  # October's alert is outside the period
    (window,) = result.alerts
    assert window.alert == found
    assert (window.start, window.end) == (OPENED - timedelta(hours=3), OPENED + timedelta(hours=7))
    assert (window.total, window.negative) == (5, 3)
    assert (window.before_total, window.before_negative) == (1, 0)
    assert window.negative_share == pytest.approx(0.6)
    assert window.aspects == [("punctuality", 5)]
    assert [case.title for case in window.cases] == ["Signal failure at Central"]


@pytest.mark.django_db
def test_an_open_alert_reaches_until_now(storm):
    _, found, _, _ = storm
    Alert.objects.filter(pk=found.pk).update(closed_at=None)
    result = crisis(period=week(), slice_=Slice(), now=OPENED + timedelta(hours=1))
    assert result.alerts[0].end == OPENED + timedelta(hours=4)  # now + 3 h
    assert result.alerts[0].ongoing


@pytest.mark.django_db
def test_the_page_lists_the_alert_and_drills_into_the_inbox(storm):
    world, _, _, _ = storm
    html = web_client(world.acme, world.alice).get(f"/reports/?{WEEK}").content.decode()
    section = html[html.index("Crisis</h2>") :]
    assert "Volume spike" in section
    assert "Wed 25 Nov, 11:00" in section  # opened, in the client's zone
    assert "Wed 25 Nov, 11:20" in section and "by Alice Admin" in section
    assert "Wed 25 Nov, 15:00" in section  # closed
    assert "55 <span" in section  # the peak, client-wide
    # 08:00 to 18:00 in Berlin: 3 hours before it opened to 3 hours after it closed.
    hours = "from=2026-11-25T08%3A00%2B01%3A00&amp;to=2026-11-25T18%3A00%2B01%3A00"
    assert f'href="/?status=all&amp;{hours}"' in section
    assert "sentiment=negative" in section and "aspect=punctuality" in section
    assert "Signal failure at Central" in section and "Heating broken" not in section
    assert ">60%</a>" in section


@pytest.mark.django_db
def test_the_alert_link_opens_the_inbox_on_those_hours_not_the_whole_day(storm):
    world, _, mine, _ = storm
    # The same Berlin day, an hour after the window: in the day, not in the hours.
    late = add(world.acme.source, at=OPENED + timedelta(hours=8), department=mine)
    web = web_client(world.acme, world.alice)
    html = web.get(f"/reports/?{WEEK}").content.decode()
    section = html[html.index("Crisis</h2>") :]
    href = re.search(r'<td class="num"><a href="([^"]+)">5</a>', section)
    assert href is not None
    inbox = web.get(unescape(href.group(1))).content.decode()
    around = Mention.objects.filter(
        published_at__gte=OPENED - timedelta(hours=3), published_at__lt=OPENED + timedelta(hours=7)
    )
    shown = {int(pk) for pk in re.findall(r'id="mention-(\d+)"', inbox)}
    assert shown == set(around.values_list("pk", flat=True))
    assert len(shown) == 5 and late.pk not in shown
    assert "25 Nov 2026 08:00 to 18:00" in inbox


@pytest.mark.django_db
def test_a_period_without_alerts_says_so(storm):
    world, _, _, _ = storm
    html = (
        web_client(world.acme, world.alice)
        .get("/reports/?range=custom&from=2026-11-02&to=2026-11-08")
        .content.decode()
    )
    assert "No crisis alerts in this period" in html


@pytest.mark.django_db
def test_department_staff_see_their_departments_around_an_alert_and_no_client_peak(storm):
    world, _, mine, _ = storm
    member = StaffMember.objects.create(user_id=world.rita.pk, name="Rita")
    member.departments.set([mine])
    result = crisis(period=week(), slice_=Slice(departments=frozenset({mine.pk})))
    (window,) = result.alerts
    assert (window.total, window.negative, window.before_total) == (2, 1, 1)
    assert window.cases == []  # the case belongs to the other department
    assert not window.client_wide
    html = web_client(world.acme, world.rita).get(f"/reports/?{WEEK}").content.decode()
    section = html[html.index("Crisis</h2>") :]
    assert "Volume spike" in section
    assert "55 <span" not in section and "Signal failure" not in section
    assert ">50%</a>" in section


@pytest.mark.django_db
def test_the_alerts_table_downloads_and_the_pdf_lists_them(storm, tmp_path):
    world, _, _, _ = storm
    web = web_client(world.acme, world.alice)
    response = web.get("/api/v1/reports/table.csv?table=alerts&from=2026-11-23&to=2026-11-29")
    body = b"".join(response.streaming_content).decode()
    header, row = body.strip().splitlines()[:2]
    assert header.startswith("id,kind,opened_at (Europe/Berlin)")
    assert ",volume,2026-11-25T11:00:00+01:00," in row and "Signal failure at Central" in row
    pdf = web.get("/api/v1/reports/export.pdf?from=2026-11-23&to=2026-11-29")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content, tmp_path)
    crisis_part = text[text.index("Crisis") :]
    assert "Volume spike" in crisis_part and "11:00" in crisis_part
    assert "punctuality 5" in crisis_part and "60% (0%)" in crisis_part


@pytest.mark.django_db
def test_a_stormy_period_shows_its_newest_alerts_and_how_many_there_were(storm, monkeypatch):
    world, found, _, _ = storm
    monkeypatch.setattr("reports.crisis.MAX_ALERTS", 2)
    later = alert(opened=OPENED + timedelta(days=1), closed=OPENED + timedelta(days=1, hours=2))
    latest = alert(opened=OPENED + timedelta(days=2), closed=None, kind="negative_share")
    result = crisis(period=week(), slice_=Slice(), now=OPENED + timedelta(days=2, hours=1))
    assert result.total == 3
    assert [w.alert for w in result.alerts] == [later, latest]
    html = web_client(world.acme, world.alice).get(f"/reports/?{WEEK}").content.decode()
    assert "The newest 2 of 3 alerts." in html and "still open" in html
    assert found.pk not in {w.alert.pk for w in result.alerts}
