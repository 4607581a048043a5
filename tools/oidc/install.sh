#!/usr/bin/env bash
# Installs the OpenID provider the single sign-on browser test runs (the npm package
# oidc-provider, pinned in tools/oidc/package-lock.json) into target/oidc, once, and prints
# the path of its start script. WEB3AUDIT_OIDC_PROVIDER=/path/to/provider.mjs overrides it
# (the script's directory must hold node_modules with oidc-provider).
set -euo pipefail
cd "$(dirname "$0")/../.."

prefix="target/oidc"
mkdir -p "$prefix"
# Reinstalled when the pinned versions change.
if [ ! -d "$prefix/node_modules/oidc-provider" ] || ! cmp -s tools/oidc/package-lock.json "$prefix/package-lock.json"; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm is missing: cannot install oidc-provider" >&2
        exit 1
    fi
    cp tools/oidc/package.json tools/oidc/package-lock.json "$prefix/"
    npm ci --prefix "$prefix" --no-audit --no-fund --ignore-scripts >&2
fi
cp tools/oidc/provider.mjs "$prefix/provider.mjs"
echo "$PWD/$prefix/provider.mjs"
