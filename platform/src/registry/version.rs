//! Published versions: immutable, numbered snapshots of a succeeded build.

use crate::identity::{AlgorithmId, BuildId};
use std::fmt;
use std::str::FromStr;

use crate::registry::settings::{Callability, Settings};

use crate::registry::algorithm::AlgorithmRecord;
use crate::registry::build::Build;
use crate::registry::error::RegistryError;
use crate::registry::id::new_id;
use crate::timestamp::Timestamp;
use algobox_runtime::content_hash::ContentHash;

/// A published version. Published versions never change: the registry has
/// no operation that edits one, and the SQLite schema refuses updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The algorithm it belongs to.
    pub algorithm_id: AlgorithmId,
    /// Its semantic version.
    pub version: semver::Version,
    /// A UUID v4 naming this version (Algorithmia's `version_uuid`).
    pub version_uuid: String,
    /// The build published.
    pub build_id: BuildId,
    /// The hash of the module that build compiled.
    pub commit_sha: ContentHash,
    /// What changed, for callers.
    pub release_notes: String,
    /// An example input.
    pub sample_input: String,
    /// The output for the example input.
    pub sample_output: String,
    /// Who may call this version.
    pub callability: Callability,
    /// The algorithm's settings when it was published, with
    /// `algorithm_callability` set to [`callability`](Self::callability).
    /// The settings of the version called decide its capabilities (network,
    /// pipelines), so changing the algorithm later does not change them.
    pub settings: Settings,
    /// When it was published.
    pub published_at: Timestamp,
}

impl Version {
    /// Whether anyone may call it.
    pub fn is_public(&self) -> bool {
        self.callability == Callability::Public
    }
}

/// Which part of the version a publish increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionBump {
    /// Breaking changes: `1.4.2` → `2.0.0`.
    Major,
    /// New features: `1.4.2` → `1.5.0`.
    Minor,
    /// Fixes (Algorithmia's `revision`): `1.4.2` → `1.4.3`.
    Patch,
}

impl VersionBump {
    /// The version after `highest`, the highest published so far; with
    /// nothing published, the bump applies to `0.0.0` (`minor` gives
    /// `0.1.0`).
    pub fn next(self, highest: Option<&semver::Version>) -> semver::Version {
        let (major, minor, patch) = highest.map_or((0, 0, 0), |v| (v.major, v.minor, v.patch));
        // Saturating: 2^64 publishes cannot happen, and a panic is worse
        // than a refused duplicate version.
        match self {
            Self::Major => semver::Version::new(major.saturating_add(1), 0, 0),
            Self::Minor => semver::Version::new(major, minor.saturating_add(1), 0),
            Self::Patch => semver::Version::new(major, minor, patch.saturating_add(1)),
        }
    }
}

impl fmt::Display for VersionBump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Patch => "patch",
        })
    }
}

impl FromStr for VersionBump {
    type Err = RegistryError;

    /// Accepts `major`, `minor`, and both `revision` (the api-client's
    /// word) and `patch` (the newer docs').
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "major" => Ok(Self::Major),
            "minor" => Ok(Self::Minor),
            "revision" | "patch" => Ok(Self::Patch),
            _ => Err(RegistryError::invalid(
                "version_info.version_type",
                format!("`{text}` is not a version type; use `major`, `minor` or `revision`"),
            )),
        }
    }
}

/// A request to publish a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest {
    /// The succeeded, not yet published build.
    pub build_id: BuildId,
    /// Which part of the version to increment.
    pub bump: VersionBump,
    /// What changed.
    pub release_notes: String,
    /// An example input.
    pub sample_input: String,
    /// The output for the example input.
    pub sample_output: String,
    /// Who may call the new version; `None` keeps the algorithm's current
    /// `algorithm_callability`. The algorithm's setting becomes this value,
    /// since it describes the latest version.
    pub callability: Option<Callability>,
}

impl PublishRequest {
    /// The version this request makes of `build`, numbered after
    /// `highest` (the algorithm's highest version so far), with the
    /// algorithm's settings; the algorithm's callability becomes the new
    /// version's. The same for every backend.
    pub(crate) fn version_of(
        &self,
        algorithm: &mut AlgorithmRecord,
        build: &Build,
        highest: Option<&semver::Version>,
    ) -> Result<Version, RegistryError> {
        let callability = self
            .callability
            .unwrap_or(algorithm.settings.algorithm_callability);
        algorithm.settings.algorithm_callability = callability;
        Ok(Version {
            algorithm_id: algorithm.id.clone(),
            version: self.bump.next(highest),
            version_uuid: new_id()?,
            build_id: build.id.clone(),
            commit_sha: build.commit_sha,
            release_notes: self.release_notes.clone(),
            sample_input: self.sample_input.clone(),
            sample_output: self.sample_output.clone(),
            callability,
            settings: algorithm.settings.clone(),
            published_at: Timestamp::now(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::registry::version::*;

    fn v(text: &str) -> semver::Version {
        semver::Version::parse(text).unwrap()
    }

    #[test]
    fn first_versions_start_from_zero() {
        assert_eq!(VersionBump::Minor.next(None), v("0.1.0"));
        assert_eq!(VersionBump::Patch.next(None), v("0.0.1"));
        assert_eq!(VersionBump::Major.next(None), v("1.0.0"));
    }

    #[test]
    fn bumps_reset_lower_parts() {
        assert_eq!(VersionBump::Patch.next(Some(&v("0.1.0"))), v("0.1.1"));
        assert_eq!(VersionBump::Minor.next(Some(&v("0.1.1"))), v("0.2.0"));
        assert_eq!(VersionBump::Major.next(Some(&v("0.2.0"))), v("1.0.0"));
        assert_eq!(VersionBump::Major.next(Some(&v("1.4.2"))), v("2.0.0"));
    }

    #[test]
    fn parses_both_names_for_patch() {
        assert_eq!("revision".parse(), Ok(VersionBump::Patch));
        assert_eq!("patch".parse(), Ok(VersionBump::Patch));
        assert_eq!("major".parse(), Ok(VersionBump::Major));
        assert_eq!("minor".parse(), Ok(VersionBump::Minor));
        let err = "huge".parse::<VersionBump>().unwrap_err();
        assert!(
            err.to_string().contains("version_info.version_type"),
            "{err}"
        );
    }
}
