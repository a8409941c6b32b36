//! `algobox`: run WebAssembly algorithms from the command line.

mod commands;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

/// A server allocates on every request; mimalloc's thread-local heaps
/// cost less than glibc's arenas (measured in the README's benchmarks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    if matches!(cli.command, commands::Command::GpuWorker) {
        // No async runtime and no logging set-up: the worker is one thread
        // answering on stdout, which must carry nothing but its frames.
        return gpu_worker();
    }
    if matches!(cli.command, commands::Command::CompileWorker) {
        // Likewise: stdout carries the compiled code and nothing else.
        return algobox_runtime::compiler::worker::run();
    }
    // A server logs its start and requests' warnings by default; one-shot
    // commands stay quiet unless asked.
    let serving = matches!(cli.command, commands::Command::Serve(_));
    telemetry::init(cli.verbose || serving);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.command.run()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `algobox gpu-worker`: the GPU worker process, in this binary so that a
/// server needs no second executable.
#[cfg(feature = "gpu")]
fn gpu_worker() -> ExitCode {
    algobox_gpu_worker::run()
}

/// Without the `gpu` feature there is no worker to run.
#[cfg(not(feature = "gpu"))]
fn gpu_worker() -> ExitCode {
    eprintln!(
        "error: this algobox was built without GPU support; rebuild with `--features gpu` to run the GPU worker"
    );
    ExitCode::FAILURE
}
