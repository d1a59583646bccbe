"""Whole-triage throughput on one core: lingua (8 langs, low-accuracy) -> per-language shared
n-gram vectorizer -> heads (en: sentiment + complaint kind; de: relevance + sentiment).
Mixed stream: airline + complaints + GermEval texts (GermEval are long news/blog posts too).
usage: python pipeline_speed.py [low|high] [svc|lr] [vader]
"""
import os, sys, time
os.environ["RAYON_NUM_THREADS"] = "1"
import numpy as np
import scipy.sparse as sp
import common as C
import models as M
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from lingua import Language, LanguageDetectorBuilder

mode = sys.argv[1] if len(sys.argv) > 1 else "low"
head = sys.argv[2] if len(sys.argv) > 2 else "svc"
use_vader = "vader" in sys.argv
LANGS = [Language.GERMAN, Language.ENGLISH, Language.FRENCH, Language.SPANISH, Language.ITALIAN,
         Language.DUTCH, Language.POLISH, Language.TURKISH]
b = LanguageDetectorBuilder.from_languages(*LANGS).with_preloaded_language_models()
det = (b.with_low_accuracy_mode() if mode == "low" else b).build()

a_x, a_y = C.load_airline(); c_x, c_y = C.load_complaints(); g_x, g_rel, g_sent = C.load_germeval()


def mk():
    return (LinearSVC(C=0.1, class_weight="balanced") if head == "svc"
            else LogisticRegression(C=10, max_iter=3000, class_weight="balanced"))


vader = M.Vader(3.0) if use_vader else None
en_vec = M.improved_vec().fit(C.prep_neg(a_x + c_x))
Xa = en_vec.transform(C.prep_neg(a_x)); Xc = en_vec.transform(C.prep_neg(c_x))
if vader:
    Xa = sp.hstack([Xa, sp.csr_matrix(vader.transform(a_x))], format="csr")
    Xc = sp.hstack([Xc, sp.csr_matrix(vader.transform(c_x))], format="csr")
en_sent = mk().fit(Xa, a_y); en_kind = mk().fit(Xc, c_y)
de_vec = M.improved_vec().fit(C.prep_neg(g_x)); Xg = de_vec.transform(C.prep_neg(g_x))
de_rel = mk().fit(Xg, g_rel); de_sent = mk().fit(Xg, g_sent)


def triage(texts):
    langs = [r.iso_code_639_1.name.lower() if r else "xx" for r in det.detect_languages_in_parallel_of(texts)]
    langs = np.array(langs)
    out = [None] * len(texts)
    pre = C.prep_neg(texts)
    for lang in ("en", "de"):
        idx = np.where(langs == lang)[0] if lang == "de" else np.where(langs != "de")[0]  # non-de -> en model
        if len(idx) == 0:
            continue
        sub = [pre[i] for i in idx]
        if lang == "en":
            X = en_vec.transform(sub)
            if vader:
                X = sp.hstack([X, sp.csr_matrix(vader.transform([texts[i] for i in idx]))], format="csr")
            s, k = en_sent.predict(X), en_kind.predict(X)
            for j, i in enumerate(idx):
                out[i] = (langs[i], s[j], int(k[j]), None)
        else:
            X = de_vec.transform(sub)
            s, r = de_sent.predict(X), de_rel.predict(X)
            for j, i in enumerate(idx):
                out[i] = (langs[i], s[j], None, r[j])
    return out


rng = np.random.default_rng(0)
for name, pool in (("tweets(en)", a_x + c_x), ("germeval(de)", g_x), ("mixed", a_x + c_x + g_x)):
    texts = [pool[i] for i in rng.choice(len(pool), 4000)]
    triage(texts[:100])
    best = 1e9
    for _ in range(2):
        t0 = time.perf_counter(); triage(texts); best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter(); det.detect_languages_in_parallel_of(texts); ld = time.perf_counter() - t0
    row = {"pipeline": f"lingua-{mode}+{head}{'+vader' if vader else ''}", "stream": name,
           "texts_per_s": len(texts) / best, "langdetect_only_per_s": len(texts) / ld}
    C.record("pipeline_speed.jsonl", row); print(row, flush=True)
