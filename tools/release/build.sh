#!/usr/bin/env bash
# Builds the release archives: static Linux binaries for each target, packaged with
# tools/release/package.sh into OUT (default target/release-dist) with SHA256SUMS.
#
#   bash tools/release/build.sh [OUT]
#
# Targets: WEB3AUDIT_RELEASE_TARGETS (space-separated), default
# "x86_64-unknown-linux-musl aarch64-unknown-linux-musl". A musl target needs its standard
# library (`rustup target add TARGET`) and, for aarch64 on an x86_64 machine, a linker for
# it (CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER, e.g. from musl-cross, or build on an
# aarch64 runner). `x86_64-unknown-linux-gnu` is accepted as a fallback and linked
# statically against glibc (`+crt-static`); such a binary resolves host names through
# glibc's NSS at run time, so the musl builds are the ones published.
#
# Every binary is checked before it is packaged: it runs (`--version`) and is static
# (`file` says so, when `file` is installed). A target that cannot be built fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-target/release-dist}"
targets="${WEB3AUDIT_RELEASE_TARGETS:-x86_64-unknown-linux-musl aarch64-unknown-linux-musl}"
version="$(bash tools/release/version.sh)"
host="$(rustc -vV | sed -n 's/^host: //p')"

sysroot="$(rustc --print sysroot)"
for target in $targets; do
    echo "==> $target"
    if [ ! -d "$sysroot/lib/rustlib/$target" ]; then
        echo "the standard library for $target is not installed (rustup target add $target)" >&2
        exit 1
    fi
    flags="${RUSTFLAGS:-}"
    case "$target" in
        *-linux-gnu) flags="$flags -C target-feature=+crt-static" ;;
    esac
    RUSTFLAGS="$flags" cargo build --release --locked -p web3audit --target "$target"
    bin="target/$target/release/web3audit"
    if [ "$target" = "$host" ] || [ "${target%%-*}" = "$(uname -m)" ]; then
        "$bin" --version
    fi
    if command -v file >/dev/null; then
        description="$(file -b "$bin")"
        case "$description" in
            *"statically linked"*|*"static-pie linked"*) ;;
            *) echo "$bin is not static: $description" >&2; exit 1 ;;
        esac
    fi
    # The release profile keeps debug information (for profiling); the archive does not.
    stripped="target/$target/release/web3audit.stripped"
    if command -v strip >/dev/null; then
        strip -o "$stripped" "$bin"
    else
        cp "$bin" "$stripped"
    fi
    bash tools/release/package.sh "$stripped" "$target" "$out" "$version"
done
echo "==> $out"
cat "$out/SHA256SUMS"
