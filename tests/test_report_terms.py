"""Rising terms and hashtags against the previous period."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from mentions.models import Author, Mention
from reports.figures import Slice, period_for
from reports.terms import rising_terms
from tests.conftest import api_client, web_client

_ids = itertools.count(1)


def add(source, *, at, text, **fields) -> Mention:
    author, _ = Author.objects.get_or_create(network="test", handle="terms")
    return Mention.objects.create(
        source=source,
        external_id=f"terms-{next(_ids)}",
        text=text,
        published_at=at,
        author=author,
        **fields,
    )


@pytest.fixture
def two_weeks(world, in_acme):
    now = timezone.now() - timedelta(hours=2)
    week_ago = now - timedelta(days=7)
    for _ in range(4):
        add(world.acme.source, at=now, text="Der Akku ist leer #Akkugate")
        add(world.acme.source, at=week_ago, text="Die Lieferung kommt spät")
    add(world.acme.source, at=now, text="Lieferung heute pünktlich")
    add(world.acme.source, at=week_ago, text="Akku hält gut")
    return world


@pytest.mark.django_db
def test_terms_that_more_mentions_use_rise_and_falling_ones_do_not(two_weeks):
    found = rising_terms(period=period_for(first=None, last=None, days=7), slice_=Slice())
    terms = {row.term: row for row in found.rows}
    assert "#Akkugate" in terms and terms["#Akkugate"].hashtag
    assert terms["#Akkugate"].now == 4 and terms["#Akkugate"].before == 0
    akku = next(
        row for row in found.rows if row.term.lower().startswith("akku") and not row.hashtag
    )
    assert (akku.now, akku.before) == (4, 1)
    assert not any(row.term.lower().startswith("liefer") for row in found.rows)
    assert "akkugate" not in terms  # the hashtag counts once, as a hashtag
    assert not found.sampled


@pytest.mark.django_db
def test_rising_terms_on_the_page_and_in_the_api(two_weeks):
    world = two_weeks
    html = web_client(world.acme, world.alice).get("/reports/?range=7").content.decode()
    assert "Rising terms and hashtags" in html and "#Akkugate" in html
    response = api_client(world.acme, world.acme.read_token).get("/api/v1/reports/top?what=terms")
    assert response.status_code == 200
    items = response.json()["items"]
    assert items[0]["term"] in ("#Akkugate", "Akku", "akku")


@pytest.mark.django_db
def test_sampled_terms_say_how_many_mentions_were_read_of_how_many(two_weeks, monkeypatch):
    monkeypatch.setattr("reports.terms.TERMS_SAMPLE", 2)
    period = period_for(first=None, last=None, days=7)
    found = rising_terms(period=period, slice_=Slice())
    assert found.sampled
    assert (found.read, found.mentions) == ((2, 2), (5, 5))
    api = api_client(two_weeks.acme, two_weeks.acme.read_token)
    dates = f"from={period.first.isoformat()}&to={period.last.isoformat()}"
    body = api.get(f"/api/v1/reports/top?what=terms&{dates}").json()
    assert body["sampled"] is True
    assert body["sample"] == {"read": 2, "mentions": 5, "read_before": 2, "mentions_before": 5}
    html = web_client(two_weeks.acme, two_weeks.alice).get("/reports/?range=7").content.decode()
    assert "newest 2 of the period's 5 mentions" in html


@pytest.mark.django_db
def test_terms_of_every_mention_are_not_called_a_sample(two_weeks):
    found = rising_terms(period=period_for(first=None, last=None, days=7), slice_=Slice())
    assert not found.sampled and found.read == found.mentions == (5, 5)
    body = (
        api_client(two_weeks.acme, two_weeks.acme.read_token)
        .get("/api/v1/reports/top?what=terms")
        .json()
    )
    assert body["sample"] is None
