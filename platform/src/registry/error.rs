//! What can go wrong in the registry.

/// A registry operation failed. Each variant is one cause; the message says
/// what to do next, and [`code`](Self::code) gives Algorithmia's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A request field has a value the registry does not accept.
    #[error("invalid `{field}`: {reason}")]
    InvalidField {
        /// The field, as the HTTP API names it (`settings.license`).
        field: &'static str,
        /// What is wrong and what is accepted.
        reason: String,
    },
    /// Required request fields are missing.
    #[error(
        "missing required {}: {}; set each (for example `\"license\": \"apl\"`, `\"network_access\": \"isolated\"`, `\"pipeline_enabled\": false`, `\"source_visibility\": \"closed\"`, `\"language\": \"rust\"` with `\"environment\": \"cpu\"`)",
        if fields.len() == 1 { "field" } else { "fields" },
        fields.join(", ")
    )]
    MissingFields {
        /// The fields, as the HTTP API names them.
        fields: Vec<&'static str>,
    },
    /// No account has that name.
    #[error("no account named `{name}`; create the account first")]
    NoSuchAccount {
        /// The name asked for.
        name: String,
    },
    /// No algorithm has that name or id.
    #[error("no such algorithm `{algorithm}`; check the owner and name, or create it first")]
    NoSuchAlgorithm {
        /// `owner/name`, or the algorithm's id.
        algorithm: String,
    },
    /// The algorithm has no build with that id.
    #[error("no build `{build_id}` for this algorithm; list the algorithm's builds for valid ids")]
    NoSuchBuild {
        /// The build asked for.
        build_id: String,
    },
    /// Something with that name exists already.
    #[error("{what} `{name}` already exists; choose another name")]
    AlreadyExists {
        /// `account` or `algorithm`.
        what: &'static str,
        /// The name taken (`owner/name` for algorithms).
        name: String,
    },
    /// The operation needs an account of the other kind.
    #[error("`{name}` is {actual}, but this needs {expected}")]
    WrongAccountKind {
        /// The account.
        name: String,
        /// `a user` or `an organization`.
        expected: &'static str,
        /// What it is.
        actual: &'static str,
    },
    /// The API key is in use by another account.
    #[error("that API key belongs to another account; choose a different key")]
    KeyInUse,
    /// The build has not succeeded, so there is nothing to publish.
    #[error(
        "build `{build_id}` is {status}, not succeeded; publish a build that compiled successfully"
    )]
    BuildNotSucceeded {
        /// The build.
        build_id: String,
        /// Its status (`in-progress` or `failed`).
        status: &'static str,
    },
    /// The build has already finished, so its result cannot change.
    #[error("build `{build_id}` has already finished; start a new build instead")]
    BuildFinished {
        /// The build.
        build_id: String,
    },
    /// The build is published already.
    #[error(
        "version already published: this build is version {version}; please compile your algorithm again to publish a new version"
    )]
    AlreadyPublished {
        /// The version that holds this build.
        version: semver::Version,
    },
    /// The pagination marker is not one the registry handed out.
    #[error(
        "invalid marker `{marker}`; pass the `marker` of the previous page unchanged, or none for the first page"
    )]
    InvalidMarker {
        /// The marker received.
        marker: String,
    },
    /// The page size is out of range.
    #[error("invalid limit {limit}; pass a limit from 1 to {max}", max = super::PageRequest::MAX_LIMIT)]
    InvalidLimit {
        /// The limit received.
        limit: u32,
    },
    /// The database failed or holds data this version cannot read.
    #[error(
        "registry storage failed: {0}; check that the database is reachable and on a writable disk with free space (the SQLite file, or the PostgreSQL server), and the server's logs"
    )]
    Storage(String),
    /// The operating system's random source failed.
    #[error(
        "cannot generate a random key: {0}; the operating system's random source is unavailable"
    )]
    Random(String),
}

impl RegistryError {
    /// An [`InvalidField`](Self::InvalidField) error.
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::registry::error::*;

    #[test]
    fn messages_name_the_field_and_the_fix() {
        let err = RegistryError::invalid("settings.license", "use one of apl, apache2, gpl3, mit");
        assert_eq!(
            err.to_string(),
            "invalid `settings.license`: use one of apl, apache2, gpl3, mit"
        );
        let err = RegistryError::AlreadyPublished {
            version: semver::Version::new(0, 1, 0),
        };
        assert!(err.to_string().contains("compile your algorithm again"));
    }
}
