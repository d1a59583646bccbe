"""Triage quality on data it has never seen, beside cross-validation, and speed on one core.

    .venv/bin/python bench/triage_eval.py [--folds 5] [--quick]

The protocol (issue 14):
- Every dev set in ../shared/data is split once: a fixed, stratified 20 % is held out,
  decided by a hash of each row's own id (`datasets.holdout_split`). No training, tuning,
  threshold or lexicon choice ever sees it: every model below is trained on the other 80 %.
- "CV" is k-fold cross-validation inside the 80 % (stratified, shuffled, seed 42): each
  fold's model is trained on the other folds of the 80 %; the score is over the pooled
  out-of-fold predictions. Any choice a recipe makes (thresholds, weights) happens inside
  its training data, so CV and held-out figures should agree; a gap means overfitting.
- Systems, all trained on exactly the same rows:
  - "Lotse shipped": the recipe of `manage.py triage_build` (`mentions.triage.build`), run
    through the whole `triage_texts` (language detection, lexicon cues, kind rules);
  - "Lotse learned": what a client gets after `triage_learn` on the same labels (the
    learned-field recipe in `mentions.triage.learn` with its keep-if-better rule:
    `learned_field_fit` keeps a learned model only if it beats current triage on a fixed
    fifth of the training rows), also through `triage_texts`;
  - "plain recipe": word 1-2 + char_wb 2-5 TF-IDF and one logistic regression (C=1), the
    floor the issue names.
- Measures: airline sentiment macro-F1 and accuracy; GermEval 2017 document sentiment and
  relevance micro-F1 (only the dev split is in ../shared/data, so there is no separate
  synchronic or diachronic test set: both figures below are on held-out dev rows); complaint
  F1 (kind == complaint for Lotse); airline negative reason -> first aspect accuracy and
  micro-F1 (reasons learned as aspects, "Can't Tell" left out); language accuracy;
  whole-triage throughput (tweets/s, one core, shipped models).

`--quick` prints the held-out figures only (no CV; two to three minutes; the full run
about ten on a busy two-core machine). Needs ../shared/data
(or LOTSE_SHARED_DATA); exits with a message without it.
"""

from __future__ import annotations

import os

for _variable in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "RAYON_NUM_THREADS",
):
    os.environ.setdefault(_variable, "1")

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from mentions.triage import ClientTriage, datasets, triage_texts
from mentions.triage.aspects import aspect_model_train, aspect_scores
from mentions.triage.build import english_model, german_model
from mentions.triage.datasets import LabelledSet
from mentions.triage.encoder import sentence_embeddings
from mentions.triage.language import detect_languages
from mentions.triage.learn import LabelledText, learned_field_fit, learned_head_train
from mentions.triage.linear import Features, TextModel

SEED = 42
NO_ASPECT = {"", "Can't Tell"}

# --------------------------------------------------------------------------- recipes

# (measure, system, held-out figure, CV figure or None)
Row = tuple[str, str, float, float | None]


class Plain:
    """The plain recipe: word 1-2 + char_wb 2-5 TF-IDF (scikit-learn defaults), one LR C=1."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.word = TfidfVectorizer(ngram_range=(1, 2))
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))
        X = sp.hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)]).tocsr()
        self.model = LogisticRegression(C=1.0, max_iter=2000).fit(X, list(labels))

    def _X(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(label) for label in self.model.predict(self._X(texts))]

    def probabilities(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        return [str(c) for c in self.model.classes_], self.model.predict_proba(self._X(texts))


def learned_if_better(
    field: str,
    texts: Sequence[str],
    targets: Sequence[Any],
    *,
    language: str,
    models: dict[str, TextModel | None],
    current: ClientTriage,
    split: tuple[list[int], list[int]],
) -> dict[str, TextModel]:
    """What `triage_learn` keeps for one field: a model trained on the `split`'s first part
    of the training rows, kept (and trained again on all of them) only if it beats current
    triage (`models`, trained by the shipped recipe on that same first part, and this
    client) on the other part; else nothing, and the client keeps current triage. Never sees
    the rows it is scored on, and current triage is not scored on rows it learned from."""
    rows = [LabelledText(t, language, v) for t, v in zip(texts, targets, strict=True)]
    features = Features.fit(list(texts))
    outcome, model = learned_field_fit(
        name=field, rows=rows, features=features, current=current, models=models, split=split
    )
    KEPT.append(
        f"{field}: {outcome.status} ({outcome.new_score:.3f} vs {outcome.current_score:.3f})"
    )
    return {field: model} if model is not None else {}


# What the keep-if-better rule decided, printed at the end.
KEPT: list[str] = []


# --------------------------------------------------------------------------- tasks


@dataclass
class Scores:
    """Predictions for the held-out rows and the out-of-fold rows of the 80 %."""

    held_out: dict[str, list[str]]
    cv: dict[str, list[str]]


def _folds(strata: Sequence[str], n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    # Strata smaller than n cannot be spread over n folds: merge them per label.
    counts: dict[str, int] = {}
    for s in strata:
        counts[s] = counts.get(s, 0) + 1
    merged = [s if counts[s] >= n else s.split("|")[0] for s in strata]
    splitter = StratifiedKFold(n_splits=n, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(merged)), merged))


def _run(
    dev: LabelledSet,
    held: LabelledSet,
    folds: int,
    fit_predict: Callable[[LabelledSet, LabelledSet], dict[str, list[str]]],
) -> Scores:
    """`fit_predict(train, test)` → predictions by system; held out, then k-fold in the 80 %."""
    held_out = fit_predict(dev, held)
    cv: dict[str, list[str]] = {}
    if folds:
        pooled: dict[str, np.ndarray] = {}
        for train, test in _folds(dev.strata, folds):
            predictions = fit_predict(dev.subset(train.tolist()), dev.subset(test.tolist()))
            for system, values in predictions.items():
                column = pooled.setdefault(system, np.empty(len(dev.texts), dtype=object))
                column[test] = values
        cv = {system: list(values) for system, values in pooled.items()}
    return Scores(held_out, cv)


def decision_split(data: LabelledSet) -> tuple[list[int], list[int]]:
    """The fifth of a training set that triage_learn's keep-if-better rule decides on (by
    the same hash rule as the held-out split), and the rest."""
    rest, fifth = datasets.holdout_split(data.ids, data.strata)
    return rest, fifth


def _english_pair(
    airline_train: LabelledSet, complaints_train: LabelledSet
) -> dict[str, TextModel | None]:
    model = english_model(
        (airline_train.texts, airline_train.labels["sentiment"]),
        (complaints_train.texts, complaints_train.labels["complaint"]),
    )
    return {"en": model, "de": None}


def english_tasks(folds: int) -> list[Row]:
    """Airline sentiment and complaints. The English model learns from both sets, so one
    fit per fold serves both: fold j of each set is scored by the model that saw neither."""
    airline_dev, airline_held = datasets.split_set(datasets.airline())
    complaints_dev, complaints_held = datasets.split_set(datasets.complaints())

    def both(
        a_train: LabelledSet, a_test: LabelledSet, c_train: LabelledSet, c_test: LabelledSet
    ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        models = _english_pair(a_train, c_train)
        out_a: dict[str, list[str]] = {}
        out_c: dict[str, list[str]] = {}
        out_a["Lotse shipped"] = [r.sentiment for r in triage_texts(a_test.texts, models=models)]
        out_c["Lotse shipped"] = [
            "yes" if r.kind == "complaint" else "no"
            for r in triage_texts(c_test.texts, models=models)
        ]
        # Current triage for the keep-if-better decision: the shipped recipe without the
        # rows the decision is made on.
        a_split, c_split = decision_split(a_train), decision_split(c_train)
        deciding = _english_pair(a_train.subset(a_split[0]), c_train.subset(c_split[0]))
        learned = learned_if_better(
            "sentiment",
            a_train.texts,
            a_train.labels["sentiment"],
            language="en",
            models=deciding,
            current=ClientTriage(),
            split=a_split,
        )
        out_a["Lotse learned"] = [
            r.sentiment
            for r in triage_texts(a_test.texts, models=models, client=ClientTriage(learned=learned))
        ]
        kinds = ["complaint" if c == "yes" else "other" for c in c_train.labels["complaint"]]
        learned_kind = learned_if_better(
            "kind",
            c_train.texts,
            kinds,
            language="en",
            models=deciding,
            current=ClientTriage(),
            split=c_split,
        )
        out_c["Lotse learned"] = [
            "yes" if r.kind == "complaint" else "no"
            for r in triage_texts(
                c_test.texts, models=models, client=ClientTriage(learned=learned_kind)
            )
        ]
        out_a["plain recipe"] = Plain(a_train.texts, a_train.labels["sentiment"]).predict(
            a_test.texts
        )
        out_c["plain recipe"] = Plain(c_train.texts, c_train.labels["complaint"]).predict(
            c_test.texts
        )
        return out_a, out_c

    held_a, held_c = both(airline_dev, airline_held, complaints_dev, complaints_held)
    cv_a: dict[str, np.ndarray] = {}
    cv_c: dict[str, np.ndarray] = {}
    if folds:
        for (a_train, a_test), (c_train, c_test) in zip(
            _folds(airline_dev.strata, folds), _folds(complaints_dev.strata, folds), strict=True
        ):
            pa, pc = both(
                airline_dev.subset(a_train.tolist()),
                airline_dev.subset(a_test.tolist()),
                complaints_dev.subset(c_train.tolist()),
                complaints_dev.subset(c_test.tolist()),
            )
            for pooled, predictions, test, size in (
                (cv_a, pa, a_test, len(airline_dev.texts)),
                (cv_c, pc, c_test, len(complaints_dev.texts)),
            ):
                for system, values in predictions.items():
                    pooled.setdefault(system, np.empty(size, dtype=object))[test] = values
    rows: list[Row] = []
    gold_a_held, gold_a_dev = airline_held.labels["sentiment"], airline_dev.labels["sentiment"]
    for system in held_a:
        for metric, score in (
            ("macro-F1", lambda y, p: f1_score(y, p, average="macro")),
            ("accuracy", accuracy_score),
        ):
            rows.append(
                (
                    f"airline sentiment {metric}",
                    system,
                    float(score(gold_a_held, held_a[system])),
                    float(score(gold_a_dev, list(cv_a[system]))) if cv_a else None,
                )
            )
    gold_c_held, gold_c_dev = (
        complaints_held.labels["complaint"],
        complaints_dev.labels["complaint"],
    )
    for system in held_c:
        rows.append(
            (
                "complaint F1",
                system,
                float(f1_score(gold_c_held, held_c[system], pos_label="yes")),
                float(f1_score(gold_c_dev, list(cv_c[system]), pos_label="yes")) if cv_c else None,
            )
        )
    return rows


def german_tasks(folds: int) -> list[Row]:
    dev, held = datasets.split_set(datasets.germeval())
    transport = ClientTriage(industry="transport")

    def fit_predict(train: LabelledSet, test: LabelledSet) -> dict[str, list[str]]:
        sentiment, relevance = train.labels["sentiment"], train.labels["relevance"]
        models: dict[str, TextModel | None] = {
            "de": german_model(train.texts, sentiment, relevance),
            "en": None,
        }
        out: dict[str, list[str]] = {}
        shipped = triage_texts(test.texts, models=models, client=transport)
        out["sentiment|Lotse shipped"] = [r.sentiment for r in shipped]
        out["relevance|Lotse shipped"] = ["true" if r.relevant else "false" for r in shipped]
        split = decision_split(train)
        deciding: dict[str, TextModel | None] = {
            "de": german_model(
                [train.texts[i] for i in split[0]],
                [sentiment[i] for i in split[0]],
                [relevance[i] for i in split[0]],
            ),
            "en": None,
        }
        learned = ClientTriage(
            industry="transport",
            learned={
                **learned_if_better(
                    "sentiment",
                    train.texts,
                    sentiment,
                    language="de",
                    models=deciding,
                    current=transport,
                    split=split,
                ),
                **learned_if_better(
                    "relevant",
                    train.texts,
                    [r == "true" for r in relevance],
                    language="de",
                    models=deciding,
                    current=transport,
                    split=split,
                ),
            },
        )
        results = triage_texts(test.texts, models=models, client=learned)
        out["sentiment|Lotse learned"] = [r.sentiment for r in results]
        out["relevance|Lotse learned"] = ["true" if r.relevant else "false" for r in results]
        out["sentiment|plain recipe"] = Plain(train.texts, sentiment).predict(test.texts)
        out["relevance|plain recipe"] = Plain(train.texts, relevance).predict(test.texts)
        return out

    scores = _run(dev, held, folds, fit_predict)
    rows: list[Row] = []
    for key in scores.held_out:
        task, system = key.split("|")
        metric = f"GermEval {task} micro-F1"
        gold_held, gold_dev = held.labels[task], dev.labels[task]
        rows.append(
            (
                metric,
                system,
                float(f1_score(gold_held, scores.held_out[key], average="micro")),
                float(f1_score(gold_dev, scores.cv[key], average="micro")) if scores.cv else None,
            )
        )
    return rows


def aspect_tasks(folds: int) -> list[Row]:
    """Airline negative reasons learned as aspects (triage_learn's recipe: one yes/no n-gram
    head per aspect, a sentence-encoder head asked about the unsure posts) against the plain
    recipe as one multi-class model, on tweets with a reason."""
    dev_all, held_all = datasets.split_set(datasets.airline())
    dev = dev_all.subset([i for i, r in enumerate(dev_all.labels["reason"]) if r not in NO_ASPECT])
    held = held_all.subset(
        [i for i, r in enumerate(held_all.labels["reason"]) if r not in NO_ASPECT]
    )

    def fit_predict(train: LabelledSet, test: LabelledSet) -> dict[str, list[str]]:
        reasons = train.labels["reason"]
        names = sorted(set(reasons))
        features = Features.fit(train.texts)
        X_train, X_test = features.transform(train.texts), features.transform(test.texts)
        # triage_learn's recipe and the engine's application of it (mentions.triage.aspects).
        model = aspect_model_train(
            features=features,
            X=X_train,
            E=sentence_embeddings(train.texts),
            values=[[r] for r in reasons],
            names=names,
            head_train=learned_head_train,
        )
        yes = aspect_scores(model=model, X=X_test, texts=test.texts)
        columns = list(model.heads)
        first = [columns[i] for i in yes.argmax(axis=1)]
        # The set of aspects triage would attach (score >= 0, probability 0.5), "+"-joined.
        attached = ["+".join(n for n, p in zip(columns, row, strict=True) if p >= 0) for row in yes]
        plain = Plain(train.texts, reasons).predict(test.texts)
        return {
            "first|Lotse learned": first,
            "set|Lotse learned": attached,
            "first|plain recipe": plain,
            "set|plain recipe": plain,
        }

    scores = _run(dev, held, folds, fit_predict)

    def micro(gold: Sequence[str], predicted: Sequence[str]) -> float:
        hits = sum(g in p.split("+") for g, p in zip(gold, predicted, strict=True) if p)
        predicted_n = sum(len(p.split("+")) for p in predicted if p)
        precision = hits / predicted_n if predicted_n else 0.0
        recall = hits / len(gold)
        return 2 * precision * recall / (precision + recall) if hits else 0.0

    rows: list[Row] = []
    for key in scores.held_out:
        kind, system = key.split("|")
        score = accuracy_score if kind == "first" else micro
        name = (
            "negative reason -> first aspect accuracy"
            if kind == "first"
            else ("negative reason -> aspects micro-F1")
        )
        rows.append(
            (
                name,
                system,
                float(score(held.labels["reason"], scores.held_out[key])),
                float(score(dev.labels["reason"], scores.cv[key])) if scores.cv else None,
            )
        )
    return rows


def language_accuracy() -> list[Row]:
    rows: list[Row] = []
    for data in (datasets.airline(), datasets.complaints(), datasets.germeval()):
        _, held = datasets.split_set(data)
        detected = detect_languages(held.texts)
        accuracy = float(np.mean([d == data.language for d in detected]))
        rows.append((f"language accuracy, {data.name} ({data.language})", "Lotse", accuracy, None))
    return rows


def throughput() -> list[Row]:
    airline, complaints, germeval = datasets.airline(), datasets.complaints(), datasets.germeval()
    tweets = (airline.texts + complaints.texts)[:4000]
    mixed = airline.texts[:2000] + germeval.texts[:1000] + complaints.texts[:1000]
    triage_texts(tweets[:50])  # load the shipped models once
    rows: list[Row] = []
    for name, texts in (("tweets", tweets), ("mixed, long German posts", mixed)):
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            triage_texts(texts)
            best = min(best, time.process_time() - started)
        rows.append((f"whole triage, {name}/s, one core", "Lotse", len(texts) / best, None))
    rows.extend(_learned_aspects_speed(tweets))
    return rows


def _learned_aspects_speed(tweets: list[str]) -> list[Row]:
    """The whole triage for a client whose learned aspects are the airline negative reasons
    (triage_learn's recipe on the development rows with a reason that are not among the
    timed tweets: a model is surest of the texts it learned from, so timing it on them
    would send the encoder too few), with the sentence encoder as shipped, without its floor
    (every unsure post asked, as models stored before the floor), and without the encoder;
    and the share of tweets the encoder is asked about."""
    dev, _ = datasets.split_set(datasets.airline())
    timed = set(tweets)
    keep = [
        i
        for i, r in enumerate(dev.labels["reason"])
        if r not in NO_ASPECT and dev.texts[i] not in timed
    ]
    texts = [dev.texts[i] for i in keep]
    reasons = [dev.labels["reason"][i] for i in keep]
    features = Features.fit(texts)
    model = aspect_model_train(
        features=features,
        X=features.transform(texts),
        E=sentence_embeddings(texts),
        values=[[r] for r in reasons],
        names=sorted(set(reasons)),
        head_train=learned_head_train,
    )
    settings = {k: v for k, v in model.meta["encoder"].items() if k != "floor"}
    no_floor = TextModel(
        features, model.heads, meta={"encoder": settings}, encoder_heads=model.encoder_heads
    )
    rows: list[Row] = []
    for name, learned in (
        ("with learned aspects", model),
        ("with learned aspects, no encoder floor", no_floor),
        ("with learned aspects, n-gram heads only", TextModel(features, model.heads)),
    ):
        asked: list[str] = []

        def counted(batch: Sequence[str], asked: list[str] = asked) -> np.ndarray:
            asked.extend(batch)
            return sentence_embeddings(batch)

        aspect_scores(model=learned, X=features.transform(tweets), texts=tweets, embed=counted)
        client = ClientTriage(learned={"aspects": learned})
        triage_texts(tweets[:50], client=client)
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            triage_texts(tweets, client=client)
            best = min(best, time.process_time() - started)
        rows.append(
            (f"whole triage, tweets/s, one core, {name}", "Lotse", len(tweets) / best, None)
        )
        rows.append((f"  share of tweets asked, {name}", "Lotse", len(asked) / len(tweets), None))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5, help="CV folds inside the 80 %%")
    parser.add_argument("--quick", action="store_true", help="held-out figures only, no CV")
    parser.add_argument(
        "--only", choices=["en", "de", "aspects", "speed"], help="one group of measures"
    )
    args = parser.parse_args()
    if not datasets.available():
        sys.exit(f"labelled data not found under {datasets.data_root()} (set LOTSE_SHARED_DATA)")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    folds = 0 if args.quick else args.folds
    groups: dict[str, Callable[[], list[Row]]] = {
        "en": lambda: english_tasks(folds),
        "de": lambda: german_tasks(folds),
        "aspects": lambda: aspect_tasks(folds),
        "speed": lambda: [*language_accuracy(), *throughput()],
    }
    cv_title = f"CV {folds}-fold in 80 %" if folds else "CV (skipped)"
    print(f"{'measure':<46} {'system':<14} {'held-out 20 %':>13} {cv_title:>20}", flush=True)
    for name, group in groups.items():
        if args.only and name != args.only:
            continue
        started = time.perf_counter()
        for measure, system, held, cv in group():
            shown_held = f"{held:,.0f}" if held > 1.5 else f"{held:.3f}"
            shown_cv = "" if cv is None else f"{cv:.3f}"
            print(f"{measure:<46} {system:<14} {shown_held:>13} {shown_cv:>20}", flush=True)
        print(f"  ({name}: {time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    if KEPT:
        print("keep-if-better (triage_learn's rule; held-out run first, then each CV fold):")
        for line in KEPT:
            print(f"  {line}")


if __name__ == "__main__":
    main()
