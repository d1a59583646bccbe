"""Kinds that make sense (issue 14): scorn is not praise, a road closure that spares the
client is no crisis, and a press report is no complaint."""

from __future__ import annotations

import pytest

from mentions.triage import ClientTriage, triage_texts
from mentions.triage.lexicon import (
    is_crisis,
    is_news,
    is_sarcastic,
    lexicon_sentiment,
    says_unaffected,
)
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
def test_a_press_report_is_news_not_a_complaint(text):
    assert triage_texts([text], client=TRANSPORT)[0].kind == "news"


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
    assert not is_news(normalize("Zug fällt aus, sagt der Schaffner"))  # too short to tell


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


@pytest.mark.parametrize(
    ("text", "polarity", "kind"),
    [
        ("Nicht gut, @nordbahn. Wirklich gar nicht gut, eine Stunde im Regen.", -1, "complaint"),
        ("Gar nicht schlecht, der neue Tarif von @brightcell.", 1, "praise"),
        ("Endlich keine Probleme mehr mit dem Router. Danke @brightcell!", 1, "praise"),
        ("Im Zug nach Kiel gibt es heute keine Heizung, alle frieren.", -1, "complaint"),
    ],
)
def test_negation_turns_cue_words_round_and_decides_german_kinds(text, polarity, kind):
    assert polarity * lexicon_sentiment(normalize(text)) > 0
    assert triage_texts([text], languages=["de"])[0].kind == kind


@pytest.mark.parametrize(
    ("text", "polarity"),
    [
        ("Can't complain, @brightcell fixed my line the same day.", 1),
        ("No more wifi problems on the train.", 1),
        ("Not good enough, @nordbahn.", -1),
        ("Still no signal in the city centre.", -1),
    ],
)
def test_english_negation_turns_cue_words_round(text, polarity):
    assert polarity * lexicon_sentiment(normalize(text)) > 0


@pytest.mark.parametrize(
    "text",
    [
        "Toll, @nordbahn. Schon wieder ein Zugausfall am Montag.",
        "Oh wonderful, my train is delayed again @nordbahn",
        "Vielen Dank @brightcell für die doppelte Abbuchung.",
        "Fastest repair ever, only three weeks. Not.",
    ],
)
def test_praise_taken_back_is_sarcasm(text):
    assert is_sarcastic(normalize(text))
    result = triage_texts([text])[0]
    assert (result.sentiment, result.kind) == ("negative", "complaint")


@pytest.mark.parametrize(
    "text",
    [
        "Nordbahn erhöht zum Fahrplanwechsel die Preise um drei Prozent.",
        "Brightcell shares fall after the quarterly results.",
        "Laut NDR plant die Nordbahn neue Züge für die Strecke nach Kiel.",
    ],
)
def test_a_short_report_is_news(text):
    assert triage_texts([text], client=TRANSPORT)[0].kind == "news"


@pytest.mark.parametrize(
    "text",
    [
        "Die Bahn teilte am Montag mit, dass die Strecke zwischen Hamburg und Lübeck bis "
        "Freitag gesperrt bleibt.",
        "Zug fällt aus, teilte die Bahn mit",
        "Gleisbauarbeiten zwischen Hamburg und Buchholz am Wochenende, teilt die Nordbahn mit.",
        "Die Nordbahn teilte am Dienstag in Hamburg mit, dass auf der Linie RE 4 ab Juni "
        "längere Züge fahren. Die neuen Doppelstockwagen sollen in den Hauptverkehrszeiten "
        "zusätzliche Sitzplätze bringen, zunächst zwischen Hamburg und Uelzen.",
    ],
)
def test_the_split_reporting_verb_teilte_mit_reads_as_news(text):
    assert is_news(normalize(text))
    assert triage_texts([text], client=TRANSPORT)[0].kind == "news"


@pytest.mark.parametrize(
    "text",
    [
        # "mit" as a preposition, not the verb's particle.
        "Brightcell teilt Daten mit Facebook und Google.",
        # A customer who was told something, not a press report.
        "Der Schaffner teilte uns erst in Uelzen mit, dass der Zug endet. Danke für nichts.",
    ],
)
def test_teilen_mit_a_preposition_or_said_to_the_customer_is_not_news(text):
    assert not is_news(normalize(text))


def test_a_post_in_the_first_person_is_not_news():
    text = "Ich habe heute meinen Vertrag bei Brightcell um ein Jahr verlängert."
    assert not is_news(normalize(text))


@pytest.mark.parametrize(
    "text",
    [
        "Fahrgast im Zug nach Kiel kollabiert, der Rettungswagen ist unterwegs.",
        "Man with a knife on the platform at Harburg, police on scene.",
        "Hacker stellen Kundendaten von Brightcell ins Netz.",
    ],
)
def test_danger_to_people_and_reputation_is_a_crisis(text):
    assert triage_texts([text], client=TRANSPORT)[0].kind == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "Bahnhofstraße in Uelzen wegen Bauarbeiten gesperrt.",
        "B4 nach Unfall gesperrt, die Nordbahn fährt ohne Einschränkungen.",
    ],
)
def test_a_closure_alone_is_no_crisis(text):
    assert triage_texts([text], client=TRANSPORT)[0].kind != "crisis"


@pytest.mark.parametrize(
    ("text", "not_kind"),
    [
        ("Our brand new app is out, have a look", "crisis"),
        ("This is about our brand", "crisis"),
        ("The application keeps crashing when I open my tickets", "job"),
        ("I applied the promo code twice and still pay full price", "job"),
        ("I applied the promo code twice and still pay full price", "spam"),
        ("Great show on the stage at your summer festival last night!", "job"),
        ("Come and see the new trains at the station on Saturday", "question"),
        ("An dieser Stelle ein großes Lob an das Team in Uelzen!", "job"),
    ],
)
def test_a_word_that_is_a_cue_in_another_language_is_no_cue_here(text, not_kind):
    assert triage_texts([text])[0].kind != not_kind


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("Brand im Stellwerk bei Celle, die Feuerwehr ist im Einsatz.", "de", "crisis"),
        ("In de trein was brand, iedereen geëvacueerd.", "nl", "crisis"),
        ("Le stage chez vous était super, merci !", "fr", "job"),
        ("Was für ein Shitstorm gegen die Nordbahn heute", "de", "crisis"),
        ("I applied for a job at your Berlin office last month", "en", "job"),
        ("Wir haben offene Stellen im Kundenservice, jetzt bewerben", "de", "job"),
    ],
)
def test_cue_words_count_in_their_own_language_and_english_ones_in_every_language(
    text, language, kind
):
    result = triage_texts([text])[0]
    assert (result.language, result.kind) == (language, kind)


def test_a_post_of_a_language_without_cue_lists_is_searched_with_all_of_them():
    normalized = normalize("Brand im Stellwerk")
    assert is_crisis(normalized, "pt")
    assert is_crisis(normalized, None)
    assert not is_crisis(normalized, "en")


@pytest.mark.parametrize(
    "text",
    [
        "Buy 5000 real followers today, cheap! #nordbahn",
        "Krypto-Tipp: Jetzt einsteigen, Link in der Bio!",
        "Under the microscope the tissue shows a bright cell layer.",
    ],
)
def test_adverts_and_off_topic_science_are_spam_and_not_relevant(text):
    result = triage_texts([text])[0]
    assert (result.kind, result.relevant) == ("spam", False)


def test_great_job_is_praise_not_a_job():
    result = triage_texts(["Great job @nordbahn, the new trains are lovely."])[0]
    assert result.kind == "praise"
