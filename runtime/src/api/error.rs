//! The one place that maps errors to HTTP statuses.

use http::StatusCode;

use super::response::{self, Response};
use crate::{PlatformError, RegistryError};

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
    /// The body is over the limit.
    #[error("the request body is larger than {limit} bytes; pass large inputs as a `data://` file")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The server failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } | Self::NoRoute { .. } => StatusCode::NOT_FOUND,
            Self::AlreadyExists(_) => StatusCode::CONFLICT,
            Self::AlreadyPublished(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
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
            Self::BadRequest(_) | Self::BodyTooLarge { .. } => 2015,
            Self::NoRoute { .. } | Self::MethodNotAllowed { .. } => 6001,
            Self::Internal(_) => 5001,
        }
    }

    /// The response: `{"error": {"code", "message"}}` with the status.
    pub(crate) fn into_response(self) -> Response {
        if let Self::Internal(message) = &self {
            tracing::error!("{message}");
        }
        let body = serde_json::json!({
            "error": { "code": self.code(), "message": self.to_string() }
        });
        response::json(self.status(), &body)
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
                    code: err.code(),
                    message,
                },
                RegistryError::AlreadyExists { .. } => Self::AlreadyExists(message),
                RegistryError::AlreadyPublished { .. } => Self::AlreadyPublished(message),
                RegistryError::Storage(_) | RegistryError::Random(_) => Self::Internal(message),
                _ => Self::BadRequest(message),
            },
            PlatformError::ModuleStore(_) | PlatformError::Internal(_) => Self::Internal(message),
        }
    }
}
