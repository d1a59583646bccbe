"""Run linear candidates on all tasks with identical 5-fold stratified splits (seed 42).

usage: python run_linear.py CAND[,CAND...] [TASK,...]
Appends rows to results.jsonl.
"""
import sys, time
import common as C
import models as M

CANDS = {}


def cand(name):
    def deco(f):
        CANDS[name] = f
        return f
    return deco


@cand("baseline")
def _(task):
    return lambda: M.TextClf(M.baseline_vec(), M.lr(1.0))


for Cv in (2, 5, 10, 20):
    for cw in (None, "balanced"):
        CANDS[f"lr_C{Cv}_{cw or 'none'}"] = (lambda Cv, cw: lambda task: lambda: M.TextClf(
            M.improved_vec(), M.lr(Cv, cw), prep=C.prep_neg))(Cv, cw)
        CANDS[f"lrplain_C{Cv}_{cw or 'none'}"] = (lambda Cv, cw: lambda task: lambda: M.TextClf(
            M.improved_vec(), M.lr(Cv, cw), prep=C.prep_plain))(Cv, cw)

for Cv in (0.1, 0.3, 1.0):
    for cw in (None, "balanced"):
        CANDS[f"svc_C{Cv}_{cw or 'none'}"] = (lambda Cv, cw: lambda task: lambda: M.TextClf(
            M.improved_vec(), M.svc(Cv, cw), prep=C.prep_neg))(Cv, cw)

for a in (1e-5, 3e-5, 1e-4):
    CANDS[f"sgd_a{a}_bal"] = (lambda a: lambda task: lambda: M.TextClf(
        M.improved_vec(), M.sgd(a, "balanced"), prep=C.prep_neg))(a)

for Cv in (1, 4, 10):
    for cw in (None, "balanced"):
        CANDS[f"nblr_C{Cv}_{cw or 'none'}"] = (lambda Cv, cw: lambda task: lambda: M.TextClf(
            M.improved_vec(), M.NBSVM(C=Cv, kind="lr", class_weight=cw), prep=C.prep_neg))(Cv, cw)
    CANDS[f"nbsvm_C{Cv/10}_bal"] = (lambda Cv: lambda task: lambda: M.TextClf(
        M.improved_vec(), M.NBSVM(C=Cv / 10, kind="svm", class_weight="balanced"), prep=C.prep_neg))(Cv)

for Cv in (5, 10, 20):
    for cw in (None, "balanced"):
        CANDS[f"lrvader_C{Cv}_{cw or 'none'}"] = (lambda Cv, cw: lambda task: lambda: M.TextClf(
            M.improved_vec(), M.lr(Cv, cw), prep=C.prep_neg, extra=M.Vader(3.0)))(Cv, cw)

# smaller / faster feature sets
for mf in (50000, 200000):
    CANDS[f"lr_C10_bal_mf{mf}"] = (lambda mf: lambda task: lambda: M.TextClf(
        M.improved_vec(max_features=mf), M.lr(10, "balanced"), prep=C.prep_neg))(mf)
CANDS["lr_C10_bal_char1-4"] = lambda task: lambda: M.TextClf(
    M.improved_vec(char=(1, 4)), M.lr(10, "balanced"), prep=C.prep_neg)
CANDS["lr_C10_bal_char2-6"] = lambda task: lambda: M.TextClf(
    M.improved_vec(char=(2, 6)), M.lr(10, "balanced"), prep=C.prep_neg)
CANDS["lr_C10_bal_w13"] = lambda task: lambda: M.TextClf(
    M.improved_vec(word_ng=(1, 3)), M.lr(10, "balanced"), prep=C.prep_neg)


def main():
    names = sys.argv[1].split(",")
    T = C.tasks()
    tnames = sys.argv[2].split(",") if len(sys.argv) > 2 else list(T)
    for name in names:
        for tn in tnames:
            texts, y, metrics, lang = T[tn]
            if "vader" in name and lang != "en":
                continue
            mk = CANDS[name](tn)
            res, _ = C.cv_eval(mk, texts, y, metrics)
            # speed + size on a model trained on the full dev set
            t0 = time.time()
            m = mk().fit(texts, y)
            sps = C.speed(m, texts, n=3000 if lang == "en" else 1000)
            raw, comp = C.size_bytes(m)
            row = {"cand": name, "task": tn, **{k: v for k, v in res.items()},
                   "texts_per_s": sps, "size_mb": raw / 1e6, "size_mb_zlib": comp / 1e6}
            C.record("results.jsonl", row)
            print(f"{name:24s} {tn:9s} {C.fmt(res)}  {sps:7.0f}/s  {raw/1e6:6.1f}MB  cv {res['cv_seconds']:.0f}s", flush=True)


if __name__ == "__main__":
    main()
