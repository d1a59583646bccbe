"""First response and resolution in business hours next to calendar hours: on the reports
page, in the care-times CSV table, in the PDF data and in GET /api/v1/reports/summary."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from mentions.models import Author, Mention
from reports.care_figures import care_clocks, durations_of
from reports.figures import Period, Slice
from routing.models import Department, SlaPolicy, StaffMember
from tests.conftest import api_client, web_client

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = "from=2026-11-23&to=2026-11-29"
_ids = itertools.count(1)


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def add(source, *, at: datetime, answered: datetime | None, **fields) -> Mention:
    author, _ = Author.objects.get_or_create(network="test", handle="bh")
    return Mention.objects.create(
        source=source,
        external_id=f"bh-{next(_ids)}",
        text="About the brand",
        published_at=at,
        received_at=at,
        first_response_at=answered,
        author=author,
        **fields,
    )


@pytest.fixture
def office_week(world, in_acme):
    """Mon-Fri 09-17 in Berlin; three answered mentions in the week of 23 Nov 2026."""
    SlaPolicy.objects.filter(is_default=True).update(
        timezone="Europe/Berlin",
        hours={day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=[],
    )
    source = world.acme.source
    # Friday 16:00, answered Monday 10:00: 66 calendar hours, 2 business hours; resolved
    # Monday 12:00: 68 calendar hours, 4 business hours.
    add(source, at=berlin(27, 16), answered=berlin(30, 10), resolved_at=berlin(30, 12))
    # Monday 10:00, answered 10:30: half an hour either way.
    add(source, at=berlin(23, 10), answered=berlin(23, 10, 30))
    # Saturday 12:00, answered 13:00: an hour of calendar time, none of business time.
    add(source, at=berlin(28, 12), answered=berlin(28, 13))
    add(source, at=berlin(24, 12), answered=None)  # not answered: not counted
    return world


def week() -> Period:
    return Period(date(2026, 11, 23), date(2026, 11, 29), BERLIN)


@pytest.mark.django_db
def test_business_hours_leave_out_nights_and_weekends(office_week):
    found = care_clocks(period=week(), slice_=Slice())
    assert found.first_response.count == 3
    assert found.first_response.median_seconds == 3600
    assert found.first_response_business.median_seconds == 1800
    assert found.first_response_business.mean_seconds == pytest.approx((2 * 3600 + 1800) / 3)
    assert found.first_response_business.p90_seconds == pytest.approx(1800 + 0.8 * 5400)
    assert found.resolution.median_seconds == 68 * 3600
    assert found.resolution_business.median_seconds == 4 * 3600
    assert found.has_business_hours and not found.sampled
    assert found.restamping is None


@pytest.mark.django_db
def test_a_mentions_own_sla_policy_decides_its_business_hours(office_week):
    always = SlaPolicy.objects.create(name="Always", timezone="UTC", hours={"sat": ["24h"]})
    Mention.objects.filter(published_at=berlin(28, 12)).update(sla_policy=always)
    found = care_clocks(period=week(), slice_=Slice())
    # The Saturday mention now waited a business hour: 0.5 h, 1 h, 2 h.
    assert found.first_response_business.median_seconds == 3600


@pytest.mark.django_db
def test_without_opening_hours_there_are_no_business_figures(office_week):
    SlaPolicy.objects.all().delete()
    found = care_clocks(period=week(), slice_=Slice())
    assert found.first_response.count == 3
    assert found.first_response_business.median_seconds is None
    assert not found.has_business_hours


@pytest.mark.django_db
def test_every_answer_is_measured_and_the_api_keeps_its_shape(office_week):
    # The week before too: no sample on either side, whatever the size.
    add(office_week.acme.source, at=berlin(17, 10), answered=berlin(17, 11))
    api = api_client(office_week.acme, office_week.acme.read_token)
    answer = api.get(f"/api/v1/reports/summary?{WEEK}").json()
    assert answer["business_sample"] is None
    assert answer["previous"]["business_sample"] is None
    assert "business_sample" not in answer["deltas"]
    assert answer["previous"]["first_response_median_business_seconds"] == 3600
    html = (
        web_client(office_week.acme, office_week.alice)
        .get(f"/reports/?range=custom&{WEEK}")
        .content.decode()
    )
    assert "A sample" not in html


def test_durations_interpolate_like_percentile_cont():
    found = durations_of([10.0, 20.0, 30.0, 40.0])
    assert (found.median_seconds, found.p90_seconds, found.mean_seconds) == (25.0, 37.0, 25.0)
    assert durations_of([]).median_seconds is None


@pytest.mark.django_db
def test_summary_api_has_the_business_hours_median(office_week):
    api = api_client(office_week.acme, office_week.acme.read_token)
    answer = api.get(f"/api/v1/reports/summary?{WEEK}").json()
    assert answer["first_response_median_seconds"] == 3600
    assert answer["first_response_median_business_seconds"] == 1800
    assert answer["first_response_p90_business_seconds"] == pytest.approx(6120)
    assert answer["previous"]["first_response_median_business_seconds"] is None
    assert answer["deltas"]["first_response_median_business_seconds"] is None


@pytest.mark.django_db
def test_the_business_median_is_documented_in_the_openapi_schema(world):
    schema = api_client(world.acme).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    summary = schema["components"]["schemas"]["Summary"]["properties"]
    assert "business hours" in summary["first_response_median_business_seconds"]["description"]


@pytest.mark.django_db
def test_the_care_times_table_downloads_both_clocks(office_week):
    api = api_client(office_week.acme, office_week.acme.read_token)
    response = api.get(f"/api/v1/reports/table.csv?table=care-times&{WEEK}")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["measure", "clock", "mentions", "median_seconds"]
    by = {(row[0], row[1]): row for row in rows[1:]}
    assert by["first_response", "business"][2:4] == ["3", "1800.0"]
    assert by["first_response", "calendar"][2:4] == ["3", "3600.0"]
    assert by["resolution", "business"][2:4] == ["1", "14400.0"]


@pytest.mark.django_db
def test_the_page_shows_business_next_to_calendar_hours(office_week):
    html = (
        web_client(office_week.acme, office_week.alice)
        .get(f"/reports/?range=custom&{WEEK}")
        .content.decode()
    )
    assert "First response, business hours" in html
    assert "Resolution, calendar hours" in html and "2.8 days" in html and "4.0 h" in html
    assert "table=care-times" in html


@pytest.mark.django_db
def test_department_staff_get_business_figures_of_their_departments_only(office_week):
    mine, other = Department.objects.order_by("pk")[:2]
    Mention.objects.filter(published_at=berlin(23, 10)).update(department=mine)
    Mention.objects.exclude(published_at=berlin(23, 10)).update(department=other)
    member = StaffMember.objects.create(user_id=office_week.rita.pk, name="Rita")
    member.departments.set([mine])
    rita = web_client(office_week.acme, office_week.rita)
    answer = rita.get(f"/api/v1/reports/summary?{WEEK}").json()
    assert answer["first_response_median_business_seconds"] == 1800
    assert answer["first_response_mean_business_seconds"] == 1800
    assert answer["responded"] == 1
