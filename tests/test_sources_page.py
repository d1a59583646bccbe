"""The sources page: health, switches, tests and backfills queued, query editor and preview."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from sources.models import BackfillJob, ListeningQuery, Source
from sources.services.polling import source_create_polled
from tests.conftest import web_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed_source(world, in_acme):
    source = source_create_polled(
        kind="rss", name="Pendlerblog", config={"url": "http://127.0.0.1:9/feed"}
    )
    Source.objects.filter(pk=source.pk).update(
        last_error="http://127.0.0.1:9/feed timed out", consecutive_failures=2
    )
    connection.set_schema_to_public()
    return source


def test_managers_see_health_and_responders_do_not(world, feed_source):
    page = web_client(world.acme, world.alice).get("/sources/").content.decode()
    assert "Pendlerblog" in page and "timed out" in page and "failing" in page
    assert web_client(world.acme, world.rita).get("/sources/").status_code == 403


def test_empty_states(world):
    page = web_client(world.acme, world.alice).get("/sources/").content.decode()
    assert "No queries: every polled item is kept." in page


def test_adding_a_feed_source_validates_the_settings(world):
    web = web_client(world.acme, world.alice)
    bad = web.post("/sources/new", {"kind": "rss", "name": "X", "config_url": "ftp://x"})
    assert bad.status_code == 400 and b"http(s) URL" in bad.content
    good = web.post(
        "/sources/new",
        {
            "kind": "rss",
            "name": "Blog",
            "apply_queries": "on",
            "config_url": "https://blog.example/feed",
            "poll_interval": "300",
        },
    )
    assert good.status_code == 302
    connection.set_tenant(world.acme.client)
    source = Source.objects.get(name="Blog")
    assert source.config == {"url": "https://blog.example/feed"} and source.apply_queries


def test_disable_enable_and_backfill_from_the_page(
    world, feed_source, django_capture_on_commit_callbacks
):
    web = web_client(world.acme, world.alice)
    web.post(f"/sources/{feed_source.pk}/action", {"action": "disable"})
    connection.set_tenant(world.acme.client)
    assert not Source.objects.get(pk=feed_source.pk).enabled
    connection.set_schema_to_public()
    web.post(f"/sources/{feed_source.pk}/action", {"action": "enable"})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = web.post(
            f"/sources/{feed_source.pk}/action",
            {"action": "backfill", "since": "2026-11-01", "until": "2026-11-20"},
        )
    assert response.status_code == 302 and len(callbacks) == 1
    connection.set_tenant(world.acme.client)
    source = Source.objects.get(pk=feed_source.pk)
    assert source.enabled and source.consecutive_failures == 0
    # The days are the reader's (here the client's zone, Europe/Berlin: no profile zone).
    since = BackfillJob.objects.get().since.astimezone(ZoneInfo("Europe/Berlin"))
    assert (since.date().isoformat(), since.hour) == ("2026-11-01", 0)


def test_queries_are_saved_and_errors_shown_with_a_caret(world):
    web = web_client(world.acme, world.alice)
    web.post("/sources/queries", {"name": "Marke", "expression": 'Nordbahn NOT "Autobahn"'})
    connection.set_tenant(world.acme.client)
    assert ListeningQuery.objects.get().expression == 'Nordbahn NOT "Autobahn"'
    connection.set_schema_to_public()
    response = web.post(
        "/sources/queries", {"name": "Kaputt", "expression": "Bahn AND ("}, follow=True
    )
    page = response.content.decode()
    assert "position" in page and "^" in page
    assert "Reads as" in page  # the good query's preview is still shown


def test_viewers_cannot_change_sources(world, feed_source):
    web = web_client(world.acme, world.vera)
    assert web.post(f"/sources/{feed_source.pk}/action", {"action": "disable"}).status_code == 403
