//! The one place that sets up tracing.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// Logs to stderr, filtered by `RUST_LOG` when set. By default only
/// warnings show, or everything from algobox at `info` with `--verbose`;
/// guest log lines have the target `algobox::guest`.
pub(crate) fn init(verbose: bool) {
    let default = if verbose {
        "algobox=info,algobox_runtime=info,warn"
    } else {
        "warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colour codes only where a person reads them: not in a log file.
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}
