#!/usr/bin/env bash
# Fetches the sources of audited SPL programs from crates.io through cargo and prints
# the directory that holds them (one sub-directory per crate, as unpacked by cargo).
#   bench/solana/fetch-crates.sh
# Versions are pinned (the expected high findings name files of these versions).
# A throw-away Cargo project under target/ depends on the crates; `cargo fetch` fills
# the registry cache; the unpacked sources are linked into target/solana-spl/src.
set -euo pipefail
cd "$(dirname "$0")/../.."
crates=(spl-token spl-token-2022 spl-associated-token-account)
work=target/solana-spl
mkdir -p "$work/project/src" "$work/src"
cat >"$work/project/Cargo.toml" <<TOML
[package]
name = "solana-spl-sources"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
spl-token = { version = "=9.0.0", default-features = false, features = ["no-entrypoint"] }
spl-token-2022 = { version = "=12.0.0", default-features = false, features = ["no-entrypoint"] }
spl-associated-token-account = { version = "=8.0.0", default-features = false, features = ["no-entrypoint"] }
TOML
echo "" >"$work/project/src/lib.rs"
(cd "$work/project" && cargo generate-lockfile -q >&2 && cargo fetch -q >&2)
home=${CARGO_HOME:-$HOME/.cargo}
for c in "${crates[@]}"; do
    version=$(awk -v n="$c" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$work/project/Cargo.lock")
    rm -rf "${work:?}/src/$c-$version"
    src=$(ls -d "$home"/registry/src/*/"$c-$version" 2>/dev/null | head -1)
    if [ -n "$src" ]; then
        cp -r "$src" "$work/src/$c-$version"
    else
        # `cargo fetch` may leave only the downloaded archive: unpack it.
        archive=$(ls "$home"/registry/cache/*/"$c-$version.crate" 2>/dev/null | head -1)
        [ -n "$archive" ] || { echo "sources of $c $version not found" >&2; exit 1; }
        tar -xzf "$archive" -C "$work/src"
    fi
done
echo "$work/src"
