#!/usr/bin/env bash
# Builds the libFuzzer driver (address sanitizer + fuzzer instrumentation, into .build/fuzz so
# the normal build is untouched) and fuzzes one harness, or every harness in turn.
#
#   Tests/Fuzz/run.sh --list                 the harnesses and what each drives
#   Tests/Fuzz/run.sh NAME SECONDS [FLAGS]   fuzz NAME for SECONDS (FLAGS go to libFuzzer)
#   Tests/Fuzz/run.sh --all SECONDS          every harness for SECONDS each (CI)
#   Tests/Fuzz/run.sh NAME 1800 -runs=10000000   the acceptance run: 30 min or 10M inputs
#   Tests/Fuzz/run.sh --minimize NAME INPUT  shrink a crashing INPUT (same settings as fuzzing)
#                                            into .build/fuzz/artifacts/NAME-minimized
#
# Each run starts from the committed seeds in Tests/Fuzz/corpus/NAME (copied into a working
# corpus under .build/fuzz/corpus, so new inputs never land in the repository), uses
# Tests/Fuzz/dict's dictionary for the harness, and ends with one line:
#   NAME: N executions in S s (R/s), coverage C edges, F features, corpus K inputs; load L
# A crash, sanitizer report, timeout (> 10 s per input), an allocation over 512 MB or a leak
# fails the run (exit status != 0) and leaves the input in .build/fuzz/artifacts/.
# docs/INPUTS.md ("Fuzzing") says how to turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/../.."

FUZZ_DIR=Tests/Fuzz
BUILD=.build/fuzz

build() {
  # -use-ld=lld: ld.gold stops with an internal error on the sanitizer objects.
  swift build --product fuzz-readers --scratch-path "$BUILD" -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld >&2
}

binary() { echo "$BUILD/release/fuzz-readers"; }

dictionary() {
  case "$1" in
    rechorus-folder|items-tsv) echo "$FUZZ_DIR/dict/rechorus.dict" ;;
    sequences|titles-tsv) echo "$FUZZ_DIR/dict/sequences.dict" ;;
    movielens-*) echo "$FUZZ_DIR/dict/movielens.dict" ;;
    safetensors-*|import-architecture) echo "$FUZZ_DIR/dict/safetensors.dict" ;;
    amazon-gzip) echo "" ;;
    per-user-ranks) echo "$FUZZ_DIR/dict/ranks.dict" ;;
    *) echo "$FUZZ_DIR/dict/json.dict" ;;
  esac
}

# The driver under the settings every run uses: per-input limits, the leak suppressions, and
# scratch files in $scratch (set by the caller). Arguments: NAME, then libFuzzer's.
run_driver() {
  local name=$1
  shift
  # detect_leaks: LeakSanitizer on (see docs/INPUTS.md for what is suppressed and why).
  # SWIFT_BACKTRACE=enable=no: Swift's own crash handler would read memory ASan reports as a
  # wild read and hide the real trap; libFuzzer prints the stack of a trap itself.
  TMPDIR="$scratch" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0" \
    LSAN_OPTIONS="suppressions=$PWD/$FUZZ_DIR/lsan.supp:print_suppressions=0" \
    "$(binary)" "$name" -timeout=10 -malloc_limit_mb=512 -rss_limit_mb=2048 "$@"
}

# Scratch files of the harness go to a folder removed afterwards, even after a crash; in
# /dev/shm where there is one (a disk-backed /tmp made every input ~10x slower here).
make_scratch() { scratch=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d); }

# Before any build: every harness has its seed folder (CorpusReplayTests checks that).
known_harness() {
  [[ -n "$1" && -d "$FUZZ_DIR/corpus/$1" ]] || { echo "no harness '$1'; $0 --list names them" >&2; exit 2; }
}

fuzz_one() {
  local name=$1 seconds=$2
  shift 2
  local work="$BUILD/corpus/$name" artifacts="$BUILD/artifacts" log="$BUILD/logs/$name.log"
  mkdir -p "$work" "$artifacts" "$BUILD/logs"
  # The committed seeds, refreshed (a seed changed in the repository replaces its old copy).
  cp "$FUZZ_DIR/corpus/$name"/* "$work"/ 2>/dev/null || true
  local dict flags=()
  dict=$(dictionary "$name")
  [[ -n "$dict" ]] && flags+=("-dict=$dict")
  # Dataset.load parses train/dev/test on Dispatch worker threads, whose per-thread caches
  # unbalance malloc/free in every input, so libFuzzer's per-input leak check would run a full
  # LeakSanitizer scan each time (13x slower). For that harness leaks are checked once, at exit.
  [[ "$name" == rechorus-folder ]] && flags+=("-detect_leaks=0")
  local scratch status=0
  make_scratch
  run_driver "$name" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
    "${flags[@]}" "$@" "$work" >"$log" 2>&1 || status=$?
  rm -rf "$scratch"
  local runs cov ft corp
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  # The time libFuzzer reports (shorter than SECONDS when a -runs=N limit ended the run first).
  local took
  took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "$seconds")
  [[ -n "$took" && "$took" -gt 0 ]] || took=$seconds
  local rate=$(( runs / (took > 0 ? took : 1) ))
  if [[ $status -ne 0 ]]; then
    tail -40 "$log" >&2
    echo "$name: FAILED (status $status) after ${runs:-0} executions; log $log; input in $artifacts/" >&2
    return $status
  fi
  echo "$name: $runs executions in $took s ($rate/s), coverage $cov edges, $ft features, corpus $corp inputs; load $(cut -d' ' -f1-3 /proc/loadavg)"
}

case "${1:-}" in
  --list)
    swift build --product fuzz-readers >&2
    .build/debug/fuzz-readers --list
    ;;
  --all)
    [[ $# -eq 2 ]] || { echo "usage: $0 --all SECONDS" >&2; exit 2; }
    build
    failed=0
    for name in $("$(binary)" --list | cut -f1); do
      fuzz_one "$name" "$2" || failed=1
    done
    exit $failed
    ;;
  --minimize)
    [[ $# -eq 3 && -f "$3" ]] || { echo "usage: $0 --minimize NAME INPUT (INPUT: a file, e.g. from .build/fuzz/artifacts)" >&2; exit 2; }
    known_harness "$2"
    build
    mkdir -p "$BUILD/artifacts"
    out="$BUILD/artifacts/$2-minimized"
    rm -f "$out"
    make_scratch
    status=0
    run_driver "$2" -minimize_crash=1 -runs=100000 -exact_artifact_path="$out" "$3" || status=$?
    rm -rf "$scratch"
    [[ -f "$out" ]] || { echo "$2: nothing written (does $3 crash the harness? status $status)" >&2; exit 1; }
    echo "$2: minimized $(wc -c < "$3") bytes to $(wc -c < "$out") in $out"
    ;;
  ""|-h|--help)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    [[ -n "${1:-}" ]] && exit 0 || exit 2
    ;;
  *)
    [[ $# -ge 2 ]] || { echo "usage: $0 NAME SECONDS [libFuzzer flags]" >&2; exit 2; }
    name=$1 seconds=$2
    shift 2
    known_harness "$name"
    build
    fuzz_one "$name" "$seconds" "$@"
    ;;
esac
