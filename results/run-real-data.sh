#!/usr/bin/env bash
# Trains the real-data results of issue 4 (the paper's settings, docs/MODEL.md §3.8).
# Resumable: a run that has finished is skipped, an interrupted one continues with --resume.
# Usage:
#   results/run-real-data.sh prepare                  # $RAW_DATA → $DATA/beauty, $DATA/ml-100k
#   results/run-real-data.sh beauty|ml100k [seed...]  # train from $DATA
# Environment (README, "Where real data lives"; no defaults for the data):
#   DATA      folder of prepared datasets: $DATA/beauty and $DATA/ml-100k (required)
#   RAW_DATA  folder of raw sources, for `prepare` only: beauty/Beauty.txt,
#             beauty/item_titles.tsv (S3-Rec) and ml-100k/u.data (GroupLens)
#   TIMIREC (binary, default: swift run -c release timirec), RUNS (checkpoints, default
#   ../runs), THREADS (default 1).
set -euo pipefail
TIMIREC=${TIMIREC:-"swift run -c release timirec"}
: "${DATA:?set DATA to the folder of prepared datasets (beauty/, ml-100k/); see README, Where real data lives}"
RUNS=${RUNS:-../runs}
THREADS=${THREADS:-1}

if [ "${1:-}" = prepare ]; then
  : "${RAW_DATA:?set RAW_DATA to the folder of raw sources (beauty/Beauty.txt, beauty/item_titles.tsv, ml-100k/u.data)}"
  $TIMIREC prepare sequences --input "$RAW_DATA/beauty/Beauty.txt" --output "$DATA/beauty" \
    --titles "$RAW_DATA/beauty/item_titles.tsv"
  $TIMIREC prepare movielens --input "$RAW_DATA/ml-100k/u.data" --output "$DATA/ml-100k"
  exit 0
fi

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

dataset=${1:?usage: results/run-real-data.sh prepare | beauty|ml100k [seed...]}; shift
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
    *) echo "unknown dataset $dataset (prepare, beauty or ml100k)" >&2; exit 2;;
  esac
done
