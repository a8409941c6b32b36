#!/usr/bin/env bash
# Latency of calls that come one at a time with a pause between them, as
# most callers make them: each call's instance is a spare made in the pause
# (for guests worth one), so this is the cost a call itself adds, which
# load.sh's back-to-back calls hide behind instantiation. Also prints the
# server's CPU time and page faults per call (`perf stat`).
#
#   HELLO_WASM=path/to/py-hello.wasm bash server/benches/paced.sh
#   CALLS=500 GAP=0.05 ALGOBOX_BIN=/other/tree/target/release/algobox ...
#   SERVE_ARGS="--spare-instances 0" ...   # each call instantiates as it runs
#
# The guest must answer `Hello Neo` to the text `Neo` (hello, py-hello,
# js-hello). Needs `perf` (linux-perf) and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

CALLS=${CALLS:-200}
GAP=${GAP:-0.02}
command -v perf >/dev/null || { echo "perf is missing: apt-get install linux-perf" >&2; exit 1; }
source server/benches/hello_server.sh

start_server
$BIN deploy "$WASM" admin/hello --publish minor --api "$API" --key "$KEY" >/dev/null
# Warm-up: the first calls load the code and make the first spares.
python3 server/benches/paced_calls.py --port $PORT --key $KEY --calls 20 --gap 0.01 >/dev/null
perf stat -e task-clock,page-faults -p $SERVER -o "$DATA/stat" -- \
    python3 server/benches/paced_calls.py --port $PORT --key $KEY --calls $CALLS --gap $GAP
awk -v n=$CALLS '/task-clock/ {printf "server CPU per call: %.0f us\n", $1 * 1000 / n}
                 /page-faults/ {printf "page faults per call: %.0f\n", $1 / n}' "$DATA/stat"
