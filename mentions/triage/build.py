"""Recipes for the shipped models, shared by `manage.py triage_build` and the benchmark's
cross-validation (which runs the same recipe on each training fold)."""

from __future__ import annotations

from collections.abc import Sequence

from mentions.triage.linear import Features, TextModel, train_head


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
    heads = {
        "sentiment": train_head(features.transform(sentiment_texts), sentiment_labels),
        "complaint": train_head(features.transform(complaint_texts), complaint_labels),
    }
    return TextModel(features=features, heads=heads, meta=dict(meta or {}))


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
        "sentiment": train_head(X, sentiment_labels, balanced=False, lr_c=10.0),
        "relevance": train_head(X, relevance_labels),
    }
    return TextModel(features=features, heads=heads, meta=dict(meta or {}))
