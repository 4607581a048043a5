#!/usr/bin/env bash
# Tests the CI integrations on a fixture repository, with a built binary:
# - the GitHub Action's script (tools/action/run.sh): SARIF written, job summary written,
#   exit code as `fail-on` says, a baseline leaving only new findings, a usage error;
# - the pre-commit hook (.pre-commit-hooks.yaml) run by pre-commit (PyPI, installed into
#   target/precommit/venv when missing) on a fixture git repository: it fails on the
#   vulnerable file and passes once it is fixed. pre-commit takes the hook from this
#   repository at its HEAD commit;
# - releases: the binary packaged by tools/release/package.sh and served over HTTP on
#   loopback as a release is installed by the action's install step (checksum checked,
#   a tampered archive refused, WEB3AUDIT exported), and by the GitLab template's script
#   (run with sh, as its YAML gives it), whose Code Quality report and exit code are
#   checked.
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

echo "== releases: packaged, served, installed by the action and the GitLab template"
version="$(bash "$root/tools/release/version.sh")"
target="$(uname -m)-unknown-linux-musl"
releases="$work/releases"
bash "$root/tools/release/package.sh" "$bin" "$target" "$releases/v$version" "$version" >/dev/null
(cd "$releases/v$version" && sha256sum -c SHA256SUMS >/dev/null) || fail "SHA256SUMS does not check"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$releases" >"$work/http.log" 2>&1 &
http_pid=$!
trap 'kill "$http_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$port/v$version/SHA256SUMS" >/dev/null && break
    sleep 0.1
done
base="http://127.0.0.1:$port"

: > "$work/github.env"
(GITHUB_ENV="$work/github.env" VERSION="" RELEASE_URL="$base" \
    bash "$root/tools/action/setup.sh" "$root" "$work/action-install" >"$work/setup.log" 2>&1) \
    || fail "the action's install step failed: $(cat "$work/setup.log")"
grep -qx "WEB3AUDIT=$work/action-install/bin/web3audit" "$work/github.env" \
    || fail "WEB3AUDIT not exported: $(cat "$work/github.env")"
cmp -s "$bin" "$work/action-install/bin/web3audit" || fail "the installed binary is not the released one"

archive="$releases/v$version/web3audit-$version-$target.tar.gz"
cp "$archive" "$work/archive.bak"
printf 'x' >> "$archive"
status=0
(VERSION="$version" RELEASE_URL="$base" bash "$root/tools/action/setup.sh" "$root" "$work/tampered" \
    >"$work/setup.log" 2>&1) || status=$?
[ "$status" = 1 ] || fail "a tampered archive: exit $status: $(cat "$work/setup.log")"
grep -q "checksum mismatch" "$work/setup.log" || fail "a tampered archive: $(cat "$work/setup.log")"
[ ! -e "$work/tampered/bin/web3audit" ] || fail "a tampered archive was installed"
cp "$work/archive.bak" "$archive"
echo "ok   action install step: release installed and exported, tampered archive refused"

template="$root/tools/gitlab/web3audit.gitlab-ci.yml"
"$venv/bin/python" - "$template" "$version" > "$work/gitlab.sh" <<'PY' || fail "the GitLab template: $(cat "$work/gitlab.sh")"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
variables = doc["variables"]
assert variables["WEB3AUDIT_VERSION"] == sys.argv[2], (
    f"the template installs {variables['WEB3AUDIT_VERSION']}, the release is {sys.argv[2]}")
job = doc["web3audit"]
assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
for name, value in variables.items():
    print(f": \"${{{name}={value}}}\"")
print("\n".join(job["script"]))
PY
run_gitlab() {
    (cd "$fixture" && env WEB3AUDIT_RELEASE_URL="$base" WEB3AUDIT_INSTALL_DIR="$work/gitlab-install" \
        WEB3AUDIT_FAIL_ON="$1" sh "$work/gitlab.sh" >"$work/gitlab.log" 2>&1)
}
sed -i 's/msg.sender == owner/tx.origin == owner/' "$fixture/src/Wallet.sol"
status=0; run_gitlab high || status=$?
[ "$status" = 1 ] || fail "the GitLab job with a high finding exited $status: $(cat "$work/gitlab.log")"
python3 - "$fixture/gl-code-quality-report.json" <<'PY' || fail "the Code Quality report lacks the finding"
import json, sys
issues = json.load(open(sys.argv[1]))
assert any(i["check_name"] == "tx-origin-auth" and i["severity"] == "critical"
           and i["location"]["path"] == "src/Wallet.sol" and i["location"]["lines"]["begin"] == 7
           for i in issues), issues
PY
[ -s "$fixture/web3audit.sarif" ] && [ -s "$fixture/web3audit.json" ] || fail "the GitLab job left no SARIF or JSON"
status=0; run_gitlab "" || status=$?
[ "$status" = 0 ] || fail "the GitLab job without fail-on exited $status: $(cat "$work/gitlab.log")"
status=0; (cd "$fixture" && WEB3AUDIT_RELEASE_URL="" sh "$work/gitlab.sh" >"$work/gitlab.log" 2>&1) || status=$?
[ "$status" = 2 ] || fail "the GitLab job without a release URL exited $status"
echo "ok   GitLab template: installs the release, Code Quality report, fail-on"
