//! The compile worker: a child process that runs Cranelift for the
//! runtime, under a memory cap it sets on itself, so that a component that
//! makes the compiler blow up takes only the worker down.
//!
//! The runtime writes the cap (8 bytes, little-endian) and then the
//! component's bytes to the worker's stdin; the worker answers with the
//! compiled code on stdout and exit status 0, or with the compiler's error
//! on stderr and [`INVALID`].

use std::io::{Read, Write};
use std::process::ExitCode;

/// The exit status of a worker whose component does not compile.
pub(super) const INVALID: u8 = 3;

/// Runs the compile worker. Call it from the `main` of the program named in
/// [`CompileWorker`](super::CompileWorker), before anything else (no async
/// runtime, no logging on stdout):
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     algobox_runtime::compiler::worker::run()
/// }
/// ```
pub fn run() -> ExitCode {
    let mut stdin = std::io::stdin().lock();
    let mut cap = [0; 8];
    if let Err(err) = stdin.read_exact(&mut cap) {
        eprintln!("the compile worker got no request on stdin: {err}");
        return ExitCode::FAILURE;
    }
    if let Err(err) = limit_memory(u64::from_le_bytes(cap)) {
        eprintln!("the compile worker cannot cap its memory: {err}");
        return ExitCode::FAILURE;
    }
    let mut wasm = Vec::new();
    if let Err(err) = stdin.read_to_end(&mut wasm) {
        eprintln!("the compile worker cannot read the component: {err}");
        return ExitCode::FAILURE;
    }
    let engine = match wasmtime::Engine::new(&crate::engine::worker_config()) {
        Ok(engine) => engine,
        Err(err) => {
            eprintln!("the compile worker cannot create its engine: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    match engine.precompile_component(&wasm) {
        Ok(compiled) => match std::io::stdout().lock().write_all(&compiled) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("the compile worker cannot write the compiled code: {err}");
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprint!("{err:#}");
            ExitCode::from(INVALID)
        }
    }
}

/// Caps the data this process may map, and turns off core dumps (a worker
/// that hits the cap aborts, and a dump of it would only fill the disk).
fn limit_memory(bytes: u64) -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )?;
    setrlimit(
        Resource::Data,
        Rlimit {
            current: Some(bytes),
            maximum: Some(bytes),
        },
    )?;
    Ok(())
}
