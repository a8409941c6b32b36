//! Builds: one compilation of an algorithm's uploaded module.

use crate::identity::{AlgorithmId, BuildId, NodeId};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use algobox_runtime::content_hash::ContentHash;

use crate::timestamp::Timestamp;

/// One compilation of an algorithm's module; a succeeded build can be
/// published as a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// A UUID v4, unique across all algorithms.
    pub id: BuildId,
    /// The algorithm built.
    pub algorithm_id: AlgorithmId,
    /// The hash of the module compiled (Algorithmia's `commit_sha`).
    pub commit_sha: ContentHash,
    /// Where it stands.
    pub status: BuildStatus,
    /// When it started.
    pub started_at: Timestamp,
    /// When it finished, if it has.
    pub finished_at: Option<Timestamp>,
    /// The compiler's output.
    pub logs: String,
    /// The node that compiles (or compiled) it; `None` for builds recorded
    /// before builds had owners.
    pub owner: Option<NodeId>,
    /// Until when its owner holds it, while it is in progress: the owner
    /// renews the lease while it compiles, and any node fails the build
    /// once the lease has lapsed (see [`BuildLease`](crate::registry::build_lease::BuildLease)).
    /// `None` once it finished.
    pub lease_until: Option<Timestamp>,
}

/// Where a build stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuildStatus {
    /// Still compiling.
    InProgress,
    /// Compiled; it can be published.
    Succeeded,
    /// Did not compile; the logs say why.
    Failed,
}

impl BuildStatus {
    /// Algorithmia's form: `in-progress`, `succeeded` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in-progress",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for BuildStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a build status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a build status; expected in-progress, succeeded or failed")]
pub struct ParseBuildStatusError(String);

impl FromStr for BuildStatus {
    type Err = ParseBuildStatusError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "in-progress" => Ok(Self::InProgress),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            _ => Err(ParseBuildStatusError(text.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::registry::build::*;

    #[test]
    fn statuses_round_trip_in_algorithmia_form() {
        for status in [
            BuildStatus::InProgress,
            BuildStatus::Succeeded,
            BuildStatus::Failed,
        ] {
            assert_eq!(status.as_str().parse::<BuildStatus>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
        }
        assert!("done".parse::<BuildStatus>().is_err());
    }
}
