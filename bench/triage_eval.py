"""Triage quality on externally labelled data, and whole-triage throughput on one core.

    .venv/bin/python bench/triage_eval.py [--folds 5] [--skip-cv]

Quality: 5-fold stratified cross-validation (shuffled, seed 42) on the dev sets in
../shared/data, with exactly the recipe that builds the shipped models
(`mentions.triage.build`), retrained on each training fold:
- airline sentiment: accuracy and macro-F1 (3 classes);
- GermEval 2017: relevance and document sentiment micro-F1;
- complaints: F1 of the complaint class;
- language: accuracy of the detector on the English and German sets (all of them English
  resp. German), as the product runs it (links and handles stripped, low-accuracy mode).
Throughput: `triage_texts` (language, sentiment, complaint, kind cues, relevance, aspects)
with the shipped models, on tweets and on a mixed stream with long German posts, pinned to
one core, best of three.
Needs ../shared/data (or LOTSE_SHARED_DATA); exits with a message without it.
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
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from mentions.triage import datasets, triage_texts
from mentions.triage.build import english_model, german_model
from mentions.triage.language import detect_languages

SEED = 42


def _folds(labels: list[str], n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = StratifiedKFold(n_splits=n, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(labels)), labels))


def _pick(values: list[str], indices: np.ndarray) -> list[str]:
    return [values[i] for i in indices]


def airline_cv(folds: int) -> dict[str, float]:
    airline, complaints = datasets.airline(), datasets.complaints()
    texts, labels = airline.texts, airline.labels["sentiment"]
    predicted = np.empty(len(texts), dtype=object)
    for train, test in _folds(labels, folds):
        model = english_model(
            (_pick(texts, train), _pick(labels, train)),
            (complaints.texts, complaints.labels["complaint"]),
        )
        X = model.features.transform(_pick(texts, test))
        predicted[test] = model.heads["sentiment"].predict(X)
    return {
        "airline sentiment accuracy": accuracy_score(labels, predicted),
        "airline sentiment macro-F1": f1_score(labels, predicted, average="macro"),
    }


def complaints_cv(folds: int) -> dict[str, float]:
    airline, complaints = datasets.airline(), datasets.complaints()
    texts, labels = complaints.texts, complaints.labels["complaint"]
    predicted = np.empty(len(texts), dtype=object)
    for train, test in _folds(labels, folds):
        model = english_model(
            (airline.texts, airline.labels["sentiment"]),
            (_pick(texts, train), _pick(labels, train)),
        )
        X = model.features.transform(_pick(texts, test))
        predicted[test] = model.heads["complaint"].predict(X)
    return {"complaint F1": f1_score(labels, predicted, pos_label="yes")}


def germeval_cv(folds: int) -> dict[str, float]:
    germeval = datasets.germeval()
    texts = germeval.texts
    sentiment, relevance = germeval.labels["sentiment"], germeval.labels["relevance"]
    out: dict[str, float] = {}
    for task, labels in (("relevance", relevance), ("sentiment", sentiment)):
        predicted = np.empty(len(texts), dtype=object)
        for train, test in _folds(labels, folds):
            model = german_model(
                _pick(texts, train), _pick(sentiment, train), _pick(relevance, train)
            )
            X = model.features.transform(_pick(texts, test))
            predicted[test] = model.heads[task].predict(X)
        out[f"GermEval {task} micro-F1"] = f1_score(labels, predicted, average="micro")
    return out


def language_accuracy() -> dict[str, float]:
    out = {}
    for name, data in (
        ("airline", datasets.airline()),
        ("complaints", datasets.complaints()),
        ("GermEval", datasets.germeval()),
    ):
        detected = detect_languages(data.texts)
        out[f"language accuracy {name} ({data.language})"] = float(
            np.mean([d == data.language for d in detected])
        )
    return out


def throughput() -> dict[str, float]:
    airline, complaints, germeval = datasets.airline(), datasets.complaints(), datasets.germeval()
    tweets = (airline.texts + complaints.texts)[:4000]
    mixed = airline.texts[:2000] + germeval.texts[:1000] + complaints.texts[:1000]
    triage_texts(tweets[:50])  # load models once
    out = {}
    for name, texts in (("tweets", tweets), ("mixed incl. long German posts", mixed)):
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            triage_texts(texts)
            best = min(best, time.process_time() - started)
        out[f"triage throughput, {name} (mentions/s, one core)"] = len(texts) / best
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true", help="only language and speed")
    args = parser.parse_args()
    if not datasets.available():
        sys.exit(f"labelled data not found under {datasets.data_root()} (set LOTSE_SHARED_DATA)")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    steps: list[Callable[[], dict[str, float]]] = [language_accuracy, throughput]
    if not args.skip_cv:
        steps = [
            *(partial(cv, args.folds) for cv in (airline_cv, germeval_cv, complaints_cv)),
            *steps,
        ]
    for step in steps:
        for name, value in step().items():
            shown = f"{value:,.0f}" if value > 1.5 else f"{value:.3f}"
            print(f"{name:<58} {shown}", flush=True)


if __name__ == "__main__":
    main()
