#!/usr/bin/env bash
# Does two-thread pretraining learn like one thread? Trains the ML-100K pretrain stage for two
# epochs RUNS times with --threads 1 and --threads 2, interleaved (1, 2, 1, 2, …), and prints
# each run's epoch losses, dev NDCG@5 and training seconds per epoch as a markdown table.
#
#   DATA=path/to/prepared benchmarks/pretrain-threads.sh [RUNS]
#
# DATA is a folder of prepared datasets holding ml-100k/ (`timirec prepare movielens`);
# TIMIREC is the binary (default .build/release/timirec: `swift build -c release` first).
set -euo pipefail
: "${DATA:?set DATA to the folder holding the prepared ml-100k/ (timirec prepare movielens)}"
TIMIREC=${TIMIREC:-.build/release/timirec}
RUNS=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| run | threads | epoch-1 loss | epoch-2 loss | dev NDCG@5 (epoch 2) | train s/epoch |"
echo "|---|---|---|---|---|---|"
for run in $(seq 1 "$RUNS"); do
  for threads in 1 2; do
    out="$work/pre-t$threads-r$run"
    "$TIMIREC" train --data "$DATA/ml-100k" --out "$out" --stage pretrain --K 2 --lr 1e-4 --l2 1e-6 \
      --epochs 2 --seed 0 --threads "$threads" > "$out.log" 2>&1
    awk -v run="$run" -v threads="$threads" '
      $1 == "epoch" { loss[$2] = $4; ndcg[$2] = $9; sub("s", "", $11); secs += $11; n++ }
      END { printf "| %d | %d | %s | %s | %s | %.2f |\n", run, threads, loss[1], loss[2], ndcg[2], secs / n }' "$out.log"
  done
done
echo
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
