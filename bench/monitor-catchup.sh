#!/usr/bin/env bash
# Catch-up throughput of the monitor engine on a local Anvil node: a chain of BLOCKS blocks
# of TXS transactions is generated first (its time is printed apart), then one monitor of
# 20 rules is timed from block 1 to the head (confirmations 0, the default batch).
#   bench/monitor-catchup.sh [--blocks 2000] [--txs 20] [--unwatched PERCENT] [--internal] [--debug-trace]
# (--internal: the call rules also on internal calls; --debug-trace: the profile also times
# debug_traceBlockByNumber, which takes minutes on Anvil)
# Prints blocks/s, transactions/s, firings, RPC requests and where the time went. No
# limit is checked: the figures are for reading (the target is 200 blocks/s or more).
set -euo pipefail
cd "$(dirname "$0")/.."

anvil="${WEB3AUDIT_ANVIL:-$(bash tools/anvil/install.sh)}"
cargo build --release --locked -p monitor --example catchup
WEB3AUDIT_ANVIL="$anvil" target/release/examples/catchup "$@"
