#!/usr/bin/env bash
# Installs the Vyper compilers that the parse-agreement check compares our parser with
# (crates/vyper/scripts/compiler_ast_agreement.py), each from PyPI (`vyper==X`) into its
# own virtual environment target/vyper/<version>/, once, and prints the path of each
# installed `vyper` executable, one per line, on stdout (progress goes to stderr).
#   tools/vyper/install.sh [VERSION...]
# The default versions are every release that the corpus (../shared/corpus/vyper) pins
# exactly and PyPI still has, plus the newest of each series: 0.2.4 to 0.2.16, 0.3.10,
# 0.4.0, 0.4.1 and 0.4.3. The compilers are a reference, not a dependency: nothing in the
# workspace links to them. A version that fails to install or to run is reported on
# stderr and left out; the script fails only when none is installed.
# Needs python3 with venv; as root on Debian it is installed when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
    versions=(0.2.4 0.2.5 0.2.7 0.2.8 0.2.11 0.2.12 0.2.15 0.2.16 0.3.10 0.4.0 0.4.1 0.4.3)
fi

need_apt=()
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
    else
        echo "missing ${need_apt[*]}: cannot install the Vyper compilers" >&2
        exit 1
    fi
fi

# True when the environment's compiler runs and reports the expected version.
works() {
    local bin="$1" version="$2" out
    [ -x "$bin" ] || return 1
    out="$("$bin" --version 2>/dev/null)" || return 1
    [ "${out%%+*}" = "$version" ]
}

installed=0
for v in "${versions[@]}"; do
    venv="target/vyper/$v"
    bin="$PWD/$venv/bin/vyper"
    if ! works "$bin" "$v"; then
        echo "installing vyper $v into $venv" >&2
        rm -rf "$venv"
        if ! python3 -m venv "$venv" >&2 \
            || ! "$venv/bin/pip" install --quiet "vyper==$v" >&2 \
            || ! works "$bin" "$v"; then
            echo "vyper $v did not install or does not run with $(python3 --version 2>&1): left out" >&2
            rm -rf "$venv"
            continue
        fi
    fi
    echo "$bin"
    installed=$((installed + 1))
done
if [ "$installed" -eq 0 ]; then
    echo "no Vyper compiler could be installed" >&2
    exit 1
fi
