//! The one place that sets up tracing.

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
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
