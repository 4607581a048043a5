#!/usr/bin/env bash
# Builds, tests and packages the VS Code extension (editors/vscode) with a built binary:
# - `npm ci` (registry packages only);
# - `npm test`: unit tests of the settings mapping, and the wiring tests, which run the
#   compiled extension with a stub `vscode` module and the real vscode-languageclient
#   against the real server (WEB3AUDIT_BIN): diagnostics, hover, code actions, the
#   documentation command, settings changes, restart on a new path, clean shutdown;
# - `npm run package`, then checks that the .vsix holds the manifest and the compiled entry,
#   and runs the wiring tests again on the extension unpacked from it (so that it loads
#   with the dependencies it ships).
# Usage: bash tools/vscode/test.sh [BIN]   (default target/debug/web3audit)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$(realpath "${1:-target/debug/web3audit}")"
[ -x "$bin" ] || { echo "no web3audit binary at $bin" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is missing: cannot build the VS Code extension" >&2; exit 1; }

fail() { echo "FAILED: $*" >&2; exit 1; }

cd editors/vscode
echo "== npm ci"
npm ci --no-audit --no-fund --loglevel=error

echo "== npm test (server: $bin)"
WEB3AUDIT_BIN="$bin" npm test

echo "== npm run package"
version="$(node -p 'require("./package.json").version')"
vsix="web3audit-$version.vsix"
rm -f "$vsix"
npm run package
[ -f "$vsix" ] || fail "npm run package did not write $vsix"
main="$(node -p 'require("./package.json").main.replace(/^\.\//, "")')"
python3 - "$vsix" "extension/$main" <<'PY' || fail "$vsix lacks a file it needs"
import json, sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
for needed in ["extension/package.json", sys.argv[2], "extension.vsixmanifest",
               "extension/node_modules/vscode-languageclient/package.json"]:
    if needed not in names:
        sys.exit(f"{needed} is not in {sys.argv[1]}")
manifest = json.loads(zipfile.ZipFile(sys.argv[1]).read("extension/package.json"))
assert manifest["name"] == "web3audit", manifest["name"]
if any(name.startswith("extension/out/test/") or name.endswith(".ts") for name in names):
    sys.exit("the tests or the TypeScript sources were packaged")
print(f"{sys.argv[1]}: {len(names)} files, {sys.argv[2]} included")
PY

echo "== the packaged extension: the wiring tests again, on the .vsix unpacked"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$vsix" "$work"
WEB3AUDIT_BIN="$bin" WEB3AUDIT_VSCODE_EXTENSION="$work/extension/$main" node --test out/test/wiring.test.js
echo "the VS Code extension builds, passes its tests and packages"
