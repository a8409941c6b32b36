//! The `code`s the SDK itself puts in an [`AlgoError`](crate::AlgoError),
//! besides `AlgorithmError` and `InputError` (see
//! [`AlgoError::ALGORITHM_ERROR`](crate::AlgoError::ALGORITHM_ERROR)).
//!
//! The host matches on these strings, so they are part of the contract.

/// The algorithm returned early because a stop was requested
/// ([`Context::check_stop`](crate::Context::check_stop)).
pub const STOPPED: &str = "Stopped";

/// [`Algorithm::load`](crate::Algorithm::load) failed, so the algorithm never
/// saw its input.
pub const LOADING_ERROR: &str = "LoadingError";
