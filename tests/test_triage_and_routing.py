"""The foundation's simple word-list triage (replaced by the triage issue)."""

from __future__ import annotations

import pytest

from mentions.triage import triage_text


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
