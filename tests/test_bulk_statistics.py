"""After a bulk load the planner has statistics for the grown table (autovacuum is off on
the development machines; production keeps it on, docs/operations.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentions.pipeline import mentions_statistics_refresh, mentions_store
from sources.services.polling import backfill_run, backfill_start
from tests.factories import mention_item
from tests.test_polling import feed, rss_source, server  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _estimate() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'mentions_mention'::regclass")
        return float(cursor.fetchone()[0])


@pytest.fixture(autouse=True)
def _known_empty(in_acme):
    """ANALYZE writes the estimate in place (a rolled-back test keeps it): start from an
    empty, analyzed table."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE mentions_mention")
    assert _estimate() == 0


def _analyzes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("ANALYZE")]


def _store(world, count: int) -> int:
    items = [mention_item() for _ in range(count)]
    return mentions_store(source=world.acme.source, items=items).stored


def test_a_load_that_grows_the_table_by_more_than_a_tenth_analyzes_it(world, in_acme):
    stored = _store(world, 60)
    assert mentions_statistics_refresh(stored=stored)
    assert _estimate() == 60  # the planner now knows the table's size


def test_a_small_load_into_a_known_table_is_left_to_autovacuum(world, in_acme):
    assert mentions_statistics_refresh(stored=_store(world, 60))
    stored = _store(world, 10)  # under 50 rows plus a tenth of 60
    with CaptureQueriesContext(connection) as queries:
        assert not mentions_statistics_refresh(stored=stored)
    assert _analyzes(queries) == []
    assert _estimate() == 60


def test_nothing_stored_reads_nothing(world, in_acme):
    with CaptureQueriesContext(connection) as queries:
        assert not mentions_statistics_refresh(stored=0)
    assert len(queries) == 0


def test_a_finished_backfill_analyzes_the_clients_mentions(in_acme, server):  # noqa: F811
    entries = [
        (f"n{n}", f"Nordbahn Meldung {n}", f"Mon, 23 Nov 2026 08:{n:02d}:00 GMT") for n in range(60)
    ]
    server.add("GET", "/feed", body=feed(*entries))
    job = backfill_start(
        source=rss_source(server),
        since=datetime(2026, 11, 1, tzinfo=UTC),
        until=datetime(2026, 11, 30, tzinfo=UTC),
    )
    with CaptureQueriesContext(connection) as queries:
        finished = backfill_run(job_id=job.pk)
    assert finished is not None and finished.stored == 60
    assert _analyzes(queries) == ["ANALYZE mentions_mention, mentions_author"]
    assert _estimate() == 60
