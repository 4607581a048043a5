#!/usr/bin/env bash
# Solana analyzer measures (crate `solana`, example `scan_dir`).
#   bench/solana.sh [SHARED_DIR]     (default: ../shared)
# 1. Sealevel attacks (SHARED/benchmarks/sealevel-attacks): per class, every insecure
#    program must have a finding of that class, and the secure and recommended programs
#    none of that class. Exit 1 on a miss or a false alarm.
# 2. Anchor's test and example programs (SHARED/corpus/solana): findings per rule and
#    severity, parse errors, panics (must be 0) and throughput. Exit 1 on a panic, or on a
#    high finding not listed in bench/solana/expected-highs-corpus.tsv (each listed one is
#    explained in crates/solana/README.md), or a listed one that disappeared.
# 3. SPL programs from crates.io (bench/solana/fetch-crates.sh; skipped when cargo cannot
#    fetch them): the same figures, against bench/solana/expected-highs-spl.tsv.
set -uo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
if [ ! -d "$shared" ]; then
    echo "solana bench skipped: $shared is absent"
    exit 0
fi
cargo build --locked -p solana --example scan_dir >/dev/null 2>&1 \
    || { echo "build failed"; cargo build --locked -p solana --example scan_dir; exit 1; }
bin=target/debug/examples/scan_dir
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

sealevel="$shared/benchmarks/sealevel-attacks/programs"
if [ -d "$sealevel" ]; then
    echo "== Sealevel attacks"
    for class_dir in "$sealevel"/*/; do
        class=$(basename "$class_dir")
        for variant in "$class_dir"*/; do
            v=$(basename "$variant")
            "$bin" "$variant" >"$tmp/sealevel.$class.$v.jsonl" 2>"$tmp/err" || { echo "scan failed: $class/$v"; cat "$tmp/err"; status=1; }
        done
    done
    python3 bench/solana/sealevel.py "$tmp" "$sealevel" || status=1
else
    echo "sealevel attacks absent: $sealevel"
fi

corpus="$shared/corpus/solana"
if [ -d "$corpus" ]; then
    echo "== Anchor tests and examples ($corpus)"
    "$bin" "$corpus" >"$tmp/corpus.jsonl" 2>"$tmp/err" || status=1
    python3 bench/solana/summary.py "$tmp/corpus.jsonl" bench/solana/expected-highs-corpus.tsv || status=1
else
    echo "corpus absent: $corpus"
fi

echo "== SPL programs from crates.io"
if spl=$(bench/solana/fetch-crates.sh 2>"$tmp/fetch.err"); then
    "$bin" "$spl" >"$tmp/spl.jsonl" 2>"$tmp/err" || status=1
    python3 bench/solana/summary.py "$tmp/spl.jsonl" bench/solana/expected-highs-spl.tsv || status=1
else
    echo "skipped: could not fetch the crates ($(tail -1 "$tmp/fetch.err"))"
fi
exit $status
