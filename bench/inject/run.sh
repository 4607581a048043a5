#!/usr/bin/env bash
# Bug-injection benchmark: hand-written vulnerable snippets injected into clean mainnet contracts.
#   bench/inject/run.sh [SHARED_DIR] [-- extra inject.py arguments]     (default SHARED_DIR: ../shared)
# The scanner is $WEB3AUDIT_BIN (default target/release/web3audit, relative to the repository root);
# this script does not build it. Prints recall per class, every missed injection and every finding
# the injection caused outside the snippet; writes target/inject/ (labels.json in SmartBugs format,
# mapping.json, scan.sarif, results.json, the injected files under run/).
# Exit 1 when a class is below 95% recall or has a finding outside its snippets; 2 on a setup error.
set -euo pipefail
cd "$(dirname "$0")/../.."
shared=${1:-../shared}
shift || true
[ "${1:-}" = "--" ] && shift
if [ ! -d "$shared/corpus/wild-sample" ]; then
    echo "inject benchmark skipped: $shared/corpus/wild-sample is absent"
    exit 0
fi
export WEB3AUDIT_BIN=${WEB3AUDIT_BIN:-target/release/web3audit}
exec python3 bench/inject/inject.py --shared "$shared" --out target/inject "$@"
