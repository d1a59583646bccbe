"""The care sections added to the report: first-response distribution, approvals with
their median wait, and SLA escalations, on the page, in the CSV tables and in the PDF."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from mentions.models import Author, Mention, Response
from reports.care_figures import approvals, escalations, first_response_distribution
from reports.figures import Slice, period_for
from routing.models import Department
from tests.conftest import web_client

_ids = itertools.count(1)


def add(source, *, at, **fields) -> Mention:
    author, _ = Author.objects.get_or_create(network="test", handle="care")
    return Mention.objects.create(
        source=source,
        external_id=f"care-{next(_ids)}",
        text="About the brand",
        published_at=at,
        received_at=at,
        author=author,
        **fields,
    )


@pytest.fixture
def care_week(world, in_acme):
    now = timezone.now() - timedelta(days=2)
    for hours in (0.5, 0.5, 2, 5, 10, 30):
        add(world.acme.source, at=now, first_response_at=now + timedelta(hours=hours))
    add(world.acme.source, at=now)  # not answered: not in the distribution
    department = Department.objects.order_by("pk").first()
    add(
        world.acme.source,
        at=now,
        escalated_at=now + timedelta(hours=1),
        status="escalated",
        department=department,
    )
    add(
        world.acme.source,
        at=now,
        escalated_at=now + timedelta(hours=2),
        status="resolved",
        department=department,
    )
    mention = add(world.acme.source, at=now)
    for wait, status in ((20, "sent"), (40, "rejected"), (None, "pending_approval")):
        Response.objects.create(
            mention=mention,
            channel="public",
            text="Thanks",
            status=status,
            author_id=world.rita.pk,
            author_name="Rita",
            approval_reasons=["uncertified"],
            created_at=now,
            decided_at=now + timedelta(minutes=wait) if wait else None,
        )
    Response.objects.create(  # no approval needed: not counted
        mention=mention,
        channel="public",
        text="Hi",
        status="sent",
        author_id=world.rita.pk,
        author_name="Rita",
        created_at=now,
    )
    return department


@pytest.mark.django_db
def test_first_responses_fall_into_time_buckets(care_week):
    buckets = first_response_distribution(
        period=period_for(first=None, last=None, days=7), slice_=Slice()
    )
    assert [(b.label, b.count) for b in buckets] == [
        ("0\N{EN DASH}1 h", 2),
        ("1\N{EN DASH}4 h", 1),
        ("4\N{EN DASH}8 h", 1),
        ("8\N{EN DASH}24 h", 1),
        ("24 h+", 1),
    ]
    assert buckets[0].share == pytest.approx(2 / 6)


@pytest.mark.django_db
def test_the_distribution_from_the_rollup_equals_the_one_from_the_mentions(world, care_week):
    period = period_for(first=None, last=None, days=7)
    # Exactly on the edges: one hour is "1-4 h", 24 hours "24 h+".
    at = timezone.now() - timedelta(days=1)
    for hours in (1, 4, 8, 24):
        add(world.acme.source, at=at, first_response_at=at + timedelta(hours=hours))
    rolled_up = first_response_distribution(period=period, slice_=Slice())  # no filter
    # Two filters that every mention passes are counted from the mentions.
    counted = first_response_distribution(
        period=period, slice_=Slice(source_id=world.acme.source.pk, kind="other")
    )
    assert rolled_up == counted
    assert [b.count for b in rolled_up] == [2, 2, 2, 2, 2]


@pytest.mark.django_db
def test_approvals_count_and_median_wait(care_week):
    found = approvals(period=period_for(first=None, last=None, days=7), slice_=Slice())
    assert (found.requested, found.approved, found.rejected, found.pending) == (3, 1, 1, 1)
    assert found.median_wait_seconds == pytest.approx(30 * 60)


@pytest.mark.django_db
def test_escalations_by_department(care_week):
    found = escalations(period=period_for(first=None, last=None, days=7), slice_=Slice())
    assert found.total == 2 and found.still_open == 1
    assert found.by_department == [(care_week.name, 2)]
    other = Department.objects.exclude(pk=care_week.pk).first()
    scoped = escalations(
        period=period_for(first=None, last=None, days=7),
        slice_=Slice(departments=frozenset({other.pk})),
    )
    assert scoped.total == 0


@pytest.mark.django_db
def test_the_page_shows_the_care_sections(world, care_week):
    html = web_client(world.acme, world.alice).get("/reports/?range=7").content.decode()
    assert "Time to first response" in html and "8\N{EN DASH}24 h" in html
    assert "3</strong> replies needed approval" in html and "30 min" in html
    assert "2</strong> mentions escalated" in html
    assert "table=first-responses" in html and "table=escalations" in html
