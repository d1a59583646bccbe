"""The held-out split of bench/triage_eval.py: fixed by row ids, stratified, disjoint."""

from __future__ import annotations

from collections import Counter

import pytest

from mentions.triage.datasets import LabelledSet, holdout_split, split_set


def _rows(n_per_label: dict[str, int]) -> tuple[list[str], list[str]]:
    ids, strata = [], []
    for label, n in n_per_label.items():
        for i in range(n):
            ids.append(f"{label}-{i}")
            strata.append(label)
    return ids, strata


def test_the_split_is_disjoint_covers_every_row_and_holds_out_a_fifth():
    ids, strata = _rows({"negative": 500, "neutral": 300, "positive": 200})
    development, held_out = holdout_split(ids, strata)
    assert not set(development) & set(held_out)
    assert sorted(development + held_out) == list(range(len(ids)))
    assert len(held_out) == 200


def test_the_split_keeps_each_stratums_share():
    ids, strata = _rows({"negative": 500, "neutral": 300, "positive": 200})
    _, held_out = holdout_split(ids, strata)
    assert Counter(strata[i] for i in held_out) == {"negative": 100, "neutral": 60, "positive": 40}


def test_the_split_depends_on_the_ids_not_on_row_order():
    ids, strata = _rows({"a": 50, "b": 30})
    _, held_out = holdout_split(ids, strata)
    held_ids = {ids[i] for i in held_out}
    order = list(reversed(range(len(ids))))
    _, shuffled_held = holdout_split([ids[i] for i in order], [strata[i] for i in order])
    assert {ids[order[i]] for i in shuffled_held} == held_ids
    assert holdout_split(ids, strata) == holdout_split(ids, strata)


def test_a_row_keeps_its_side_when_rows_of_another_stratum_are_added():
    ids, strata = _rows({"a": 100})
    _, held_out = holdout_split(ids, strata)
    more_ids, more_strata = _rows({"a": 100, "b": 70})
    _, more_held = holdout_split(more_ids, more_strata)
    assert {ids[i] for i in held_out} == {more_ids[i] for i in more_held if more_strata[i] == "a"}


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError):
        holdout_split(["1", "1"], ["a", "a"])


def test_split_set_carries_texts_labels_and_ids_together():
    ids, strata = _rows({"yes": 20, "no": 30})
    data = LabelledSet("x", "en", [f"text {i}" for i in ids], {"y": strata}, ids, strata)
    development, held_out = split_set(data)
    assert len(held_out.texts) == 10 and len(development.texts) == 40
    for part in (development, held_out):
        for text, label, row_id in zip(part.texts, part.labels["y"], part.ids, strict=True):
            assert text == f"text {row_id}" and row_id.startswith(label)
