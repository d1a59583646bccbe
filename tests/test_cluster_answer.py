"""Answering a problem case at once: one reply, personalised, to every open report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.audit.models import AuditEntry
from mentions.models import Mention, ProblemCluster, Response, ResponseStatus, Status
from mentions.pipeline import mentions_store
from mentions.responses import cluster_respond, response_create
from tests.conftest import api_client, web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
LOGIN = [
    "The app login failed again, so annoying",
    "Can't log into the app since this morning, error",
    "Logging in to the app is broken for me",
    "App login not working, error every time",
]


@pytest.fixture
def case(world, in_acme):
    items = [
        mention_item(
            text=text,
            published_at=(T0 + timedelta(minutes=n)).isoformat(),
            author={"name": f"Kundin {n}"},
        )
        for n, text in enumerate(LOGIN)
    ]
    mentions_store(source=world.acme.source, items=items)
    return ProblemCluster.objects.get()


def test_one_reply_reaches_every_open_report_personalised_and_resolves_them(world, case):
    first = Mention.objects.order_by("id").first()
    response_create(mention=first, text="Schon beantwortet", channel="dm", by=world.rita)
    outcome = cluster_respond(
        cluster=case,
        text="Hallo {author}, wir arbeiten am Login-Problem. <b>Danke</b>",
        channel="dm",
        by=world.rita,
        resolve=True,
    )
    assert len(outcome.answered) == 3
    assert outcome.skipped == [(first.pk, "already answered")]
    assert outcome.resolved == 3
    texts = sorted(Response.objects.exclude(mention=first).values_list("text", flat=True))
    assert texts[0].startswith("Hallo Kundin 1, wir arbeiten")
    assert all("<b>Danke</b>" in text for text in texts)  # stored intact, escaped on output
    assert Mention.objects.filter(status=Status.RESOLVED).count() == 3
    entry = AuditEntry.objects.get(action="cluster.answered")
    assert entry.after["answered"] == outcome.answered


def test_public_replies_are_skipped_where_the_network_takes_none(world, case):
    outcome = cluster_respond(cluster=case, text="Wir sind dran", channel="public", by=world.rita)
    assert outcome.answered == []
    assert len(outcome.skipped) == 4
    assert "cannot post replies" in outcome.skipped[0][1]
    assert not Response.objects.exists()


def test_the_case_page_answers_everyone_and_says_what_happened(world, case):
    connection.set_schema_to_public()
    web = web_client(world.acme, world.rita)
    page = web.get(f"/clusters/{case.pk}/").content.decode()
    assert "Answer everyone at once" in page
    response = web.post(
        f"/clusters/{case.pk}/answer",
        {"text": "Hallo {author}, ist behoben.", "channel": "email", "resolve": "on"},
        follow=True,
    )
    assert "One reply for everyone: 4 answered, 4 resolved." in response.content.decode()


def test_viewers_cannot_answer_a_case_and_empty_replies_are_refused(world, case):
    connection.set_schema_to_public()
    viewer = web_client(world.acme, world.vera)
    assert "Answer everyone at once" not in viewer.get(f"/clusters/{case.pk}/").content.decode()
    assert (
        viewer.post(f"/clusters/{case.pk}/answer", {"text": "x", "channel": "dm"}).status_code
        == 403
    )
    api = api_client(world.acme, world.acme.token)
    response = api.post(
        f"/api/v1/clusters/{case.pk}/answer", {"text": "  ", "channel": "dm"}, format="json"
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_the_api_answers_a_case_and_another_client_cannot(world, case):
    connection.set_schema_to_public()
    api = api_client(world.acme, world.acme.token)
    response = api.post(
        f"/api/v1/clusters/{case.pk}/answer",
        {"text": "Hallo {author}", "channel": "phone"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["answered"]) == 4
    assert response.json()["skipped"] == []
    other = api_client(world.globex, world.globex.token)
    assert (
        other.post(
            f"/api/v1/clusters/{case.pk}/answer", {"text": "x", "channel": "dm"}, format="json"
        ).status_code
        == 404
    )
    with tenant_context(world.acme.client):
        assert Response.objects.filter(status=ResponseStatus.RECORDED).count() == 4
