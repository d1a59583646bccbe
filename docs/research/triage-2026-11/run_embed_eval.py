"""Evaluate cached sentence embeddings: (a) LR on embeddings, (b) concat with n-gram TF-IDF features.

usage: python run_embed_eval.py ENCODER[,ENCODER] [mode a|b|ab]
Same 5-fold splits as run_linear.py. Prediction speed is combined analytically:
1/(1/ngram_speed + 1/encoder_speed) with encoder speed from embed_speed.jsonl.
"""
import sys, json, time
import numpy as np
import scipy.sparse as sp
import common as C
import models as M
from embed import cached
from sklearn.linear_model import LogisticRegression

DS = {"airline": "airline", "ge_rel": "germeval", "ge_sent": "germeval", "complaint": "complaints"}


def enc_speed(name, ds):
    best = None
    for line in open("embed_speed.jsonl"):
        r = json.loads(line)
        if r["encoder"] == name and r["dataset"] == ds:
            best = r["texts_per_s"]
    return best


def run(name, modes):
    T = C.tasks()
    for tn, (texts, y, metrics, lang) in T.items():
        E = cached(name, DS[tn])
        texts_a = np.asarray(texts, dtype=object)
        folds = C.splits(y)
        es = enc_speed(name, DS[tn])
        if "a" in modes:
            for Cv in (1.0, 10.0):
                for cw in (None, "balanced"):
                    sc = {k: [] for k in metrics}
                    for tr, te in folds:
                        m = LogisticRegression(C=Cv, max_iter=3000, class_weight=cw).fit(E[tr], y[tr])
                        p = m.predict(E[te])
                        for k, f in metrics.items():
                            sc[k].append(f(y[te], p))
                    res = {k: (float(np.mean(v)), float(np.std(v))) for k, v in sc.items()}
                    cand = f"emb_{name}_lr_C{Cv:g}_{cw or 'none'}"
                    size = E.shape[1] * len(np.unique(y)) * 8 / 1e6
                    C.record("results.jsonl", {"cand": cand, "task": tn, **res, "texts_per_s": es,
                                               "size_mb_head": size})
                    print(f"{cand:34s} {tn:9s} {C.fmt(res)} enc {es:.0f}/s", flush=True)
        if "b" in modes:
            for w in (1.0, 2.0):
                sc = {k: [] for k in metrics}
                for tr, te in folds:
                    vec = M.improved_vec()
                    Xtr = sp.hstack([vec.fit_transform(C.prep_neg(list(texts_a[tr]))), sp.csr_matrix(E[tr] * w)], format="csr")
                    Xte = sp.hstack([vec.transform(C.prep_neg(list(texts_a[te]))), sp.csr_matrix(E[te] * w)], format="csr")
                    m = LogisticRegression(C=10, max_iter=3000, class_weight="balanced").fit(Xtr, y[tr])
                    p = m.predict(Xte)
                    for k, f in metrics.items():
                        sc[k].append(f(y[te], p))
                res = {k: (float(np.mean(v)), float(np.std(v))) for k, v in sc.items()}
                # n-gram speed measured separately in results.jsonl for lr_C10_balanced
                ng = None
                for line in open("results.jsonl"):
                    r = json.loads(line)
                    if r["cand"] == "lr_C10_balanced" and r["task"] == tn:
                        ng = r["texts_per_s"]
                sps = 1 / (1 / ng + 1 / es) if ng and es else None
                cand = f"ngram+{name}_w{w:g}_lrC10bal"
                C.record("results.jsonl", {"cand": cand, "task": tn, **res, "texts_per_s": sps})
                print(f"{cand:34s} {tn:9s} {C.fmt(res)} combined {sps or 0:.0f}/s", flush=True)


if __name__ == "__main__":
    modes = sys.argv[2] if len(sys.argv) > 2 else "ab"
    for n in sys.argv[1].split(","):
        run(n, modes)
