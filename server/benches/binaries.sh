# Sourced by the bench scripts: the server binary and the `hello` guest
# they run. ALGOBOX_BIN runs an already built binary (another tree's, to
# compare two builds in one session) instead of building this tree's;
# HELLO_WASM serves another `Hello <name>` component instead of building
# the Rust one. Sets BIN and WASM; run from the repository root.

if [ -z "${ALGOBOX_BIN:-}" ]; then
    cargo build --release --quiet -p algobox-cli
fi
if [ -z "${HELLO_WASM:-}" ]; then
    cargo build --release --quiet --target wasm32-wasip2 -p hello
fi
BIN=${ALGOBOX_BIN:-target/release/algobox}
WASM=${HELLO_WASM:-target/wasm32-wasip2/release/hello.wasm}
