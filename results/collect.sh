#!/usr/bin/env bash
# Collects the test metrics of every finished run in $RUNS into results/<run>.json and a
# markdown table results/RESULTS.md (epochs run, best epoch, median seconds per training
# epoch from train.log). Unfinished runs are listed as in progress. Usage: results/collect.sh
set -euo pipefail
cd "$(dirname "$0")"
TIMIREC=${TIMIREC:-"swift run -c release timirec"}
DATA=${DATA:-../../data}
RUNS=${RUNS:-../../runs}

table="| run | stage | status | epochs (best) | s/epoch train (median) | HR@5 | NDCG@5 | HR@10 | NDCG@10 | HR@20 | NDCG@20 | HR@50 | NDCG@50 |
|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for dir in "$RUNS"/*/; do
  run=$(basename "$dir")
  [ -f "$dir/resume.json" ] || continue
  case $run in beauty-*) data="$DATA/beauty";; ml100k-*) data="$DATA/ml-100k";; *) continue;; esac
  epochs=$(grep -c '^epoch' "$dir/train.log" || true)
  best=$(grep -o '"bestEpoch" : [0-9]*' "$dir/config.json" | grep -o '[0-9]*$')
  stage=$(grep -o '"stage" : "[a-z]*"' "$dir/config.json" | head -1 | cut -d'"' -f4)
  seconds=$(grep -o 'train [0-9.]*s' "$dir/train.log" | grep -o '[0-9.]*' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  if grep -q '"finished" : true' "$dir/resume.json"; then status=finished; else status="in progress"; fi
  if [ "$status" = finished ]; then
    $TIMIREC evaluate --data "$data" --ckpt "$dir" --json > "$run.json"
    metrics=$(python3 -c "import json,sys; m=json.load(open('$run.json')); print(' | '.join('%.4f' % m[k] for k in ['HR@5','NDCG@5','HR@10','NDCG@10','HR@20','NDCG@20','HR@50','NDCG@50']))")
  else
    metrics="– | – | – | – | – | – | – | –"
  fi
  table+=$'\n'"| $run | $stage | $status | $epochs ($best) | $seconds | $metrics |"
done
echo "$table"
