"""Ensembles on a shared n-gram vectorizer (+ optional cached sentence embeddings, VADER).

Per fold (same 5 folds): one vectorizer, heads LR(C10,bal), NB-LR(C4,bal), LinearSVC(C0.1,bal),
LR on embeddings; combos = mean of per-head class probabilities (SVC via softmax of decision).
Stacking: multinomial LR on out-of-fold head scores from an inner 3-fold CV on the training part.
usage: python run_ensemble.py ENCODER(or none)
"""
import sys
import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.model_selection import StratifiedKFold
import common as C
import models as M
from embed import cached

DS = {"airline": "airline", "ge_rel": "germeval", "ge_sent": "germeval", "complaint": "complaints"}


def softmax(S):
    if S.ndim == 1:
        S = np.column_stack([-S, S])
    S = S - S.max(1, keepdims=True)
    e = np.exp(S)
    return e / e.sum(1, keepdims=True)


def heads(Xtr, ytr, Xte, Etr, Ete, Vtr, Vte):
    out = {}
    m = LogisticRegression(C=10, max_iter=3000, class_weight="balanced").fit(Xtr, ytr)
    out["lr"] = m.predict_proba(Xte)
    m = M.NBSVM(C=4, class_weight="balanced").fit(Xtr, ytr)
    out["nblr"] = softmax(m.decision_function(Xte))
    m = LinearSVC(C=0.1, class_weight="balanced").fit(Xtr, ytr)
    out["svc"] = softmax(2 * m.decision_function(Xte))
    if Etr is not None:
        m = LogisticRegression(C=10, max_iter=3000, class_weight="balanced").fit(Etr, ytr)
        out["emb"] = m.predict_proba(Ete)
    if Vtr is not None:
        Xv_tr = sp.hstack([Xtr, sp.csr_matrix(Vtr)], format="csr")
        Xv_te = sp.hstack([Xte, sp.csr_matrix(Vte)], format="csr")
        m = LogisticRegression(C=10, max_iter=3000, class_weight="balanced").fit(Xv_tr, ytr)
        out["lrvader"] = m.predict_proba(Xv_te)
    return out


def main(enc):
    T = C.tasks()
    vader_cache = {}
    for tn, (texts, y, metrics, lang) in T.items():
        classes = np.unique(y)
        E = cached(enc, DS[tn]) if enc != "none" else None
        V = None
        if lang == "en":
            V = M.Vader(3.0).transform(texts)
        P = np.asarray(C.prep_neg(texts), dtype=object)
        combos = {}
        for tr, te in C.splits(y):
            vec = M.improved_vec()
            Xtr = vec.fit_transform(list(P[tr])); Xte = vec.transform(list(P[te]))
            h = heads(Xtr, y[tr], Xte, None if E is None else E[tr], None if E is None else E[te],
                      None if V is None else V[tr], None if V is None else V[te])
            names = list(h)
            sets = {n: [n] for n in names}
            sets["lr+nblr+svc"] = ["lr", "nblr", "svc"]
            if "emb" in h:
                sets["lr+emb"] = ["lr", "emb"]
                sets["lr+nblr+svc+emb"] = ["lr", "nblr", "svc", "emb"]
            if "lrvader" in h:
                sets["lrvader+nblr+svc"] = ["lrvader", "nblr", "svc"]
                if "emb" in h:
                    sets["lrvader+nblr+svc+emb"] = ["lrvader", "nblr", "svc", "emb"]
            # stacking with inner CV
            inner = StratifiedKFold(3, shuffle=True, random_state=C.SEED)
            Z = np.zeros((len(tr), len(classes) * len(names)))
            for itr, ite in inner.split(Xtr, y[tr]):
                hi = heads(Xtr[itr], y[tr][itr], Xtr[ite], None if E is None else E[tr][itr],
                           None if E is None else E[tr][ite], None if V is None else V[tr][itr],
                           None if V is None else V[tr][ite])
                Z[ite] = np.hstack([hi[n] for n in names])
            meta = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced").fit(Z, y[tr])
            stack_pred = meta.predict(np.hstack([h[n] for n in names]))
            for s, members in list(sets.items()) + [("stack(all)", None)]:
                p = stack_pred if members is None else classes[np.mean([h[n] for n in members], 0).argmax(1)]
                d = combos.setdefault(s, {k: [] for k in metrics})
                for k, f in metrics.items():
                    d[k].append(f(y[te], p))
        for s, d in combos.items():
            res = {k: (float(np.mean(v)), float(np.std(v))) for k, v in d.items()}
            cand = f"ens[{enc}]:{s}"
            C.record("results.jsonl", {"cand": cand, "task": tn, **res})
            print(f"{cand:40s} {tn:9s} {C.fmt(res)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
