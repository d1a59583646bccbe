"""Hot paths issue a fixed number of queries, however many mentions they handle."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from mentions.pipeline import mentions_store
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import api_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


def queries_to_store(world, count: int) -> int:
    items = [mention_item() for _ in range(count)]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        mentions_store(source=world.acme.source, items=items)
    return len(queries)


def test_storing_a_batch_takes_the_same_queries_for_5_or_500_mentions(world, in_acme):
    queries_to_store(world, 1)  # warm up: the connection sets its search_path once
    # Up to 100 new mentions are read back for their live events; a bigger batch is
    # announced with one event whose departments come from the rows written (no read).
    small = queries_to_store(world, 5)
    assert small == queries_to_store(world, 100)
    assert queries_to_store(world, 101) == queries_to_store(world, 500) == small - 1


def test_processing_a_batch_is_a_handful_of_queries(world, in_acme):
    result = mentions_submit(source=world.acme.source, items=[mention_item() for _ in range(300)])
    with CaptureQueriesContext(connection) as queries:
        ingest_batch_process(batch_id=result.batch_ids[0])
    # 16 reads and writes (the claim is one UPDATE … SKIP LOCKED; a batch of more than 100
    # is announced without reading its mentions back), plus the routing matrix
    # (departments, rules, SLA policies) when this process has not cached the client's
    # current matrix version. It includes the savepoints of the claim and of the store, the
    # matrix's version check, and the client's triage profile, aspects and learned models.
    assert len(queries) <= 19


def test_inbox_list_api_query_count_does_not_grow_with_page_size(world, in_acme):
    result = mentions_submit(source=world.acme.source, items=[mention_item() for _ in range(60)])
    ingest_batch_process(batch_id=result.batch_ids[0])
    connection.set_schema_to_public()
    api = api_client(world.acme, world.acme.token)

    def count(page_size: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"/api/v1/mentions/?page_size={page_size}").status_code == 200
        return len(queries)

    count(5)  # the first request also records the token's last use
    assert count(5) == count(50)
