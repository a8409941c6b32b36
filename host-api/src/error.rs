use std::fmt;

use serde::{Deserialize, Serialize};

/// A failure an algorithm reports on purpose: Hkube's `errorMessage`,
/// Algorithmia's `{"error": {...}}`.
///
/// It deliberately does not implement [`std::error::Error`], so that any error
/// type converts into it with `?` (the conversion keeps the cause chain in
/// [`details`](Self::details)).
///
/// # Example
///
/// ```
/// use algobox_host_api::AlgoError;
///
/// let err = AlgoError::new("no such city").with_code("InputError");
/// assert_eq!(err.code, "InputError");
/// assert_eq!(err.to_string(), "InputError: no such city");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlgoError {
    /// Algorithmia's `error_type`, such as `AlgorithmError` or `InputError`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// A stack trace or cause chain.
    pub details: Option<String>,
}

impl AlgoError {
    /// The `error_type` of an error the algorithm did not classify.
    pub const ALGORITHM_ERROR: &'static str = "AlgorithmError";
    /// The `error_type` of input the algorithm cannot use.
    pub const INPUT_ERROR: &'static str = "InputError";

    /// An `AlgorithmError` with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            code: Self::ALGORITHM_ERROR.to_owned(),
            message: message.into(),
            details: None,
        }
    }

    /// An `InputError` with this message: the input was not what the
    /// algorithm accepts.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(message).with_code(Self::INPUT_ERROR)
    }

    /// Replaces the code (Algorithmia's `error_type`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = code.into();
        self
    }

    /// Replaces the details (a stack trace or cause chain).
    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }
}

impl fmt::Display for AlgoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl<E: std::error::Error> From<E> for AlgoError {
    fn from(err: E) -> Self {
        let mut chain = Vec::new();
        let mut source = err.source();
        while let Some(cause) = source {
            chain.push(cause.to_string());
            source = cause.source();
        }
        let err = Self::new(err.to_string());
        if chain.is_empty() {
            err
        } else {
            err.with_details(format!("caused by: {}", chain.join("\ncaused by: ")))
        }
    }
}
