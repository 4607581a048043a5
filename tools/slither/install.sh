#!/usr/bin/env bash
# Installs what the real-Slither adapter tests need, once, and prints the directories to put
# in front of PATH (one per line):
#   - Slither (PyPI `slither-analyzer`) into a virtual environment in target/slither,
#     unless `slither` is already on PATH;
#   - solc 0.4.24 and 0.8.27 as `solc-X.Y.Z` commands through the solc-js shim of
#     ../shared/tools/solc-shim (from npm; no compiler binary is downloaded) into
#     target/solc-shim, unless they are already on PATH.
# Needs python3 (with venv) and node/npm; as root on Debian they are installed when missing.
# Then: export PATH="<printed dirs>:$PATH" SOLC_SHIM_HOME="$PWD/target/solc-shim/solc".
set -euo pipefail
cd "$(dirname "$0")/../.."
shared="${WEB3AUDIT_SHARED:-../shared}"
versions=(0.4.24 0.8.27)

need_apt=()
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
    else
        echo "missing ${need_apt[*]}: cannot install Slither and the solc shim" >&2
        exit 1
    fi
fi

dirs=()
if ! command -v slither >/dev/null 2>&1; then
    venv="target/slither/venv"
    if [ ! -x "$venv/bin/slither" ]; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet slither-analyzer >&2
    fi
    dirs+=("$PWD/$venv/bin")
fi

missing=()
for v in "${versions[@]}"; do
    command -v "solc-$v" >/dev/null 2>&1 || missing+=("$v")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ ! -f "$shared/tools/solc-shim/install.sh" ]; then
        echo "$shared/tools/solc-shim is missing: cannot install solc ${missing[*]}" >&2
        exit 1
    fi
    bash "$shared/tools/solc-shim/install.sh" "$PWD/target/solc-shim" "${versions[@]}" >&2
    dirs+=("$PWD/target/solc-shim/bin")
fi
printf '%s\n' "${dirs[@]}"
