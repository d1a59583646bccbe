"""Triage's shortcuts give what the plain computation gives: the same text, the same matches,
the same feature matrix (the speed of issue 14 must not change a single result)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from re import _parser as parser

import numpy as np
import pytest

from mentions.triage import datasets, engine, lexicon, text
from mentions.triage.language import detect_languages
from mentions.triage.linear import Features
from mentions.triage.shipped import shipped_model

needs_data = pytest.mark.skipif(not datasets.available(), reason="../shared/data is absent")

KINDS = Path(__file__).parent / "data" / "triage_kinds.jsonl"
# Characters where a shortcut could go wrong: letters that match others when case is ignored
# (dotless i, long s, Kelvin sign, dotted capital I), spaces that are not " ", links,
# handles, apostrophes, punctuation.
PIECES = [
    *"abcdefghijklmnopqrstuvwxyz NOTCANT'@.:/-_#?!,*",
    *["\u0131", "\u017f", "\u0130", "\u212a", "\u00a0", "\u2028", "\x1c", "ü", "ß", "😡"],
    *["\n", "\t", "http://t.co/x ", "www.", "nicht ", "can't ", "NOT ", "Kein ", "no "],
    *["\u017ft", "\u0130sn't "],
    *["data breach ", "data-breach ", "boykottieren ", "#boycottx ", "fire ", "great job "],
    *["funktioniert nicht ", "not working ", "keine heizung ", "danke für nichts "],
    *["na toll, ", "great, another ", "die hammer... nicht", "undank für ", "thanks for "],
]


def _texts() -> list[str]:
    rows = [json.loads(line)["text"] for line in KINDS.read_text().splitlines()]
    rng = random.Random(14)
    made = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25))) for _ in range(3000)]
    return [*rows, *(text.normalize(row) for row in rows), *made, "", " ", "x" * 2000]


_URL = re.compile(r"https?://\S+|www\.\S+")
_USER = re.compile(r"@\w+")
_ELONGATED = re.compile(r"(\w)\1{2,}")
_SPACE = re.compile(r"\s+")


def _normalize_plainly(value: str) -> str:
    value = value[: text.MAX_CHARS]
    value = _URL.sub(" URL ", value)
    value = _USER.sub(" @USER ", value)
    value = _ELONGATED.sub(r"\1\1", value)
    return _SPACE.sub(" ", value).strip().lower()


def _for_language_detection_plainly(value: str) -> str:
    value = value[: text.MAX_DETECTION_CHARS]
    return _SPACE.sub(" ", _USER.sub(" ", _URL.sub(" ", value))).strip()


def test_normalising_skips_patterns_without_changing_the_text():
    for value in _texts():
        assert text.normalize(value) == _normalize_plainly(value), value
        assert text.for_language_detection(value) == _for_language_detection_plainly(value)


def test_negation_marking_gives_what_the_negation_pattern_gives_on_any_text():
    for value in _texts():
        for form in (value, value.lower()):
            assert text.mark_negation(form) == text._NEGATION.sub(text._mark, form), form


def test_negation_is_marked_behind_letters_that_match_others_when_case_is_ignored():
    # With a dotless i or a long s, "nicht" and "so" to a case-blind pattern: they take it.
    assert text.mark_negation("n\u0131cht gut") == "n\u0131cht gut_NEG"
    assert text.mark_negation("not \u017fo good") == "not \u017fo_NEG good_NEG"


@pytest.mark.parametrize("cues", text._GATES, ids=lambda cues: cues.pattern.pattern[:40])
def test_gated_patterns_answer_as_the_patterns_themselves(cues):
    for value in _texts():
        pattern = cues.pattern
        assert bool(cues.search(value)) == bool(pattern.search(value)), value
        assert bool(cues.match(value)) == bool(pattern.match(value)), value
        assert cues.findall(value) == pattern.findall(value), value
        assert [m.span() for m in cues.finditer(value)] == [
            m.span() for m in pattern.finditer(value)
        ]
        assert cues.sub(" ", value) == pattern.sub(" ", value), value


def test_the_words_a_cue_needs_are_its_first_word_or_word_beginning():
    exact, prefixes, always = text.first_words(
        ["data-breach", "can't", "#boycott*", "Fire", "19th-century", " "]
    )
    assert exact == {"data", "can", "fire", "19th"}
    assert prefixes == ("boycott",)
    assert not always


LEXICON_CHECKS = [
    lexicon.cue_counts,
    lexicon.lexicon_sentiment,
    lexicon.is_sarcastic,
    lexicon.is_crisis,
    lexicon.is_job,
    lexicon.is_spam,
    lexicon.is_idea,
    lexicon.wishes,
    lexicon.is_news,
    lexicon.is_question,
    lexicon.reports_problem,
    lexicon.says_unaffected,
    text.mark_negation,
]


LANGUAGE_CHECKS = [
    lexicon.is_crisis,
    lexicon.is_job,
    lexicon.is_spam,
    lexicon.is_idea,
    lexicon.is_question,
]


def _answers(values: list[str]) -> list[list[object]]:
    return [
        [check(value) for check in LEXICON_CHECKS]
        + [check(value, language) for check in LANGUAGE_CHECKS for language in ("en", "de", "nl")]
        for value in values
    ]


def test_the_lexicon_answers_as_without_the_word_gates(monkeypatch):
    values = [text.normalize(value) for value in _texts()]
    gated = _answers(values)
    monkeypatch.setattr(text, "_text_bits", lambda _: -1)  # every pattern on every text
    assert gated == _answers(values)


def _leading_literals(items: list) -> list[str]:
    """The literal text each alternative of a parsed pattern starts with (the parser moves
    a prefix common to all alternatives in front of them: "d" of "der|die|das")."""
    word = ""
    for op, value in items:
        if op is parser.LITERAL:
            word += chr(value)
            continue
        if op is parser.SUBPATTERN:
            return [word + rest for rest in _leading_literals(list(value[3]))]
        if op is parser.BRANCH:
            return [word + rest for branch in value[1] for rest in _leading_literals(list(branch))]
        break
    return [word]


def test_every_sarcastic_phrase_starts_a_word_with_one_of_the_listed_beginnings():
    items = list(parser.parse(lexicon.SARCASM.pattern.pattern))
    assert lexicon.SARCASM.pattern.pattern.startswith(r"(?<!\w)(?:")
    assert len(items) == 3 and items[0][0] is parser.ASSERT_NOT
    beginnings = _leading_literals(items[1:2])
    assert len(beginnings) > 30
    for beginning in beginnings:
        assert beginning.startswith(lexicon.SARCASM.prefixes), beginning
    assert all(re.fullmatch(r"\w+", prefix) for prefix in lexicon.SARCASM.prefixes)


@pytest.mark.parametrize("keyword", ["*bahn", "😡", "-"])
def test_a_cue_without_a_word_to_look_for_is_searched_in_every_text(keyword):
    assert text.first_words([keyword, "fire"])[2]


WORD_TEXTS = [
    "the app crashed again at login",
    "Zug fällt aus 😡 #bahn @user",
    "",
    "a",
    "مرحبا القطار متأخر",
    "x " * 1500,
    "not good at all , not good",
    "the app crashed again at login",
]


def _same_matrix(got, expected) -> bool:
    return (
        type(got) is type(expected)
        and got.shape == expected.shape
        and got.dtype == expected.dtype
        and np.array_equal(got.indptr, expected.indptr)
        and np.array_equal(got.indices, expected.indices)
        and np.array_equal(got.data, expected.data)
    )


def test_the_word_features_equal_scikit_learns_to_the_last_bit():
    features = Features.fit(WORD_TEXTS * 3, min_df=1)
    prepared = [text.prepare(value) for value in [*WORD_TEXTS, "unseen wörds only", "app app"]]
    assert features._pairs_need_words()
    assert _same_matrix(features._word_tfidf(prepared), features.word.transform(prepared))


def test_the_word_features_read_every_pair_when_the_vocabulary_has_pairs_of_unknown_words():
    features = Features.fit(WORD_TEXTS * 3, min_df=1)
    # A stored vocabulary could hold a pair whose words it lacks: it must still be counted.
    vocabulary = dict(features.word.vocabulary_)
    del vocabulary["crashed"]
    vocabulary = {word: i for i, word in enumerate(vocabulary)}
    arrays = features.to_arrays("f_")
    arrays["f_word_vocab"] = np.frombuffer(
        json.dumps(list(vocabulary), ensure_ascii=False).encode(), dtype=np.uint8
    )
    arrays["f_word_idf"] = np.ones(len(vocabulary), dtype=np.float32)
    loaded = Features.from_arrays(arrays, "f_")
    prepared = [text.prepare(value) for value in WORD_TEXTS]
    assert not loaded._pairs_need_words()
    got = loaded._word_tfidf(prepared)
    assert _same_matrix(got, loaded.word.transform(prepared))
    assert got[0, vocabulary["app crashed"]] > 0


@needs_data
def test_the_shipped_models_word_features_equal_scikit_learns_on_the_development_sets():
    texts = datasets.airline().texts + datasets.complaints().texts + datasets.germeval().texts
    prepared = [text.prepare(value) for value in texts]
    for language in ("en", "de"):
        features = shipped_model(language).features
        assert _same_matrix(features._word_tfidf(prepared), features.word.transform(prepared))


def test_a_text_repeated_in_a_batch_is_detected_as_it_is_alone():
    texts = ["Der Zug ist schon wieder zu spät", "worst airline ever", "ok", "worst airline ever"]
    batch = detect_languages([*texts, *texts], ["", "", "", "", "", "", "", "fr"])
    alone = [detect_languages([value])[0] for value in texts]
    assert batch == [*alone, *alone[:3], "fr"]


@pytest.mark.parametrize(
    "labels",
    [["negative", "neutral", "positive"], ["negative", "positive"], ["neutral", "positive"]],
)
def test_polarities_of_all_rows_equal_each_rows_sentiment(labels):
    rng = np.random.default_rng(14)
    probabilities = engine._softmax(rng.normal(size=(500, len(labels))) * 3)
    polarities = engine._polarities(probabilities, labels).tolist()
    best = probabilities.argmax(axis=1).tolist()
    for row, polarity, column in zip(probabilities, polarities, best, strict=True):
        assert engine._sentiment_from(row, labels) == (labels[column], polarity)
