"""Aggregate results.jsonl -> markdown table (one row per candidate, last record wins)."""
import json, collections
rows = collections.OrderedDict()
for line in open("/tmp/triage-lab/results.jsonl"):
    r = json.loads(line)
    rows.setdefault(r["cand"], {})[r["task"]] = r


def cell(r, k):
    return f"{r[k][0]:.3f}±{r[k][1]:.3f}" if r and k in r else "–"


def sp(r):
    v = r.get("texts_per_s") if r else None
    return f"{v:,.0f}" if v else "–"


print("| candidate | airline macro-F1 | airline acc | GE relevance µF1 | GE sentiment µF1 | complaint F1 | texts/s en tweets (airline) | texts/s GermEval docs | size MB (airline / GE-sent, pickled) |")
print("|---|---|---|---|---|---|---|---|---|")
for c, t in rows.items():
    a, gr, gs, co = (t.get(k) for k in ("airline", "ge_rel", "ge_sent", "complaint"))
    size = "–"
    if a and "size_mb" in a:
        size = f"{a['size_mb']:.1f} / {gs['size_mb']:.1f}" if gs and "size_mb" in gs else f"{a['size_mb']:.1f}"
    print(f"| {c} | {cell(a,'macroF1')} | {cell(a,'acc')} | {cell(gr,'microF1')} | {cell(gs,'microF1')} | {cell(co,'F1')} | {sp(a)} | {sp(gr)} | {size} |")
