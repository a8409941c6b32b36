//! The state one guest instance keeps between lifecycle calls.
//!
//! The host calls `initialize`, `start` and `stop` as separate exports on
//! one instance, so whatever `initialize` prepares must outlive the call.
//! A wasm instance runs one thread, so a thread-local is the instance's
//! state. Values are taken out while user code runs, so a user call that
//! re-enters the SDK never finds the cell borrowed.

use std::any::Any;
use std::cell::RefCell;

use algobox_host_api::{AlgoError, Payload};

use crate::Inputs;
use crate::bindings::algobox::algorithm::types;

thread_local! {
    static STATE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// Takes the stored value out, if one of type `T` is there.
pub(crate) fn take<T: 'static>() -> Option<T> {
    STATE.with(|state| {
        let stored = state.borrow_mut().take()?;
        stored.downcast::<T>().ok().map(|value| *value)
    })
}

/// Stores `value`, replacing what was there.
pub(crate) fn put<T: 'static>(value: T) {
    STATE.with(|state| *state.borrow_mut() = Some(Box::new(value)));
}

/// The inputs as the SDK's types.
pub(crate) fn inputs(input: Vec<types::Payload>) -> Inputs {
    Inputs::new(input.into_iter().map(Payload::from).collect())
}

/// The error for a `start` that has nothing to start.
pub(crate) fn not_initialized() -> AlgoError {
    AlgoError::new(
        "`start` was called before a successful `initialize`; \
         the host must call `initialize` first, once per instance",
    )
}
