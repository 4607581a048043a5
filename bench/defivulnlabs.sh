#!/usr/bin/env bash
# Recall on DeFiVulnLabs (modern DeFi classes) over its statically detectable labels.
#   bench/defivulnlabs.sh [SHARED_DIR] [-- EXTRA ARGS FOR bench/defivulnlabs.py]
# Scans the benchmark's sources (they sit under src/test, so with --include '**') to SARIF
# with the release binary at severity low and above, and prints recall two ways (any
# detector at a labelled line; the detector mapped to the label's category) and the
# false-alarm proxy. Fails when category-matched recall is below the floor set here.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
shift || true
[ "${1:-}" = "--" ] && shift
bench="$shared/benchmarks/defivulnlabs"
if [ ! -d "$bench" ]; then
    echo "DeFiVulnLabs scoring skipped: $bench is absent"
    exit 0
fi
cargo build --release --locked -p web3audit --no-default-features >/dev/null 2>&1 || cargo build --release --locked -p web3audit --no-default-features
mkdir -p target
target/release/web3audit scan "$bench/src" --include '**' --no-config --min-severity low \
    --format sarif --output target/defivulnlabs.sarif || [ $? -eq 1 ]
python3 bench/defivulnlabs.py --labels "$bench/labels.json" --findings target/defivulnlabs.sarif \
    --mapping bench/categories.json --json target/defivulnlabs-score.json --floor "${DEFIVULNLABS_FLOOR:-0}" "$@"
