//! `wc` for WASI preview 1: counts the lines, words and bytes on stdin and
//! prints them as JSON. A plain `fn main` built for `wasm32-wasip1`, a core
//! module that algobox makes into a component at upload. Empty input is an
//! error (exit code 2), to test how exits map.

use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut input = Vec::new();
    if let Err(err) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("wc-p1: cannot read stdin: {err}");
        return ExitCode::from(1);
    }
    if input.is_empty() {
        eprintln!("wc-p1: reading stdin");
        eprintln!("wc-p1: the input is empty; send some text");
        return ExitCode::from(2);
    }
    let lines = input.iter().filter(|&&byte| byte == b'\n').count();
    let words = input
        .split(u8::is_ascii_whitespace)
        .filter(|word| !word.is_empty())
        .count();
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(
        stdout,
        r#"{{"lines":{lines},"words":{words},"bytes":{}}}"#,
        input.len()
    );
    match written.and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(1),
    }
}
