"""Found in review: corrections keep the department unless moved; staff who see part of a
case change only their reports; odd ids and redirect targets are refused cleanly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from mentions.models import ClusterStatus, Mention, ProblemCluster, Status, TriageLabel
from mentions.pipeline import mentions_store
from routing.models import Department
from routing.services.assignment import staff_upsert
from tests.conftest import web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
LOGIN = [
    "The app login failed again, so annoying",
    "Can't log into the app since this morning, error",
    "Logging in to the app is broken for me",
]


def test_a_triage_correction_keeps_the_department_unless_moved(world, in_acme):
    mentions_store(source=world.acme.source, items=[mention_item(text="Rechnung falsch")])
    mention = Mention.objects.get()
    department = mention.department_id
    connection.set_schema_to_public()
    web = web_client(world.acme, world.rita)
    page = web.get(f"/mentions/{mention.pk}/").content.decode()
    assert "— keep" in page
    web.post(f"/mentions/{mention.pk}/triage", {"kind": "question", "department": ""})
    connection.set_tenant(world.acme.client)
    mention.refresh_from_db()
    assert (mention.kind, mention.department_id) == ("question", department)
    assert not TriageLabel.objects.filter(field="department").exists()


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "1e5"])
def test_odd_ids_in_forms_are_ignored_not_500(world, in_acme, value):
    mentions_store(source=world.acme.source, items=[mention_item(text="hallo")])
    mention = Mention.objects.get()
    connection.set_schema_to_public()
    rita = web_client(world.acme, world.rita)
    assert rita.post(f"/mentions/{mention.pk}/triage", {"department": value}).status_code == 302
    assert rita.get(f"/?before={value}").status_code == 200
    alice = web_client(world.acme, world.alice)
    response = alice.post("/triage/setup", {"action": "aspect", "aspect_id": value, "name": "X"})
    assert response.status_code == 302


def test_bulk_actions_do_not_redirect_off_site(world, in_acme):
    web = web_client(world.acme, world.rita)
    for target in ("/\\evil.example", "//evil.example", "https://evil.example/"):
        response = web.post("/mentions/bulk", {"action": "resolved", "next": target})
        assert response.status_code == 302
        assert response["Location"] == "/", target


def test_staff_who_see_part_of_a_case_change_only_their_reports(world, in_acme):
    items = [
        mention_item(text=text, published_at=(T0 + timedelta(minutes=n)).isoformat())
        for n, text in enumerate(LOGIN)
    ]
    mentions_store(source=world.acme.source, items=items)
    cluster = ProblemCluster.objects.get()
    first, *others = list(cluster.members.order_by("id"))
    hr, _ = Department.objects.get_or_create(slug="hr", defaults={"name": "HR"})
    Mention.objects.filter(pk=first.pk).update(department=hr)
    staff_upsert(user_id=world.rita.pk, name="Rita", departments=["hr"])
    connection.set_schema_to_public()
    web = web_client(world.acme, world.rita)
    assert web.post(f"/clusters/{cluster.pk}/action", {"action": "resolved"}).status_code == 302
    connection.set_tenant(world.acme.client)
    cluster.refresh_from_db()
    assert cluster.status == ClusterStatus.OPEN
    assert Mention.objects.get(pk=first.pk).status == Status.RESOLVED
    assert all(Mention.objects.get(pk=m.pk).status != Status.RESOLVED for m in others)
