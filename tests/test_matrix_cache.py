"""The compiled routing matrix is kept per process until PostgreSQL says it changed."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from config.stamps import MATRIX, stamps_read
from routing.models import Department, RoutingRule
from routing.services import routing_matrix_load, rule_create

pytestmark = pytest.mark.django_db


def routing_matrix_version() -> int:
    return stamps_read().stamps[MATRIX]


def _rules_read(queries: CaptureQueriesContext) -> int:
    return sum('FROM "routing_routingrule"' in q["sql"] for q in queries.captured_queries)


def test_an_unchanged_matrix_is_not_loaded_again(in_acme):
    first = routing_matrix_load()
    with CaptureQueriesContext(connection) as queries:
        again = routing_matrix_load()
    assert again is first
    assert len(queries) == 1 and _rules_read(queries) == 0


def test_a_new_rule_reaches_the_next_batch(world, in_acme):
    before = routing_matrix_load()
    rule_create(
        data={"name": "Press", "department": Department.objects.get(slug="press").pk},
        by=world.alice,
    )
    after = routing_matrix_load()
    assert after is not before
    assert after.size == before.size + 1


@pytest.mark.parametrize(
    "change",
    [
        lambda: RoutingRule.objects.filter(is_default=False).update(enabled=False),
        lambda: RoutingRule.objects.filter(is_default=False).delete(),
        lambda: Department.objects.filter(slug="press").update(name="Presse"),
        lambda: Department.objects.create(slug="new", name="New"),
    ],
)
def test_every_change_that_reaches_the_matrix_gives_a_new_stamp(in_acme, change):
    stamp = routing_matrix_version()
    change()
    assert routing_matrix_version() != stamp


def test_a_department_change_the_matrix_does_not_read_keeps_the_stamp(world, in_acme):
    stamp = routing_matrix_version()
    Department.objects.filter(slug="press").update(lead_id=world.alice.pk)
    assert routing_matrix_version() == stamp


def test_a_rolled_back_change_never_hands_its_stamp_to_another(world, in_acme):
    """Stamps come from a sequence: a change rolled back and a different one made next
    cannot end up with the same stamp (and so with the rolled-back matrix)."""
    with transaction.atomic():
        RoutingRule.objects.filter(is_default=False).update(enabled=False)
        rolled_back = routing_matrix_version()
        assert routing_matrix_load().size == 1  # only the default rule
        transaction.set_rollback(True)
    RoutingRule.objects.filter(is_default=False).update(priority=1)
    assert routing_matrix_version() != rolled_back
    assert routing_matrix_load().size > 1
