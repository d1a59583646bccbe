"""Problem cases in proportion: a compact strip above the inbox list, a minimum case size per
client (set on the triage page, audited), and titles made of content words, never of the
stop words of the client's languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from accounts.audit.models import AuditEntry
from mentions.clusters import ClusterInput, cluster_title, clusters_plan, text_terms
from mentions.models import ProblemCluster, TriageProfile
from mentions.pipeline import mentions_store
from mentions.triage.stopwords import ENGLISH, GERMAN, stopwords_for
from tests.conftest import web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)
# The demo's rail complaints, as people write them: mostly filler words around a few that
# say what happened.
MISSED = [
    "Anschluss in Uelzen verpasst, weil der RE 4 20 Minuten zu spät war. Ich komme schon "
    "wieder zu spät zur Arbeit.",
    "Wieder mal den Anschluss in Uelzen verpasst, der RE 3 war 15 Minuten zu spät. Mir "
    "wurde nichts gesagt, das gibt es doch nicht.",
    "Anschluss in Uelzen verpasst!! Der Zug aus Hamburg kam 25 Minuten zu spät, und sich "
    "bei euch zu beschweren bringt auch nichts.",
]
LOGIN = [
    "The app login failed again, so annoying",
    "Can't log into the app since this morning, error",
    "Logging in to the app is broken for me",
]


def store(world, texts, *, at=T0):
    items = [
        mention_item(text=text, published_at=(at + timedelta(minutes=n)).isoformat())
        for n, text in enumerate(texts)
    ]
    mentions_store(source=world.acme.source, items=items)


def test_stop_word_lists_cover_the_filler_of_the_issue():
    for word in ("aus", "zur", "komme", "mir", "sich", "wurde", "zum", "gibt"):
        assert word in GERMAN, word
    for word in ("the", "for", "since", "into", "was", "my"):
        assert word in ENGLISH, word
    assert "gleis" not in GERMAN and "anschluss" not in GERMAN
    assert stopwords_for(languages=["de"]) >= GERMAN | ENGLISH
    assert "het" not in stopwords_for(languages=["de"])  # Dutch only for Dutch clients
    assert "het" in stopwords_for(languages=[])  # no known language: every list


def test_terms_are_content_words_as_written():
    terms = text_terms(MISSED[1], stop=stopwords_for(languages=["de"]))
    assert list(terms)[:3] == ["anschluss", "uelzen", "verpasst"]
    assert terms["anschluss"] == "Anschluss"
    assert not {"mir", "wurde", "das", "gibt", "es", "doch", "der", "mal"} & set(terms)


def test_a_german_case_is_titled_by_what_happened(world, in_acme):
    plan = clusters_plan(
        source_id=world.acme.source.pk,
        items=[
            ClusterInput(
                external_id=f"x{n}", text=text, kind="complaint", published_at=T0, aspects=()
            )
            for n, text in enumerate(MISSED)
        ],
    )
    [cluster] = plan.clusters
    title = cluster.title(stop=plan.stop)
    assert title == "Anschluss · Uelzen · verpasst"
    for filler in ("aus", "zur", "komme", "mir", "sich", "wurde", "zum", "gibt"):
        assert filler not in title.lower().split(" · ")


def test_stored_terms_with_stop_words_never_make_a_title():
    # A case stored before the stop-word lists grew still gets a clean title.
    terms = {"aus": [9, "aus", 0], "zur": [9, "zur", 5], "gleis": [4, "Gleis", 3]}
    terms |= {"aufzug": [4, "Aufzug", 1], "⚠fail": [2, "not working", 9]}
    assert (
        cluster_title(terms, stop=stopwords_for(languages=["de"])) == "Aufzug · Gleis · not working"
    )


def test_cases_sit_in_a_strip_above_the_list(world, in_acme):
    store(world, LOGIN)
    store(world, ["Just a normal comment about trains"], at=T0 + timedelta(hours=1))
    cluster = ProblemCluster.objects.get()
    connection.set_schema_to_public()
    page = web_client(world.acme, world.rita).get("/").content.decode()
    strip = page.index('id="cases-strip"')
    assert strip < page.index('<table class="mentions">')
    assert '<strong id="cases-total">1</strong> open' in page
    assert '<strong id="cases-reports">3</strong> reports' in page
    assert f'data-chip="{cluster.pk}"' in page  # the largest cases, visible without expanding
    assert page.count('class="mention-row') == 1  # its reports are not rows of their own
    assert "frontend/cases.js" in page


def test_no_case_strip_without_cases(world, in_acme):
    store(world, ["Just a normal comment about trains"])
    connection.set_schema_to_public()
    page = web_client(world.acme, world.rita).get("/").content.decode()
    assert 'id="cases-strip"' in page and "hidden>" in page.split('id="cases-strip"')[1][:200]
    assert 'class="case status-' not in page


def test_cases_below_the_clients_minimum_stay_single_mentions(world, in_acme):
    TriageProfile.objects.update_or_create(defaults={"min_case_size": 4})
    store(world, LOGIN)
    connection.set_schema_to_public()
    web = web_client(world.acme, world.rita)
    page = web.get("/").content.decode()
    assert 'class="case status-' not in page
    assert page.count('class="mention-row') == 3

    admin = web_client(world.acme, world.alice)
    response = admin.post("/triage/setup", {"action": "case_size", "min_case_size": "3"})
    assert response.status_code == 302
    page = web.get("/").content.decode()
    assert page.count('class="case status-') == 1
    assert page.count('class="mention-row') == 0
    connection.set_tenant(world.acme.client)
    entry = AuditEntry.objects.get(action="triage.case_size_set")
    assert entry.actor_id == world.alice.pk
    assert entry.before == {"min_case_size": 4} and entry.after == {"min_case_size": 3}


@pytest.mark.parametrize("value", ["1", "51", "many", ""])
def test_a_case_size_out_of_range_is_refused_in_plain_words(world, value):
    admin = web_client(world.acme, world.alice)
    response = admin.post(
        "/triage/setup", {"action": "case_size", "min_case_size": value}, follow=True
    )
    assert response.status_code == 200
    assert "A case needs between 2 and 50 reports." in response.content.decode()


def test_only_client_admins_set_the_case_size(world):
    response = web_client(world.acme, world.rita).post(
        "/triage/setup", {"action": "case_size", "min_case_size": "5"}
    )
    assert response.status_code == 403
    page = web_client(world.acme, world.alice).get("/triage/").content.decode()
    assert 'name="min_case_size"' in page


def test_rows_and_cases_escape_hostile_titles_departments_and_names(world, in_acme):
    """The inbox's rows and case strip are written in Python (frontend/rows.py), so every
    value a client or an author controls must come out escaped there too."""
    hostile = '<img src=x onerror=alert(1)>"'
    store(world, LOGIN)
    cluster = ProblemCluster.objects.get()
    ProblemCluster.objects.filter(pk=cluster.pk).update(title=hostile, aspect=hostile)
    department = cluster.department
    assert department is not None
    type(department).objects.filter(pk=department.pk).update(name=hostile)
    store(world, ["Just a normal comment about trains"], at=T0 + timedelta(hours=1))
    connection.set_schema_to_public()
    page = web_client(world.acme, world.rita).get("/").content.decode()
    assert 'class="case status-' in page and 'class="mention-row' in page
    assert hostile not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;" in page
