//! The one place that maps errors to HTTP statuses.

use http::StatusCode;

use axum::response::IntoResponse;

use crate::response::{self, Response};
use algobox_platform::data_store::error::DataError;
use algobox_platform::error::PlatformError;
use algobox_platform::registry::error::RegistryError;

/// A request that cannot be served, as the client will see it.
///
/// Algorithm failures are not here: Algorithmia answers those with 200 and
/// an error envelope, because the official clients discard the body of any
/// other status (see `api/invoke.rs`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// No key, or a key that matches no account.
    #[error("missing or unknown API key; send `Authorization: Simple YOUR_API_KEY`")]
    Unauthorized,
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such algorithm, version, build or path, or one the caller may not
    /// see (a private algorithm of someone else does not exist to them).
    #[error("{message}")]
    NotFound {
        /// Algorithmia's error code (1001 for a missing algorithm).
        code: u32,
        /// What was not found.
        message: String,
    },
    /// The thing to create exists already.
    #[error("{0}")]
    AlreadyExists(String),
    /// The version was published already (Algorithmia code 1007).
    #[error("{0}")]
    AlreadyPublished(String),
    /// The request is malformed; the message names the field.
    #[error("{0}")]
    BadRequest(String),
    /// The body does not parse as JSON (Algorithmia code 2013).
    #[error("{0}")]
    InvalidJson(String),
    /// No route for this method and path.
    #[error("no such endpoint: {method} {path}")]
    NoRoute {
        /// The method.
        method: String,
        /// The path.
        path: String,
    },
    /// The path exists but not with this method.
    #[error("{method} is not supported on {path}")]
    MethodNotAllowed {
        /// The method.
        method: String,
        /// The path.
        path: String,
    },
    /// A collection with files, deleted without `force`; the client reads
    /// `error.message` and `error.deleted`.
    #[error("{0}")]
    NotEmpty(String),
    /// The body is over the limit.
    #[error("the request body is larger than {limit} bytes; pass large inputs as a `data://` file")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A stored file would pass the server's limit.
    #[error("{0}")]
    FileTooLarge(String),
    /// The caller has as many calls in flight as one account may have.
    #[error("{0}")]
    TooManyRequests(String),
    /// The server failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } | Self::NoRoute { .. } => StatusCode::NOT_FOUND,
            Self::AlreadyExists(_) => StatusCode::CONFLICT,
            Self::AlreadyPublished(_)
            | Self::BadRequest(_)
            | Self::InvalidJson(_)
            | Self::NotEmpty(_) => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyTooLarge { .. } | Self::FileTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Algorithmia's numeric error code.
    fn code(&self) -> u32 {
        match self {
            Self::Unauthorized => 2002,
            Self::Forbidden(_) => 2001,
            Self::NotFound { code, .. } => *code,
            Self::AlreadyExists(_) => 1002,
            Self::AlreadyPublished(_) => 1007,
            Self::InvalidJson(_) => 2013,
            Self::BadRequest(_)
            | Self::BodyTooLarge { .. }
            | Self::FileTooLarge(_)
            | Self::NotEmpty(_) => 2015,
            Self::NoRoute { .. } | Self::MethodNotAllowed { .. } => 6001,
            // algobox's own: Algorithmia documents no code for it.
            Self::TooManyRequests(_) => 4029,
            Self::Internal(_) => 5001,
        }
    }
}

/// The response: `{"error": {"code", "message"}}` with the status.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(message) = &self {
            tracing::error!("{message}");
        }
        let mut body = serde_json::json!({
            "error": { "code": self.code(), "message": self.to_string() }
        });
        if let Self::NotEmpty(_) = self {
            body["error"]["deleted"] = 0.into();
        }
        let response = response::json(self.status(), &body);
        match self {
            // The account's own calls or compiles free the room.
            Self::TooManyRequests(_) => response::retry_after(response),
            _ => response,
        }
    }
}

impl From<PlatformError> for ApiError {
    fn from(err: PlatformError) -> Self {
        let message = err.to_string();
        match err {
            PlatformError::Unauthorized => Self::Unauthorized,
            PlatformError::Forbidden(_) => Self::Forbidden(message),
            PlatformError::NoAlgorithm { .. } => Self::NotFound {
                code: 1001,
                message,
            },
            PlatformError::NotFound(_) => Self::NotFound {
                code: 1000,
                message,
            },
            PlatformError::BadRequest(_) | PlatformError::Register(_) => Self::BadRequest(message),
            PlatformError::Registry(err) => match err {
                RegistryError::NoSuchAlgorithm { .. }
                | RegistryError::NoSuchAccount { .. }
                | RegistryError::NoSuchBuild { .. } => Self::NotFound {
                    code: registry_code(&err),
                    message,
                },
                RegistryError::AlreadyExists { .. } => Self::AlreadyExists(message),
                RegistryError::AlreadyPublished { .. } => Self::AlreadyPublished(message),
                RegistryError::Storage(_) | RegistryError::Random(_) => Self::Internal(message),
                _ => Self::BadRequest(message),
            },
            PlatformError::Data(err) => err.into(),
            PlatformError::TooManyCalls(_) => Self::TooManyRequests(message),
            PlatformError::ModuleStore(_) | PlatformError::Internal(_) => Self::Internal(message),
            _ => Self::Internal(message),
        }
    }
}

impl From<DataError> for ApiError {
    fn from(err: DataError) -> Self {
        let message = err.to_string();
        match err {
            DataError::NotFound(_) => Self::NotFound {
                code: 1000,
                message,
            },
            DataError::Forbidden(_) => Self::Forbidden(message),
            DataError::AlreadyExists(_) => Self::AlreadyExists(message),
            DataError::NotEmpty { .. } => Self::NotEmpty(message),
            DataError::TooLarge { .. } => Self::FileTooLarge(message),
            DataError::Path(_) | DataError::Invalid(_) => Self::BadRequest(message),
            _ => Self::Internal(message),
        }
    }
}

/// Algorithmia's numeric error code for a registry failure, for the `code`
/// of the management API's `{"error": {"code", "message"}}` body.
fn registry_code(err: &RegistryError) -> u32 {
    match err {
        RegistryError::NoSuchAlgorithm { .. } => 1001,
        RegistryError::AlreadyExists { .. } => 1002,
        RegistryError::AlreadyPublished { .. } => 1007,
        RegistryError::InvalidMarker { .. } => 5002,
        RegistryError::InvalidLimit { .. } => 5003,
        RegistryError::Storage(_) | RegistryError::Random(_) => 5001,
        _ => 2015,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_failures_keep_algorithmias_codes() {
        let published = RegistryError::AlreadyPublished {
            version: semver::Version::new(0, 1, 0),
        };
        assert_eq!(registry_code(&published), 1007);
        assert_eq!(
            ApiError::from(PlatformError::Registry(published)).code(),
            1007
        );
        let missing = RegistryError::NoSuchAlgorithm {
            algorithm: "demo/nope".into(),
        };
        assert_eq!(registry_code(&missing), 1001);
        assert_eq!(registry_code(&RegistryError::KeyInUse), 2015);
    }
}
