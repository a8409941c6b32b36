//! A plain WASI 0.2 command (`fn main`, exporting `wasi:cli/run`), run with
//! its input on stdin and its result on stdout. What it does depends on the
//! input:
//!
//! - `fail`: writes two lines to stderr and exits with code 3;
//! - `loop`: spins forever, to test that the timeout ends it;
//! - `flood`: writes to stdout forever, to test the result limit;
//! - anything else: echoes the input unchanged, so the tests see how text,
//!   JSON and bytes come back.

use std::io::{Read, Write};

fn main() {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .expect("stdin is readable");
    match input.as_slice() {
        b"fail" => {
            eprintln!("command: checking the input");
            eprintln!("command: refusing to continue");
            std::process::exit(3);
        }
        b"loop" => {
            let mut spins = 0u64;
            loop {
                spins = std::hint::black_box(spins.wrapping_add(1));
            }
        }
        b"flood" => {
            let line = [b'x'; 4096];
            let mut stdout = std::io::stdout().lock();
            loop {
                if stdout.write_all(&line).is_err() {
                    std::process::exit(1);
                }
            }
        }
        echo => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(echo).expect("stdout is writable");
            stdout.flush().expect("stdout is writable");
        }
    }
}
