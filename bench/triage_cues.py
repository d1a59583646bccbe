"""How much cue words may move triage: chosen inside the development 80 % only.

    .venv/bin/python bench/triage_cues.py

`engine.CUE_SHIFT` (how far clear cue words move the complaint threshold) and
`engine.CUE_FOLLOW_BELOW` (below which model confidence cue words overrule a model's
sentiment on a short post) are chosen here. Each dev set's development 80 %
(`datasets.split_set`) is split again, by the same hash rule, into a training 80 % and a
validation 20 %; the models are trained on the training part with the shipped recipes and
every setting is scored on the validation part. The held-out 20 % of bench/triage_eval.py
and our own kinds set (tests/data/triage_kinds.jsonl) are never read.

Prints, per setting: airline sentiment macro-F1, complaint F1 (kind == complaint) and
GermEval sentiment micro-F1; then a coordinate search over the shifts.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from sklearn.metrics import f1_score

from mentions.triage import ClientTriage, datasets, engine, triage_texts
from mentions.triage.build import english_model, german_model
from mentions.triage.datasets import LabelledSet

SHIFTS = (0.0, 0.1, 0.2, 0.3, 0.4)
FOLLOW = (0.0, 0.5, 0.6, 0.7, 0.8, 1.0)


def _inner(data: LabelledSet) -> tuple[LabelledSet, LabelledSet]:
    development, _held_out = datasets.split_set(data)
    train, validation = datasets.holdout_split(development.ids, development.strata)
    return development.subset(train), development.subset(validation)


def main() -> None:
    if not datasets.available():
        sys.exit("labelled data not found (set LOTSE_SHARED_DATA)")
    a_train, a_val = _inner(datasets.airline())
    c_train, c_val = _inner(datasets.complaints())
    g_train, g_val = _inner(datasets.germeval())
    models = {
        "en": english_model(
            (a_train.texts, a_train.labels["sentiment"]),
            (c_train.texts, c_train.labels["complaint"]),
        ),
        "de": german_model(g_train.texts, g_train.labels["sentiment"], g_train.labels["relevance"]),
    }
    transport = ClientTriage(industry="transport")

    def score() -> tuple[float, float, float]:
        airline = [r.sentiment for r in triage_texts(a_val.texts, models=models)]
        complaints = [
            "yes" if r.kind == "complaint" else "no"
            for r in triage_texts(c_val.texts, models=models)
        ]
        german = [r.sentiment for r in triage_texts(g_val.texts, models=models, client=transport)]
        return (
            float(f1_score(a_val.labels["sentiment"], airline, average="macro")),
            float(f1_score(c_val.labels["complaint"], complaints, pos_label="yes")),
            float(f1_score(g_val.labels["sentiment"], german, average="micro")),
        )

    print(
        f"validation rows: airline {len(a_val.texts)}, complaints {len(c_val.texts)}, "
        f"GermEval {len(g_val.texts)}"
    )
    print(f"{'setting':<44} {'airline mF1':>11} {'complaint F1':>12} {'GermEval':>9}")
    engine.CUE_SHIFT = dict.fromkeys(engine.CUE_SHIFT, 0.0)
    best_follow, best_sum = 0.0, -1.0
    for follow in FOLLOW:
        engine.CUE_FOLLOW_BELOW = follow
        a, c, g = score()
        print(f"{f'follow below {follow}, no shifts':<44} {a:>11.3f} {c:>12.3f} {g:>9.3f}")
        if a + g > best_sum:
            best_follow, best_sum = follow, a + g
    engine.CUE_FOLLOW_BELOW = best_follow
    print(f"chosen: follow below {best_follow} (best airline macro-F1 + GermEval)")
    for _ in range(2):
        for name in list(engine.CUE_SHIFT):
            results = []
            for shift in SHIFTS:
                engine.CUE_SHIFT[name] = shift
                a, c, g = score()
                results.append((c, -shift, shift))
                print(
                    f"{f'shift {name} {shift} ({engine.CUE_SHIFT})':<44} "
                    f"{a:>11.3f} {c:>12.3f} {g:>9.3f}"
                )
            engine.CUE_SHIFT[name] = max(results)[2]
    print(f"chosen: CUE_SHIFT = {engine.CUE_SHIFT}, CUE_FOLLOW_BELOW = {best_follow}")


if __name__ == "__main__":
    main()
