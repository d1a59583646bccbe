"""lingua-language-detector restricted to de,en,fr,es,it,nl,pl,tr: accuracy on airline+complaints (en) and GermEval (de), speed on one core."""
import os; os.environ["RAYON_NUM_THREADS"] = "1"
import time, collections, json
import common as C
from lingua import Language, LanguageDetectorBuilder
LANGS = [Language.GERMAN, Language.ENGLISH, Language.FRENCH, Language.SPANISH, Language.ITALIAN,
         Language.DUTCH, Language.POLISH, Language.TURKISH]
a, _ = C.load_airline(); c, _ = C.load_complaints(); g, _, _ = C.load_germeval()
sets = {"airline(en)": (a, "en"), "complaints(en)": (c, "en"), "germeval(de)": (g, "de")}
prep = lambda ts: [C.USER_RE.sub(" ", C.URL_RE.sub(" ", t)) for t in ts]
for low in (False, True):
    for strip in (False, True):
        b = LanguageDetectorBuilder.from_languages(*LANGS)
        if low: b = b.with_low_accuracy_mode()
        d = b.with_preloaded_language_models().build()
        for name, (ts, gold) in sets.items():
            x = prep(ts) if strip else ts
            t0 = time.perf_counter(); res = [d.detect_language_of(t) for t in x]; dt = time.perf_counter() - t0
            pred = [r.iso_code_639_1.name.lower() if r else "none" for r in res]
            acc = sum(p == gold for p in pred) / len(pred)
            t0 = time.perf_counter(); d.detect_languages_in_parallel_of(x); dtp = time.perf_counter() - t0
            err = collections.Counter(p for p in pred if p != gold).most_common(4)
            row = {"low_accuracy": low, "strip_user_url": strip, "set": name, "acc": acc, "texts_per_s": len(x) / dt,
                   "texts_per_s_batch_1thread": len(x) / dtp, "errors": err}
            C.record("lang_results.jsonl", row); print(row, flush=True)
