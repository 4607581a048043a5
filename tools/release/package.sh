#!/usr/bin/env bash
# Packages one built binary as a release archive and records its checksum:
#   OUT/web3audit-VERSION-TARGET.tar.gz   (web3audit, README.md, docs/, action files)
#   OUT/SHA256SUMS                        (one line per archive, `sha256sum -c` format)
# Usage: bash tools/release/package.sh BIN TARGET OUT [VERSION]
#   VERSION defaults to the workspace version in Cargo.toml.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 3 ] || { echo "usage: $0 BIN TARGET OUT [VERSION]" >&2; exit 2; }
bin="$1" target="$2" out="$3"
version="${4:-$(bash tools/release/version.sh)}"
[ -x "$bin" ] || { echo "no executable at $bin" >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"

name="web3audit-$version-$target"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$bin" "$stage/$name/web3audit"
cp README.md "$stage/$name/"
cp -r docs "$stage/$name/docs"
# Reproducible archive: fixed order, owner and times.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' \
    -C "$stage" -czf "$out/$name.tar.gz" "$name"

sums="$out/SHA256SUMS"
touch "$sums"
grep -v "  $name.tar.gz\$" "$sums" > "$sums.new" || true
(cd "$out" && sha256sum "$name.tar.gz") >> "$sums.new"
sort -k2 "$sums.new" > "$sums"
rm -f "$sums.new"
echo "$out/$name.tar.gz"
