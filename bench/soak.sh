#!/usr/bin/env bash
# Soak test of the service on PostgreSQL: one `web3audit serve --no-workers` and two
# `web3audit worker` processes on a throw-away database, audits submitted at a steady
# rate (half the measured capacity) for DURATION seconds while one worker is killed
# (SIGKILL) and restarted every KILL_EVERY seconds, alternately. Then, once the queue
# drained, it checks that
#   - no audit was lost: every accepted audit exists and is final;
#   - no job ran twice to completion: no audit holds a finding ordinal twice;
# and prints the API process's resident memory sampled every minute.
# Usage: CAPACITY=AUDITS_PER_S bash bench/soak.sh
#   CAPACITY (default 100, from bench/load-multinode.sh postgres): submits CAPACITY/2 a second;
#   DURATION (default 1800), KILL_EVERY (default 300), REDIS_URL (optional, as in
#   bench/load-multinode.sh).
# Needs: target/release/web3audit, curl, python3, and PostgreSQL at $PGHOST (default 127.0.0.1:5432,
# user postgres, trust auth) with createdb/dropdb/psql.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/target/release/web3audit"
capacity="${CAPACITY:-100}"
rate=$(( capacity / 2 > 0 ? capacity / 2 : 1 ))
duration="${DURATION:-1800}"
kill_every="${KILL_EVERY:-300}"
pghost="${PGHOST:-127.0.0.1}"
# shellcheck source=bench/service-env.sh
source bench/service-env.sh soak
export WEB3AUDIT_LEASE_SECS=15

work="$(mktemp -d)"
db="web3audit_soak_$(date +%s)_$$"
url="postgres://postgres@$pghost:5432/$db"
api_pid=""
worker_pids=("" "")
cleanup() {
    for pid in "$api_pid" "${worker_pids[@]}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    dropdb -h "$pghost" -U postgres --if-exists --force "$db" 2>/dev/null || true
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

start_worker() {
    local n="$1"
    "$bin" worker --bind "127.0.0.1:805$n" --database-url "$url" \
        2>>"$work/worker-$n.log" &
    worker_pids[n]=$!
    ready "127.0.0.1:805$n"
}

createdb -h "$pghost" -U postgres "$db"
key="$("$bin" admin bootstrap --tenant soak --admin-email a@soak.test --database-url "$url" \
    | sed -n 's/.*"api_key": "\(.*\)".*/\1/p')"
"$bin" serve --no-workers --bind 127.0.0.1:8041 --database-url "$url" 2>"$work/api.log" &
api_pid=$!
ready 127.0.0.1:8041
start_worker 0
start_worker 1
echo "== soak: $rate audits/s for $duration s, a worker killed every $kill_every s (database $db)"

start=$(date +%s)
next_kill=$(( start + kill_every ))
next_sample=$start
victim=0
: >"$work/ids"
echo "minute rss_kib" >"$work/rss"
# The submissions: bench/soak-submit.py keeps the rate with kept-alive connections.
python3 bench/soak-submit.py 127.0.0.1:8041 "$key" "$rate" "$duration" "$work/ids" \
    >"$work/submitted" &
submitter=$!
while [ $(( $(date +%s) - start )) -lt "$duration" ]; do
    now=$(date +%s)
    if [ "$now" -ge "$next_sample" ]; then
        echo "$(( (now - start) / 60 )) $(ps -o rss= -p "$api_pid" | tr -d ' ')" >>"$work/rss"
        next_sample=$(( next_sample + 60 ))
    fi
    if [ "$now" -ge "$next_kill" ]; then
        echo "   $(( now - start )) s: killing worker $victim (pid ${worker_pids[victim]}) and restarting it"
        kill -9 "${worker_pids[victim]}" 2>/dev/null || true
        wait "${worker_pids[victim]}" 2>/dev/null || true
        start_worker "$victim"
        victim=$(( 1 - victim ))
        next_kill=$(( next_kill + kill_every ))
    fi
    sleep 1
done
wait "$submitter"
echo "== $(cat "$work/submitted")"
echo "$(( ($(date +%s) - start) / 60 )) $(ps -o rss= -p "$api_pid" | tr -d ' ')" >>"$work/rss"
submitted=$(grep -c . "$work/ids" || true)
echo "== submitted $submitted audits; waiting for the queue to drain"
psql_q() { psql -h "$pghost" -U postgres -d "$db" -tAc "$1"; }
for _ in $(seq 1 600); do
    open=$(psql_q "SELECT count(*) FROM audits WHERE status IN ('queued', 'running')")
    [ "$open" = 0 ] && break
    sleep 1
done

failures=0
# Every accepted id against the database (the API's view of the same rows; asking the
# API once per id takes longer than the soak at this size).
missing=$(psql -h "$pghost" -U postgres -d "$db" -tAq \
    -c "CREATE TEMP TABLE submitted (id text)" \
    -c "\\copy submitted FROM '$work/ids'" \
    -c "SELECT s.id || ' ' || coalesce(a.status, 'missing') FROM submitted s
        LEFT JOIN audits a ON a.id = s.id
        WHERE a.status IS NULL
           OR a.status NOT IN ('succeeded', 'failed', 'timed_out', 'cancelled')" \
    || true)
if [ -n "$missing" ]; then
    echo "LOST (not final): $(echo "$missing" | wc -l)"
    echo "$missing" | head -20
    failures=1
else
    echo "no lost audit: all $submitted final"
fi
duplicates=$(psql_q "SELECT count(*) FROM (SELECT audit_id, ordinal FROM findings GROUP BY audit_id, ordinal HAVING count(*) > 1) d")
if [ "$duplicates" != 0 ]; then
    echo "DUPLICATED findings in $duplicates (audit, ordinal) pairs"
    failures=1
else
    echo "no duplicate: every audit's findings were recorded once"
fi
echo "statuses: $(psql_q "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) AS n FROM audits GROUP BY status) s")"
echo "re-run after a killed worker: $(psql_q "SELECT count(*) FROM audits WHERE attempts > 1") audits"
echo "== API process resident memory (KiB) per minute"
cat "$work/rss"
exit "$failures"
