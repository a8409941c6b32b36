//! Embeds the algobox runtime in a Rust program: load an algorithm, call it,
//! and handle each way a call can fail.
//!
//! Run it with any example algorithm:
//!
//! ```sh
//! cargo build --release --target wasm32-wasip2 -p hello
//! cargo run -p embedding -- target/wasm32-wasip2/release/hello.wasm Neo
//! ```
//!
//! The second argument is the input: JSON if it parses as JSON, text
//! otherwise.

use std::process::ExitCode;
use std::time::Duration;

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::error::InvokeError;
use algobox_runtime::invocation::Invocation;
use algobox_runtime::limits::Limits;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: embedding PATH.wasm [INPUT]; pass the path of an algorithm's .wasm file")?;
    let input = Payload::guess(&args.next().unwrap_or_default());

    // Limits apply to every invocation; these are tighter than the defaults.
    let runtime = Runtime::builder()
        .limits(Limits {
            default_timeout: Duration::from_secs(10),
            memory: 128 << 20,
            ..Limits::default()
        })
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;

    let wasm = std::fs::read(&path).map_err(|err| format!("cannot read {path}: {err}"))?;
    let algorithm = runtime
        .register(wasm)
        .await
        .map_err(|err| format!("cannot load {path}: {err}"))?;
    println!("loaded {path} (sha256 {})", algorithm.hash());

    let invocation = Invocation::new(input)
        .on_progress(|progress| println!("progress {:.0}%", progress.percent));
    match runtime.invoke(&algorithm, invocation).await {
        Ok(output) => {
            match &output.payload {
                Payload::Text(text) => println!("text: {text}"),
                Payload::Json(json) => println!("json: {json}"),
                Payload::Binary(bytes) => println!("binary: {} bytes", bytes.len()),
                Payload::Void => println!("no result"),
            }
            println!("took {:?}", output.duration);
            Ok(())
        }
        // The algorithm's own error carries its code, as Algorithmia's
        // `error_type`; the other variants are limits and crashes.
        Err(InvokeError::Algorithm(err)) => Err(format!("the algorithm reported {err}")),
        Err(err) => Err(err.to_string()),
    }
}
