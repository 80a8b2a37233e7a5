#!/usr/bin/env bash
# Trains Table 2's baselines with the reference code (ReChorus, branch CIKM22) on our split,
# uncapped (its own early stopping), and records each run's test metrics in a JSON file that
# `timirec benchmark` shows beside ours (results/<dataset>/reference.json; issue 13, item 2).
#
#   benchmarks/reference-baselines.sh REF_SRC DATA_ROOT DATASET OUT.json SEED MODEL...
#
# REF_SRC    the reference's src/ folder (a checkout you made; nothing of it is in this repo)
# DATA_ROOT  folder holding DATASET/{train,dev,test}.csv (copied from `timirec prepare`'s output)
# OUT.json   created or updated: one run per model and seed, replaced when that seed is run again
# MODEL      GRU4Rec, YouTube, MIND, ComiRec, SASRec or TiSASRec
#
# Python comes from $PYTHON (default: python3); one thread (OMP_NUM_THREADS=1), no loader
# workers. Hyper-parameters are those of Sources/SeqRec/Experiments/Recipes.swift (the
# reference's model files and commands); ComiRec's K is the dataset's (ML-100K 2, Beauty 4).
# The reference's logs and weights go to $REF_LOGS (default /tmp/reference-logs), never
# into the repository.
set -euo pipefail
if [ $# -lt 6 ]; then
  sed -n '6,13p' "$0" >&2
  exit 2
fi
ref_src=$1 data_root=$2 dataset=$3 out=$4 seed=$5
shift 5
python=${PYTHON:-python3}
logs=${REF_LOGS:-/tmp/reference-logs}
mkdir -p "$logs"
k=2; [ "$dataset" = beauty ] && k=4
data_path="$(cd "$data_root" && pwd)/"
for model in "$@"; do
  case $model in
    GRU4Rec)  extra=(--hidden_size 128 --lr 1e-3 --l2 1e-4) ;;
    YouTube)  extra=(--lr 1e-3 --l2 0) ;;
    MIND)     extra=(--K 2 --iterations 3 --lr 1e-3 --l2 0) ;;
    ComiRec)  extra=(--K "$k" --attn_size 8 --add_pos 1 --lr 1e-3 --l2 1e-6) ;;
    SASRec)   extra=(--num_layers 1 --num_heads 1 --lr 1e-4 --l2 1e-6) ;;
    TiSASRec) extra=(--num_layers 1 --num_heads 1 --time_max 512 --lr 1e-4 --l2 1e-6) ;;
    *) echo "reference-baselines.sh: unknown model '$model' (GRU4Rec, YouTube, MIND, ComiRec, SASRec, TiSASRec)" >&2; exit 2 ;;
  esac
  log="$logs/$model-$dataset-s$seed.txt"
  # What the JSON records (no machine paths), then what runs.
  shown=(main.py --model_name "$model" --dataset "$dataset" --random_seed "$seed" --num_workers 0
         --emb_size 64 --history_max 20 "${extra[@]}")
  args=("${shown[@]}" --path "$data_path" --log_file "$log" --model_path "$logs/$model-$dataset-s$seed.pt")
  rm -f "$log"
  started=$(date +%s)
  (cd "$ref_src" && OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$python" "${args[@]}" > /dev/null)
  seconds=$(( $(date +%s) - started ))
  # "Test After Training: (HR@5:0.1,NDCG@5:0.1,...)", "Best Iter(dev)=   11", "Epoch 31 ...".
  "$python" - "$out" "$model" "$seed" "$seconds" "$log" "python ${shown[*]} --path DATA_ROOT/" <<'EOF'
import json, os, re, sys
out, model, seed, seconds, log, command = sys.argv[1:]
text = open(log).read()
test = re.findall(r"Test After Training: \(([^)]*)\)", text)
best = re.findall(r"Best Iter\(dev\)=\s*(\d+)", text)
epochs = re.findall(r"Epoch\s+(\d+)\s+loss", text)
if not test or not best:
    sys.exit(f"reference-baselines.sh: {log} has no test result; the run did not finish")
metrics = {k: float(v) for k, v in (p.split(":") for p in test[-1].split(","))}
table = json.load(open(out)) if os.path.exists(out) else {"models": {}}
runs = [run for run in table["models"].get(model, []) if run["seed"] != int(seed)]
runs.append({"seed": int(seed), "epochs": int(epochs[-1]), "bestEpoch": int(best[-1]),
             "seconds": int(seconds), "sampled": metrics, "command": command})
table["models"][model] = sorted(runs, key=lambda run: run["seed"])
tmp = out + ".tmp"
with open(tmp, "w") as f:
    json.dump(table, f, indent=1, sort_keys=True)
    f.write("\n")
os.replace(tmp, out)
print(f"{model} seed {seed}: {metrics} (best epoch {best[-1]} of {epochs[-1]}, {seconds} s)")
EOF
done
