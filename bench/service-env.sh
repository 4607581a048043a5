# Sourced by the service benchmarks (load-multinode.sh, get-only.sh, soak.sh): the
# settings of every process they start (limits out of the way, quiet logs, no config
# file), and with REDIS_URL set, Redis under a key prefix of this run. $1 names the run
# in that prefix. Sets `redis_prefix` (empty without Redis); `forget_redis_keys` deletes
# the run's keys (call it on exit). Stops when `$bin` (set before sourcing) is not a
# build with the service.
if ! "$bin" admin --help >/dev/null 2>&1; then
    echo "$bin is missing or was built without the service (the scan benchmarks build it" \
        "with --no-default-features): run 'cargo build --release -p web3audit'" >&2
    exit 1
fi
export WEB3AUDIT_SECRET_KEY="load-benchmark-secret-key-0123456789abcdef"
export WEB3AUDIT_RATE_LIMIT_KEY_PER_MINUTE=100000000
export WEB3AUDIT_RATE_LIMIT_TENANT_PER_MINUTE=100000000
export WEB3AUDIT_RATE_LIMIT_BURST=10000000
export WEB3AUDIT_LOG_LEVEL=warn
unset WEB3AUDIT_CONFIG
redis_prefix=""
if [ -n "${REDIS_URL:-}" ]; then
    redis_prefix="w3a-$1-$(date +%s)-$$:"
    export WEB3AUDIT_REDIS_URL="$REDIS_URL" WEB3AUDIT_REDIS_PREFIX="$redis_prefix"
    echo "== rate limits and key cache in Redis ($REDIS_URL, prefix $redis_prefix)"
fi

forget_redis_keys() {
    [ -n "$redis_prefix" ] || return 0
    redis-cli -u "$REDIS_URL" --scan --pattern "${redis_prefix}*" \
        | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null || true
}
