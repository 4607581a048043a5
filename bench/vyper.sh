#!/usr/bin/env bash
# Vyper on real code (run by .ci/run when ../shared exists): findings on the Vyper corpus,
# no unexplained critical/high finding on the well-audited set (bench/vyper/explained.tsv),
# and the 2023 broken-lock case found on real Curve pool sources at the affected compiler
# versions and silent at fixed ones. Usage: bash bench/vyper.sh ../shared
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${1:-../shared}"
corpus="$shared/corpus/vyper"
if [ ! -d "$corpus" ]; then
    echo "Vyper corpus checks skipped: $corpus is absent"
    exit 0
fi
cargo build --release --locked -p web3audit --no-default-features >/dev/null 2>&1 \
    || cargo build --release --locked -p web3audit --no-default-features
python3 bench/vyper/check.py --binary target/release/web3audit --corpus "$corpus" \
    --explained bench/vyper/explained.tsv
