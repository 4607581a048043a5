#!/usr/bin/env bash
# Parse agreement of crates/vyper with the Vyper compiler on the shared corpus.
#   bench/vyper-compiler.sh [SHARED_DIR]        (default: ../shared)
# Builds the release example that prints our canonical form of every file, installs the
# compilers from PyPI (tools/vyper/install.sh: one virtual environment per version under
# target/vyper/), and runs crates/vyper/scripts/compiler_ast_agreement.py, which compares
# each file with `vyper -f ast` of a compiler fitting its pragma, statement by statement.
# Fails on a difference not listed in crates/vyper/scripts/compiler_known_differences.tsv
# (when that file exists). The report also goes to target/vyper-compiler-agreement.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
corpus="$shared/corpus/vyper"
if [ ! -d "$corpus" ]; then
    echo "Vyper compiler agreement skipped: $corpus is absent"
    exit 0
fi
cargo build --release --locked -p vyper --example vyper_corpus >/dev/null 2>&1 \
    || cargo build --release --locked -p vyper --example vyper_corpus
installed="$(bash tools/vyper/install.sh)"
mapfile -t compilers <<<"$installed"
mkdir -p target
target/release/examples/vyper_corpus "$corpus" --canonical > target/vyper-canonical.tsv
known=crates/vyper/scripts/compiler_known_differences.tsv
args=()
[ -f "$known" ] && args+=(--known "$known")
python3 crates/vyper/scripts/compiler_ast_agreement.py "${args[@]}" \
    "$corpus" target/vyper-canonical.tsv "${compilers[@]}" | tee target/vyper-compiler-agreement.txt
