#!/usr/bin/env bash
# The cost of one poll: `wrk` against `GET /api/v1/audits/{id}` of one finished audit on
# one `web3audit serve` (SQLite), and the server's CPU time per request read from
# /proc/PID/stat. Prints a fixed CPU task's time first, so that figures taken on
# different machines can be compared.
# Usage: bash bench/get-only.sh
#   BIN (default target/release/web3audit), DURATION seconds (default 10), CONNECTIONS
#   (default 50), REDIS_URL (optional: rate limits and key cache in that Redis server,
#   as in bench/load-multinode.sh).
# Needs: wrk (Debian: apt-get install wrk), curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BIN:-$PWD/target/release/web3audit}"
duration="${DURATION:-10}"
connections="${CONNECTIONS:-50}"
port=8041
# shellcheck source=bench/service-env.sh
source bench/service-env.sh get

work="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    forget_redis_keys
    rm -rf "$work"
}
trap cleanup EXIT

bash bench/machine-speed.sh

url="sqlite://$work/web3audit.db"
key="$("$bin" admin bootstrap --tenant load --admin-email a@load.test --database-url "$url" \
    | sed -n 's/.*"api_key": "\(.*\)".*/\1/p')"
"$bin" serve --bind "127.0.0.1:$port" --database-url "$url" 2>"$work/serve.log" & pid=$!
for _ in $(seq 1 200); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
id="$(curl -fs -H "x-api-key: $key" -H 'content-type: application/json' \
    -d '{"sources": {"a.sol": "pragma solidity ^0.8.0;\ncontract A { function f() external {} }\n"}}' \
    "http://127.0.0.1:$port/api/v1/audits" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
sleep 1

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before="$(ticks)"
out="$(wrk -t2 -c"$connections" -d"${duration}s" -H "x-api-key: $key" \
    "http://127.0.0.1:$port/api/v1/audits/$id")"
after="$(ticks)"
echo "$out" | grep -E "Latency|Requests/sec|requests in"
requests="$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')"
hz="$(getconf CLK_TCK)"
python3 -c "print(f'server CPU per GET: {($after - $before) / $hz / $requests * 1e6:.0f} µs ({($after - $before) / $hz:.1f} s over $requests requests)')"
