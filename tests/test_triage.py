"""Triage: language, sentiment, kind, aspects, relevance, and the model format."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import call_command

from mentions.triage import ClientTriage, datasets, shipped, triage_texts
from mentions.triage.engine import aspect_rule
from mentions.triage.linear import Features, TextModel, train_head
from mentions.triage.text import prepare

needs_data = pytest.mark.skipif(not datasets.available(), reason="../shared/data is absent")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Der Zug ist schon wieder zu spät, danke für nichts", "de"),
        ("My order still hasn't arrived, what is going on?", "en"),
        ("Mon colis n'est toujours pas arrivé, c'est inadmissible", "fr"),
        ("Mi pedido todavía no ha llegado, qué vergüenza", "es"),
        ("Il mio ordine non è ancora arrivato, che vergogna", "it"),
        ("Mijn bestelling is nog steeds niet aangekomen, wat een schande", "nl"),
        ("Moje zamówienie wciąż nie dotarło, co za skandal", "pl"),
        ("Siparişim hâlâ gelmedi, bu ne rezalet", "tr"),
    ],
)
def test_language_is_detected_on_short_posts_in_eight_languages(text, language):
    assert triage_texts([f"@brand {text} https://t.co/x"])[0].language == language


def test_a_language_given_by_the_source_wins_over_detection():
    assert triage_texts(["the train is late"], languages=["nl"])[0].language == "nl"


@pytest.mark.parametrize(
    ("text", "sentiment", "kind"),
    [
        ("@DB_Bahn Zug fällt schon wieder aus, Frechheit!", "negative", "complaint"),
        ("Danke an das freundliche Personal im ICE heute!", "positive", "praise"),
        ("Wann fährt der nächste Zug nach Hamburg?", "neutral", "question"),
        ("@united lost my bag again, worst airline ever", "negative", "complaint"),
        ("@united thank you so much, the crew was amazing!", "positive", "praise"),
        ("Wir suchen eine Ausbildung als Lokführer, wie bewerbe ich mich", None, "job"),
        ("Rauch im Zug, Feuer im Wagen 3, alle evakuiert", None, "crisis"),
        ("Win free bitcoin now, giveaway ends today", None, "spam"),
    ],
)
def test_sentiment_and_kind_of_typical_posts(text, sentiment, kind):
    result = triage_texts([text])[0]
    assert result.kind == kind
    if sentiment:
        assert result.sentiment == sentiment


def test_languages_without_a_model_fall_back_to_the_word_list_and_say_so():
    result = triage_texts(["Quelle honte, le train est encore en retard"])[0]
    assert result.language == "fr"
    assert result.sentiment == "negative"
    assert result.sentiment_method == "lexicon"
    assert triage_texts(["This is awful"])[0].sentiment_method.startswith("model:en")


def test_sentiment_score_is_a_polarity_between_minus_one_and_one():
    negative, positive = triage_texts(["worst service ever, awful", "love it, great, thanks!"])
    assert -1 <= negative.sentiment_score < 0 < positive.sentiment_score <= 1


def test_hostile_text_is_triaged_without_errors():
    texts = [
        "",
        "🙂🙂🙂",
        "<script>alert(1)</script> the app crashed",
        "x" * 200_000,
        "مرحبا القطار متأخر",
        "bad \ufffd encoding \x00 here",
    ]
    results = triage_texts(texts)
    assert len(results) == len(texts)
    assert results[0].language == ""


def test_client_aspects_match_keywords_with_wildcards_case_insensitively():
    client = ClientTriage(
        aspects=[aspect_rule("app", ["App", "log*in"]), aspect_rule("billing", ["rechnung"])]
    )
    results = triage_texts(
        ["The APP keeps crashing at login", "Meine Rechnung ist falsch", "Nice weather"],
        client=client,
    )
    assert [r.aspects for r in results] == [("app",), ("billing",), ()]


def test_learned_models_override_shipped_ones_and_roundtrip_without_pickle():
    texts = [f"the bahn {word} today" for word in ("train", "ticket", "platform", "station")] * 20
    texts += [f"the bahn {word} race" for word in ("cycling", "track", "sprint", "velodrome")] * 20
    labels = ["true"] * 80 + ["false"] * 80
    features = Features.fit(texts)
    model = TextModel(features, {"relevant": train_head(features.transform(texts), labels)})
    restored = TextModel.from_bytes(model.to_bytes())
    probe = ["the bahn train is late", "the bahn cycling race was great"]
    original_p = model.heads["relevant"].probabilities(model.features.transform(probe))
    restored_p = restored.heads["relevant"].probabilities(restored.features.transform(probe))
    assert np.allclose(original_p, restored_p, atol=1e-5)
    results = triage_texts(probe, client=ClientTriage(learned={"relevant": restored}))
    assert [r.relevant for r in results] == [True, False]
    assert results[1].kind == "spam"  # irrelevant posts are set aside


def test_a_model_file_that_is_not_ours_is_refused():
    buffer = io.BytesIO()
    np.savez(buffer, header=np.frombuffer(b'{"format": "other"}', dtype=np.uint8))
    with pytest.raises(ValueError):
        TextModel.from_bytes(buffer.getvalue())


def test_triage_jsonl_adds_triage_to_each_line_and_keeps_lines_aligned(monkeypatch):
    lines = [
        json.dumps({"external_id": "1", "text": "worst airline ever", "extra": {"keep": 1}}),
        "not json",
        json.dumps(
            {
                "text": "Danke, der Service war heute wirklich super!",
                "author": {"handle": "a", "followers": 9},
            }
        ),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    out, err = io.StringIO(), io.StringIO()
    call_command("triage_jsonl", stdout=out, stderr=err)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 3
    assert rows[0]["extra"] == {"keep": 1}
    assert rows[0]["triage"]["sentiment"]["label"] == "negative"
    assert set(rows[0]["triage"]) >= {
        "language",
        "sentiment",
        "kind",
        "aspects",
        "relevant",
        "relevance_score",
        "influence",
    }
    assert rows[1] == {"line": 2, "error": rows[1]["error"]}
    assert rows[2]["triage"]["language"] == "de"
    assert "2 of 3" in err.getvalue()


@pytest.mark.shared_data
@needs_data
def test_shipped_english_model_beats_the_majority_class_by_far_on_airline_tweets():
    airline = datasets.airline()
    sample = slice(0, 1500)
    results = triage_texts(airline.texts[sample])
    accuracy = np.mean(
        [
            r.sentiment == gold
            for r, gold in zip(results, airline.labels["sentiment"][sample], strict=True)
        ]
    )
    # Seen in training, so this checks wiring, not quality (bench/triage_eval.py does that).
    assert accuracy > 0.85


def test_the_cached_character_features_equal_scikit_learns():
    texts = [
        "the app crashed again at login",
        "Zug fällt aus 😡 #bahn @user",
        "",
        "a",
        "مرحبا القطار متأخر",
        "x" * 3000,
        "the app crashed again at login",
    ]
    features = Features.fit(texts * 3, min_df=1)
    prepared = [prepare(text) for text in [*texts, "unseen wörds only"]]
    expected = features.char.transform(prepared)
    for _ in range(2):  # cold and warm cache
        got = features._char_tfidf(prepared)
        assert got.shape == expected.shape
        assert abs(got - expected).max() < 1e-6


def test_shipped_models_are_decoded_once_however_many_other_languages_a_batch_holds(
    monkeypatch,
):
    decoded: list[int] = []
    original = TextModel.from_bytes

    def counting(data: bytes) -> TextModel:
        decoded.append(len(data))
        return original(data)

    monkeypatch.setattr(TextModel, "from_bytes", staticmethod(counting))
    shipped._shipped_model_load.cache_clear()
    try:
        for _ in range(3):
            triage_texts(
                [
                    "My flight is late again",
                    "Der Zug ist schon wieder zu spät",
                    "Mon colis n'est toujours pas arrivé, c'est inadmissible",
                    "Mi pedido todavía no ha llegado, qué vergüenza",
                    "Il mio ordine non è ancora arrivato, che vergogna",
                ]
            )
    finally:
        shipped._shipped_model_load.cache_clear()
    assert len(decoded) == 2
