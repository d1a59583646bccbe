"""Problem clusters: the same problem reported many times becomes one case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from mentions.clusters import ClusterInput, clusters_plan, text_terms, window_keys
from mentions.models import Mention, ProblemCluster
from mentions.pipeline import mentions_store
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)

LOGIN = [
    "The app login fails again, so annoying",
    "Can't log into the app since this morning, keeps showing an error",
    "Logging in to the app is broken for me",
    "why does the app login not work?? tried 3 times",
]
PAYMENT = [
    "My card payment failed twice in the online shop",
    "Credit card payment in the shop does not go through, error again",
]
DELAY = ["Train to Berlin delayed 40 minutes again, terrible"]


def store(world, texts, *, at=T0, step=timedelta(minutes=1)):
    items = [
        mention_item(text=text, published_at=(at + step * n).isoformat())
        for n, text in enumerate(texts)
    ]
    outcome = mentions_store(source=world.acme.source, items=items)
    return list(Mention.objects.filter(pk__in=outcome.mention_ids).order_by("published_at"))


def members(cluster):
    return sorted(cluster.members.values_list("text", flat=True))


def test_same_problem_in_different_wording_is_one_cluster(world, in_acme):
    store(world, [*LOGIN, *PAYMENT, *DELAY])

    clusters = {c.title: c for c in ProblemCluster.objects.all()}
    assert len(clusters) == 2, clusters
    login = next(c for t, c in clusters.items() if "login" in t)
    payment = next(c for t, c in clusters.items() if "payment" in t)
    assert members(login) == sorted(LOGIN)
    assert login.member_count == 4
    assert members(payment) == sorted(PAYMENT)
    assert login.first_seen == T0
    assert login.last_seen == T0 + timedelta(minutes=3)
    assert Mention.objects.get(text=DELAY[0]).cluster_id is None


def test_later_reports_join_the_cluster_across_batches(world, in_acme):
    store(world, LOGIN[:1])
    assert not ProblemCluster.objects.exists(), "a single report makes no cluster"
    store(world, LOGIN[1:2], at=T0 + timedelta(minutes=30))
    cluster = ProblemCluster.objects.get()
    assert cluster.member_count == 2
    store(world, LOGIN[2:], at=T0 + timedelta(hours=1))
    cluster.refresh_from_db()
    assert cluster.member_count == 4
    assert members(cluster) == sorted(LOGIN)
    assert "login" in cluster.title and "app" in cluster.title


def test_different_problems_stay_apart(world, in_acme):
    store(
        world,
        [
            "The app login fails",
            "My card payment failed",
            "Train delayed again, terrible",
            "The wifi on the train is broken",
            "Seat reservation is missing on the app, terrible",
        ],
    )
    assert not ProblemCluster.objects.exists()


def test_reports_outside_the_time_window_do_not_join(world, in_acme):
    store(world, LOGIN[:1])
    store(world, LOGIN[1:2], at=T0 + timedelta(hours=7))
    assert not ProblemCluster.objects.exists()
    store(world, LOGIN[2:3], at=T0 + timedelta(hours=9))
    cluster = ProblemCluster.objects.get()
    assert members(cluster) == sorted(LOGIN[1:3])


def test_reports_either_side_of_a_time_bucket_join(world, in_acme):
    """The index keeps keys by twelve-hour bucket (00:00 and 12:00 UTC): a report just
    before noon and one after it, in separate batches, still find each other."""
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    store(world, LOGIN[:1], at=noon - timedelta(hours=5, minutes=50))
    store(world, LOGIN[1:2], at=noon + timedelta(seconds=1))
    cluster = ProblemCluster.objects.get()
    assert members(cluster) == sorted(LOGIN[:2])


@pytest.mark.parametrize(
    "published_at",
    [
        datetime(2026, 11, 23, 11, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 14, 5, 30, 250000, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 0, tzinfo=UTC),
    ],
)
def test_keys_are_mixed_with_their_bucket_as_the_index_does(in_acme, published_at):
    keys = [0, 1, 7314824861778598450, 2**63 - 1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.mention_window_keys(%s::bigint[], %s)", [keys, published_at])
        assert cursor.fetchone()[0] == window_keys(keys, published_at)


def test_praise_and_ideas_are_not_clustered(world, in_acme):
    store(
        world,
        [
            "Thanks, the new app login is great and fast",
            "Love the new app login, great work",
            "Great app login, thanks a lot",
        ],
    )
    assert not ProblemCluster.objects.exists()
    assert not Mention.objects.filter(cluster_keys__isnull=False).exists()


def test_resolved_clusters_take_no_new_reports(world, in_acme):
    store(world, LOGIN[:2])
    old = ProblemCluster.objects.get()
    old.status = "resolved"
    old.save()
    store(world, LOGIN[2:], at=T0 + timedelta(minutes=20))
    new = ProblemCluster.objects.exclude(pk=old.pk).get()
    assert members(new) == sorted(LOGIN[2:])
    assert old.members.count() == 2


def test_aspect_keeps_the_same_words_apart(world, in_acme):
    def item(n, aspect):
        return ClusterInput(
            external_id=f"a{n}",
            text="Refund for my cancelled order still not arrived",
            kind="complaint",
            published_at=T0,
            aspects=(aspect,),
        )

    plan = clusters_plan(
        source_id=world.acme.source.pk,
        items=[item(1, "billing"), item(2, "delivery"), item(3, "billing")],
    )
    assert plan.size("a3") == 2
    assert plan.size("a2") == 1
    assert plan.member_of["a1"] is plan.member_of["a3"]
    assert "a2" not in plan.member_of


def test_duplicates_of_a_stored_report_do_not_count(world, in_acme):
    items = [mention_item(text=LOGIN[0], published_at=T0.isoformat())]
    mentions_store(source=world.acme.source, items=items)
    mentions_store(source=world.acme.source, items=items)
    assert not ProblemCluster.objects.exists()


def test_terms_fold_wording_and_drop_noise():
    terms = text_terms("@SpotifyCares Can't LOG IN to the app https://t.co/x #fail")
    assert {"app", "log"} <= set(terms)
    assert not any(t.startswith("http") or "spotifycares" in t for t in terms)


def test_routing_sees_the_cluster_size(world, in_acme):
    from routing.services import rule_create

    rule_create(
        data={
            "name": "Many reports → tech lead",
            "department": "tech-support",
            "kinds": ["complaint", "question"],
            "min_cluster_size": 3,
            "escalate": True,
            "priority": 4,
            "position": 0,
        },
        by=world.alice,
        client=world.acme.client,
    )
    stored = store(world, LOGIN)
    assert [m.status == "escalated" for m in stored] == [False, False, True, True]
    third = stored[2]
    assert third.department.slug == "tech-support"
    assert "3 reports of the same problem ≥ 3" in third.routing_reason
    # The case follows its newest report's routing.
    assert ProblemCluster.objects.get().department.slug == "tech-support"
