//! The GPU worker process for the integration tests.

fn main() -> std::process::ExitCode {
    algobox_gpu_worker::run()
}
