#!/usr/bin/env bash
# What shared compiled code saves a cluster: the first call of a new module
# through a node that loads the code another node compiled and shared
# (--cluster-secret), against one through a node that compiles it itself,
# on the machine's PostgreSQL and NATS.
#
#   bash server/benches/shared_code.sh                       # the Python example
#   MODULE=path/to/algorithm.wasm INPUT='"some input"' bash server/benches/shared_code.sh
#   ALGOBOX_BIN=target/debug/algobox bash server/benches/shared_code.sh
#
# Node A builds the module (its compile is timed through the build) and
# shares it; node B, with the same secret, takes the module's first call;
# node C, without the secret, takes the first call of its own. The cluster
# name and database are random and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

POSTGRES=${POSTGRES:-postgres://postgres@127.0.0.1:5432}
NATS=${NATS:-127.0.0.1:4222}
KEY=shared-code-bench-key
SECRET=shared-code-bench-secret-of-32-bytes
PORTS=(18095 18096 18097)
INPUT=${INPUT:-'"the quick brown fox jumps over the lazy dog the end"'}

if [ -z "${ALGOBOX_BIN:-}" ]; then
    cargo build --release --quiet -p algobox-cli
fi
if [ -z "${MODULE:-}" ]; then
    # The Python example as the test artifacts step builds it.
    MODULE=$(ls -t target/*/build/test-artifacts-*/out/scripts/word_stats.wasm 2>/dev/null | head -1)
    if [ -z "$MODULE" ]; then
        echo "no built word_stats.wasm: run the README's test command once, or pass MODULE=path/to.wasm" >&2
        exit 1
    fi
fi
BIN=${ALGOBOX_BIN:-target/release/algobox}
DATA=$(mktemp -d)
CLUSTER=sharebench_$RANDOM$RANDOM
DATABASE=algobox_bench_$RANDOM$RANDOM
SERVERS=()
cleanup() {
    for pid in "${SERVERS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
    psql "$POSTGRES/postgres" -qc "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null || true
    python3 server/benches/remove_cluster.py "$NATS" "$CLUSTER"
    rm -rf "$DATA"
}
trap cleanup EXIT

# Starts node $1 with the extra arguments that follow.
start() {
    local node=$1
    shift
    mkdir -p "$DATA/$node"
    ALGOBOX_ADMIN_KEY=$KEY RUST_LOG=error \
        $BIN serve --listen "127.0.0.1:${PORTS[$node]}" --data-dir "$DATA/$node" \
        --registry "$POSTGRES/$DATABASE" --nats "nats://$NATS" --cluster "$CLUSTER" "$@" \
        2>"$DATA/$node.log" &
    SERVERS+=($!)
    until grep -q "listening" "$DATA/$node.log" 2>/dev/null; do sleep 0.05; done
}

# Prints the seconds one call through node $1 takes.
call() {
    curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Simple $KEY" \
        -H 'Content-Type: application/json' -d "$INPUT" \
        "http://127.0.0.1:${PORTS[$1]}/v1/algo/admin/shared/0.1.0"
}

psql "$POSTGRES/postgres" -qc "CREATE DATABASE $DATABASE" >/dev/null
start 0 --cluster-secret "$SECRET"
started=$(date +%s.%N)
$BIN deploy "$MODULE" admin/shared --publish minor \
    --api "http://127.0.0.1:${PORTS[0]}" --key "$KEY" >/dev/null 2>&1
deployed=$(date +%s.%N)
start 1 --cluster-secret "$SECRET"
start 2
shared=$(call 1)
compiled=$(call 2)
warm=$(call 1)
printf 'module: %s (%s bytes)\n' "$MODULE" "$(stat -c %s "$MODULE")"
printf 'deploy through A (upload, compile, share, publish): %.2f s\n' "$(echo "$deployed - $started" | bc)"
printf 'first call through B, loading the shared code:      %.3f s\n' "$shared"
printf 'first call through C, compiling it (no secret):     %.3f s\n' "$compiled"
printf 'a later call through B:                              %.4f s\n' "$warm"
