#!/usr/bin/env bash
# Load test of `hello` over HTTP on loopback, with wrk beside the server.
#
#   bash server/benches/load.sh            # 10 s per run
#   DURATION=30 bash server/benches/load.sh
#   ALGOBOX_BIN=/other/tree/target/release/algobox bash server/benches/load.sh
#
# ALGOBOX_BIN runs an already built binary (another tree's, to compare two
# builds in one session) instead of building this one. SERVE_ARGS adds
# options to `algobox serve`, such as a cluster node's:
#   SERVE_ARGS="--registry postgres://postgres@127.0.0.1/bench --nats nats://127.0.0.1:4222 --cluster bench"
# HELLO_WASM serves another `Hello <name>` component in place of the Rust
# one, such as the Python or JavaScript hello the tests build:
#   HELLO_WASM=$(ls target/debug/build/test-artifacts-*/out/scripts/py_hello.wasm | head -1) bash server/benches/load.sh
# and SERVE_ARGS="--spare-instances 0" measures calls that instantiate as
# they run.
#
# Prints: the time to the first response after publishing and after a
# restart, then requests/s and latency percentiles at concurrency 1 and 64.
# Needs wrk (`apt-get install wrk`). Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

source server/benches/hello_server.sh

# The time of one call as curl measures it, in milliseconds.
call_ms() {
    curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Simple $KEY" \
        -H 'Content-Type: text/plain' -d Neo "$API/v1/algo/admin/hello/0.1.0" |
        awk '{printf "%.2f", $1 * 1000}'
}

start_server
$BIN deploy "$WASM" admin/hello --publish minor --api "$API" --key "$KEY" >/dev/null
echo "first response after publishing: $(call_ms) ms"
kill -TERM $SERVER; wait $SERVER || true
start_server
echo "first response after a restart:  $(call_ms) ms"

cat > "$DATA/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "Neo"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["Authorization"] = "Simple $KEY"
LUA
for connections in 1 64; do
    threads=$(( connections < 2 ? 1 : 2 ))
    echo "--- concurrency $connections ($threads wrk threads, ${DURATION}s)"
    wrk -t$threads -c$connections -d${DURATION}s --latency -s "$DATA/post.lua" "$API/v1/algo/admin/hello/0.1.0" |
        grep -E "Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors"
done
