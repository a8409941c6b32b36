//! The contract between algobox and the algorithms it runs.
//!
//! - [`WIT_DIR`] is the one source of truth for the guest interface: the
//!   host's `wasmtime::component::bindgen!` and the guest SDK's
//!   `wit_bindgen::generate!` both read `wit/` by relative path.
//! - [`wit_file::WIT_FILES`] embeds that folder (with the WASI packages
//!   under `wit/deps/`), so `algobox wit` can write it anywhere.
//! - [`Payload`] and [`AlgoError`] are the values that cross it, as plain Rust.
//!
//! This crate has no wasmtime or tokio dependency and compiles for
//! `wasm32-wasip2`, so guests may use it too.

use std::fmt;

use serde::{Deserialize, Serialize};

pub mod wit_file;

/// The folder holding the WIT package `algobox:algorithm@0.1.0`.
pub const WIT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/wit");

/// The name of the exported interface every algorithm must provide.
pub const LIFECYCLE_EXPORT: &str = "algobox:algorithm/lifecycle@0.1.0";

/// A value in or out of an algorithm, typed as Algorithmia types it.
///
/// # Example
///
/// ```
/// use algobox_host_api::{ContentType, Payload};
///
/// assert_eq!(Payload::guess("Neo").content_type(), ContentType::Text);
/// assert_eq!(Payload::guess("[1, 2]").content_type(), ContentType::Json);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// UTF-8 text.
    Text(String),
    /// A JSON document, kept as its text. Build one with [`Payload::json`]
    /// or [`Payload::json_text`], which check it.
    Json(String),
    /// Raw bytes.
    Binary(Vec<u8>),
    /// No value.
    Void,
}

impl Payload {
    /// A text payload.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A JSON payload serialized from `value`.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_string(value).map(Self::Json)
    }

    /// A JSON payload from JSON text, checked to be one well-formed document.
    pub fn json_text(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        let text = text.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&text)?;
        Ok(Self::Json(text))
    }

    /// Positional inputs from a JSON array, one per element: a string is a
    /// text input, any other value a JSON input. This is how an HTTP call
    /// (`?inputs=array`) and `algobox run --inputs` pass Hkube's several
    /// inputs to `initialize`.
    ///
    /// ```
    /// use algobox_host_api::Payload;
    ///
    /// let inputs = Payload::positional(r#"["Neo", {"a": 1}]"#).unwrap();
    /// assert_eq!(inputs, [Payload::text("Neo"), Payload::Json(r#"{"a":1}"#.into())]);
    /// assert!(Payload::positional(r#"{"a": 1}"#).is_err());
    /// ```
    pub fn positional(json_array: &str) -> Result<Vec<Self>, serde_json::Error> {
        let elements: Vec<serde_json::Value> = serde_json::from_str(json_array)?;
        Ok(elements
            .into_iter()
            .map(|element| match element {
                serde_json::Value::String(text) => Self::Text(text),
                other => Self::Json(other.to_string()),
            })
            .collect())
    }

    /// A binary payload.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> Self {
        Self::Binary(bytes.into())
    }

    /// JSON if `data` parses as JSON, text otherwise: what `algo run -d` does.
    pub fn guess(data: &str) -> Self {
        Self::json_text(data).unwrap_or_else(|_| Self::text(data))
    }

    /// The Algorithmia content type of this payload.
    pub fn content_type(&self) -> ContentType {
        match self {
            Self::Text(_) => ContentType::Text,
            Self::Json(_) => ContentType::Json,
            Self::Binary(_) => ContentType::Binary,
            Self::Void => ContentType::Void,
        }
    }

    /// The payload's size in bytes, as limits count it.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(text) | Self::Json(text) => text.len(),
            Self::Binary(bytes) => bytes.len(),
            Self::Void => 0,
        }
    }

    /// Whether the payload holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The content types of Algorithmia's `metadata.content_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    /// UTF-8 text.
    Text,
    /// A JSON document.
    Json,
    /// Raw bytes, base64 in a JSON envelope.
    Binary,
    /// No value.
    Void,
}

impl ContentType {
    /// The name Algorithmia uses: `text`, `json`, `binary` or `void`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Binary => "binary",
            Self::Void => "void",
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_rejects_trailing_garbage() {
        assert!(Payload::json_text("{\"a\":1}").is_ok());
        assert!(Payload::json_text("{\"a\":1} x").is_err());
        assert_eq!(Payload::guess("Neo"), Payload::text("Neo"));
        assert_eq!(Payload::guess("42"), Payload::Json("42".into()));
    }
}
