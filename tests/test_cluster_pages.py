"""Problem clusters as one case: the inbox row, the case page, actions on all members at
once (audited), the API, and that nobody outside the client (or the members' departments)
sees or touches them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from accounts.audit.models import AuditEntry
from mentions.models import Mention, ProblemCluster
from mentions.pipeline import mentions_store
from routing.services.assignment import staff_upsert
from tests.conftest import api_client, web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
LOGIN = [
    "The app login failed again, so annoying",
    "Can't log into the app since this morning, error",
    "Logging in to the app is broken for me <script>alert(1)</script>",
]


@pytest.fixture
def case(world, in_acme):
    items = [
        mention_item(text=text, published_at=(T0 + timedelta(minutes=n)).isoformat())
        for n, text in enumerate(LOGIN)
    ]
    items.append(mention_item(text="Just a normal comment about trains"))
    mentions_store(source=world.acme.source, items=items)
    cluster = ProblemCluster.objects.get()
    connection.set_schema_to_public()
    return cluster


def test_inbox_shows_the_cluster_as_one_case_row(world, case):
    page = web_client(world.acme, world.rita).get("/").content.decode()
    assert page.count('class="case status-') == 1
    assert '<span class="cluster-count">3</span> reports:' in page
    assert case.title in page and "login" in case.title
    assert f'href="/clusters/{case.pk}/"' in page
    # The members are inside the case row (expandable), not rows of their own.
    assert page.count('class="mention-row') == 1
    assert "Just a normal comment about trains" in page
    assert "<script>alert(1)</script>" not in page
    assert "Can&#x27;t log into the app" in page


def test_specific_status_views_list_members_one_by_one(world, case):
    page = web_client(world.acme, world.rita).get("/?status=new").content.decode()
    assert 'class="case status-' not in page
    assert page.count('class="mention-row') == 4


def test_cluster_page_lists_its_reports(world, case):
    page = web_client(world.acme, world.rita).get(f"/clusters/{case.pk}/").content.decode()
    assert "people report" in page
    assert page.count('class="mention-row') == 3
    assert "Resolve all" in page
    assert "normal comment" not in page


def test_resolving_the_case_resolves_every_report_and_is_audited(world, case):
    web = web_client(world.acme, world.rita)
    response = web.post(f"/clusters/{case.pk}/action", {"action": "resolved"})
    assert response.status_code == 302
    connection.set_tenant(world.acme.client)
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolved_at is not None
    assert set(case.members.values_list("status", flat=True)) == {"resolved"}
    assert Mention.objects.get(text__contains="normal comment").status != "resolved"
    entry = AuditEntry.objects.get(action="cluster.resolved")
    assert entry.actor_id == world.rita.pk and entry.target_id == case.pk
    assert "3 mentions changed" in entry.summary
    assert AuditEntry.objects.filter(action="mention.status").count() == 3
    connection.set_schema_to_public()
    # A resolved case leaves the open inbox.
    assert 'class="case status-' not in web.get("/").content.decode()


def test_assign_and_wait_apply_to_all_members(world, case):
    web = web_client(world.acme, world.rita)
    web.post(f"/clusters/{case.pk}/action", {"action": "assign_me"})
    web.post(f"/clusters/{case.pk}/action", {"action": "waiting"})
    connection.set_tenant(world.acme.client)
    members = list(case.members.all())
    assert {m.assignee_id for m in members} == {world.rita.pk}
    assert {m.status for m in members} == {"waiting"}
    case.refresh_from_db()
    assert case.status == "waiting"


def test_viewers_cannot_act_on_a_case(world, case):
    response = web_client(world.acme, world.vera).post(
        f"/clusters/{case.pk}/action", {"action": "resolved"}
    )
    assert response.status_code == 403
    connection.set_tenant(world.acme.client)
    assert not case.members.filter(status="resolved").exists()


def test_unknown_action_is_refused_without_changes(world, case):
    api = api_client(world.acme, world.acme.token)
    response = api.post(f"/api/v1/clusters/{case.pk}/", {"action": "delete"}, format="json")
    assert response.status_code == 400
    assert "action" in response.json()["error"]["fields"]


def test_api_lists_and_acts_on_clusters(world, case):
    api = api_client(world.acme, world.acme.token)
    listed = api.get("/api/v1/clusters/").json()["results"]
    assert [(c["id"], c["count"]) for c in listed] == [(case.pk, 3)]
    mentions = api.get("/api/v1/mentions/").json()["results"]
    assert sorted(m["cluster_id"] for m in mentions if m["cluster_id"]) == [case.pk] * 3
    response = api.post(f"/api/v1/clusters/{case.pk}/", {"action": "resolved"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    assert api.get("/api/v1/clusters/").json()["results"] == []
    assert len(api.get("/api/v1/clusters/?status=all").json()["results"]) == 1
    assert api.get("/api/v1/clusters/?status=nope").status_code == 400


def test_another_client_never_sees_or_touches_the_case(world, case):
    bob = web_client(world.globex, world.bob)
    assert 'class="case status-' not in bob.get("/").content.decode()
    assert bob.get(f"/clusters/{case.pk}/").status_code == 404
    assert bob.post(f"/clusters/{case.pk}/action", {"action": "resolved"}).status_code == 404
    globex_api = api_client(world.globex, world.globex.token)
    assert globex_api.get(f"/api/v1/clusters/{case.pk}/").status_code == 404
    assert globex_api.get("/api/v1/clusters/").json()["results"] == []
    response = globex_api.post(
        f"/api/v1/clusters/{case.pk}/", {"action": "resolved"}, format="json"
    )
    assert response.status_code == 404
    # A globex token at acme's host is refused.
    assert api_client(world.acme, world.globex.token).get("/api/v1/clusters/").status_code in {
        401,
        403,
    }
    connection.set_tenant(world.acme.client)
    assert not case.members.filter(status="resolved").exists()


def test_staff_of_other_departments_do_not_see_the_case(world, case):
    connection.set_tenant(world.acme.client)
    departments = set(case.members.values_list("department__slug", flat=True))
    staff_upsert(user_id=world.rita.pk, name="Rita", departments=["hr"])
    connection.set_schema_to_public()
    assert "hr" not in departments
    web = web_client(world.acme, world.rita)
    assert 'class="case status-' not in web.get("/").content.decode()
    assert web.get(f"/clusters/{case.pk}/").status_code == 404
    api = api_client(world.acme, world.acme.token)  # rita's token
    assert api.get("/api/v1/clusters/").json()["results"] == []


def test_inbox_queries_do_not_grow_with_the_number_of_cases(world, in_acme):
    from django.test.utils import CaptureQueriesContext

    web = web_client(world.acme, world.rita)

    def count():
        connection.set_schema_to_public()
        with CaptureQueriesContext(connection) as queries:
            assert web.get("/").status_code == 200
        connection.set_tenant(world.acme.client)
        return len(queries)

    mentions_store(
        source=world.acme.source,
        items=[
            mention_item(text=text, published_at=(T0 + timedelta(minutes=n)).isoformat())
            for n, text in enumerate(LOGIN)
        ],
    )
    one = count()
    for problem in (
        "card payment error in the shop",
        "train wifi broken again",
        "refund never arrived, terrible",
    ):
        mentions_store(
            source=world.acme.source,
            items=[
                mention_item(
                    text=f"{problem} {n}", published_at=(T0 + timedelta(minutes=n)).isoformat()
                )
                for n in range(2)
            ],
        )
    assert ProblemCluster.objects.count() == 4
    assert count() == one
