"""The foundation's simple triage and keyword routing (replaced by later issues)."""

from __future__ import annotations

import pytest

from mentions.triage import triage_text
from routing.models import Department, RoutingRule
from routing.services import routing_decide, routing_matrix_load

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "language", "sentiment", "kind"),
    [
        ("Der Zug ist schon wieder verspätet und das WLAN kaputt", "de", "negative", "complaint"),
        ("Thanks for the friendly help at the station!", "en", "positive", "praise"),
        ("When does the first train to Hamburg leave?", "en", "neutral", "question"),
        ("Wir suchen eine Ausbildung als Lokführer, wie bewerbe ich mich?", "de", "neutral", "job"),
        ("Rauch im Zug, Feuer im Wagen 3, bitte evakuiert!", "de", "neutral", "crisis"),
        ("This is not good at all", "en", "negative", "complaint"),
    ],
)
def test_triage_text(text, language, sentiment, kind):
    triage = triage_text(text)
    assert (triage.language, triage.sentiment, triage.kind) == (language, sentiment, kind)


def test_given_language_wins_over_detection():
    assert triage_text("the and is", language="nl").language == "nl"


def test_first_matching_rule_wins_and_says_why(in_acme):
    matrix = routing_matrix_load()
    decision = routing_decide(text="Die App stürzt ab", kind="complaint", matrix=matrix)
    assert decision.department_id == Department.objects.get(slug="tech-support").pk
    assert (
        decision.reason
        == 'Rule "App and website → Tech support": text contains "App" → Tech support'
    )
    crisis = routing_decide(text="Feuer in der App", kind="crisis", matrix=matrix)
    assert crisis.department_id == Department.objects.get(slug="press").pk


def test_keywords_match_whole_words_only(in_acme):
    matrix = routing_matrix_load()
    decision = routing_decide(text="Happy apple pie", kind="other", matrix=matrix)
    assert decision.rule_id is None
    assert decision.reason == "No rule matched → default department Customer care"


def test_disabled_rules_do_not_fire(in_acme):
    RoutingRule.objects.filter(name__startswith="App and website").update(enabled=False)
    decision = routing_decide(text="app crash", kind="other", matrix=routing_matrix_load())
    assert decision.rule_id is None
