"""A stored batch reaches the channel layer in one trip: its mentions and the cases they
joined, for the client and its departments, in the order they were sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction

from config import live
from config.live import client_group, live_batch, live_send_on_commit
from mentions.clusters import CLUSTER_UPDATED
from mentions.events import MENTION_CREATED
from mentions.pipeline import mentions_store
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

LOGIN = [
    "The app login fails again, so annoying",
    "Can't log into the app since this morning, keeps showing an error",
    "Logging in to the app is broken for me",
]
T0 = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, list[dict[str, Any]]]]:
    sent: list[dict[str, list[dict[str, Any]]]] = []
    monkeypatch.setattr(live, "_send", sent.append)
    return sent


def test_storing_a_batch_sends_its_mentions_and_their_case_in_one_trip(
    world, in_acme, trips, django_capture_on_commit_callbacks
):
    items = [
        mention_item(text=text, published_at=(T0 + timedelta(minutes=n)).isoformat())
        for n, text in enumerate(LOGIN)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        mentions_store(source=world.acme.source, items=items)

    assert len(trips) == 1
    types = [event["type"] for event in trips[0][client_group(world.acme.client.pk)]]
    # The case the reports formed first, as before, then the new rows.
    assert types == [CLUSTER_UPDATED] + [MENTION_CREATED] * 3


def test_events_of_a_rolled_back_savepoint_are_not_sent(
    world, in_acme, trips, django_capture_on_commit_callbacks
):
    client_id = world.acme.client.pk
    with django_capture_on_commit_callbacks(execute=True), live_batch():
        live_send_on_commit(client_id=client_id, events=[{"type": "kept"}])
        with pytest.raises(RuntimeError), transaction.atomic():
            live_send_on_commit(client_id=client_id, events=[{"type": "rolled.back"}])
            raise RuntimeError
        live_send_on_commit(client_id=client_id, events=[{"type": "also.kept"}], departments=[{7}])

    assert trips == [
        {
            client_group(client_id): [{"type": "kept"}, {"type": "also.kept"}],
            live.department_group(client_id, 7): [{"type": "also.kept"}],
        }
    ]


def test_a_batch_that_rolls_back_sends_nothing(
    world, in_acme, trips, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
        live_batch(),
    ):
        live_send_on_commit(client_id=world.acme.client.pk, events=[{"type": "lost"}])
        raise RuntimeError
    assert callbacks == []
    assert trips == []


def test_a_nested_batch_belongs_to_the_outer_one(
    world, in_acme, trips, django_capture_on_commit_callbacks
):
    client_id = world.acme.client.pk
    with django_capture_on_commit_callbacks(execute=True), live_batch():
        with live_batch():
            live_send_on_commit(client_id=client_id, events=[{"type": "inner"}])
        live_send_on_commit(client_id=client_id, events=[{"type": "outer"}])
    assert trips == [{client_group(client_id): [{"type": "inner"}, {"type": "outer"}]}]


def test_outside_a_batch_each_call_is_its_own_trip(
    world, in_acme, trips, django_capture_on_commit_callbacks
):
    client_id = world.acme.client.pk
    with django_capture_on_commit_callbacks(execute=True):
        live_send_on_commit(client_id=client_id, events=[{"type": "one"}])
        live_send_on_commit(client_id=client_id, events=[{"type": "two"}])
    assert len(trips) == 2
