"""Assignment inside teams and department-scoped visibility."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from mentions.models import Mention
from routing.models import AssignmentMode, Department, Team
from routing.services import rule_create
from routing.services.assignment import staff_upsert
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import PASSWORD, api_client
from tests.factories import mention_item, responders_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(world, in_acme):
    tech = Department.objects.get(slug="tech-support")
    team = Team.objects.create(department=tech, name="App", slug="app")
    rule_create(
        data={
            "name": "App → App team",
            "department": "tech-support",
            "team": team.pk,
            "keywords": ["app"],
            "position": 1,
        },
        by=world.alice,
        client=world.acme.client,
    )
    people = responders_create(client=world.acme.client, count=3, prefix="agent", password=PASSWORD)
    return team, people


def ingest(world, texts: list[str], language: str = "de") -> list[Mention]:
    result = mentions_submit(
        source=world.acme.source, items=[mention_item(text=t, language=language) for t in texts]
    )
    ingest_batch_process(batch_id=result.batch_ids[0])
    return list(Mention.objects.order_by("id"))


def test_round_robin_shares_evenly_across_batches(world, team):
    team_row, people = team
    for user in people:
        staff_upsert(user_id=user.pk, name=user.name, teams=[team_row])
    ingest(world, [f"Die App Fehler {n}" for n in range(5)])
    ingest(world, [f"Die App Fehler {n}" for n in range(5, 9)])
    counts = Counter(Mention.objects.values_list("assignee_id", flat=True))
    assert sorted(counts.values()) == [3, 3, 3]
    assert set(Mention.objects.values_list("status", flat=True)) == {"assigned"}


def test_least_load_fills_the_emptiest_member_first(world, team):
    team_row, people = team
    team_row.assignment = AssignmentMode.LEAST_LOAD
    team_row.save()
    for user in people:
        staff_upsert(user_id=user.pk, name=user.name, teams=[team_row])
    busy = ingest(world, ["Die App hängt"])[0]
    Mention.objects.filter(pk=busy.pk).update(assignee_id=people[0].pk)
    ingest(world, ["Die App a", "Die App b"])
    newest = Mention.objects.order_by("-id")[:2]
    assert {m.assignee_id for m in newest} == {people[1].pk, people[2].pk}


def test_skills_shifts_and_capacity_decide_who_is_eligible(world, team):
    team_row, people = team
    staff_upsert(user_id=people[0].pk, name="de only", teams=[team_row], languages=["de"])
    staff_upsert(user_id=people[1].pk, name="off shift", teams=[team_row], on_shift=False)
    english = staff_upsert(user_id=people[2].pk, name="en", teams=[team_row], languages=["en"])
    english.max_open = 1
    english.save()
    ingest(world, ["The app crashes", "The app again"], language="en")
    assignees = list(Mention.objects.order_by("id").values_list("assignee_id", flat=True))
    assert assignees == [people[2].pk, None]  # the only English speaker is then at capacity


def test_manual_teams_leave_mentions_in_the_queue(world, team):
    team_row, people = team
    team_row.assignment = AssignmentMode.MANUAL
    team_row.save()
    staff_upsert(user_id=people[0].pk, name="x", teams=[team_row])
    mention = ingest(world, ["Die App"])[0]
    assert (mention.team_id, mention.assignee_id, mention.status) == (team_row.pk, None, "new")


def test_specialist_tags_narrow_the_choice(world, team):
    team_row, people = team
    rule = team_row.department.rules.get(name="App → App team")
    rule.skill_tags = ["ios"]
    rule.save()
    staff_upsert(user_id=people[0].pk, name="android", teams=[team_row], tags=["android"])
    staff_upsert(user_id=people[1].pk, name="ios", teams=[team_row], tags=["ios", "android"])
    assert ingest(world, ["Die App auf dem iPhone"])[0].assignee_id == people[1].pk


def test_staff_limited_to_a_department_see_only_its_mentions(world, in_acme):
    staff_upsert(user_id=world.rita.pk, name="Rita", departments=["hr"])
    ingest(world, ["Ich bewerbe mich um eine Ausbildung", "Die App stürzt ab"])
    job = Mention.objects.get(department__slug="hr")
    app = Mention.objects.exclude(pk=job.pk).get()
    connection.set_schema_to_public()
    api = api_client(world.acme, world.acme.token)  # rita's token
    assert [m["id"] for m in api.get("/api/v1/mentions/").json()["results"]] == [job.pk]
    assert api.get(f"/api/v1/mentions/{app.pk}/").status_code == 404
    manager = api_client(world.acme)
    manager.force_login(world.alice)
    assert len(manager.get("/api/v1/mentions/").json()["results"]) == 2


def test_copies_reach_the_other_departments_staff(world, in_acme):
    staff_upsert(user_id=world.rita.pk, name="Rita", departments=["press"])
    rule_create(
        data={
            "name": "Stars → care, copy PR",
            "department": "customer-care",
            "min_followers": 100_000,
            "copy_to": "press",
            "position": 1,
        },
        by=world.alice,
        client=world.acme.client,
    )
    result = mentions_submit(
        source=world.acme.source,
        items=[mention_item(text="Hallo", author={"handle": "star", "followers": 500_000})],
    )
    ingest_batch_process(batch_id=result.batch_ids[0])
    connection.set_schema_to_public()
    results = api_client(world.acme, world.acme.token).get("/api/v1/mentions/").json()["results"]
    assert [m["author"]["handle"] for m in results] == ["star"]


def test_scoped_staff_see_only_their_departments_in_the_sidebar(world, in_acme):
    from tests.conftest import web_client

    staff_upsert(user_id=world.rita.pk, name="Rita", departments=["hr"])
    connection.set_schema_to_public()
    page = web_client(world.acme, world.rita).get("/").content.decode()
    assert "HR / Recruiting" in page and "Legal" not in page
    assert "Legal" in web_client(world.acme, world.alice).get("/").content.decode()
