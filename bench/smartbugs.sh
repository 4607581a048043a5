#!/usr/bin/env bash
# Recall and false alarms on SmartBugs-curated, graded by the shared scorer.
#   bench/smartbugs.sh [SHARED_DIR]        (default: ../shared)
# Scans every benchmark file to SARIF with the release binary (timed: wall time of the whole
# scan), checks that bench/categories.json is the mapping the detectors' metadata gives
# (each detector's own category), and prints the scorer's tables with --max-span 3.
# Extra scorer arguments may follow after `--`, e.g. `-- --json target/smartbugs-score.json`.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
shift || true
[ "${1:-}" = "--" ] && shift
if [ ! -d "$shared/benchmarks/smartbugs-curated" ]; then
    echo "smartbugs benchmark skipped: $shared/benchmarks/smartbugs-curated is absent"
    exit 0
fi
cargo build --release --locked -p web3audit >/dev/null 2>&1 || cargo build --release --locked -p web3audit
bin=target/release/web3audit
mkdir -p target

# The mapping: each detector's own category, when it is one of the benchmark's.
cargo build --release --locked -p detectors --example findings_jsonl >/dev/null 2>&1 \
    || cargo build --release --locked -p detectors --example findings_jsonl
target/release/examples/findings_jsonl --mapping > target/categories.json
if ! diff -u bench/categories.json target/categories.json; then
    echo "bench/categories.json is stale: cp target/categories.json bench/categories.json" >&2
    exit 1
fi

start=$(date +%s.%N)
"$bin" scan "$shared/benchmarks/smartbugs-curated/dataset" --format sarif \
    --output target/smartbugs.sarif || [ $? -eq 1 ]
end=$(date +%s.%N)
python3 -c "import sys; print(f'scan of SmartBugs-curated: {float(sys.argv[2]) - float(sys.argv[1]):.2f} s wall')" "$start" "$end"
python3 "$shared/bench/score.py" smartbugs --findings target/smartbugs.sarif \
    --mapping bench/categories.json \
    --labels "$shared/benchmarks/smartbugs-curated/vulnerabilities.json" \
    --max-span 3 --title web3audit "$@"
