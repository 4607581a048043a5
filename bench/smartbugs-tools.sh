#!/usr/bin/env bash
# Merged recall on SmartBugs-curated: our scan alone, then the same scan with `--with slither`,
# both graded by the shared scorer (--max-span 3, findings of severity low and above).
#   bench/smartbugs-tools.sh [SHARED_DIR]        (default: ../shared)
# Needs `slither` and solc-X.Y.Z commands on PATH (tools/slither/install.sh, or the solc shim
# with 0.4.9 0.4.24 0.4.25 0.4.26 0.5.17 for this corpus). The mapping is bench/categories.json
# (our rules) plus Slither's rules under the category the report gives them (mapping.toml),
# scored as ours are (bench/smartbugs.sh: DASP classes as they are, erc20 and unchecked_return
# under unchecked calls, precision_loss and unsafe_downcast under arithmetic,
# signature_validation under access control, the rest under other, best practices unmapped).
# Prints both
# tables, the wall times, and how many of Slither's findings were merged into ours.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
data="$shared/benchmarks/smartbugs-curated"
# WEB3AUDIT_BIN=path uses a binary already built (the figures are the same; Slither's time
# dominates the second run).
bin=${WEB3AUDIT_BIN:-target/release/web3audit}
if [ -z "${WEB3AUDIT_BIN:-}" ]; then
    cargo build --release --locked -p web3audit --no-default-features >/dev/null 2>&1 \
        || cargo build --release --locked -p web3audit --no-default-features
fi
mkdir -p target


score() {
    python3 "$shared/bench/score.py" smartbugs --findings "$1" --mapping target/categories-with-slither.json \
        --labels "$data/vulnerabilities.json" --max-span 3 --title "$2" --json "$3"
}
for run in alone with-slither; do
    extra=()
    [ "$run" = with-slither ] && extra=(--with slither)
    start=$(date +%s.%N)
    "$bin" scan "$data/dataset" --no-config --format sarif --min-severity low "${extra[@]}" \
        --output "target/smartbugs-$run.sarif" 2>"target/smartbugs-$run.log" || [ $? -eq 1 ]
    end=$(date +%s.%N)
    python3 -c "import sys; print(f'$run: {float(sys.argv[2]) - float(sys.argv[1]):.1f} s wall')" "$start" "$end"
done
# The mapping, from the categories the report gives Slither's rules (mapping.toml, and
# `other` for rules it does not list).
python3 - target/smartbugs-with-slither.sarif bench/categories.json > target/categories-with-slither.json <<'PY'
import json, sys
rules = json.load(open(sys.argv[1]))["runs"][0]["tool"]["driver"]["rules"]
ours = json.load(open(sys.argv[2]))
dasp = {"access_control", "arithmetic", "bad_randomness", "denial_of_service", "front_running",
        "reentrancy", "short_addresses", "time_manipulation", "unchecked_low_level_calls", "other"}
scored_as = {"erc20": "unchecked_low_level_calls", "unchecked_return": "unchecked_low_level_calls",
             "precision_loss": "arithmetic", "unsafe_downcast": "arithmetic",
             "signature_validation": "access_control"}
out = dict(ours["smartbugs"])
for rule in rules:
    if not rule["id"].startswith("slither:"):
        continue
    category = rule["properties"]["tags"][0]
    if category == "best_practice":
        continue
    out[rule["id"]] = [category if category in dasp else scored_as.get(category, "other")]
print(json.dumps({"tool": "web3audit+slither", "smartbugs": out}, indent=1, sort_keys=True))
PY
for run in alone with-slither; do
    score "target/smartbugs-$run.sarif" "web3audit ($run)" "target/smartbugs-$run-score.json"
done
grep -E '^slither' target/smartbugs-with-slither.log | head -n 1
python3 - target/smartbugs-with-slither.sarif <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["runs"][0]["results"]
merged = sum(len(r["properties"].get("mergedRules", [])) for r in results)
both = sum(1 for r in results if len(r["properties"].get("foundBy", [])) > 1)
only = sum(1 for r in results if r["properties"].get("foundBy") == ["slither"])
print(f"findings: {len(results)}; found by both: {both} (absorbing {merged} Slither findings); Slither only: {only}")
PY
