//! Reporting a panic to the host before the guest aborts.
//!
//! A panic in a wasm guest ends in an `unreachable` trap, which tells the
//! host nothing; the hook hands the message and location over first.

use std::panic::{self, PanicHookInfo};
use std::sync::Once;

use crate::bindings::algobox::algorithm::context;

/// Installs the hook once per instance; every export calls this first.
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            context::report_panic(&describe(info));
            // The default hook still writes to stderr, which the host keeps.
            default(info);
        }));
    });
}

/// `message (at file:line:column)`, as a person reads it in an error report.
fn describe(info: &PanicHookInfo<'_>) -> String {
    let message = info
        .payload_as_str()
        .unwrap_or("the panic payload is not a string");
    match info.location() {
        Some(location) => format!("{message} (at {location})"),
        None => message.to_owned(),
    }
}
