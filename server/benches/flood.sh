#!/usr/bin/env bash
# A victim's latency while another account floods the server, over HTTP on
# loopback: wrk floods, and `paced_calls.py` times each of the victim's
# calls.
#
#   bash server/benches/flood.sh
#   DURATION=20 FLOOD=400 bash server/benches/flood.sh
#   ALGOBOX_BIN=/other/tree/target/release/algobox bash server/benches/flood.sh
#
# `admin` floods with FLOOD concurrent calls: first of `looper` (a guest
# that computes until its 1 s timeout), then of `countdown` (a guest that
# sleeps in 100 ms steps), then `admin` and `carol` flood with half as many
# `looper` calls each. Meanwhile `bob` calls `hello` on one connection;
# the script prints bob's latency percentiles, slowest call and calls/s
# with no flood, under each flood, and under the CPU flood with the
# per-account bound on executing guests lifted (`--runnable` = FLOOD), to
# show what the bound buys. Needs wrk (`apt-get install wrk`) and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
FLOOD=${FLOOD:-200}
PORT=${PORT:-18081}
KEY=flood-test-admin-key
API=http://127.0.0.1:$PORT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

if [ -z "${ALGOBOX_BIN:-}" ]; then
    cargo build --release --quiet -p algobox-cli
fi
cargo build --release --quiet --target wasm32-wasip2 -p hello -p countdown -p looper
BIN=${ALGOBOX_BIN:-target/release/algobox}
WASM=target/wasm32-wasip2/release
DATA=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT

start() {
    ALGOBOX_ADMIN_KEY=$KEY RUST_LOG=error $BIN serve --listen 127.0.0.1:$PORT --data-dir "$DATA" \
        --calls-per-account "$FLOOD" "$@" 2>"$DATA/serve.log" &
    SERVER=$!
    until grep -q "listening" "$DATA/serve.log" 2>/dev/null; do sleep 0.01; done
}

stop() {
    kill -TERM $SERVER; wait $SERVER || true
    : >"$DATA/serve.log"
}

start
for algo in hello countdown looper; do
    $BIN deploy "$WASM/$algo.wasm" "admin/$algo" --publish minor --public --api "$API" --key "$KEY" >/dev/null
done
stop
$BIN account create bob --data-dir "$DATA" >/dev/null
BOB=$($BIN key create bob --json --data-dir "$DATA" | sed -E 's/.*"key":"([^"]+)".*/\1/')
$BIN account create carol --data-dir "$DATA" >/dev/null
CAROL=$($BIN key create carol --json --data-dir "$DATA" | sed -E 's/.*"key":"([^"]+)".*/\1/')

script() { # script NAME KEY BODY
    cat >"$DATA/$1.lua" <<LUA
wrk.method = "POST"
wrk.body = '$3'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Simple $2"
LUA
}
script cpu "$KEY" 'null'
script cpu_carol "$CAROL" 'null'
script sleepy "$KEY" '{"steps": 10, "step_ms": 100}'

# Bob's hello on one connection while `$1` floods (or nothing).
victim() {
    local flood=$1 wrk_flood= flooders=()
    case $flood in
        cpu | cpu2) wrk_flood="$API/v1/algo/admin/looper/0.1.0?timeout=1" ;;
        sleepy) wrk_flood="$API/v1/algo/admin/countdown/0.1.0" ;;
    esac
    if [ "$flood" = cpu2 ]; then
        # Two accounts, half the flood each.
        wrk -t1 -c$((FLOOD / 2)) -d$((DURATION + 4))s --timeout 30s -s "$DATA/cpu.lua" "$wrk_flood" >/dev/null &
        flooders+=($!)
        wrk -t1 -c$((FLOOD / 2)) -d$((DURATION + 4))s --timeout 30s -s "$DATA/cpu_carol.lua" "$wrk_flood" >/dev/null &
        flooders+=($!)
        sleep 2
    elif [ -n "$wrk_flood" ]; then
        wrk -t1 -c"$FLOOD" -d$((DURATION + 4))s --timeout 30s -s "$DATA/$flood.lua" "$wrk_flood" >/dev/null &
        flooders+=($!)
        sleep 2
    fi
    # Each call timed on its own: wrk's percentiles for one connection
    # beside a flood were higher than its own request count allows.
    python3 server/benches/paced_calls.py --port "$PORT" --key "$BOB" --gap 0 --duration "$DURATION"
    for flooder in "${flooders[@]}"; do wait "$flooder" || true; done
}

start ${RUNNABLE:+--runnable $RUNNABLE}
echo "bob, no flood:                 $(victim none)"
echo "bob, $FLOOD CPU-bound calls:     $(victim cpu)"
echo "bob, $FLOOD sleeping calls:      $(victim sleepy)"
echo "bob, 2 accounts x $((FLOOD / 2)) CPU-bound: $(victim cpu2)"
stop
start --runnable "$FLOOD"
echo "bob, $FLOOD CPU-bound, unbound:  $(victim cpu)"
stop
