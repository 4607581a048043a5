#!/usr/bin/env bash
# Metamorphic robustness suite: recall on SmartBugs-curated and DeFiVulnLabs, originals vs
# semantics-preserving rewrites of them (see bench/variants/README.md).
#   bench/variants/run.sh [SHARED_DIR] [-- EXTRA ARGS FOR variants.py]      (default: ../shared)
# Uses $WEB3AUDIT_BIN when set, else target/release/web3audit (built here when missing).
# Writes the variant sets and SARIF files under target/variants/. Exits 1 when a transform
# costs more than 3 points of recall in a category with 4+ labels.
set -euo pipefail
cd "$(dirname "$0")/../.."
shared=${1:-../shared}
shift || true
[ "${1:-}" = "--" ] && shift
if [ ! -d "$shared/benchmarks/smartbugs-curated" ] && [ ! -d "$shared/benchmarks/defivulnlabs" ]; then
    echo "variants skipped: no benchmark under $shared/benchmarks"
    exit 0
fi
if [ -z "${WEB3AUDIT_BIN:-}" ]; then
    export WEB3AUDIT_BIN=target/release/web3audit
    if [ ! -x "$WEB3AUDIT_BIN" ]; then
        cargo build --release --locked -p web3audit --no-default-features >/dev/null 2>&1 \
            || cargo build --release --locked -p web3audit --no-default-features
    fi
fi
exec python3 bench/variants/variants.py "$shared" --bin "$WEB3AUDIT_BIN" --out target/variants "$@"
