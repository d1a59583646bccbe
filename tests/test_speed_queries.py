"""The inbox's hot queries keep the shape that lets PostgreSQL use an index at 1,000,000
mentions (bench/inbox_scale.py times them; these tests hold the shape, not a time)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentions.models import Mention, Status
from mentions.pipeline import mentions_store
from reports.selectors import department_open_load, volume_series
from routing.models import Department
from tests.conftest import api_client, web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


def _store(world, count: int) -> list[Mention]:
    outcome = mentions_store(source=world.acme.source, items=[mention_item() for _ in range(count)])
    return list(Mention.objects.filter(pk__in=outcome.mention_ids).order_by("id"))


def test_the_sidebar_counts_only_open_rows_with_the_status_in_the_where_clause(world, in_acme):
    care, _ = Department.objects.get_or_create(slug="care", defaults={"name": "Care"})
    mentions = _store(world, 5)
    Mention.objects.filter(pk__in=[m.pk for m in mentions]).update(department=care)
    Mention.objects.filter(pk=mentions[0].pk).update(status=Status.RESOLVED)
    Mention.objects.filter(pk=mentions[1].pk).update(status=Status.ASSIGNED)
    Mention.objects.filter(pk__in=[m.pk for m in mentions[2:]]).update(status=Status.NEW)

    with CaptureQueriesContext(connection) as queries:
        loads = {load.slug: load for load in department_open_load()}

    assert (loads["care"].open, loads["care"].new) == (4, 3)
    assert len(queries) == 1
    sql = queries[0]["sql"]
    # COUNT(...) FILTER (WHERE status ...) over a join reads every mention of the client;
    # the status belongs in the WHERE clause of each count, where an index can serve it.
    assert "FILTER" not in sql.upper()
    conditions = re.findall(r"WHERE (.*?) GROUP BY", sql)
    assert len(conditions) == 2, sql
    assert all('"status"' in condition for condition in conditions), sql


def _mention_queries(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "mentions_mention"' in q["sql"]]


def test_a_department_filter_looks_the_id_up_first_and_filters_on_department_id(world, in_acme):
    care, _ = Department.objects.get_or_create(slug="care", defaults={"name": "Care"})
    mentions = _store(world, 3)
    Mention.objects.filter(pk=mentions[0].pk).update(department=care)
    connection.set_schema_to_public()
    pages = {
        "API": (api_client(world.acme, world.acme.token), "/api/v1/mentions/?department=care"),
        "HTML inbox": (web_client(world.acme, world.alice), "/?department=care&status=all"),
    }
    for name, (client, url) in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        # The page of mentions (the header's combined counts also read mentions, with LIMIT).
        listed = [
            sql
            for sql in _mention_queries(queries)
            if sql.startswith('SELECT "mentions_mention"."id"') and "LIMIT" in sql
        ]
        assert listed, name
        for sql in listed:
            # A join on the slug made PostgreSQL walk the whole table for a rare department.
            assert '"routing_department"."slug" =' not in sql, (name, sql)
            assert f'"mentions_mention"."department_id" = {care.pk}' in sql, (name, sql)


def test_mentions_have_an_index_on_department_newest_first(world, in_acme):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'mentions_mention'"
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("(department_id, id DESC)" in d for d in definitions), definitions


def test_the_alerts_chart_counts_every_hour_in_one_statement_with_jit_off(world, in_acme):
    _store(world, 3)
    seen: list[tuple[str, str]] = []

    def jit_setting(execute, sql, params, many, context):
        if "unnest" in sql:
            # Straight on the driver's connection: what PostgreSQL runs this statement with.
            with connection.connection.cursor() as raw:
                raw.execute("SHOW jit")
                seen.append((sql, raw.fetchone()[0]))
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(jit_setting):
        points = volume_series(now=timezone.now(), hours=48)

    assert len(points) == 48
    # 48 hours and their past weeks in one statement, over-estimated by the planner, whose
    # JIT compilation took 150 of its 200 ms: off for that statement's transaction only.
    assert len(seen) == 1
    assert seen[0][1] == "off"
    assert len(queries) <= 5  # history start, savepoint, SET LOCAL, the counts, release


def test_a_new_clients_search_column_keeps_the_templates_statistics_target(world, in_acme):
    # With the default target a rare word was estimated at thousands of rows, and PostgreSQL
    # walked every mention newest first instead of asking the index (2 s at 1,000,000).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'mentions_mention'::regclass AND attname = 'search'"
        )
        assert cursor.fetchone()[0] == 1000
