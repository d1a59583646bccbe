"""The reports page and its drill-down into the inbox."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import quote_plus

import pytest
from django.utils import timezone

from mentions.models import Author, Mention
from routing.models import Department, StaffMember
from tests.conftest import web_client

_ids = itertools.count(1)


def add(source, *, at, **fields) -> Mention:
    author, _ = Author.objects.get_or_create(network="test", handle=fields.pop("handle", "pat"))
    return Mention.objects.create(
        source=source,
        external_id=f"page-{next(_ids)}",
        text=fields.pop("text", "About the brand"),
        published_at=at,
        author=author,
        **fields,
    )


def links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="(/\?[^"]+)"', html)]


@pytest.mark.django_db
def test_the_reports_page_shows_figures_charts_and_drill_down_links(world, in_acme):
    department = Department.objects.order_by("pk").first()
    now = timezone.now() - timedelta(hours=2)
    add(
        world.acme.source,
        at=now,
        sentiment="negative",
        aspects=["app"],
        language="de",
        department=department,
        text="Die App stürzt ab",
    )
    add(
        world.acme.source,
        at=now,
        sentiment="positive",
        language="en",
        kind="idea",
        text="Please add a dark mode",
    )
    add(world.acme.source, at=now - timedelta(days=10), sentiment="negative")
    page = web_client(world.acme, world.vera).get("/reports/?range=7")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mentions per day, by sentiment" in html and "<svg" in html
    assert "Europe/Berlin" in html or "UTC" in html  # dates are labelled with the zone
    assert "Please add a dark mode" in html
    # The previous 7 days had one mention, this week two: the delta is shown.
    assert "+1 (+100%)" in html
    drill = links(html)
    assert any("aspect=app" in href and "sentiment=negative" in href for href in drill)
    assert any("kind=idea" in href for href in drill)
    # A drill-down opens the inbox filtered to exactly that slice.
    target = next(href for href in drill if "aspect=app" in href and "sentiment=negative" in href)
    inbox = web_client(world.acme, world.alice).get(target)
    body = inbox.content.decode()
    assert inbox.status_code == 200
    assert "Die App stürzt ab" in body and "dark mode" not in body
    assert "From a report" in body


@pytest.mark.django_db
def test_custom_period_and_filters(world, in_acme):
    at = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
    add(world.acme.source, at=at, sentiment="negative", language="de")
    add(world.acme.source, at=at, sentiment="neutral", language="en")
    web = web_client(world.acme, world.alice)
    html = web.get("/reports/?range=custom&from=2026-02-01&to=2026-02-28&language=de").content
    assert b"1 Feb 2026 to 28 Feb 2026" in html
    assert b'<strong class="kpi-value">1</strong>' in html
    bad = web.get("/reports/?range=custom&from=2026-02-28&to=2026-02-01")
    assert bad.status_code == 200 and b"the first not after the last" in bad.content


@pytest.mark.django_db
def test_an_empty_period_explains_itself(world, in_acme):
    html = web_client(world.acme, world.alice).get("/reports/?range=7").content.decode()
    assert "No mentions in this period" in html
    assert "No mention of this period has been answered yet" in html


@pytest.mark.django_db
def test_department_staff_see_only_their_departments_on_the_page(world, in_acme):
    mine, other = Department.objects.order_by("pk")[:2]
    StaffMember.objects.create(user_id=world.rita.pk, name="Rita").departments.set([mine])
    now = timezone.now() - timedelta(hours=1)
    add(world.acme.source, at=now, department=mine, handle="mine")
    add(world.acme.source, at=now, department=other, handle="theirs", text="secret elsewhere")
    html = web_client(world.acme, world.rita).get("/reports/?range=7").content.decode()
    assert "@mine" in html and "@theirs" not in html
    assert f'<option value="{other.slug}"' not in html


@pytest.mark.django_db
def test_another_clients_member_gets_no_report(world):
    web = web_client(world.globex)
    web.force_login(world.alice)
    assert web.get("/reports/").status_code == 403


@pytest.mark.django_db
def test_each_first_response_bar_opens_the_inbox_on_the_mentions_answered_that_fast(world, in_acme):
    arrived = timezone.now() - timedelta(days=2)
    answered_after = {  # text: how long after arrival the first answer came
        "Answered in ten minutes": timedelta(minutes=10),
        "Answered in exactly an hour": timedelta(hours=1),
        "Answered in five hours": timedelta(hours=5),
        "Answered after two days": timedelta(hours=47),
    }
    for text, delay in answered_after.items():
        add(
            world.acme.source,
            at=arrived,
            received_at=arrived,
            first_response_at=arrived + delay,
            status="responded",
            text=text,
        )
    add(world.acme.source, at=arrived, received_at=arrived, text="Not answered yet")
    html = web_client(world.acme, world.vera).get("/reports/?range=7").content.decode()
    bars = {
        key: next(href for href in links(html) if f"first_response={quote_plus(key)}" in href)
        for key in ("0-1h", "1-4h", "4-8h", "8-24h", "24h+")
    }
    expected = {
        "0-1h": {"Answered in ten minutes"},
        "1-4h": {"Answered in exactly an hour"},
        "4-8h": {"Answered in five hours"},
        "8-24h": set(),
        "24h+": {"Answered after two days"},
    }
    web = web_client(world.acme, world.alice)
    for key, href in bars.items():
        body = web.get(href + "&status=all").content.decode()
        shown = {text for text in [*answered_after, "Not answered yet"] if text in body}
        assert shown == expected[key], key
        assert "first response in" in body  # the inbox says which slice it shows
    # An unknown bucket is ignored, as other unknown drill-down values are.
    body = web.get("/?status=all&first_response=5-6h").content.decode()
    assert "Not answered yet" in body and "first response in" not in body
