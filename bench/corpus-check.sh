#!/usr/bin/env bash
# Robustness check over the shared corpora: every .sol file is scanned; no panic, no crash,
# no timeout; files with syntax errors are counted per corpus.
#   bench/corpus-check.sh [SHARED_DIR]     (default: ../shared)
# Limits: 0 files with syntax errors in SmartBugs-curated and the modern corpus, at most 1%
# in wild-sample; 0 critical or high findings on the modern corpus (OpenZeppelin, Uniswap v4). Exit 1 when a limit is exceeded or a scan crashes or times out.
set -uo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
if [ ! -d "$shared" ]; then
    echo "corpus check skipped: $shared is absent"
    exit 0
fi

cargo build --release --locked -p web3audit --no-default-features >/dev/null 2>&1 || { echo "build failed"; cargo build --release --locked -p web3audit --no-default-features; exit 1; }
bin=target/release/web3audit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# check NAME DIR MAX_ERROR_PERCENT
check() {
    local name=$1 dir=$2 max_pct=$3
    local start end rc
    start=$(date +%s.%N)
    timeout 600 "$bin" scan "$dir" --format json --output "$tmp/$name.json" \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    end=$(date +%s.%N)
    if [ "$rc" -ge 2 ] || [ ! -s "$tmp/$name.json" ]; then
        echo "FAIL $name: scan exited with $rc"
        tail -n 20 "$tmp/$name.err"
        status=1
        return
    fi
    python3 - "$name" "$tmp/$name.json" "$max_pct" "$start" "$end" <<'PY' || status=1
import json, sys
name, path, max_pct, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
report = json.load(open(path))
stats = report["stats"]
files = stats["files_loaded"]
bad = sorted({d["file"] for d in report["diagnostics"] if d["kind"] == "syntax"})
pct = 100.0 * len(bad) / files if files else 0.0
ok = pct <= max_pct
print(f"{'ok  ' if ok else 'FAIL'} {name}: {files} files, {len(bad)} with syntax errors ({pct:.2f}%, limit {max_pct:g}%), "
      f"{stats['bytes'] / 1e6:.1f} MB in {end - start:.2f} s, {len(report['findings'])} findings")
for f in bad[:10]:
    print(f"       syntax errors: {f}")
if name == "modern":
    # The false-alarm check: audited, production code must get no critical or high finding.
    severe = [f for f in report["findings"] if f["severity"] in ("critical", "high")]
    for f in severe[:20]:
        print(f"FAIL modern: {f['severity']} {f['rule_id']} at {f['file']}:{f['start_line']}: {f['message']}")
    if severe:
        print(f"FAIL modern: {len(severe)} critical/high findings (limit 0)")
        ok = False
    else:
        print("ok   modern: 0 critical/high findings")
sys.exit(0 if ok else 1)
PY
}

check smartbugs-curated "$shared/benchmarks/smartbugs-curated/dataset" 0
check modern "$shared/corpus/modern" 0
check wild-sample "$shared/corpus/wild-sample" 1

# Through semantics: the model, CFGs, def-use, taint and summaries of every file
# (the coverage program panics, and so fails here, on any internal error).
cargo build --release --locked -p semantics --example coverage >/dev/null 2>&1 \
    || cargo build --release --locked -p semantics --example coverage
for dir in "$shared/benchmarks/smartbugs-curated/dataset" "$shared/corpus/modern" "$shared/corpus/wild-sample"; do
    if ! timeout 600 target/release/examples/coverage "$dir" >"$tmp/semantics.out" 2>&1; then
        echo "FAIL semantics over $dir"
        tail -n 20 "$tmp/semantics.out"
        status=1
    else
        echo "ok   semantics over ${dir#"$shared"/}: $(grep -m1 -i 'identifiers' "$tmp/semantics.out")"
    fi
done
exit $status
