"""Polling sources: cursors, health and backoff, query filtering, dedupe, backfills."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from config.errors import DomainError
from mentions.models import Mention
from sources.credentials import credentials_decrypt
from sources.models import BackfillJob, JobStatus, Source
from sources.services.polling import (
    backfill_run,
    backfill_start,
    source_create_polled,
    source_ids_due,
    source_poll,
    source_test_connection,
)
from sources.services.queries import listening_query_save
from tests.replay import ReplayServer

pytestmark = pytest.mark.django_db


def feed(*entries: tuple[str, str, str], next_href: str = "") -> bytes:
    """An RSS feed of (guid, title, RFC 822 date) entries."""
    items = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://news.example/{guid}</link><pubDate>{date}</pubDate></item>"
        for guid, title, date in entries
    )
    link = f'<atom:link rel="next" href="{next_href}"/>' if next_href else ""
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>News</title>{link}{items}</channel></rss>"
    ).encode()


ENTRIES = [
    ("n1", "Nordbahn streicht Züge", "Mon, 23 Nov 2026 08:00:00 GMT"),
    ("n2", "Wetter in Kiel", "Mon, 23 Nov 2026 07:00:00 GMT"),
    ("n3", "Nordbahn-App endlich mit Ticketkauf", "Sun, 22 Nov 2026 09:00:00 GMT"),
]


@pytest.fixture
def server():
    with ReplayServer() as replay:
        yield replay


def rss_source(server, path="/feed", **kwargs) -> Source:
    return source_create_polled(
        kind="rss",
        name=kwargs.pop("name", "News"),
        config={"url": f"{server.url}{path}"},
        **kwargs,
    )


def test_a_poll_stores_items_saves_the_cursor_and_health(in_acme, server):
    server.add("GET", "/feed", body=feed(*ENTRIES), headers={"ETag": '"e1"'})
    source = rss_source(server)
    outcome = source_poll(source_id=source.pk)
    assert (outcome.fetched, outcome.stored, outcome.error) == (3, 3, "")
    source.refresh_from_db()
    assert source.cursor["etag"] == '"e1"'
    assert source.last_success_at is not None and source.consecutive_failures == 0
    assert source.next_poll_at > timezone.now()
    assert source.items_stored == 3
    mention = Mention.objects.get(external_id="n3")
    assert mention.department.slug == "tech-support"  # routed like any mention


def test_a_restart_neither_loses_nor_repeats_items(in_acme, server):
    server.add("GET", "/feed", body=feed(*ENTRIES[1:]))
    server.add("GET", "/feed", body=feed(*ENTRIES))
    source = rss_source(server)
    source_poll(source_id=source.pk)
    Source.objects.filter(pk=source.pk).update(next_poll_at=None)
    second = source_poll(source_id=source.pk)
    assert second.fetched == 1  # only the entry newer than the cursor
    assert Mention.objects.count() == 3


def test_listening_queries_filter_what_is_kept(in_acme, server):
    listening_query_save(name="Brand", expression="Nordbahn NOT Wetter")
    server.add("GET", "/feed", body=feed(*ENTRIES))
    source_poll(source_id=rss_source(server).pk)
    assert set(Mention.objects.values_list("external_id", flat=True)) == {"n1", "n3"}


def test_sources_can_opt_out_of_query_filtering(in_acme, server):
    listening_query_save(name="Brand", expression="Nordbahn")
    server.add("GET", "/feed", body=feed(*ENTRIES))
    source_poll(source_id=rss_source(server, apply_queries=False).pk)
    assert Mention.objects.count() == 3


def test_an_invalid_query_is_refused_with_its_position(in_acme):
    with pytest.raises(DomainError) as info:
        listening_query_save(name="Broken", expression="Bahn AND (")
    assert "position" in info.value.message


def test_rate_limits_back_off_for_as_long_as_the_network_asks(in_acme, server):
    server.add("GET", "/feed", status=429, headers={"Retry-After": "600"})
    source = rss_source(server)
    outcome = source_poll(source_id=source.pk)
    assert "Rate limited" in outcome.error
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    assert 590 <= (source.backoff_until - timezone.now()).total_seconds() <= 600
    assert source.pk not in source_ids_due()


def test_failures_back_off_exponentially_and_recover(in_acme, server):
    server.add("GET", "/feed", status=500)
    server.add("GET", "/feed", status=500)
    server.add("GET", "/feed", body=feed(*ENTRIES))
    source = rss_source(server, poll_interval_seconds=60)
    waits = []
    for _ in range(3):
        Source.objects.filter(pk=source.pk).update(next_poll_at=None, backoff_until=None)
        source_poll(source_id=source.pk)
        source.refresh_from_db()
        if source.backoff_until:
            waits.append(round((source.backoff_until - timezone.now()).total_seconds() / 60))
    assert waits == [1, 2]
    assert source.consecutive_failures == 0 and source.last_error_at is not None
    assert Mention.objects.count() == 3


def test_due_sources_skip_disabled_leased_and_waiting_ones(in_acme, server):
    due = rss_source(server, name="due")
    later = rss_source(server, name="later")
    off = rss_source(server, name="off")
    leased = rss_source(server, name="leased")
    now = timezone.now()
    Source.objects.filter(pk=later.pk).update(next_poll_at=now + timedelta(minutes=5))
    Source.objects.filter(pk=off.pk).update(enabled=False)
    Source.objects.filter(pk=leased.pk).update(poll_lease_until=now + timedelta(minutes=1))
    assert source_ids_due() == [due.pk]


def test_a_leased_source_is_not_polled_twice(in_acme, server):
    source = rss_source(server)
    Source.objects.filter(pk=source.pk).update(
        poll_lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert source_poll(source_id=source.pk) is None
    assert server.requests == []


def test_the_same_page_from_two_sources_is_stored_once(in_acme, server):
    server.add("GET", "/a", body=feed(*ENTRIES))
    server.add(
        "GET",
        "/b",
        body=feed(
            ("other-guid", "Nordbahn streicht Züge", "Mon, 23 Nov 2026 08:00:00 GMT")
        ).replace(
            b"https://news.example/other-guid", b"https://www.news.example/n1/?utm_source=rss#top"
        ),
    )
    source_poll(source_id=rss_source(server, "/a", name="A").pk)
    source_poll(source_id=rss_source(server, "/b", name="B").pk)
    assert Mention.objects.count() == 3


def test_credentials_are_encrypted_at_rest(in_acme, server):
    source = source_create_polled(
        kind="rss",
        name="Secret",
        config={"url": f"{server.url}/feed"},
        credentials={"token": "s3cr3t-value"},
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials_encrypted FROM sources_source WHERE id = %s", [source.pk]
        )
        stored = cursor.fetchone()[0]
    assert "s3cr3t-value" not in stored
    assert credentials_decrypt(stored) == {"token": "s3cr3t-value"}


def test_invalid_settings_are_refused_with_field_errors(in_acme):
    with pytest.raises(DomainError) as info:
        source_create_polled(kind="rss", name="x", config={"url": "ftp://nope"})
    assert "url" in info.value.fields


def test_test_connection_reports_without_storing(in_acme, server):
    server.add("GET", "/feed", body=feed(*ENTRIES))
    server.add("GET", "/down", status=503)
    assert source_test_connection(source=rss_source(server)) == (
        True,
        "Connected: 3 new items.",
        "",
    )
    ok, message, detail = source_test_connection(source=rss_source(server, "/down", name="down"))
    assert not ok and "503 Service Unavailable" in message and "answered 503" in detail
    assert Mention.objects.count() == 0


def test_backfill_pages_through_the_range_and_reports_progress(in_acme, server):
    server.add("GET", "/feed", body=feed(ENTRIES[0], next_href="/feed-2"))
    server.add("GET", "/feed-2", body=feed(*ENTRIES[1:], next_href="/feed-3"))
    server.add(
        "GET", "/feed-3", body=feed(("old", "Nordbahn 2025", "Mon, 01 Sep 2025 09:00:00 GMT"))
    )
    source = rss_source(server)
    job = backfill_start(
        source=source,
        since=datetime(2026, 11, 1, tzinfo=UTC),
        until=datetime(2026, 11, 30, tzinfo=UTC),
    )
    finished = backfill_run(job_id=job.pk)
    assert finished.status == JobStatus.DONE
    assert finished.progress == 1.0
    assert (finished.pages, finished.fetched, finished.stored) == (3, 4, 3)
    assert not Mention.objects.filter(external_id="old").exists()  # outside the range


def test_backfill_refuses_an_empty_range_and_push_sources(world, in_acme, server):
    with pytest.raises(DomainError):
        backfill_start(
            source=rss_source(server),
            since=timezone.now(),
            until=timezone.now() - timedelta(days=1),
        )
    with pytest.raises(DomainError):
        backfill_start(
            source=world.acme.source, since=timezone.now() - timedelta(days=1), until=timezone.now()
        )
    assert not BackfillJob.objects.exists()


def test_a_poll_keeps_the_stream_listeners_resume_position(in_acme, server):
    server.add("GET", "/feed", body=feed(*ENTRIES))
    source = rss_source(server)
    Source.objects.filter(pk=source.pk).update(cursor={"jetstream_time_us": 1725911162329308})
    source_poll(source_id=source.pk)
    source.refresh_from_db()
    assert source.cursor["jetstream_time_us"] == 1725911162329308
    assert source.cursor["newest"]  # the poll's own position


def test_a_listening_query_says_whether_it_listens_for_the_brand_or_a_competitor(in_acme):
    own = listening_query_save(name="Brand", expression="Nordbahn")
    rival = listening_query_save(name="Rival", expression="Südexpress", role="competitor")
    assert (own.role, rival.role) == ("brand", "competitor")
    with pytest.raises(DomainError) as info:
        listening_query_save(name="Odd", expression="x", role="enemy")
    assert "role" in info.value.fields
