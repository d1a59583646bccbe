"""Learned aspects: one yes/no head per aspect, and a sentence encoder for the unsure posts.

Aspects such as "lost luggage", "damaged luggage" and "customer service" are topics, where a
sentence encoder knows more than n-grams do. Each aspect gets the n-gram ensemble head
(`linear.train_head`) and a logistic regression on the encoder's sentence vectors. Applying
them, the n-gram heads score every post; only where the best aspect leads the runner-up by
less than `UNSURE_MARGIN` (the posts whose first aspect is in doubt) is the encoder run, and
there each aspect's score is `(1 - ENCODER_WEIGHT) * n-gram + ENCODER_WEIGHT * encoder`. An
aspect is attached where its score is at least 0 (probability 0.5). Nor is it asked about
a post whose best n-gram score is below `ENCODER_FLOOR`: such posts (thanks, praise,
off-topic) are most of a mixed stream, and the encoder seldom lifts one to an aspect.

The settings are the cross-validation choice inside the development 80 % of the airline
negative reasons (`bench/triage_choices.py --only aspects --folds 5`): first-aspect accuracy
0.690 with the n-gram heads alone, 0.708 with the encoder at this margin (about 30 % of the
posts with a reason asked), the same as asking it about every post. The floor -0.35 is
the lowest-cost floor whose rows there stay within 0.001 of asking every unsure post
(first-aspect accuracy 0.707, set micro-F1 0.702), and it spares the encoder about a tenth
of the unsure posts of the stream; it does not bring the whole triage to 2,000 tweets/s:
the encoder's gain is roughly proportional to the share of posts it is asked about, and no
bound on its scores proves a post out of reach (`bench/triage_choices.py --only aspects`).
A model stored without a floor asks every unsure post, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from mentions.triage import encoder
from mentions.triage.linear import Features, LinearHead, TextModel, train_head

ENCODER_C = 10.0
ENCODER_WEIGHT = 0.33
UNSURE_MARGIN = 0.5
ENCODER_FLOOR = -0.35

Embed = Callable[[Sequence[str]], np.ndarray]


def encoder_head_train(E: np.ndarray, target: Sequence[str], *, c: float = ENCODER_C) -> LinearHead:
    """Balanced logistic regression on sentence vectors, its scores divided by their standard
    deviation on the training rows (as each member of `train_head` is)."""
    y = np.asarray(target) == "yes"
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(E, y.astype(int))
    scale = float(model.decision_function(E).std()) or 1.0
    return LinearHead(
        labels=["no", "yes"],
        coef=(model.coef_ / scale).astype(np.float32),
        intercept=(model.intercept_ / scale).astype(np.float64),
    )


def aspect_model_train(
    *,
    features: Features,
    X: Any,
    E: np.ndarray,
    values: Sequence[Sequence[str]],
    names: Sequence[str],
    head_train: Callable[[Any, Sequence[str]], LinearHead] = train_head,
) -> TextModel:
    """One n-gram head and one encoder head per aspect in `names` that has both yes and no
    rows; `X` and `E` are the `features` and sentence vectors of the training texts,
    `values` each text's aspects."""
    heads: dict[str, LinearHead] = {}
    targets: dict[str, list[str]] = {}
    for aspect in names:
        target = ["yes" if aspect in v else "no" for v in values]
        if len(set(target)) < 2:
            continue
        heads[aspect] = head_train(X, target)
        targets[aspect] = target
    encoder_heads = {aspect: encoder_head_train(E, targets[aspect]) for aspect in heads}
    meta = {
        "encoder": {
            "name": encoder.NAME,
            "weight": ENCODER_WEIGHT,
            "unsure_margin": UNSURE_MARGIN,
            "floor": ENCODER_FLOOR,
        }
    }
    return TextModel(features, heads, meta=meta, encoder_heads=encoder_heads)


def unsure_rows(scores: np.ndarray, margin: float) -> np.ndarray:
    """Rows whose best aspect leads the runner-up by less than `margin` (with one aspect,
    the runner-up is the decision threshold 0)."""
    if scores.shape[1] >= 2:
        top = np.sort(scores, axis=1)
        lead = top[:, -1] - top[:, -2]
    else:
        lead = np.abs(scores[:, 0]) if scores.shape[1] else np.full(len(scores), np.inf)
    return np.flatnonzero(lead < margin)


def encoder_rows(scores: np.ndarray, *, margin: float, floor: float | None) -> np.ndarray:
    """The rows the encoder is asked about: unsure ones (`unsure_rows`) whose best n-gram
    score reaches `floor` (every unsure row when `floor` is None)."""
    rows = unsure_rows(scores, margin)
    if floor is None or len(rows) == 0:
        return rows
    return rows[scores[rows].max(axis=1) >= floor]


def aspect_scores(
    *, model: TextModel, X: Any, texts: Sequence[str], embed: Embed = encoder.sentence_embeddings
) -> np.ndarray:
    """Each text's yes-score per aspect (columns in `model.heads` order; >= 0 attaches it)."""
    names = list(model.heads)
    scores = np.zeros((X.shape[0], len(names)))
    for column, name in enumerate(names):
        head = model.heads[name]
        scores[:, column] = head.scores(X)[:, head.labels.index("yes")]
    settings = model.meta.get("encoder")
    if not model.encoder_heads or not settings or not names:
        return scores
    if settings.get("name") != encoder.NAME:
        raise ValueError(f"aspect model needs the sentence encoder {settings.get('name')!r}")
    floor = settings.get("floor")
    rows = encoder_rows(
        scores,
        margin=float(settings["unsure_margin"]),
        floor=None if floor is None else float(floor),
    )
    if len(rows) == 0:
        return scores
    E = embed([texts[i] for i in rows])
    weight = float(settings["weight"])
    for column, name in enumerate(names):
        encoder_head = model.encoder_heads.get(name)
        if encoder_head is None:
            continue
        semantic = encoder_head.scores(E)[:, encoder_head.labels.index("yes")]
        scores[rows, column] = (1 - weight) * scores[rows, column] + weight * semantic
    return scores
