//! What a failed call's error means: read from what the store recorded
//! first and the trap code second, never by parsing a message.

use wasmtime::Trap;

use super::SandboxState;
use crate::error::{InvokeError, StdStream, TrapKind};
use crate::limits::Limits;

/// Maps a failed call to its cause, from what the store recorded first and
/// the trap code second: never by parsing a message.
pub(super) fn classify(
    err: &wasmtime::Error,
    state: &SandboxState,
    limits: &Limits,
) -> InvokeError {
    // Checked first: the pool running out is the server's state, never the
    // guest's crash.
    if let Some(exhausted) = err.downcast_ref::<wasmtime::PoolConcurrencyLimitError>() {
        return InvokeError::Capacity(exhausted.to_string());
    }
    if state.memory.exceeded() {
        return InvokeError::MemoryLimit {
            limit: limits.memory,
        };
    }
    for (stream, output) in [
        (StdStream::Stdout, &state.stdout),
        (StdStream::Stderr, &state.stderr),
    ] {
        if output.overflowed() {
            return InvokeError::StdioLimit {
                stream,
                limit: limits.stdio,
            };
        }
    }
    if let Some(exceeded) = state.budget.exceeded() {
        return InvokeError::HostCallLimit(exceeded.to_owned());
    }
    let trap = err.downcast_ref::<Trap>().copied();
    let kind = match trap {
        Some(Trap::StackOverflow) => TrapKind::StackOverflow,
        Some(Trap::UnreachableCodeReached) => TrapKind::Unreachable,
        Some(
            Trap::IntegerDivisionByZero | Trap::IntegerOverflow | Trap::BadConversionToInteger,
        ) => TrapKind::Arithmetic,
        Some(
            Trap::MemoryOutOfBounds
            | Trap::HeapMisaligned
            | Trap::TableOutOfBounds
            | Trap::IndirectCallToNull
            | Trap::BadSignature,
        ) => TrapKind::BadAccess,
        _ => TrapKind::Other,
    };
    match (&state.context.panic, kind) {
        // A Rust panic aborts through `unreachable`, after the SDK's hook
        // reported the message.
        (Some(message), TrapKind::Unreachable | TrapKind::Other) => InvokeError::Trap {
            kind: TrapKind::Panic,
            message: message.clone(),
        },
        _ => InvokeError::Trap {
            kind,
            message: match trap {
                Some(trap) => trap.to_string(),
                None => format!("{:#}", err.root_cause()),
            },
        },
    }
}
