#!/usr/bin/env bash
# Installs the local Ethereum node used by the deployed-contract tests (Anvil, from the npm
# package @foundry-rs/anvil) into target/anvil, once, and prints the path of its binary.
# The tests find it there; WEB3AUDIT_ANVIL=/path/to/anvil overrides the location.
set -euo pipefail
cd "$(dirname "$0")/../.."

version="${ANVIL_NPM_VERSION:-1.7.1}"
prefix="target/anvil"

find_bin() {
    find "$prefix/node_modules/@foundry-rs" -path '*/anvil-*/bin/anvil' -type f 2>/dev/null | head -n 1 || true
}

bin="$(find_bin)"
if [ -z "$bin" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm is missing: cannot install Anvil (@foundry-rs/anvil)" >&2
        exit 1
    fi
    mkdir -p "$prefix"
    # The platform package carries the binary; the wrapper's install script is not needed.
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts \
        "@foundry-rs/anvil@$version" >&2
    bin="$(find_bin)"
fi
if [ -z "$bin" ] || ! "$bin" --version >/dev/null 2>&1; then
    echo "Anvil did not install for this platform under $prefix" >&2
    exit 1
fi
echo "$PWD/$bin"
