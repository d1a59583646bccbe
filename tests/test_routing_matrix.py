"""The routing matrix: table-driven rule matching, explanations, editing, presets, audit."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from accounts.audit.models import AuditEntry
from config.errors import DomainError
from mentions.triage.learn import KINDS as LEARN_KINDS
from mentions.vocabulary import Kind
from routing.engine import Matrix, RoutingInput, RuleSpec
from routing.models import Department, RoutingRule
from routing.presets import PRESETS
from routing.services import (
    routing_apply_preset,
    routing_matrix_load,
    routing_try,
    rule_create,
    rule_delete,
    rule_update,
    rules_reorder,
)

CARE, TECH, PR, HR, LEGAL = 1, 2, 3, 4, 5
NAMES = {CARE: "Care", TECH: "Tech", PR: "PR", HR: "HR", LEGAL: "Legal"}


def spec(rule_id: int, department: int, **conditions) -> RuleSpec:
    return RuleSpec(
        id=rule_id,
        name=f"r{rule_id}",
        department_id=department,
        department_name=NAMES[department],
        **conditions,
    )


MATRIX = Matrix(
    [
        spec(1, PR, kinds=["crisis"], priority=4, escalate=True),
        # Overlaps with rule 3 (both take complaints): the influencer rule must come first.
        spec(
            2,
            CARE,
            kinds=["complaint"],
            min_followers=50_000,
            copy_to_id=PR,
            require_approval=True,
            priority=3,
        ),
        spec(3, TECH, kinds=["complaint", "question"], keywords=["app", "login", "WLAN"]),
        spec(4, HR, kinds=["job"], languages=["de"]),
        spec(5, LEGAL, query='anwalt OR "rechtliche schritte" OR lawyer'),
        spec(6, CARE, sentiments=["negative"], countries=["AT", "CH"], priority=3),
        spec(7, TECH, source_kinds=["reviews"], aspects=["app"]),
        spec(8, CARE, kinds=["spam"], ignore=True),
        spec(9, CARE, is_default=True, priority=1),
    ]
)


@pytest.mark.parametrize(
    ("item", "rule", "department", "reason_contains"),
    [
        (RoutingInput("Rauch im Zug", kind="crisis"), 1, PR, "kind is crisis"),
        # Conflicting: an influencer's app complaint matches 2 and 3; the first rule wins.
        (
            RoutingInput("Die App ist kaputt", kind="complaint", author_followers=120_000),
            2,
            CARE,
            "120,000 followers ≥ 50,000",
        ),
        (
            RoutingInput("Die App ist kaputt", kind="complaint", author_followers=10),
            3,
            TECH,
            'text contains "app"',
        ),
        (RoutingInput("Kein WLAN im ICE?", kind="question"), 3, TECH, '"WLAN"'),
        # Keywords are whole words: "Happy" does not contain the keyword "app".
        (RoutingInput("Happy with the login-free apple", kind="complaint"), 3, TECH, "login"),
        (RoutingInput("Happy apple pie", kind="complaint"), 9, CARE, "catches everything"),
        (
            RoutingInput("Ausbildung als Lokführer?", kind="job", language="de"),
            4,
            HR,
            "language de",
        ),
        (RoutingInput("Hiring drivers?", kind="job", language="en"), 9, CARE, ""),
        (RoutingInput("Wir prüfen rechtliche Schritte", kind="other"), 5, LEGAL, "text matches"),
        (RoutingInput("Mein Anwalt meldet sich", kind="complaint"), 5, LEGAL, "anwalt"),
        (
            RoutingInput("Schlecht", kind="other", sentiment="negative", country="AT"),
            6,
            CARE,
            "country AT",
        ),
        (RoutingInput("Schlecht", kind="other", sentiment="negative", country="DE"), 9, CARE, ""),
        (
            RoutingInput("1 star", kind="other", source_kind="reviews", aspects=("App",)),
            7,
            TECH,
            "about app",
        ),
        (RoutingInput("buy followers", kind="spam"), 8, CARE, "kind is spam"),
    ],
)
def test_rules_match_in_order_and_explain_themselves(item, rule, department, reason_contains):
    decision = MATRIX.decide(item)
    assert (decision.rule_id, decision.department_id) == (rule, department)
    assert reason_contains in decision.reason
    assert decision.reason.startswith(f'Rule "r{rule}"')


def test_actions_come_with_the_decision():
    crisis = MATRIX.decide(RoutingInput("Feuer", kind="crisis"))
    assert crisis.escalate and crisis.priority == 4
    influencer = MATRIX.decide(RoutingInput("app", kind="complaint", author_followers=60_000))
    assert influencer.copy_to_id == PR and influencer.require_approval
    assert MATRIX.decide(RoutingInput("win", kind="spam")).ignore


def test_without_a_default_rule_the_default_department_catches_the_rest():
    matrix = Matrix(
        [spec(1, TECH, keywords=["app"])],
        fallback_department_id=CARE,
        fallback_department_name="Care",
    )
    decision = matrix.decide(RoutingInput("Hallo"))
    assert (decision.rule_id, decision.department_id) == (None, CARE)
    assert "No rule matched" in decision.reason


def test_every_preset_compiles_and_routes():
    for name, preset in PRESETS.items():
        specs = [
            RuleSpec(
                id=i,
                name=row["name"],
                department_id=1,
                department_name=row["department"],
                **{k: v for k, v in row.items() if k not in {"name", "department", "copy_to"}},
            )
            for i, row in enumerate(preset["rules"])
        ]
        decision = Matrix(specs).decide(RoutingInput("irgendwas", kind="other"))
        assert decision.rule_id is not None, name


# --- services, in a client's schema -------------------------------------------------------


@pytest.mark.django_db
def test_new_clients_start_with_the_general_matrix_and_a_default_rule(in_acme):
    names = list(RoutingRule.objects.values_list("name", flat=True))
    assert names[-1] == "Everything else → Customer care"
    assert RoutingRule.objects.get(is_default=True).department.slug == "customer-care"
    decision = routing_try(item=RoutingInput("Die App zeigt nur Fehler", kind="complaint"))
    assert decision.reason.startswith('Rule "App and website → Tech support"')


@pytest.mark.django_db
def test_rule_changes_are_versioned_in_an_append_only_audit_log(world, in_acme):
    rule = rule_create(
        data={
            "name": "Bahnhof → Care",
            "department": "customer-care",
            "keywords": ["Bahnhof"],
            "languages": ["DE"],
            "countries": ["de"],
        },
        by=world.alice,
        client=world.acme.client,
    )
    assert rule.languages == ["de"] and rule.countries == ["DE"]
    rule = rule_update(
        rule=rule,
        changes={"priority": 3, "keywords": ["Bahnhof", "Gleis"]},
        by=world.alice,
        client=world.acme.client,
    )
    assert rule.version == 2
    entries = list(AuditEntry.objects.filter(target_type="rule", target_id=rule.pk))
    assert [e.action for e in entries] == ["rule.updated", "rule.created"]
    assert entries[0].before["keywords"] == ["Bahnhof"]
    assert entries[0].after["keywords"] == ["Bahnhof", "Gleis"]
    assert "keywords, priority" in entries[0].summary and entries[0].actor_name == "Alice Admin"
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entries[0].pk).update(summary="rewritten")
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entries[0].pk).delete()
    rule_delete(rule=rule, by=world.alice)
    assert AuditEntry.objects.filter(action="rule.deleted").exists()


@pytest.mark.django_db
def test_an_unchanged_update_is_not_a_new_version(world, in_acme):
    rule = RoutingRule.objects.first()
    same = rule_update(rule=rule, changes={"name": rule.name}, by=world.alice)
    assert same.version == rule.version
    assert not AuditEntry.objects.filter(action="rule.updated").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "department": "press"}, "name"),
        ({"name": "x", "department": "nowhere"}, "department"),
        ({"name": "x", "department": "press", "kinds": ["rant"]}, "kinds"),
        ({"name": "x", "department": "press", "query": "Bahn AND ("}, "query"),
        ({"name": "x", "department": "press", "countries": ["Germany"]}, "countries"),
        ({"name": "x", "department": "press", "min_followers": -5}, "min_followers"),
        ({"name": "x", "department": "press", "priority": 9}, "priority"),
        ({"name": "x", "department": "press", "colour": "red"}, "colour"),
    ],
)
@pytest.mark.django_db
def test_invalid_rules_are_refused_field_by_field(world, in_acme, data, field):
    with pytest.raises(DomainError) as info:
        rule_create(data=data, by=world.alice, client=world.acme.client)
    assert field in info.value.fields


@pytest.mark.django_db
def test_a_person_target_must_be_a_responder_of_the_client(world, in_acme):
    with pytest.raises(DomainError) as info:
        rule_create(
            data={"name": "x", "department": "press", "assignee_id": world.bob.pk},
            by=world.alice,
            client=world.acme.client,
        )
    assert "assignee_id" in info.value.fields
    rule = rule_create(
        data={"name": "x", "department": "press", "assignee_id": world.rita.pk},
        by=world.alice,
        client=world.acme.client,
    )
    assert rule.assignee_id == world.rita.pk


@pytest.mark.django_db
def test_presets_replace_the_matrix_and_reorder_is_audited(world, in_acme):
    created = routing_apply_preset(preset="airline", by=world.alice)
    assert "Baggage → Customer care" in [rule.name for rule in created]
    assert Department.objects.filter(slug="product").exists()
    ids = [rule.pk for rule in created if not rule.is_default]
    rules_reorder(rule_ids=list(reversed(ids)), by=world.alice)
    first = RoutingRule.objects.filter(is_default=False).order_by("position").first()
    assert first.pk == ids[-1]
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"matrix.preset_applied", "rule.reordered"} <= actions


@pytest.mark.django_db
def test_ingested_mentions_carry_the_rules_actions(world, in_acme):
    from sources.services import ingest_batch_process, mentions_submit
    from tests.factories import mention_item

    rule_create(
        data={
            "name": "VIP → Rita",
            "department": "customer-care",
            "position": 1,
            "min_followers": 1_000_000,
            "assignee_id": world.rita.pk,
            "copy_to": "press",
            "require_approval": True,
        },
        by=world.alice,
        client=world.acme.client,
    )
    items = [
        mention_item(text="Hallo", author={"handle": "star", "followers": 2_000_000}),
        mention_item(text="win free crypto giveaway now"),
    ]
    result = mentions_submit(source=world.acme.source, items=items)
    ingest_batch_process(batch_id=result.batch_ids[0])
    from mentions.models import Mention

    star = Mention.objects.get(author__handle="star")
    press = Department.objects.get(slug="press").pk
    assert (star.status, star.assignee_id, star.copied_to, star.requires_approval) == (
        "assigned",
        world.rita.pk,
        [press],
        True,
    )
    assert "2,000,000 followers" in star.routing_reason
    assert Mention.objects.get(text__startswith="win").status == "ignored"
    connection.set_schema_to_public()


@pytest.mark.django_db
def test_the_loaded_matrix_indexes_rules_by_kind(in_acme):
    matrix = routing_matrix_load()
    assert all("job" in (r.kinds or {"job"}) for r in matrix.candidates("job"))
    assert len(matrix.candidates("job")) < matrix.size


def test_every_preset_sends_news_to_press_and_learning_knows_every_kind():
    for name, preset in PRESETS.items():
        news = [row for row in preset["rules"] if row.get("kinds") == ["news"]]
        assert [row["department"] for row in news] == ["press"], name
    assert set(LEARN_KINDS) == set(Kind.values)
