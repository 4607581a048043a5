#!/usr/bin/env bash
# Recall and false alarms on SmartBugs-curated, graded by the shared scorer.
#   bench/smartbugs.sh [SHARED_DIR]        (default: ../shared)
# Scans every benchmark file to SARIF with the release binary (timed: wall time of the whole
# scan), checks that bench/categories.json is the mapping the detectors' metadata gives
# (every detector mapped: see CATEGORY_OF in crates/detectors/examples/findings_jsonl.rs),
# and prints the scorer's tables with --max-span 3. Findings below severity low
# (informational notes such as a floating pragma) are not vulnerability claims and are left out.
# Fails when recall or false alarms fall past the floor stated at the end. The scorer's JSON
# goes to target/smartbugs-score.json; extra scorer arguments may follow after `--`.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
shift || true
[ "${1:-}" = "--" ] && shift
if [ ! -d "$shared/benchmarks/smartbugs-curated" ]; then
    echo "smartbugs benchmark skipped: $shared/benchmarks/smartbugs-curated is absent"
    exit 0
fi
cargo build --release --locked -p web3audit --no-default-features >/dev/null 2>&1 || cargo build --release --locked -p web3audit --no-default-features
bin=target/release/web3audit
mkdir -p target

# The mapping: every detector, under its own category or the benchmark category it stands for.
cargo build --release --locked -p detectors --example findings_jsonl >/dev/null 2>&1 \
    || cargo build --release --locked -p detectors --example findings_jsonl
target/release/examples/findings_jsonl --mapping > target/categories.json
if ! diff -u bench/categories.json target/categories.json; then
    echo "bench/categories.json is stale: cp target/categories.json bench/categories.json" >&2
    exit 1
fi

start=$(date +%s.%N)
"$bin" scan "$shared/benchmarks/smartbugs-curated/dataset" --format sarif --min-severity low \
    --output target/smartbugs.sarif || [ $? -eq 1 ]
end=$(date +%s.%N)
python3 -c "import sys; print(f'scan of SmartBugs-curated: {float(sys.argv[2]) - float(sys.argv[1]):.2f} s wall')" "$start" "$end"
python3 "$shared/bench/score.py" smartbugs --findings target/smartbugs.sarif \
    --mapping bench/categories.json \
    --labels "$shared/benchmarks/smartbugs-curated/vulnerabilities.json" \
    --max-span 3 --title web3audit --json target/smartbugs-score.json "$@"

# The floor the detector suite holds (a regression gate): recall at least 95% overall and
# 75% in every category with four or more labels, and at most 150 false-alarm proxies in
# total with every detector mapped.
python3 - target/smartbugs-score.json <<'PY'
import json, sys
score = json.load(open(sys.argv[1]))
cats = score["categories"]
labelled = sum(c["labelled"] for c in cats.values())
detected = sum(c["detected"] for c in cats.values())
fp = sum(c["fp_proxy"] for c in cats.values())
failures = []
if detected < 0.95 * labelled:
    failures.append(f"overall recall {detected}/{labelled} is below 95%")
for name, c in sorted(cats.items()):
    if c["labelled"] >= 4 and c["detected"] < 0.75 * c["labelled"]:
        failures.append(f"{name}: recall {c['detected']}/{c['labelled']} is below 75%")
if fp > 150:
    failures.append(f"{fp} false-alarm proxies, more than 150")
for f in failures:
    print(f"FAIL smartbugs: {f}")
if failures:
    sys.exit(1)
print(f"ok   smartbugs: recall {detected}/{labelled} ({100 * detected / labelled:.1f}%), {fp} false-alarm proxies")
PY
