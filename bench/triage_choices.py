"""How the shipped triage's choices were made: cross-validation inside the development 80 %.

    .venv/bin/python bench/triage_choices.py [--folds 4]

Never reads the held-out 20 % of `datasets.holdout_split` (bench/triage_eval.py scores it).
Prints, pooled over k folds of the 80 % (stratified, shuffled, seed 42):
- German sentiment (GermEval 2017): plain vs balanced class weights, and how cue words
  enter (none, the old hard override of "neutral", a soft nudge of the scores on short posts
  with weights 0.5-2 and a bonus for neutral on questions without cue words);
- the English complaint head alone and folded with a plain logistic regression, by
  decision threshold;
- the whole triage's complaint kind with that fold at member C 0.3-10, by threshold (the
  shipped C=3 and 0.45 are its best cell at 5 folds: `--folds 5`).
The settings in `mentions/triage/build.py` are the best rows here.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from mentions.triage import datasets, lexicon, triage_texts
from mentions.triage.build import fold_member
from mentions.triage.linear import Features, TextModel, train_head
from mentions.triage.text import normalize

SEED = 42
LABELS = ["negative", "neutral", "positive"]
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)


def _folds(strata: list[str], n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    counts: dict[str, int] = defaultdict(int)
    for s in strata:
        counts[s] += 1
    merged = [s if counts[s] >= n else s.split("|")[0] for s in strata]
    splitter = StratifiedKFold(n_splits=n, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(merged)), merged))


def german(folds: int) -> None:
    dev, _ = datasets.split_set(datasets.germeval())
    normalized = [normalize(t) for t in dev.texts]
    polarity = np.array([lexicon.lexicon_sentiment(t) for t in normalized])
    short = np.array([len(t) <= 280 for t in normalized])
    question = np.array([lexicon.is_question(t) for t in normalized])
    predicted: dict[str, np.ndarray] = defaultdict(lambda: np.empty(len(dev.texts), dtype=object))
    for train, test in _folds(dev.strata, folds):
        part = dev.subset(train.tolist())
        features = Features.fit(part.texts)
        X, X_test = (
            features.transform(part.texts),
            features.transform(dev.subset(test.tolist()).texts),
        )
        lex, brief, asks = polarity[test], short[test], question[test]
        for weights, balanced in (("plain weights", False), ("balanced", True)):
            raw = train_head(X, part.labels["sentiment"], balanced=balanced).scores(X_test)
            plain = np.array([LABELS[i] for i in raw.argmax(axis=1)], dtype=object)
            predicted[f"{weights}, no cue words"][test] = plain
            hard = plain.copy()
            override = (hard == "neutral") & (np.abs(lex) >= 0.5)
            hard[override] = np.where(lex[override] < 0, "negative", "positive")
            predicted[f"{weights}, hard override (old)"][test] = hard
            if not balanced:
                continue
            for weight in (0.5, 1.0, 2.0):
                for bonus in (0.0, 1.0):
                    nudged = raw.copy()
                    nudged[brief, 0] -= weight * np.minimum(lex[brief], 0)
                    nudged[brief, 2] += weight * np.maximum(lex[brief], 0)
                    nudged[brief & asks & (lex == 0), 1] += bonus
                    name = f"{weights}, nudge {weight} question {bonus}"
                    predicted[name][test] = np.array(
                        [LABELS[i] for i in nudged.argmax(axis=1)], dtype=object
                    )
    gold = dev.labels["sentiment"]
    print(f"German sentiment, {folds}-fold CV inside the 80 %: micro-F1, negatives read neutral")
    for name, values in sorted(
        predicted.items(), key=lambda item: -f1_score(gold, list(item[1]), average="micro")
    ):
        missed = sum(g == "negative" and p == "neutral" for g, p in zip(gold, values, strict=True))
        score = f1_score(gold, list(values), average="micro")
        print(f"  {name:<44} {score:.3f} {missed:>5}", flush=True)


def complaints(folds: int) -> None:
    """The complaint head as `english_model` trains it, alone and folded with a plain LR."""
    airline, _ = datasets.split_set(datasets.airline())
    dev, _ = datasets.split_set(datasets.complaints())
    negative = ["yes" if s == "negative" else "no" for s in airline.labels["sentiment"]]
    probability: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(dev.texts)))
    for train, test in _folds(dev.strata, folds):
        part = dev.subset(train.tolist())
        features = Features.fit([*airline.texts, *part.texts])
        X_train = features.transform([*part.texts, *airline.texts])
        labels = [*part.labels["complaint"], *negative]
        X_test = features.transform(dev.subset(test.tolist()).texts)
        head = train_head(X_train, labels)
        probability["ensemble head alone"][test] = head.probabilities(X_test)[:, 1]
        for c in (1.0, 10.0):
            folded = fold_member(head, X_train[: len(part.texts)], part.labels["complaint"], c=c)
            probability[f"head folded with LR C={c:g}"][test] = folded.probabilities(X_test)[:, 1]
    gold = dev.labels["complaint"]
    print(f"English complaint head, {folds}-fold CV inside the 80 %: F1 by threshold")
    print(f"  {'':<30}" + "".join(f"{t:>7.2f}" for t in THRESHOLDS))
    for name, values in probability.items():
        scores = [
            f1_score(gold, ["yes" if p >= t else "no" for p in values], pos_label="yes")
            for t in THRESHOLDS
        ]
        print(f"  {name:<30}" + "".join(f"{score:>7.3f}" for score in scores), flush=True)


def complaint_kind(folds: int) -> None:
    """The whole triage's complaint kind (cue shifts and kind rules included) with the
    complaint head folded with a plain LR of C 0.3-10, by decision threshold."""
    airline, _ = datasets.split_set(datasets.airline())
    dev, _ = datasets.split_set(datasets.complaints())
    negative = ["yes" if s == "negative" else "no" for s in airline.labels["sentiment"]]
    kinds: dict[tuple[float, float], np.ndarray] = defaultdict(
        lambda: np.empty(len(dev.texts), dtype=object)
    )
    for train, test in _folds(dev.strata, folds):
        part, held = dev.subset(train.tolist()), dev.subset(test.tolist())
        features = Features.fit([*airline.texts, *part.texts])
        X_train = features.transform([*part.texts, *airline.texts])
        head = train_head(X_train, [*part.labels["complaint"], *negative])
        sentiment = train_head(features.transform(airline.texts), airline.labels["sentiment"])
        for c in (0.3, 1.0, 3.0, 10.0):
            folded = fold_member(head, X_train[: len(part.texts)], part.labels["complaint"], c=c)
            for threshold in THRESHOLDS:
                folded.meta["threshold"] = threshold
                model = TextModel(
                    features=features, heads={"sentiment": sentiment, "complaint": folded}
                )
                kinds[(c, threshold)][test] = [
                    "yes" if r.kind == "complaint" else "no"
                    for r in triage_texts(held.texts, models={"en": model, "de": None})
                ]
    gold = dev.labels["complaint"]
    print(f"Complaint kind of the whole triage, {folds}-fold CV inside the 80 %: F1 by threshold")
    print(f"  {'':<30}" + "".join(f"{t:>7.2f}" for t in THRESHOLDS))
    for c in (0.3, 1.0, 3.0, 10.0):
        scores = [f1_score(gold, list(kinds[(c, t)]), pos_label="yes") for t in THRESHOLDS]
        name = f"head folded with LR C={c:g}"
        print(f"  {name:<30}" + "".join(f"{score:>7.3f}" for score in scores), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=4)
    args = parser.parse_args()
    if not datasets.available():
        sys.exit(f"labelled data not found under {datasets.data_root()} (set LOTSE_SHARED_DATA)")
    german(args.folds)
    complaints(args.folds)
    complaint_kind(args.folds)


if __name__ == "__main__":
    main()
