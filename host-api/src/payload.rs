use std::fmt;

use serde::{Deserialize, Serialize};

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
