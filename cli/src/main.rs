//! `algobox`: run WebAssembly algorithms from the command line.

mod cli;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if matches!(cli.command, cli::Command::GpuWorker) {
        // No async runtime and no logging set-up: the worker is one thread
        // answering on stdout, which must carry nothing but its frames.
        return algobox_runtime::gpu::run_worker();
    }
    // A server logs its start and requests' warnings by default; one-shot
    // commands stay quiet unless asked.
    let serving = matches!(cli.command, cli::Command::Serve(_));
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
