//! A plain WASI command that prints `hello`, not an algorithm: it exports
//! `wasi:cli/run`, not the algobox lifecycle. Exists so the host can test
//! that registering one is rejected with a helpful message.

fn main() {
    println!("hello");
}
