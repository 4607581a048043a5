#!/usr/bin/env bash
# Compiles a sample of the wild corpus to runtime bytecode for the bytecode-analysis benchmark.
#
#   bench/bytecode/build.sh SHARED_DIR [OUT_DIR]
#
# Reads SHARED_DIR/corpus/wild-sample/contracts/*.sol. For each file, pick_compiler.py picks the newest
# compiler of a fixed list (0.4.26, 0.5.17, 0.6.12, 0.7.6, 0.8.26) that satisfies its pragmas;
# every file for 0.5 and later is taken, and the first LIMIT_04 (default 300) files for 0.4.26.
# Each file is compiled alone (without optimizer) by compile_each.js, which loads each
# compiler once; a file that does not compile standalone is skipped. Compilers are solc-js from
# npm, installed on first use by tools/solc/compile.js into target/solc-js-VERSION. Outputs go
# to OUT_DIR (default target/bytecode-corpus)/NAME.json (with the absolute source path in
# "source"), and manifest.tsv lists `status<TAB>version<TAB>path` for every file tried.
set -euo pipefail
shared="${1:?usage: build.sh SHARED_DIR [OUT_DIR]}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${2:-$root/target/bytecode-corpus}"
limit04="${LIMIT_04:-300}"
corpus="$(cd "$shared/corpus/wild-sample/contracts" && pwd)"
mkdir -p "$out"
manifest="$out/manifest.tsv"
: > "$manifest"
selection="$(python3 "$root/bench/bytecode/pick_compiler.py" "$corpus")"
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf 'pragma solidity >=0.4.0;\ncontract Probe {}\n' > "$probe/Probe.sol"
for version in 0.4.26 0.5.17 0.6.12 0.7.6 0.8.26; do
    files="$(grep "^$version" <<< "$selection" | cut -f2 || true)"
    if [ "$version" = 0.4.26 ]; then files="$(head -n "$limit04" <<< "$files")"; fi
    [ -n "$files" ] || continue
    home="$root/target/solc-js-$version"
    # Installs the compiler on first use.
    SOLC_JS_HOME="$home" node "$root/tools/solc/compile.js" --solc "$version" \
        --out "$probe/probe.json" "$probe/Probe.sol" > /dev/null
    # shellcheck disable=SC2086
    SOLC_JS_HOME="$home" node "$root/bench/bytecode/compile_each.js" --solc "$version" \
        --out-dir "$out" $files | sed "s/\t/\t$version\t/" >> "$manifest"
done
echo "compiled $(grep -c '^ok' "$manifest") of $(wc -l < "$manifest") files into $out"
