"""Author influence: the formula, the bulk upsert that keeps it current, routing on it,
and how the inbox shows and filters it."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from mentions.influence import (
    CONNECTOR_MIN_FOLLOWERS,
    MAVEN_MIN_TOPIC_MENTIONS,
    average_engagement,
    influence_score,
    influence_sql,
    topic_decay,
    topic_decay_sql,
)
from mentions.models import Author, Mention
from routing.services import rule_create
from sources.formats import mention_item_validate
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import api_client, push, web_client
from tests.factories import mention_item

counts = st.integers(min_value=0, max_value=10**12)
maybe = st.none() | counts


# -- the formula -------------------------------------------------------------------------
@given(followers=counts, following=maybe, posts=maybe, topic=st.floats(0, 1e6), eng=maybe)
def test_influence_is_between_0_and_1(followers, following, posts, topic, eng):
    score = influence_score(
        followers=followers,
        following=following,
        posts=posts,
        topic_mentions=topic,
        engagement=None if eng is None else float(eng),
    ).score
    assert 0.0 <= score <= 1.0


@given(a=counts, b=counts, posts=maybe)
def test_more_followers_never_lower_influence(a, b, posts):
    low, high = sorted((a, b))
    assert (
        influence_score(followers=low, posts=posts).score
        <= influence_score(followers=high, posts=posts).score
    )


def test_each_component_raises_influence_and_unknown_is_neutral():
    base = influence_score(followers=1_000).score
    assert influence_score(followers=1_000, following=10).score > base  # chosen by many
    assert influence_score(followers=1_000, following=100_000).score < base  # follow-back
    assert influence_score(followers=1_000, posts=50_000).score > base
    assert influence_score(followers=1_000, topic_mentions=8).score > base
    assert influence_score(followers=1_000, engagement=40.0).score > base
    # An engagement of zero is evidence (nobody reacts); unknown is no evidence: both 0.
    assert influence_score(followers=1_000, engagement=0.0).score == base


def test_reach_is_log_scaled():
    steps = [influence_score(followers=10**k - 1).score for k in range(1, 7)]
    gaps = [b - a for a, b in itertools.pairwise(steps)]
    assert max(gaps) - min(gaps) < 3e-6  # each tenfold adds the same (to rounding)
    assert influence_score(followers=10**9).score == influence_score(followers=10**6).score


def test_a_star_outranks_a_regular_customer():
    star = influence_score(followers=2_000_000, following=300, posts=40_000, engagement=5_000.0)
    customer = influence_score(followers=80, following=200, posts=300, engagement=0.5)
    assert star.score > 0.6 > 0.35 > customer.score


@pytest.mark.parametrize(
    ("followers", "following", "topic", "segment"),
    [
        (CONNECTOR_MIN_FOLLOWERS, None, 0, "mass_connector"),
        (CONNECTOR_MIN_FOLLOWERS - 1, None, 0, "regular"),
        (CONNECTOR_MIN_FOLLOWERS, CONNECTOR_MIN_FOLLOWERS // 2, 0, "mass_connector"),
        # A follow-back account: as many followed as followers.
        (50_000, 50_000, 0, "regular"),
        (50_000, 50_000, MAVEN_MIN_TOPIC_MENTIONS, "mass_maven"),
        (10, 10, MAVEN_MIN_TOPIC_MENTIONS, "mass_maven"),
        (10, 10, MAVEN_MIN_TOPIC_MENTIONS - 0.01, "regular"),
        # Connector wins over maven.
        (200_000, 100, 30, "mass_connector"),
    ],
)
def test_segment_thresholds(followers, following, topic, segment):
    found = influence_score(followers=followers, following=following, topic_mentions=topic)
    assert found.segment == segment


def test_recent_mentions_fade_with_a_half_life():
    two_weeks = 14 * 86_400
    assert topic_decay(count=8, seconds=two_weeks) == pytest.approx(4)
    assert topic_decay(count=8, seconds=0) == 8


@pytest.mark.django_db
def test_sql_and_python_give_the_same_figures():
    rng = random.Random(7)
    cases = []
    for _ in range(200):
        cases.append(
            (
                rng.choice([0, 1, 9, 10_000, rng.randrange(10**9)]),
                rng.choice([None, 0, rng.randrange(10**7)]),
                rng.choice([None, 0, rng.randrange(10**6)]),
                rng.choice([0.0, 4.99, 5.0, rng.uniform(0, 100)]),
                rng.choice([None, 0.0, rng.uniform(0, 10**5)]),
            )
        )
    score, segment = influence_sql(
        followers="followers",
        following="following",
        posts="posts",
        topic="topic",
        engagement="engagement",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {score}, {segment} FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], "  # noqa: S608
            "%s::float8[], %s::float8[]) WITH ORDINALITY "
            "AS t(followers, following, posts, topic, engagement, n) ORDER BY n",
            [list(column) for column in zip(*cases, strict=True)],
        )
        rows = cursor.fetchall()
        cursor.execute(
            f"SELECT {topic_decay_sql(count='8', since='%s', now='%s')}",
            # now, since, now: `now` appears twice in the expression.
            [timezone.now(), timezone.now() - timedelta(days=14), timezone.now()],
        )
        assert cursor.fetchone()[0] == pytest.approx(4, rel=1e-3)
    for (followers, following, posts, topic, engagement), (sql_score, sql_segment) in zip(
        cases, rows, strict=True
    ):
        expected = influence_score(
            followers=followers,
            following=following,
            posts=posts,
            topic_mentions=topic,
            engagement=engagement,
        )
        assert sql_score == pytest.approx(expected.score, abs=2e-6)
        assert sql_segment == expected.segment


# -- the ingest format -------------------------------------------------------------------
def test_the_format_takes_optional_counts_and_engagement():
    item, errors = mention_item_validate(
        mention_item(
            author={"handle": "x", "following": 3, "posts": 7},
            engagement={"likes": 2, "reposts": None},
        )
    )
    assert errors is None
    assert item["author"]["following"] == 3 and item["author"]["posts"] == 7
    assert item["engagement"] == {"likes": 2, "reposts": None, "replies": None}
    bare, _ = mention_item_validate(mention_item(engagement={}))
    assert "engagement" not in bare


@pytest.mark.parametrize(
    "bad",
    [
        {"author": {"handle": "x", "following": -1}},
        {"author": {"handle": "x", "posts": "many"}},
        {"engagement": {"likes": -5}},
        {"engagement": "lots"},
    ],
)
@pytest.mark.django_db
def test_bad_counts_reject_the_item_with_a_clear_reason(world, bad):
    response = push(api_client(world.acme), world.acme, {"mentions": [mention_item(**bad)]})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["rejected"] == 1
    [problem] = body["errors"]
    assert set(problem["errors"]) & {"author", "engagement"}


# -- the bulk upsert ---------------------------------------------------------------------
@pytest.fixture
def ingest(world, in_acme):
    def run(*items):
        result = mentions_submit(source=world.acme.source, items=list(items))
        for batch_id in result.batch_ids:
            ingest_batch_process(batch_id=batch_id)

    yield run
    connection.set_schema_to_public()


@pytest.mark.django_db
def test_upsert_keeps_known_counts_and_adds_engagement_once(ingest):
    first = mention_item(
        author={"handle": "jana", "followers": 900, "following": 100, "posts": 5_000},
        engagement={"likes": 10, "reposts": 2, "replies": 1},
    )
    ingest(first)
    # Later mentions know nothing about the counts: the known ones stay.
    ingest(
        mention_item(author={"handle": "jana", "followers": None}),
        mention_item(author={"handle": "jana"}, engagement={"likes": 4}),
    )
    # The same mention again (a polling overlap): not counted twice.
    ingest(first)
    jana = Author.objects.get(handle="jana")
    assert (jana.followers, jana.following, jana.posts_count) == (900, 100, 5_000)
    assert (jana.likes_total, jana.reposts_total, jana.replies_total) == (14, 2, 1)
    assert (jana.mention_count, jana.engaged_mentions) == (3, 2)
    assert jana.recent_mentions == pytest.approx(3, rel=1e-3)
    expected = influence_score(
        followers=900,
        following=100,
        posts=5_000,
        topic_mentions=jana.recent_mentions,
        engagement=average_engagement(likes=14, reposts=2, replies=1, engaged_mentions=2),
    )
    assert jana.influence == pytest.approx(expected.score, abs=2e-6)
    # A known new value replaces the old one, a known zero included.
    ingest(mention_item(author={"handle": "jana", "followers": 20_000, "following": 0}))
    jana.refresh_from_db()
    assert (jana.followers, jana.following, jana.segment) == (20_000, 0, "mass_connector")


@pytest.mark.django_db
def test_an_author_writing_a_lot_becomes_a_maven_and_fades_back(ingest):
    ingest(*[mention_item(author={"handle": "fan", "followers": 40}) for _ in range(5)])
    fan = Author.objects.get(handle="fan")
    assert fan.segment == "mass_maven"
    # Eight weeks later the recent count has halved four times.
    Author.objects.filter(pk=fan.pk).update(recent_at=timezone.now() - timedelta(weeks=8))
    ingest(mention_item(author={"handle": "fan"}))
    fan.refresh_from_db()
    assert fan.recent_mentions == pytest.approx(5 / 16 + 1, rel=1e-3)
    assert fan.segment == "regular"
    assert fan.mention_count == 6


@pytest.mark.django_db
def test_a_rule_on_segment_routes_on_ingest(world, ingest):
    rule_create(
        data={
            "name": "Connectors to PR",
            "department": "press",
            "position": 1,
            "segments": ["mass_connector"],
        },
        by=world.alice,
        client=world.acme.client,
    )
    rule_create(
        data={"name": "Influential", "department": "press", "position": 2, "min_influence": 0.6},
        by=world.alice,
        client=world.acme.client,
    )
    ingest(
        mention_item(text="Hallo", author={"handle": "star", "followers": 250_000}),
        mention_item(text="Hallo", author={"handle": "nobody", "followers": 12}),
        # Known counts with high engagement and posting: influential but no connector.
        mention_item(
            text="Hallo",
            author={"handle": "loud", "followers": 9_000, "following": 50, "posts": 90_000},
            engagement={"likes": 3_000, "reposts": 800, "replies": 400},
        ),
    )
    star = Mention.objects.get(author__handle="star")
    assert star.department.slug == "press"
    assert "author is a mass connector" in star.routing_reason
    assert Mention.objects.get(author__handle="nobody").department.slug != "press"
    loud = Mention.objects.get(author__handle="loud")
    assert loud.author.segment == "regular"
    assert loud.department.slug == "press" and "influence" in loud.routing_reason


# -- pages and API -----------------------------------------------------------------------
@pytest.mark.django_db
def test_inbox_shows_influence_and_filters_by_segment(world, ingest):
    ingest(
        mention_item(text="Connector says hi", author={"handle": "star", "followers": 250_000}),
        mention_item(text="Regular says hi", author={"handle": "joe", "followers": 12}),
    )
    connection.set_schema_to_public()
    web = web_client(world.acme, world.rita)
    page = web.get("/").content.decode()
    assert "Mass connector" in page and "<meter" in page
    only = web.get("/?segment=mass_connector").content.decode()
    assert "Connector says hi" in only and "Regular says hi" not in only
    assert "Connector says hi" not in web.get("/?segment=mass_maven").content.decode()
    # A made-up segment is ignored, not an error.
    assert web.get("/?segment=<script>").status_code == 200
    api = api_client(world.acme, world.acme.token)
    listed = api.get("/api/v1/mentions/?segment=mass_connector").json()["results"]
    assert [m["author"]["handle"] for m in listed] == ["star"]
    assert listed[0]["author"]["segment"] == "mass_connector"
    assert 0 < listed[0]["author"]["influence"] <= 1
    bad = api.get("/api/v1/mentions/?segment=celebrity")
    assert bad.status_code == 400 and "segment" in bad.json()["error"]["fields"]


@pytest.mark.django_db
def test_mention_page_shows_segment_and_other_clients_see_nothing(world, ingest):
    ingest(mention_item(text="Hallo", author={"handle": "star", "followers": 250_000}))
    mention = Mention.objects.get()
    connection.set_schema_to_public()
    page = web_client(world.acme, world.rita).get(f"/mentions/{mention.pk}/").content.decode()
    assert "Mass connector" in page and "influence 0." in page
    # Globex's token does not open acme, and globex's own filtered inbox is empty.
    foreign = api_client(world.acme, world.globex.token).get(
        "/api/v1/mentions/?segment=mass_connector"
    )
    assert foreign.status_code in {401, 403}
    theirs = web_client(world.globex, world.bob).get("/?segment=mass_connector")
    assert "Hallo" not in theirs.content.decode()
    api = api_client(world.globex, world.globex.token)
    assert api.get("/api/v1/mentions/?segment=mass_connector").json()["results"] == []
