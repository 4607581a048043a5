#!/usr/bin/env bash
# Precision on real code: scans ../shared/corpus/wild-sample and scores the findings against
# the triage set (bench/triage/wild-sample.tsv; see bench/triage/README.md).
#   bench/triage.sh [SHARED_DIR] [-- triage.py score arguments, e.g. --markdown]
# Exit 1 when the current sample holds findings without a verdict, or a finding triaged
# true is no longer reported.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
shift || true
[ "${1:-}" = "--" ] && shift
if [ ! -d "$shared/corpus/wild-sample" ]; then
    echo "precision triage skipped: $shared/corpus/wild-sample is absent"
    exit 0
fi
cargo build --release --locked -p web3audit --no-default-features >/dev/null 2>&1 \
    || cargo build --release --locked -p web3audit --no-default-features
mkdir -p target
target/release/web3audit scan "$shared/corpus/wild-sample" --format json \
    --output target/wild-sample.json 2>/dev/null || [ $? -eq 1 ]
python3 bench/triage/triage.py score target/wild-sample.json "$@"
