"""Recipes for the shipped models, shared by `manage.py triage_build` and the benchmark's
cross-validation (which runs the same recipe on each training fold)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from mentions.triage.linear import Features, LinearHead, TextModel, train_head

# The complaint decision: the ensemble head folded with a plain logistic regression (C=3,
# plain weights) learned from the complaint tweets alone, at a threshold of 0.45. First
# chosen by 4-fold cross-validation of the head inside the development 80 %
# (bench/triage_choices.py): complaint F1 0.772, against 0.746 for the head alone at its best
# threshold (0.45). Member C and threshold were then chosen again by 5-fold cross-validation
# of the whole triage (kind == complaint, cue shifts and kind rules included) inside the
# 80 %, over C 0.3-10, member weights 0-1 and thresholds 0.3-0.55: C=3, equal weights, 0.45
# gave 0.750 against 0.743 for C=1 at 0.4 (C of 3 and 10 lead at every threshold).
COMPLAINT_MEMBER_C = 3.0
COMPLAINT_THRESHOLD = 0.45


def fold_member(head: LinearHead, X: Any, y: Sequence[str], *, c: float) -> LinearHead:
    """A two-label head averaged with a plain logistic regression on the same features.

    Each member's scores are standardised on the training rows and averaged, which is again
    one linear head (as in `train_head`): the second opinion costs nothing at run time.
    """
    if len(head.labels) != 2:
        raise ValueError("only two-label heads take a member")
    member = LogisticRegression(C=c, max_iter=3000).fit(X, list(y))
    if [str(label) for label in member.classes_] != head.labels:
        raise ValueError("the member must learn the head's labels")
    head_scores = np.asarray(X @ head.coef.T).ravel() + head.intercept[0]
    member_scores = member.decision_function(X)
    a = float(head_scores.std()) or 1.0
    b = float(member_scores.std()) or 1.0
    coef = (head.coef / a + member.coef_ / b) / 2
    intercept = (head.intercept / a + member.intercept_ / b) / 2
    return LinearHead(
        labels=head.labels,
        coef=coef.astype(np.float32),
        intercept=np.asarray(intercept, dtype=np.float64),
        meta=dict(head.meta),
    )


def english_model(
    sentiment: tuple[Sequence[str], Sequence[str]],
    complaint: tuple[Sequence[str], Sequence[str]],
    *,
    meta: dict[str, object] | None = None,
) -> TextModel:
    """Sentiment (negative/neutral/positive) and complaint (no/yes) on shared features.

    The complaint head also learns from the sentiment tweets (negative = complaint): the
    complaint set is small, and it improved complaint F1 in cross-validation.
    """
    sentiment_texts, sentiment_labels = sentiment
    complaint_texts = [*complaint[0], *sentiment_texts]
    complaint_labels = [
        *complaint[1],
        *("yes" if s == "negative" else "no" for s in sentiment_labels),
    ]
    features = Features.fit([*sentiment_texts, *complaint[0]])
    X_complaint = features.transform(complaint_texts)
    complaint_head = fold_member(
        train_head(X_complaint, complaint_labels),
        X_complaint[: len(complaint[0])],
        complaint[1],
        c=COMPLAINT_MEMBER_C,
    )
    complaint_head.meta["threshold"] = COMPLAINT_THRESHOLD
    heads = {
        "sentiment": train_head(features.transform(sentiment_texts), sentiment_labels),
        "complaint": complaint_head,
    }
    return TextModel(features=features, heads=heads, meta=dict(meta or {}))


# Cue words nudge the German sentiment scores on short posts (engine._nudge). Chosen by
# 4-fold cross-validation inside the development 80 % over weights 0.5-2 and question
# bonuses 0-1: 0.747 micro-F1 against 0.743 without the nudge and 0.700 for the old hard
# override (a cue word replaced the model's "neutral").
GERMAN_LEXICON_NUDGE: dict[str, float] = {"weight": 1.0, "question": 1.0, "max_chars": 280}


def german_model(
    texts: Sequence[str],
    sentiment_labels: Sequence[str],
    relevance_labels: Sequence[str],
    *,
    meta: dict[str, object] | None = None,
) -> TextModel:
    """Sentiment and rail relevance (false/true) on shared features."""
    features = Features.fit(texts)
    X = features.transform(texts)
    heads = {
        # Balanced class weights: cross-validation inside the development data chose them
        # over plain weights (0.743 vs 0.735 micro-F1; negatives read as neutral 288 vs 366).
        "sentiment": train_head(X, sentiment_labels),
        "relevance": train_head(X, relevance_labels),
    }
    heads["sentiment"].meta["lexicon_nudge"] = dict(GERMAN_LEXICON_NUDGE)
    return TextModel(features=features, heads=heads, meta=dict(meta or {}))
