#!/usr/bin/env bash
# Collects the test metrics of every finished run in $RUNS into results/<run>.json and a
# markdown table results/RESULTS.md (epochs run, best epoch, median seconds per training
# epoch from train.log). Unfinished runs are listed as in progress. Then a second table: the
# mean over seeds of each dataset and stage against the reference figures, with the gap in
# test-set standard errors. Usage: DATA=DIR results/collect.sh, DIR the folder of prepared
# datasets the runs were trained on (README, "Where real data lives").
set -euo pipefail
: "${DATA:?set DATA to the folder of prepared datasets (beauty/, ml-100k/); see README, Where real data lives}"
case $DATA in /*) ;; *) DATA=$PWD/$DATA;; esac
cd "$(dirname "$0")"
TIMIREC=${TIMIREC:-"swift run -c release timirec"}
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

# Mean over seeds against the references (docs/MODEL.md §8 / issue 4 for ML-100K, paper Table 2 for
# Beauty). "gap / SE": (mean − reference) over the run's standard error on this test set
# (the mean of the seeds' `standard_error`); "seed sd": spread over seeds.
python3 - <<'PY'
import glob, json, statistics as st
references = {
    ("ml100k", "pretrain"): ("ComiRec+", "reference code", 0.1962, 0.1040),
    ("ml100k", "finetune"): ("TiMiRec+", "reference code", 0.2481, 0.1383),
    ("beauty", "pretrain"): ("ComiRec+", "paper Table 2", 0.2123, 0.1272),
    ("beauty", "finetune"): ("TiMiRec+", "paper Table 2", 0.2196, 0.1313),
}
print()
print("| dataset | model | seeds | HR@10 mean (seed sd) | NDCG@10 mean (seed sd) | reference | HR@10 gap / SE | NDCG@10 gap / SE |")
print("|---|---|---|---|---|---|---|---|")
for (dataset, stage), (model, source, hr_ref, ndcg_ref) in references.items():
    runs = [json.load(open(f)) for f in sorted(glob.glob(f"{dataset}-{stage}-s*.json"))]
    if not runs:
        continue
    def column(key):
        values = [r[key] for r in runs]
        mean = st.mean(values)
        sd = st.stdev(values) if len(values) > 1 else float("nan")
        se = st.mean(r.get("standard_error", {}).get(key, float("nan")) for r in runs)
        return mean, sd, se
    hr, hr_sd, hr_se = column("HR@10")
    nd, nd_sd, nd_se = column("NDCG@10")
    sd = lambda x: "–" if x != x else f"{x:.4f}"
    print(f"| {dataset} | {model} | {len(runs)} | {hr:.4f} ({sd(hr_sd)}) | {nd:.4f} ({sd(nd_sd)}) | "
          f"{source}: {hr_ref:.4f} / {ndcg_ref:.4f} | {(hr - hr_ref) / hr_se:+.2f} ({(hr / hr_ref - 1) * 100:+.1f} %) | "
          f"{(nd - ndcg_ref) / nd_se:+.2f} ({(nd / ndcg_ref - 1) * 100:+.1f} %) |")
PY
