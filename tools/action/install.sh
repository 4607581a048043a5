#!/usr/bin/env bash
# Installs a released web3audit binary, checked against the release's SHA256SUMS, into
# DIR/bin (printed on success). The GitHub Action's install step; usable in any CI.
#
#   bash tools/action/install.sh VERSION DIR
#
# VERSION: a release version (`0.1.0`, or `v0.1.0`). The archive is
# web3audit-VERSION-TARGET.tar.gz, TARGET being `<arch>-unknown-linux-musl` for this
# machine's architecture (x86_64, aarch64) unless WEB3AUDIT_TARGET says otherwise.
# WEB3AUDIT_RELEASE_BASE: where releases are, `BASE/vVERSION/FILE` (the action passes
# https://github.com/OWNER/REPO/releases/download). Exit 1 when the download fails or the
# checksum does not match; nothing is installed then.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 VERSION DIR" >&2; exit 2; }
version="${1#v}" dir="$2"
base="${WEB3AUDIT_RELEASE_BASE:?WEB3AUDIT_RELEASE_BASE names where the releases are}"
case "$(uname -s)" in
    Linux) ;;
    *) echo "released binaries are for Linux; build from source elsewhere (version: source)" >&2; exit 1 ;;
esac
target="${WEB3AUDIT_TARGET:-$(uname -m)-unknown-linux-musl}"
name="web3audit-$version-$target"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {
    curl --fail --silent --show-error --location --retry 3 -o "$work/$1" "$base/v$version/$1"
}
fetch "$name.tar.gz" || { echo "no release archive $name.tar.gz at $base/v$version" >&2; exit 1; }
fetch SHA256SUMS || { echo "no SHA256SUMS at $base/v$version" >&2; exit 1; }
expected="$(awk -v f="$name.tar.gz" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")"
[ -n "$expected" ] || { echo "SHA256SUMS of v$version lists no $name.tar.gz" >&2; exit 1; }
actual="$(sha256sum "$work/$name.tar.gz" | cut -d' ' -f1)"
if [ "$expected" != "$actual" ]; then
    echo "checksum mismatch for $name.tar.gz: expected $expected, got $actual" >&2
    exit 1
fi
tar -xzf "$work/$name.tar.gz" -C "$work"
mkdir -p "$dir/bin"
install -m 0755 "$work/$name/web3audit" "$dir/bin/web3audit"
"$dir/bin/web3audit" --version >&2
echo "$dir/bin/web3audit"
