//! The GPU worker process for the integration tests.

fn main() -> std::process::ExitCode {
    algobox_runtime::gpu::run_worker()
}
