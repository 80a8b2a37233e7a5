#!/usr/bin/env bash
# Trains the real-data results of issue 4 (spec §3.8 settings). Resumable: a run that has
# finished is skipped, an interrupted one continues with --resume. Usage:
#   results/run-real-data.sh beauty|ml100k [seed...]
# Environment: TIMIREC (binary, default: swift run -c release timirec), DATA (prepared
# folders, default ../data), RUNS (checkpoints, default ../runs), THREADS (default 1).
# Prepare the data first:
#   timirec prepare sequences --input ../shared/data/beauty/Beauty.txt --output $DATA/beauty \
#     --titles ../shared/data/beauty/item_titles.tsv
#   timirec prepare movielens --input ../shared/data/ml-100k/u.data --output $DATA/ml-100k
set -euo pipefail
TIMIREC=${TIMIREC:-"swift run -c release timirec"}
DATA=${DATA:-../data}
RUNS=${RUNS:-../runs}
THREADS=${THREADS:-1}

state() {  # prints finished | partial | none for a checkpoint folder
  local f="$1/resume.json"
  if [ ! -f "$f" ]; then echo none; elif grep -q '"finished" : true' "$f"; then echo finished; else echo partial; fi
}

train() {  # train OUT ARGS...
  local out=$1; shift
  case $(state "$out") in
    finished) echo "skip $out (finished)";;
    partial) $TIMIREC train --out "$out" "$@" --threads "$THREADS" --resume 2>&1 | tee -a "$out.stdout";;
    none) mkdir -p "$(dirname "$out")"; $TIMIREC train --out "$out" "$@" --threads "$THREADS" 2>&1 | tee "$out.stdout";;
  esac
}

dataset=$1; shift
seeds=${*:-0}
for seed in $seeds; do
  case $dataset in
    beauty)
      common=(--data "$DATA/beauty" --lr 1e-4 --l2 1e-6 --history-max 20 --K 4 --add-pos 1 --add-trm 1 --seed "$seed")
      train "$RUNS/beauty-pretrain-s$seed" "${common[@]}" --stage pretrain
      train "$RUNS/beauty-finetune-s$seed" "${common[@]}" --stage finetune --init "$RUNS/beauty-pretrain-s$seed" --temp 0.1 --n-layers 1;;
    ml100k)
      common=(--data "$DATA/ml-100k" --lr 1e-4 --l2 1e-6 --history-max 20 --K 2 --add-pos 1 --add-trm 1 --seed "$seed")
      train "$RUNS/ml100k-pretrain-s$seed" "${common[@]}" --stage pretrain
      train "$RUNS/ml100k-finetune-s$seed" "${common[@]}" --stage finetune --init "$RUNS/ml100k-pretrain-s$seed" --temp 0.5 --n-layers 2;;
    *) echo "unknown dataset $dataset (beauty or ml100k)" >&2; exit 2;;
  esac
done
