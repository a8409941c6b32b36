//! The compile worker process for the integration tests.

fn main() -> std::process::ExitCode {
    algobox_runtime::compiler::worker::run()
}
