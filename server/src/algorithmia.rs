//! Algorithmia's wire format, in one place: the result envelopes, the
//! error object with its numeric codes, and how errors map to statuses.

pub mod envelope;
pub(crate) mod error;
