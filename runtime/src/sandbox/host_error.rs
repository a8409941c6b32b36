//! The one error type of host functions that can fail in two ways.

use std::fmt;

/// What a host function that returns `result<_, E>` in WIT returns: an
/// error the guest receives as a value, or a trap that ends the invocation
/// (a spent host-call budget). The bindings' `trappable_error_type` makes
/// it the error of those functions, so `?` works on both kinds and no
/// function nests one `Result` in another.
pub(crate) enum HostError<E> {
    /// Returned to the guest as the WIT error value.
    Guest(E),
    /// Ends the invocation.
    Trap(wasmtime::Error),
}

impl<E> HostError<E> {
    /// Splits the error for the bindings: the guest's value, or the trap.
    pub(crate) fn into_guest(self) -> wasmtime::Result<E> {
        match self {
            Self::Guest(err) => Ok(err),
            Self::Trap(trap) => Err(trap),
        }
    }
}

impl<E> From<wasmtime::Error> for HostError<E> {
    fn from(trap: wasmtime::Error) -> Self {
        Self::Trap(trap)
    }
}

impl<E: fmt::Debug> fmt::Debug for HostError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Guest(err) => f.debug_tuple("Guest").field(err).finish(),
            Self::Trap(trap) => f.debug_tuple("Trap").field(trap).finish(),
        }
    }
}
