"""Kinds that make sense (issue 14): scorn is not praise, a road closure that spares the
client is no crisis, and a press report is no complaint."""

from __future__ import annotations

import pytest

from mentions.triage import ClientTriage, triage_texts
from mentions.triage.lexicon import is_news, is_sarcastic, says_unaffected
from mentions.triage.shipped import shipped_model
from mentions.triage.text import normalize

TRANSPORT = ClientTriage(industry="transport")


@pytest.mark.parametrize(
    "text",
    [
        "Anschluss in Uelzen verpasst, weil der RE 4 40 Minuten verspätet war. Nächster Zug in "
        "einer Stunde. Danke für nichts.",
        "Na toll, schon wieder 20 Minuten Verspätung. Vielen Dank auch, @nordbahn",
        "Great, another delay. Thanks for nothing @united",
    ],
)
def test_thanks_said_in_scorn_is_a_negative_complaint_not_praise(text):
    result = triage_texts([text], client=TRANSPORT)[0]
    assert result.sentiment == "negative"
    assert result.kind == "complaint"


def test_real_thanks_stay_praise():
    results = triage_texts(
        [
            "Danke an den Lokführer, der in Uelzen auf den Anschluss gewartet hat. Klasse!",
            "@united thank you so much, the crew was amazing!",
        ]
    )
    assert [(r.sentiment, r.kind) for r in results] == [("positive", "praise")] * 2


@pytest.mark.parametrize(
    "text",
    [
        "Autobahn A7 zwischen Hamburg und Hannover nach schwerem Unfall gesperrt. Die Züge der "
        "Nordbahn sind nicht betroffen.",
        "Autobahn A7 gesperrt: Stau bis Soltau. Nordbahn nicht betroffen.",
    ],
)
def test_a_closure_that_does_not_affect_the_client_is_neither_crisis_nor_complaint(text):
    assert triage_texts([text], client=TRANSPORT)[0].kind not in {"crisis", "complaint"}


def test_danger_to_people_is_still_a_crisis():
    text = "Rauch im hinteren Wagen vom RE 4 kurz vor Uelzen!! Zug steht, alle wurden evakuiert."
    assert triage_texts([text], client=TRANSPORT)[0].kind == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "Nordbahn streicht Züge: Wegen Personalmangels fallen auf der Linie RE 4 zwischen "
        "Hamburg und Uelzen bis Ende März zahlreiche Verbindungen aus. Das teilte das "
        "Unternehmen am Montag mit. Fahrgastverbände kritisierten die Entscheidung scharf, ein "
        "Sprecher des Verkehrsministeriums kündigte Gespräche an.",
        "Rail operator Nordbahn cancels dozens of trains on the RE 4 line until March because "
        "of staff shortages, the company said on Monday. Passenger groups criticised the move.",
    ],
)
def test_a_press_report_is_not_a_complaint(text):
    assert triage_texts([text], client=TRANSPORT)[0].kind == "other"


def test_a_customers_long_complaint_is_not_taken_for_news():
    text = (
        "Ich stehe seit 40 Minuten in Uelzen, der RE 4 ist ausgefallen und niemand sagt etwas. "
        "Die Anzeige zeigt nichts, die Hotline ist besetzt, mein Anschluss ist weg. Laut App "
        "fährt der nächste Zug erst in zwei Stunden. Frechheit!"
    )
    assert not is_news(normalize(text))
    assert triage_texts([text], client=TRANSPORT)[0].kind == "complaint"


def test_cue_checks_read_normalised_text():
    assert is_sarcastic(normalize("Danke für NICHTS!"))
    assert not is_sarcastic(normalize("Danke für die schnelle Hilfe"))
    assert says_unaffected(normalize("Die S-Bahn ist nicht betroffen"))
    assert not is_news(normalize("Zug fällt aus, teilte die Bahn mit"))  # too short to tell


def test_short_posts_that_are_clearly_english_by_their_filler_words_are_english():
    results = triage_texts(["worst airline ever", "Der Zug ist schon wieder zu spät"])
    assert [r.language for r in results] == ["en", "de"]
    assert results[0].sentiment == "negative"


def test_cue_words_nudge_german_sentiment_on_short_posts_only():
    short = "Zug fällt schon wieder aus, Frechheit!"
    assert triage_texts([short])[0].sentiment == "negative"
    model = shipped_model("de")
    assert model is not None
    head = model.heads["sentiment"]
    assert head.meta["lexicon_nudge"]["max_chars"] == 280
