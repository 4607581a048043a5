#!/usr/bin/env bash
# The quick loop for detector work: recall and false alarms on SmartBugs-curated, and the
# high/critical findings on the modern corpus, without building the CLI or the service.
#   bench/detector-score.sh [--detectors ID,ID] [SHARED_DIR]
# Findings go to target/detector-score/{smartbugs,modern}.jsonl (one JSON object a line).
set -euo pipefail
cd "$(dirname "$0")/.."
select=()
if [ "${1:-}" = "--detectors" ]; then select=(--detectors "$2"); shift 2; fi
shared=${1:-../shared}
if [ ! -d "$shared/benchmarks/smartbugs-curated" ]; then
    echo "detector score skipped: $shared is absent"
    exit 0
fi
cargo build --release --locked -p detectors --example findings_jsonl 2>&1 | grep -E '^(error|warning: unused)' || true
bin=target/release/examples/findings_jsonl
out=target/detector-score
mkdir -p "$out"
"$bin" --mapping > "$out/mapping.json"
"$bin" "${select[@]}" "$shared/benchmarks/smartbugs-curated/dataset" > "$out/smartbugs.jsonl"
python3 "$shared/bench/score.py" smartbugs --findings "$out/smartbugs.jsonl" --mapping "$out/mapping.json" \
    --labels "$shared/benchmarks/smartbugs-curated/vulnerabilities.json" --max-span 3 --title web3audit
"$bin" "${select[@]}" "$shared/corpus/modern" > "$out/modern.jsonl"
python3 - "$out/modern.jsonl" <<'PY'
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = [r for r in rows if r["severity"] in ("critical", "high")]
by = collections.Counter((r["rule"], r["severity"]) for r in rows)
print(f"modern corpus: {len(rows)} findings, {len(bad)} critical/high")
for (rule, sev), n in sorted(by.items()):
    print(f"  {rule:40} {sev:13} {n}")
for r in bad[:20]:
    print(f"  HIGH {r['rule']} {r['file']}:{r['start_line']} {r['message']}")
PY
