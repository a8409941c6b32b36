//! The per-invocation budget of host calls that copy data.

/// Counts host calls that copy data across the boundary, and their bytes.
pub(crate) struct HostCallBudget {
    calls: u64,
    bytes: u64,
    max_calls: u64,
    max_bytes: u64,
    exceeded: Option<String>,
}

impl HostCallBudget {
    pub(crate) fn new(max_calls: u64, max_bytes: u64) -> Self {
        Self {
            calls: 0,
            bytes: 0,
            max_calls,
            max_bytes,
            exceeded: None,
        }
    }

    /// Charges one call copying `bytes`; past the budget, records why and
    /// returns the trap that ends the invocation.
    pub(crate) fn charge(&mut self, bytes: usize) -> wasmtime::Result<()> {
        self.calls += 1;
        self.bytes = self.bytes.saturating_add(bytes as u64);
        let exceeded = if self.calls > self.max_calls {
            format!("more than {} calls", self.max_calls)
        } else if self.bytes > self.max_bytes {
            format!("more than {} bytes", self.max_bytes)
        } else {
            return Ok(());
        };
        let trap = wasmtime::Error::msg(format!("host-call budget exceeded: {exceeded}"));
        self.exceeded = Some(exceeded);
        Err(trap)
    }

    /// Bytes the invocation may still copy.
    pub(crate) fn bytes_left(&self) -> u64 {
        self.max_bytes.saturating_sub(self.bytes)
    }

    /// Why the budget ran out, if it did.
    pub(crate) fn exceeded(&self) -> Option<&str> {
        self.exceeded.as_deref()
    }
}
