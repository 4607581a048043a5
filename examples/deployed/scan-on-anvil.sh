#!/usr/bin/env bash
# Scans a deployed contract on a local Anvil node: starts Anvil (installed from npm into
# target/anvil on first use), deploys the example of deploy.py, and runs
# `web3audit scan 0xADDRESS --rpc-url URL` on it. Needs Node.js with npm, Python 3, Rust.
#
#   bash examples/deployed/scan-on-anvil.sh [extra scan flags, e.g. -f json]
set -euo pipefail
cd "$(dirname "$0")/../.."

anvil="$(bash tools/anvil/install.sh)"
port="${ANVIL_PORT:-18545}"
url="http://127.0.0.1:$port"
"$anvil" --port "$port" --silent &
anvil_pid=$!
trap 'kill $anvil_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(urllib.request.Request('$url', b'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}', {'Content-Type': 'application/json'}), timeout=1)" 2>/dev/null; then
        break
    fi
    sleep 0.1
done

proxy="$(python3 examples/deployed/deploy.py "$url")"
echo "deployed the example proxy at $proxy" >&2
cargo run --release -q -p web3audit -- scan "$proxy" --rpc-url "$url" "$@"
