#!/usr/bin/env bash
# Tests the CI integrations on a fixture repository, with a built binary:
# - the GitHub Action's script (tools/action/run.sh): SARIF written, job summary written,
#   exit code as `fail-on` says, a baseline leaving only new findings, a usage error;
# - the pre-commit hook (.pre-commit-hooks.yaml) run by pre-commit (PyPI, installed into
#   target/precommit/venv when missing) on a fixture git repository: it fails on the
#   vulnerable file and passes once it is fixed. pre-commit takes the hook from this
#   repository at its HEAD commit.
# Usage: bash tools/integrations/test.sh [BIN]   (default target/debug/web3audit)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
bin="$(realpath "${1:-target/debug/web3audit}")"
[ -x "$bin" ] || { echo "no web3audit binary at $bin" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAILED: $*" >&2; exit 1; }

fixture="$work/fixture"
mkdir -p "$fixture/src"
cat > "$fixture/src/Wallet.sol" <<'SOL'
pragma solidity 0.8.24;

contract Wallet {
    address public owner;

    function withdraw(address payable to) external {
        require(tx.origin == owner);
        to.transfer(address(this).balance);
    }
}
SOL

echo "== the GitHub Action's script"
run_action() {
    (cd "$fixture" && env WEB3AUDIT="$bin" GITHUB_STEP_SUMMARY="$work/summary.md" \
        INPUT_PATH="${1}" INPUT_FAIL_ON="${2}" INPUT_BASELINE="${3:-}" \
        INPUT_SARIF_FILE="$work/out.sarif" bash "$root/tools/action/run.sh" >"$work/action.log" 2>&1)
}
: > "$work/summary.md"
status=0; run_action . high || status=$?
[ "$status" = 1 ] || fail "fail-on high with a high finding exited $status: $(cat "$work/action.log")"
python3 - "$work/out.sarif" <<'PY' || fail "the SARIF log lacks the finding"
import json, sys
log = json.load(open(sys.argv[1]))
assert log["version"] == "2.1.0"
assert any(r["ruleId"] == "tx-origin-auth" for r in log["runs"][0]["results"])
PY
grep -q '| high | `tx-origin-auth` | `src/Wallet.sol:7`' "$work/summary.md" || fail "summary: $(cat "$work/summary.md")"
grep -q "the check fails" "$work/summary.md" || fail "summary does not say the check fails"

: > "$work/summary.md"
status=0; run_action . critical || status=$?
[ "$status" = 0 ] || fail "fail-on critical with only a high finding exited $status"
grep -q "the check passes" "$work/summary.md" || fail "summary does not say the check passes"

"$bin" scan "$fixture" --write-baseline "$work/baseline.json" >/dev/null
: > "$work/summary.md"
status=0; run_action . high "$work/baseline.json" || status=$?
[ "$status" = 0 ] || fail "with a baseline holding the finding, exit $status"
grep -q "No new findings." "$work/summary.md" || fail "summary with a baseline: $(cat "$work/summary.md")"

status=0; run_action missing-folder high || status=$?
[ "$status" = 2 ] || fail "a missing path exited $status"
echo "ok   action script: SARIF, summary, fail-on, baseline, usage error"

echo "== the pre-commit hook"
venv="$root/target/precommit/venv"
if [ ! -x "$venv/bin/pre-commit" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet pre-commit
fi
rev="$(git -C "$root" rev-parse HEAD)"
mkdir -p "$work/bin"
ln -s "$bin" "$work/bin/web3audit"
cat > "$fixture/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $root
    rev: $rev
    hooks:
      - id: web3audit
YAML
git -C "$fixture" init -q
git -C "$fixture" add -A
export PRE_COMMIT_HOME="$work/pre-commit-cache"
status=0
(cd "$fixture" && PATH="$work/bin:$PATH" "$venv/bin/pre-commit" run --all-files >"$work/hook.log" 2>&1) || status=$?
[ "$status" = 1 ] || fail "the hook on the vulnerable file exited $status: $(cat "$work/hook.log")"
grep -q "tx-origin-auth" "$work/hook.log" || fail "the hook's output lacks the finding: $(cat "$work/hook.log")"
sed -i 's/tx.origin == owner/msg.sender == owner/' "$fixture/src/Wallet.sol"
git -C "$fixture" add -A
status=0
(cd "$fixture" && PATH="$work/bin:$PATH" "$venv/bin/pre-commit" run --all-files >"$work/hook.log" 2>&1) || status=$?
[ "$status" = 0 ] || fail "the hook on the fixed file exited $status: $(cat "$work/hook.log")"
echo "ok   pre-commit hook: fails on the finding, passes once fixed"
