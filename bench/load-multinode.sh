#!/usr/bin/env bash
# The load benchmark (bench/load) against the real binary, side by side:
#   sqlite:   one `web3audit serve` (API and 2 worker slots) on SQLite;
#   postgres: one `web3audit serve --no-workers` and two `web3audit worker` processes
#             (WORKER_SLOTS slots each, default 1) on a throw-away PostgreSQL database.
# Usage: bash bench/load-multinode.sh [sqlite|postgres|both]   (default both)
# With REDIS_URL set (e.g. REDIS_URL=redis://127.0.0.1:6379), every process keeps its
# rate limits and API-key cache in that Redis server, under a key prefix of this run
# (deleted at the end; nothing else in the server is touched).
# DATABASE_MAX_CONNECTIONS sets each process's pool (default: the service's).
# Prints bench/machine-speed.sh first.
# Needs: target/release/web3audit (cargo build --release -p web3audit), the load client
# (built here unless LOAD_BIN names it), and for postgres the server at $PGHOST (default 127.0.0.1:5432, user
# postgres, trust auth) with createdb/dropdb.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-both}"
bin="$PWD/target/release/web3audit"
audits="${AUDITS:-3000}"
clients="${CLIENTS:-100}"
slots="${WORKER_SLOTS:-1}"
pghost="${PGHOST:-127.0.0.1}"
# shellcheck source=bench/service-env.sh
source bench/service-env.sh load
if [ -n "${DATABASE_MAX_CONNECTIONS:-}" ]; then
    export WEB3AUDIT_DATABASE_MAX_CONNECTIONS="$DATABASE_MAX_CONNECTIONS"
fi

# The load client: LOAD_BIN, or built here (bench/load is its own Cargo workspace).
if [ -n "${LOAD_BIN:-}" ]; then
    load="$LOAD_BIN"
else
    (cd bench/load && cargo build --release --quiet)
    load="${CARGO_TARGET_DIR:-$PWD/bench/load/target}/release/load"
fi

bash bench/machine-speed.sh

work="$(mktemp -d)"
pids=()
db=""
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$db" ] && dropdb -h "$pghost" -U postgres --if-exists --force "$db" 2>/dev/null || true
    forget_redis_keys
    rm -rf "$work"
}
trap cleanup EXIT

ready() {
    for _ in $(seq 1 200); do
        curl -fs "http://$1/health/ready" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "no answer from $1" >&2
    exit 1
}

bootstrap() {
    "$bin" admin bootstrap --tenant load --admin-email a@load.test --database-url "$1" \
        | sed -n 's/.*"api_key": "\(.*\)".*/\1/p'
}

load_against() {
    "$load" --url "http://$1" --api-key "$2" --clients "$clients" --audits "$audits"
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
}

if [ "$which" = sqlite ] || [ "$which" = both ]; then
    echo "== SQLite: one serve process, 2 worker slots"
    url="sqlite://$work/sqlite/web3audit.db"
    key="$(bootstrap "$url")"
    WEB3AUDIT_MAX_CONCURRENT_AUDITS=2 "$bin" serve --bind 127.0.0.1:8021 --database-url "$url" \
        2>"$work/sqlite.log" & pids+=($!)
    ready 127.0.0.1:8021
    load_against 127.0.0.1:8021 "$key"
fi

if [ "$which" = postgres ] || [ "$which" = both ]; then
    echo "== PostgreSQL: serve --no-workers + 2 worker processes, $slots slot(s) each"
    db="web3audit_load_$(date +%s)_$$"
    createdb -h "$pghost" -U postgres "$db"
    url="postgres://postgres@$pghost:5432/$db"
    key="$(bootstrap "$url")"   # also creates the schema
    "$bin" serve --no-workers --bind 127.0.0.1:8022 --database-url "$url" 2>"$work/api.log" & pids+=($!)
    for n in 1 2; do
        WEB3AUDIT_MAX_CONCURRENT_AUDITS="$slots" "$bin" worker --bind "127.0.0.1:803$n" \
            --database-url "$url" 2>"$work/worker-$n.log" & pids+=($!)
    done
    for port in 8022 8031 8032; do ready "127.0.0.1:$port"; done
    load_against 127.0.0.1:8022 "$key"
fi
