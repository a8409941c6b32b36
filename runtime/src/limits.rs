//! The hard limits every invocation runs under.

use std::time::Duration;

/// The hard limits every invocation runs under.
///
/// The defaults follow Algorithmia where it has a number (a 300 s default
/// timeout, at most 3,000 s) and are otherwise sized for algorithms that
/// compute rather than store.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use algobox_runtime::limits::Limits;
///
/// let limits = Limits {
///     default_timeout: Duration::from_secs(5),
///     memory: 64 << 20,
///     ..Limits::default()
/// };
/// assert!(limits.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall time of an invocation that names no timeout.
    pub default_timeout: Duration,
    /// The longest timeout an invocation may ask for.
    pub max_timeout: Duration,
    /// Bytes of linear memory one instance may grow to.
    pub memory: usize,
    /// Bytes of input one invocation may pass in, all inputs together.
    pub input: usize,
    /// Bytes of output one invocation may return.
    pub output: usize,
    /// Bytes captured from each of stdout and stderr; writing more fails the
    /// invocation.
    pub stdio: usize,
    /// Calls one invocation may make to host imports.
    pub host_calls: u64,
    /// Bytes one invocation may copy through host imports (log lines,
    /// progress details).
    pub host_call_bytes: u64,
    /// Time a stopped algorithm has to return before it is stopped by force.
    pub stop_grace: Duration,
    /// The longest a stopped algorithm may extend its grace period to.
    pub max_stop_grace: Duration,
    /// Time an algorithm has after its timeout, asked to stop as by
    /// [`StopHandle::request`](crate::stop::StopHandle::request), so its
    /// `stop` hook runs before the instance ends. The call fails with
    /// `TimeoutError` either way.
    pub timeout_grace: Duration,
    /// Invocations that may run at once; more wait for a slot. This also
    /// sizes the instance pool, so it bounds the memory the runtime reserves.
    pub concurrency: u32,
    /// Bytes of each linear memory and table a pool slot keeps paged in
    /// between calls: the pages a call touched within it are reset in
    /// place, and the next call of the slot finds them present instead of
    /// faulting them in again. Large guests (Python and JavaScript
    /// interpreters touch megabytes per call) are the ones it speeds up; a
    /// slot never keeps more than its last guest touched. Where this
    /// process may be swapped out, slots are reset without looking for the
    /// touched pages (a swapped-out one would be missed and carry one
    /// call's data into the next): each reset then copies the first
    /// `keep_resident` bytes back and drops the rest.
    pub keep_resident: usize,
    /// Instances made ahead of their calls, one per recently called
    /// algorithm at most: after a call, the algorithm's next instance is
    /// made in the background, so its next call skips instantiation
    /// (most of a Python or JavaScript call's cost). Each still serves
    /// one call only. They have pool slots of their own, beyond
    /// `concurrency`; one unused for 30 s is dropped. Zero turns them off.
    pub spare_instances: u32,
}

/// The default of [`Limits::keep_resident`].
pub const DEFAULT_KEEP_RESIDENT: usize = 4 << 20;

impl Default for Limits {
    fn default() -> Self {
        Self {
            default_timeout: Duration::from_secs(300),
            max_timeout: Duration::from_secs(3000),
            memory: 256 << 20,
            input: 10 << 20,
            output: 16 << 20,
            stdio: 1 << 20,
            host_calls: 100_000,
            host_call_bytes: 16 << 20,
            stop_grace: Duration::from_secs(5),
            max_stop_grace: Duration::from_secs(60),
            timeout_grace: Duration::from_secs(1),
            concurrency: 1000,
            keep_resident: DEFAULT_KEEP_RESIDENT,
            spare_instances: 16,
        }
    }
}

impl Limits {
    /// Checks that the limits make sense together.
    pub fn validate(&self) -> Result<(), String> {
        if self.default_timeout > self.max_timeout {
            return Err(format!(
                "the default timeout ({:?}) exceeds the maximum timeout ({:?}); raise max_timeout or lower default_timeout",
                self.default_timeout, self.max_timeout
            ));
        }
        if self.stop_grace > self.max_stop_grace {
            return Err(format!(
                "the stop grace ({:?}) exceeds its maximum ({:?}); raise max_stop_grace or lower stop_grace",
                self.stop_grace, self.max_stop_grace
            ));
        }
        if self.timeout_grace > self.max_stop_grace {
            return Err(format!(
                "the timeout grace ({:?}) exceeds the longest stop grace ({:?}); raise max_stop_grace or lower timeout_grace",
                self.timeout_grace, self.max_stop_grace
            ));
        }
        if self.concurrency == 0 {
            return Err("concurrency must be at least 1".to_owned());
        }
        if self.memory < 1 << 20 {
            return Err(format!(
                "a memory limit of {} bytes is too small for any guest; allow at least 1 MiB",
                self.memory
            ));
        }
        Ok(())
    }
}
