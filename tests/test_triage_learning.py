"""Learning from a client's own labels: corrections, reassignments and labelled files."""

from __future__ import annotations

import io
import json
import random

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from mentions.models import Aspect, Mention, TriageLabel, TriageModel
from mentions.services import mention_assign
from mentions.triage import triage_texts
from mentions.triage.client import client_triage_load
from mentions.triage.learn import triage_learn
from routing.models import Department
from sources.services import ingest_batch_process, mentions_submit
from tests.conftest import api_client, web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

TRACK = ["cycling", "velodrome", "sprint", "bahnrad", "keirin", "omnium", "track race"]
RAIL = ["zug", "ice", "bahnsteig", "fahrkarte", "s-bahn", "stellwerk", "schaffner"]


def labelled_lines(count: int = 120, seed: int = 1) -> list[str]:
    """Posts with the ambiguous word "Bahn": rail (relevant) or cycling track (not)."""
    rng = random.Random(seed)
    lines = []
    for number in range(count):
        relevant = number % 2 == 0
        words = rng.sample(RAIL if relevant else TRACK, 3)
        text = f"Die Bahn heute: {' '.join(words)} #{number}"
        labels: dict[str, object] = {"relevant": relevant}
        if number % 3 == 0:
            labels["aspects"] = ["Ticketkauf"] if relevant else ["Sport"]
        lines.append(json.dumps({"text": text, "language": "de", "labels": labels}))
    return lines


@pytest.fixture
def stored(world, in_acme):
    def store(text: str) -> Mention:
        result = mentions_submit(source=world.acme.source, items=[mention_item(text=text)])
        ingest_batch_process(batch_id=result.batch_ids[0])
        return Mention.objects.order_by("-id").first()

    return store


def test_a_labelled_file_trains_a_relevance_model_that_beats_current_triage(in_acme):
    summary = triage_learn(lines=labelled_lines())
    outcome = {o.field: o for o in summary.fields}
    assert outcome["relevant"].status == "kept"
    assert outcome["relevant"].new_score > outcome["relevant"].current_score
    model = TriageModel.objects.get(field="relevant", active=True)
    assert model.scores["new"] == outcome["relevant"].new_score
    client = client_triage_load()
    results = triage_texts(
        ["Die Bahn heute: stellwerk zug fahrkarte", "Die Bahn heute: keirin sprint omnium"],
        client=client,
    )
    assert [r.relevant for r in results] == [True, False]


def test_aspects_from_a_file_are_created_with_their_examples_and_listed(in_acme):
    summary = triage_learn(lines=labelled_lines())
    assert sorted(summary.created_aspects) == ["Sport", "Ticketkauf"]
    aspect = Aspect.objects.get(slug="ticketkauf")
    assert aspect.origin == "labels"
    assert aspect.examples and "Die Bahn heute" in aspect.examples[0]


def test_unknown_departments_are_reported_not_created(in_acme):
    Department.objects.create(name="Tech support", slug="tech")
    lines = [
        json.dumps({"text": "app crash", "labels": {"department": "tech support"}}),
        json.dumps({"text": "lawsuit", "labels": {"department": "Catering"}}),
        json.dumps({"text": "x", "labels": {"sentiment": "furious"}}),
        "not json",
    ]
    summary = triage_learn(lines=lines)
    assert summary.unknown_departments == ["Catering (1 lines)"]
    assert not Department.objects.filter(name="Catering").exists()
    assert TriageLabel.objects.get(field="department").value == "Tech support"
    assert any("furious" in e for e in summary.errors)
    assert any("line 4" in e for e in summary.errors)


def test_a_model_that_is_not_better_is_not_kept(in_acme):
    # Sentiment labels that only repeat what the shipped model already says well.
    lines = [
        json.dumps({"text": text, "labels": {"sentiment": label}})
        for text, label in [
            ("worst airline ever, lost my bag", "negative"),
            ("thank you so much, great crew", "positive"),
            ("what time does the flight leave", "neutral"),
        ]
        * 10
    ]
    summary = triage_learn(lines=lines)
    outcome = {o.field: o for o in summary.fields}["sentiment"]
    assert outcome.status == "rejected"
    assert not TriageModel.objects.filter(field="sentiment").exists()


def test_too_few_labels_are_skipped_with_a_reason(in_acme):
    summary = triage_learn(lines=labelled_lines(6))
    outcome = {o.field: o for o in summary.fields}["relevant"]
    assert outcome.status == "skipped"
    assert "fewer than" in outcome.reason


def test_corrections_over_the_api_become_labels_and_are_audited(world, stored):
    mention = stored("Die App stürzt beim Login ab")
    tech = Department.objects.create(name="Tech support", slug="tech-x")
    Aspect.objects.get_or_create(slug="billing", defaults={"name": "Billing"})
    api = api_client(world.acme, world.acme.token)
    response = api.patch(
        f"/api/v1/mentions/{mention.pk}/",
        {"sentiment": "negative", "aspects": ["billing"], "relevant": True, "department": tech.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["aspects"] == ["billing"]
    assert body["department"]["name"] == "Tech support"
    labels = {label.field: label for label in TriageLabel.objects.filter(mention=mention)}
    assert labels["department"].value == "Tech support"
    assert labels["aspects"].value == ["billing"]
    assert labels["department"].origin == "api"
    assert "relevant" not in labels  # unchanged values are not labels
    mention.refresh_from_db()
    assert mention.routing_reason.startswith("Moved to Tech support")


def test_bad_corrections_are_clear_4xx_errors(world, stored):
    mention = stored("hello")
    api = api_client(world.acme, world.acme.token)
    for payload in (
        {"sentiment": "furious"},
        {"aspects": ["no-such-aspect"]},
        {"department": 999999},
        {"aspects": "app"},
    ):
        response = api.patch(f"/api/v1/mentions/{mention.pk}/", payload, format="json")
        assert response.status_code == 400, (payload, response.content)
        assert "error" in response.json()


def test_viewers_cannot_correct(world, stored):
    mention = stored("hello")
    web = web_client(world.acme, world.vera)
    response = web.patch(
        f"/api/v1/mentions/{mention.pk}/",
        json.dumps({"sentiment": "negative"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not TriageLabel.objects.exists()


def test_a_manual_reassignment_is_kept_as_a_label(world, stored):
    mention = stored("Rechnung falsch")
    mention_assign(mention=mention, assignee=world.rita, by=world.alice)
    mention_assign(mention=mention, assignee=world.alice, by=world.alice)
    label = TriageLabel.objects.get(field="assignee")
    assert (label.value, label.previous, label.origin) == (
        world.alice.pk,
        world.rita.pk,
        "reassignment",
    )


def test_one_clients_labels_and_models_never_reach_another(world, in_acme):
    triage_learn(lines=labelled_lines())
    assert TriageModel.objects.filter(active=True).exists()
    with tenant_context(world.globex.client):
        assert not TriageLabel.objects.exists()
        assert not TriageModel.objects.exists()
        assert client_triage_load().learned == {}


def test_triage_learn_command_prints_a_summary(world, in_acme, tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(labelled_lines()), encoding="utf-8")
    out = io.StringIO()
    call_command("triage_learn", str(path), client=world.acme.client.slug, stdout=out)
    text = out.getvalue()
    assert "120 lines read" in text
    assert "new aspects: " in text
    assert "relevant" in text and "kept" in text


def test_the_mention_page_shows_triage_and_a_correction_form_that_stores_labels(world, stored):
    mention = stored("Die App stürzt beim Login ab <script>alert(1)</script>")
    Aspect.objects.update_or_create(
        slug="app", defaults={"name": "App <b>und</b> Web", "keywords": ["app"]}
    )
    web = web_client(world.acme, world.rita)
    page = web.get(f"/mentions/{mention.pk}/").content.decode()
    assert "Correct triage" in page
    assert "App &lt;b&gt;und&lt;/b&gt; Web" in page
    assert "<script>alert(1)</script>" not in page
    response = web.post(
        f"/mentions/{mention.pk}/triage",
        {
            "sentiment": "negative",
            "kind": "complaint",
            "relevant": "no",
            "aspects_shown": "1",
            "aspects": ["app"],
        },
    )
    assert response.status_code == 302
    mention.refresh_from_db()
    assert (mention.sentiment, mention.relevant, mention.aspects) == ("negative", False, ["app"])
    assert TriageLabel.objects.filter(mention=mention, origin="inbox").count() >= 2


def test_viewers_see_triage_but_no_correction_form(world, stored):
    mention = stored("hello")
    web = web_client(world.acme, world.vera)
    assert "Correct triage" not in web.get(f"/mentions/{mention.pk}/").content.decode()
    assert web.post(f"/mentions/{mention.pk}/triage", {"sentiment": "negative"}).status_code == 403


def test_the_triage_page_applies_an_industry_template_and_saves_aspects(world, in_acme):
    Aspect.objects.all().delete()
    web = web_client(world.acme, world.alice)
    page = web.get("/triage/").content.decode()
    assert "No aspects yet" in page
    web.post("/triage/setup", {"action": "industry", "industry": "transport"})
    assert Aspect.objects.filter(slug="tickets", origin="template").exists()
    web.post(
        "/triage/setup",
        {"action": "aspect", "name": "Ticketkauf App", "keywords": "ticket*, app", "active": "on"},
    )
    aspect = Aspect.objects.get(slug="ticketkauf-app")
    assert aspect.keywords == ["ticket*", "app"]
    page = web.get("/triage/").content.decode()
    assert "Ticketkauf App" in page and "Learn now" in page


def test_only_client_admins_change_the_triage_setup(world, in_acme):
    Aspect.objects.all().delete()
    web = web_client(world.acme, world.rita)
    assert web.get("/triage/").status_code == 200
    response = web.post("/triage/setup", {"action": "industry", "industry": "transport"})
    assert response.status_code == 403
    assert not Aspect.objects.exists()
    Aspect.objects.create(slug="acme-secret", name="Acme secret project")
    bob = web_client(world.globex, world.bob)
    assert "Acme secret project" not in bob.get("/triage/").content.decode()


def test_learned_departments_route_what_no_explicit_rule_claims(world, in_acme, stored):
    from routing.models import RoutingRule

    RoutingRule.objects.all().delete()  # every mention falls to the catch-all
    Department.objects.update(is_default=False)
    care = Department.objects.create(name="Care desk", slug="care-desk", is_default=True)
    catering = Department.objects.create(name="Catering", slug="catering")
    lines = []
    for number in range(40):
        if number % 2:
            text = f"Der Kaffee im Bordbistro war kalt und das Brötchen alt {number}"
            department = catering.name
        else:
            text = f"Mein Zug hatte heute Verspätung in Hannover {number}"
            department = care.name
        lines.append(json.dumps({"text": text, "labels": {"department": department}}))
    summary = triage_learn(lines=lines)
    assert {o.field: o.status for o in summary.fields}["department"] == "kept"
    mention = stored("Kaffee kalt im Bordbistro, Brötchen auch alt")
    assert mention.department_id == catering.pk
    assert mention.routing_reason.startswith("Learned from this client's reroutings")
    other = stored("Verspätung in Hannover, Zug kam nicht")
    assert other.department_id == care.pk
