//! The generated side of the WIT world `algobox:algorithm/algorithm`.
//!
//! Users never name anything here: the SDK's macros and [`crate::Context`]
//! do. The conversions below exist so the public API speaks
//! [`algobox_host_api`]'s types, which the host shares, rather than
//! generated look-alikes.

wit_bindgen::generate!({
    path: "../host-api/wit",
    world: "algorithm",
    pub_export_macro: true,
    default_bindings_module: "algobox_guest_sdk::bindings",
});

use algobox_host_api::{AlgoError, Payload};

use self::algobox::algorithm::types;

impl From<types::Payload> for Payload {
    fn from(payload: types::Payload) -> Self {
        match payload {
            types::Payload::Text(text) => Self::Text(text),
            types::Payload::Json(json) => Self::Json(json),
            types::Payload::Binary(bytes) => Self::Binary(bytes),
            types::Payload::Void => Self::Void,
        }
    }
}

impl From<Payload> for types::Payload {
    fn from(payload: Payload) -> Self {
        match payload {
            Payload::Text(text) => Self::Text(text),
            Payload::Json(json) => Self::Json(json),
            Payload::Binary(bytes) => Self::Binary(bytes),
            Payload::Void => Self::Void,
        }
    }
}

impl From<AlgoError> for types::AlgoError {
    fn from(error: AlgoError) -> Self {
        Self {
            code: error.code,
            message: error.message,
            details: error.details,
        }
    }
}

/// Converts an error from the host. (A `From` impl would clash with
/// `AlgoError`'s blanket conversion, since the generated type implements
/// `Error`, and that one would lose the code.)
pub(crate) fn algo_error(error: types::AlgoError) -> AlgoError {
    AlgoError {
        code: error.code,
        message: error.message,
        details: error.details,
    }
}
