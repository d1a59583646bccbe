"""Our own labelled kinds set (issue 14, 3) is well-formed, and the bench's metrics are right."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from bench.triage_kinds import (
    DATA,
    ORIGINAL_POSTS,
    accuracy,
    class_scores,
    confusion,
    load,
    macro_f1,
    part_of,
)
from mentions.vocabulary import Kind, Sentiment

FIELDS = {"id", "lang", "text", "kind", "sentiment", "relevant", "note"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return load(DATA)


def test_every_line_is_a_json_object_with_exactly_the_expected_fields() -> None:
    lines = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in lines:
        row = json.loads(line)
        assert isinstance(row, dict)
        assert set(row) == FIELDS, row


def test_the_set_has_at_least_300_posts_with_unique_ids_and_texts(
    rows: list[dict[str, Any]],
) -> None:
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(re.fullmatch(r"k\d{3,}", r["id"]) for r in rows)
    assert len({r["text"].strip().lower() for r in rows}) == len(rows)


def test_both_languages_have_at_least_120_posts(rows: list[dict[str, Any]]) -> None:
    languages = Counter(r["lang"] for r in rows)
    assert set(languages) == {"de", "en"}
    assert languages["de"] >= 120
    assert languages["en"] >= 120


def test_every_kind_of_the_vocabulary_has_at_least_ten_posts(rows: list[dict[str, Any]]) -> None:
    kinds = Counter(r["kind"] for r in rows)
    for kind in Kind.values:
        assert kinds[kind] >= 10, kind


def test_labels_are_valid_and_texts_and_notes_are_filled(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        assert row["kind"] in Kind.values, row
        assert row["sentiment"] in Sentiment.values, row
        assert isinstance(row["relevant"], bool), row
        assert isinstance(row["text"], str) and row["text"].strip(), row
        assert isinstance(row["note"], str) and row["note"].strip(), row


def test_off_topic_posts_are_spam_and_spam_is_never_relevant(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        assert (row["kind"] == "spam") == (not row["relevant"]), row


def test_class_scores_count_precision_recall_f1_and_support_by_hand() -> None:
    gold = ["complaint", "complaint", "praise", "other", "other"]
    predicted = ["complaint", "other", "praise", "complaint", "other"]

    scores = {s.label: s for s in class_scores(gold, predicted, ["complaint", "praise", "other"])}

    assert scores["complaint"].precision == pytest.approx(0.5)
    assert scores["complaint"].recall == pytest.approx(0.5)
    assert scores["complaint"].f1 == pytest.approx(0.5)
    assert scores["complaint"].support == 2
    assert (scores["praise"].precision, scores["praise"].recall, scores["praise"].f1) == (
        1.0,
        1.0,
        1.0,
    )
    assert scores["other"].support == 2
    assert scores["other"].f1 == pytest.approx(0.5)


def test_a_label_never_predicted_or_present_scores_zero_not_an_error() -> None:
    (crisis,) = class_scores(["other"], ["other"], ["crisis"])

    assert (crisis.precision, crisis.recall, crisis.f1, crisis.support) == (0.0, 0.0, 0.0, 0)


def test_accuracy_macro_f1_and_confusion_on_a_tiny_example() -> None:
    gold = ["negative", "negative", "neutral", "positive"]
    predicted = ["negative", "neutral", "neutral", "negative"]
    labels = ["negative", "neutral", "positive"]

    assert accuracy(gold, predicted) == pytest.approx(0.5)
    # F1: negative 2*0.5*0.5/1 = 0.5, neutral 2*0.5*1/1.5 = 2/3, positive 0.
    assert macro_f1(gold, predicted, labels) == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    table = confusion(gold, predicted, labels)
    assert table["negative"] == Counter({"negative": 1, "neutral": 1})
    assert table["positive"] == Counter({"negative": 1})


def test_metrics_refuse_gold_and_predictions_of_different_length() -> None:
    with pytest.raises(ValueError, match="length"):
        class_scores(["a"], [], ["a"])
    with pytest.raises(ValueError, match="length"):
        accuracy(["a"], ["a", "b"])


def test_about_thirty_percent_of_the_original_posts_are_held_out_and_added_posts_never(
    rows: list[dict[str, Any]],
) -> None:
    original = [r for r in rows if int(r["id"][1:]) <= ORIGINAL_POSTS]
    held_out = [r for r in original if part_of(r["id"]) == "held-out"]
    assert 0.2 < len(held_out) / len(original) < 0.4
    assert all(part_of(r["id"]) == "tuned" for r in rows if int(r["id"][1:]) > ORIGINAL_POSTS)
    assert part_of("k001") == part_of("k001")


def test_press_reports_are_labelled_news(rows: list[dict[str, Any]]) -> None:
    reports = [r for r in rows if "press report" in r["note"] or "news report" in r["note"]]
    assert reports and all(r["kind"] == "news" for r in reports)
