//! The open-file limit, which bounds how many connections a server holds.

/// File descriptors kept for everything but connections: the registry,
/// modules, Data API files, the GPU worker's pipes.
pub(super) const FILES_KEPT_FREE: u64 = 256;

/// Raises the soft limit on open files to the hard one (many systems start
/// processes at 1,024), and returns the soft limit now in force, if any.
pub(super) fn raise_open_files() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => raised.current,
        Err(err) => {
            tracing::warn!("cannot raise the open-file limit: {err}");
            limit.current
        }
    }
}
