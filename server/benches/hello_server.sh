# Sourced by the bench scripts: the server binary and the `hello` guest
# they run, and how they start one server. ALGOBOX_BIN runs an already
# built binary (another tree's, to compare two builds in one session)
# instead of building this tree's; HELLO_WASM serves another `Hello <name>`
# component instead of building the Rust one. Sets BIN, WASM, PORT, KEY, API
# and DATA; run from the repository root.

if [ -z "${ALGOBOX_BIN:-}" ]; then
    cargo build --release --quiet -p algobox-cli
fi
if [ -z "${HELLO_WASM:-}" ]; then
    cargo build --release --quiet --target wasm32-wasip2 -p hello
fi
BIN=${ALGOBOX_BIN:-target/release/algobox}
WASM=${HELLO_WASM:-target/wasm32-wasip2/release/hello.wasm}

# Where the server listens and the admin key it starts with.
PORT=${PORT:-18080}
KEY=${KEY:-bench-admin-key}
API=http://127.0.0.1:$PORT

# A scratch folder for the server's data and the script's own files. On
# exit the server is stopped and the folder removed; a script with more to
# clean up sets a trap of its own.
DATA=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT

# Starts `algobox serve` on 127.0.0.1:$PORT with the data folder $DATA,
# the admin key $KEY and the options in SERVE_ARGS, and waits until it
# listens; sets SERVER to its process id.
start_server() {
    ALGOBOX_ADMIN_KEY=$KEY RUST_LOG=error $BIN serve --listen 127.0.0.1:$PORT --data-dir "$DATA" ${SERVE_ARGS:-} 2>"$DATA/serve.log" &
    SERVER=$!
    until grep -q "listening" "$DATA/serve.log" 2>/dev/null; do sleep 0.01; done
}
