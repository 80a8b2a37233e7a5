#!/usr/bin/env bash
# Rebuilds the bundled demo from scratch: the simulated household dataset, then a TiMiRec
# checkpoint trained on it (pretrain the extractor, then finetune with the predictor), then
# the member-agreement report quoted in README.md. About 2 minutes on 2 cores after the build.
#
#   demo-data/regenerate.sh
#
# Everything is seeded: the same build gives the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product timirec
BIN=.build/release/timirec
PRE=$(mktemp -d)/demo-pretrain

$BIN demo generate --out demo-data --force
rm -rf demo-data/checkpoint
# K 2 and no position embeddings: most households have two members, and without positions
# the attention heads split the history by what was watched rather than by recency (README,
# "The demo"; the settings were chosen for few collapsed interest pairs).
$BIN train --data demo-data --out "$PRE" --stage pretrain --K 2 --add-pos 0 --lr 1e-3 --epochs 4 --seed 0 --threads 2
$BIN train --data demo-data --out demo-data/checkpoint --stage finetune --init "$PRE" \
  --K 2 --add-pos 0 --temp 0.2 --lr 1e-3 --epochs 6 --seed 0 --threads 2
# The explorer needs config.json and model.safetensors; the resume state is not shipped.
rm -f demo-data/checkpoint/last.safetensors demo-data/checkpoint/optimizer.safetensors demo-data/checkpoint/resume.json
rm -rf "$(dirname "$PRE")"
$BIN demo report --data demo-data | tee demo-data/report.txt
du -sh demo-data
