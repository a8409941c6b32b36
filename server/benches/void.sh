#!/usr/bin/env bash
# Void-call throughput of a cluster: calls accepted per second and completed
# per second, with one node and then with two, on the machine's PostgreSQL
# and NATS (`void_calls.py` sends the calls and watches the queue).
#
#   bash server/benches/void.sh
#   CALLS=5000 CONNECTIONS=64 bash server/benches/void.sh
#   ALGOBOX_BIN=/other/tree/target/release/algobox bash server/benches/void.sh
#   HELLO_WASM=path/to/hello.wasm ...   # skip building the guest
#
# Each round gets its own cluster name and database (`algobox_bench_<random>`),
# removed at its end: streams, buckets and database. The algorithm is
# `hello`, called once through each node first (each compiles it on its
# first call), so the figures are the queue's and the runners' cost, not a
# guest's or a compile's. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."

CALLS=${CALLS:-3000}
CONNECTIONS=${CONNECTIONS:-32}
POSTGRES=${POSTGRES:-postgres://postgres@127.0.0.1:5432}
NATS=${NATS:-127.0.0.1:4222}
KEY=void-bench-key
PORTS=(18090 18091)

source server/benches/hello_server.sh
DATABASE=
SERVERS=()
stop_servers() {
    for pid in "${SERVERS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SERVERS=()
}
drop_database() {
    if [ -n "$DATABASE" ]; then
        psql "$POSTGRES/postgres" -qc "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null || true
    fi
    DATABASE=
}
cleanup() {
    stop_servers
    drop_database
    rm -rf "$DATA"
}
trap cleanup EXIT

# Starts node $1 of cluster $2.
start() {
    local node=$1 cluster=$2
    mkdir -p "$DATA/$cluster-$node"
    ALGOBOX_ADMIN_KEY=$KEY RUST_LOG=error ALGOBOX_VOID_CALLS_PER_ACCOUNT=1000000 \
        $BIN serve --listen "127.0.0.1:${PORTS[$node]}" --data-dir "$DATA/$cluster-$node" \
        --registry "$POSTGRES/$DATABASE" --nats "nats://$NATS" --cluster "$cluster" \
        2>"$DATA/$cluster-$node.log" &
    SERVERS+=($!)
    until grep -q "listening" "$DATA/$cluster-$node.log" 2>/dev/null; do sleep 0.05; done
}

for nodes in 1 2; do
    cluster=voidbench${nodes}_$RANDOM
    DATABASE=algobox_bench_$RANDOM$RANDOM
    psql "$POSTGRES/postgres" -qc "CREATE DATABASE $DATABASE" >/dev/null
    addresses=()
    for ((node = 0; node < nodes; node++)); do
        start "$node" "$cluster"
        addresses+=("127.0.0.1:${PORTS[$node]}")
    done
    $BIN deploy "$WASM" admin/hello --publish minor \
        --api "http://${addresses[0]}" --key "$KEY" >/dev/null 2>&1
    # Each node compiles the module on its first call: not what is measured.
    for address in "${addresses[@]}"; do
        curl -sf -o /dev/null -H "Authorization: Simple $KEY" -H 'Content-Type: text/plain' \
            -d Neo "http://$address/v1/algo/admin/hello/0.1.0"
    done
    python3 server/benches/void_calls.py --nodes "$(IFS=,; echo "${addresses[*]}")" --key "$KEY" \
        --path /v1/algo/admin/hello/0.1.0 --cluster "$cluster" --nats "$NATS" \
        --calls "$CALLS" --connections "$CONNECTIONS"
    stop_servers
    python3 server/benches/remove_cluster.py "$NATS" "$cluster"
    drop_database
done
