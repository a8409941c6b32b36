//! Captured stdout and stderr with a hard size limit.
//!
//! wasmtime-wasi's `MemoryOutputPipe` reports a full buffer as a closed
//! stream, which a Rust guest turns into a panic: the host could then not
//! tell "printed too much" from a real panic. This pipe records the overflow
//! and traps, so the invocation ends in a typed `StdioLimit` error.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// A shared, size-limited capture buffer; clones write to the same buffer.
#[derive(Clone)]
pub(crate) struct CapturedOutput {
    buffer: Arc<Mutex<Captured>>,
    limit: usize,
}

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    overflowed: bool,
    /// Bytes the guest tried to write, refused ones included: how large an
    /// output that overflowed would have been, at least.
    attempted: usize,
}

impl CapturedOutput {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            buffer: Arc::default(),
            limit,
        }
    }

    /// Appends `bytes`, or records the overflow and refuses them whole.
    fn append(&self, bytes: &[u8]) -> Result<(), ()> {
        let mut buffer = self.buffer.lock().expect("capture buffer poisoned");
        buffer.attempted = buffer.attempted.saturating_add(bytes.len());
        if buffer.bytes.len() + bytes.len() > self.limit {
            buffer.overflowed = true;
            return Err(());
        }
        buffer.bytes.extend_from_slice(bytes);
        Ok(())
    }

    /// Whether the guest tried to write past the limit.
    pub(crate) fn overflowed(&self) -> bool {
        self.buffer
            .lock()
            .expect("capture buffer poisoned")
            .overflowed
    }

    /// The capture limit, in bytes.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes the guest tried to write, refused ones included.
    pub(crate) fn attempted(&self) -> usize {
        self.buffer
            .lock()
            .expect("capture buffer poisoned")
            .attempted
    }

    /// Takes what was written, as it was written.
    pub(crate) fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.buffer.lock().expect("capture buffer poisoned").bytes)
    }

    /// What was written, as text (invalid UTF-8 replaced).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().expect("capture buffer poisoned").bytes)
            .into_owned()
    }

    fn overflow_error(&self) -> wasmtime::Error {
        wasmtime::Error::msg(format!(
            "output beyond the {}-byte capture limit",
            self.limit
        ))
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> Result<(), StreamError> {
        self.append(&bytes)
            .map_err(|()| StreamError::Trap(self.overflow_error()))
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        // Never report zero: a zero permit makes a blocking write wait for
        // readiness forever. Past the limit, the next write traps instead.
        let used = self
            .buffer
            .lock()
            .expect("capture buffer poisoned")
            .bytes
            .len();
        Ok(self.limit.saturating_sub(used).max(1))
    }
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(match self.append(buf) {
            Ok(()) => Ok(buf.len()),
            Err(()) => Err(io::Error::other(self.overflow_error().to_string())),
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}
