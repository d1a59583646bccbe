"""Inbox filters: a department filter returns exactly that department's mentions."""

from __future__ import annotations

import pytest
from django.db import connection

from mentions.models import Mention
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import api_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(world, in_acme):
    items = [
        mention_item(text="Die App stürzt beim Login ab, Fehler 500", language="de"),
        mention_item(text="Suche eine Ausbildung, wie bewerbe ich mich?", language="de"),
    ]
    result = mentions_submit(source=world.acme.source, items=items)
    ingest_batch_process(batch_id=result.batch_ids[0])
    Mention.objects.filter(pk=Mention.objects.order_by("id").first().pk).update(department=None)
    by_department = dict(Mention.objects.values_list("pk", "department__slug"))
    connection.set_schema_to_public()
    return by_department


def _ids(world, query: str) -> set[int]:
    api = api_client(world.acme, world.acme.token)
    return {row["id"] for row in api.get(f"/api/v1/mentions/?{query}").json()["results"]}


def test_the_department_filter_returns_that_departments_mentions(world, routed):
    for slug in routed.values():
        if slug:
            assert _ids(world, f"department={slug}") == {
                pk for pk, other in routed.items() if other == slug
            }


def test_an_unknown_department_returns_nothing_not_the_unrouted_mentions(world, routed):
    assert None in routed.values()
    assert _ids(world, "department=no-such-department") == set()
