"""Shared data loading, preprocessing, splits and evaluation for the triage lab.

Single-core: env vars are set before numpy is imported. Data is read from
/work/shared/data and never copied.
"""
import os
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS",
           "TOKENIZERS_PARALLELISM"):
    os.environ.setdefault(_v, "1" if _v != "TOKENIZERS_PARALLELISM" else "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import json, pickle, re, time, zlib
import xml.etree.ElementTree as ET
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.metrics import f1_score, accuracy_score

DATA = "/work/shared/data"
SEED = 42
N_SPLITS = 5


def load_airline():
    df = pd.read_csv(f"{DATA}/airline-sentiment/tweets-dev.csv")
    return df["text"].astype(str).tolist(), df["airline_sentiment"].to_numpy()


def load_complaints():
    df = pd.read_csv(f"{DATA}/complaints/complaints-dev.csv")
    return df["text"].astype(str).tolist(), df["label"].astype(int).to_numpy()


def load_germeval():
    root = ET.parse(f"{DATA}/germeval2017/dev-2017-09-15.xml").getroot()
    texts, rel, sent = [], [], []
    for d in root.iter("Document"):
        texts.append((d.findtext("text") or "").strip())
        rel.append(d.findtext("relevance").strip())
        sent.append(d.findtext("sentiment").strip())
    return texts, np.array(rel), np.array(sent)


def tasks():
    """name -> (texts, labels, metric_fn dict, lang)."""
    a_x, a_y = load_airline()
    c_x, c_y = load_complaints()
    g_x, g_rel, g_sent = load_germeval()
    return {
        "airline": (a_x, a_y, {"macroF1": lambda y, p: f1_score(y, p, average="macro"),
                               "acc": accuracy_score}, "en"),
        "ge_rel": (g_x, g_rel, {"microF1": lambda y, p: f1_score(y, p, average="micro")}, "de"),
        "ge_sent": (g_x, g_sent, {"microF1": lambda y, p: f1_score(y, p, average="micro")}, "de"),
        "complaint": (c_x, c_y, {"F1": lambda y, p: f1_score(y, p, pos_label=1)}, "en"),
    }


def splits(y):
    return list(StratifiedKFold(N_SPLITS, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y))


# ---------------------------------------------------------------- preprocessing
URL_RE = re.compile(r"https?://\S+|www\.\S+")
USER_RE = re.compile(r"@\w+")
ELONG_RE = re.compile(r"(\w)\1{2,}")
NEG_WORDS = r"(?:not|no|never|nothing|nobody|none|cannot|can't|cant|don't|dont|doesn't|doesnt|didn't|didnt|isn't|isnt|wasn't|wasnt|won't|wont|aren't|arent|haven't|havent|hasn't|hasnt|couldn't|couldnt|shouldn't|wouldn't|wouldnt|ain't|nicht|kein|keine|keinen|keiner|keinem|nie|niemals|nichts)"
NEG_RE = re.compile(r"\b" + NEG_WORDS + r"\b([^.,!?;:]*)", re.I)
# tokens: words (unicode), emoji / symbols, punctuation runs ! ? kept
TOK_RE = re.compile(r"[\w'#]+|[^\w\s]", re.U)


def norm(t, lower=True, elong=True):
    t = URL_RE.sub(" URL ", t)
    t = USER_RE.sub(" @USER ", t)
    if elong:
        t = ELONG_RE.sub(r"\1\1", t)
    if lower:
        t = t.lower()
    return t


def neg_mark(t):
    def rep(m):
        tail = re.sub(r"([\w']+)", r"\1_NEG", m.group(1))
        return m.group(0)[: len(m.group(0)) - len(m.group(1))] + tail
    return NEG_RE.sub(rep, t)


def tokenize(t):
    return TOK_RE.findall(t)


def prep_plain(texts):
    return [norm(t) for t in texts]


def prep_neg(texts):
    return [neg_mark(norm(t)) for t in texts]


# ---------------------------------------------------------------- evaluation
def cv_eval(make_model, texts, y, metrics, folds=None, fit_kw=None):
    """make_model() -> object with fit(texts, y) / predict(texts). Returns dict of (mean, std), preds."""
    texts = np.asarray(texts, dtype=object)
    folds = folds or splits(y)
    scores = {k: [] for k in metrics}
    oof = np.empty(len(y), dtype=object)
    t0 = time.time()
    for tr, te in folds:
        m = make_model()
        m.fit(list(texts[tr]), y[tr])
        p = m.predict(list(texts[te]))
        oof[te] = p
        for k, f in metrics.items():
            scores[k].append(f(y[te], p))
    res = {k: (float(np.mean(v)), float(np.std(v))) for k, v in scores.items()}
    res["cv_seconds"] = time.time() - t0
    return res, oof


def speed(model, texts, n=4000, reps=3):
    texts = list(texts)
    batch = (texts * (n // len(texts) + 1))[:n]
    best = 1e9
    for _ in range(reps):
        t0 = time.perf_counter()
        model.predict(batch)
        best = min(best, time.perf_counter() - t0)
    return n / best


def size_bytes(model):
    b = pickle.dumps(model, protocol=5)
    return len(b), len(zlib.compress(b, 6))


def fmt(res):
    return "  ".join(f"{k}={v[0]:.4f}±{v[1]:.4f}" for k, v in res.items() if isinstance(v, tuple))


def record(path, row):
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")
