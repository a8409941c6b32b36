//! Which version a call means: the `:version` of `/v1/algo/:owner/:name/:version`.
//!
//! Pure functions over a list of versions, so every backend resolves the
//! same way and the rules are tested without a database.

use std::fmt;

use crate::registry::version::Version;
use algobox_runtime::content_hash::ContentHash;

/// A version as a caller names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// `1.2.3`: that version.
    Exact(semver::Version),
    /// `1.2.*` or `1.2`: the highest public `1.2.x`.
    Minor {
        /// The major part.
        major: u64,
        /// The minor part.
        minor: u64,
    },
    /// `1.*`: the highest public `1.x.y`.
    Major {
        /// The major part.
        major: u64,
    },
    /// `latest`, or no version: the highest public version.
    Latest,
    /// `latestPrivate`: the highest version, public or private; owners only.
    LatestPrivate,
    /// A module hash: the version built from it.
    Hash(ContentHash),
}

/// The text names no version; the message lists what does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a version; use `1.2.3`, `1.2.*`, `1.2`, `1.*`, `latest`, `latestPrivate` or a build's 64-hex-digit hash"
)]
pub struct ParseVersionSpecError(String);

impl VersionSpec {
    /// Parses a caller's version; empty text means [`Latest`](Self::Latest).
    pub fn parse(text: &str) -> Result<Self, ParseVersionSpecError> {
        let bad = || ParseVersionSpecError(text.to_owned());
        if text.is_empty() || text == "latest" {
            return Ok(Self::Latest);
        }
        if text.eq_ignore_ascii_case("latestPrivate") {
            return Ok(Self::LatestPrivate);
        }
        if text.len() == 64 {
            return text.parse().map(Self::Hash).map_err(|_| bad());
        }
        let number = |part: &str| {
            // `u64::from_str` takes a leading `+`; a version part does not.
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse::<u64>().ok())
                .flatten()
                .ok_or_else(bad)
        };
        let parts: Vec<&str> = text.split('.').collect();
        match parts.as_slice() {
            [major, "*"] => Ok(Self::Major {
                major: number(major)?,
            }),
            [major, minor] | [major, minor, "*"] => Ok(Self::Minor {
                major: number(major)?,
                minor: number(minor)?,
            }),
            [_, _, _] => semver::Version::parse(text)
                .map(Self::Exact)
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(version) => write!(f, "{version}"),
            Self::Minor { major, minor } => write!(f, "{major}.{minor}.*"),
            Self::Major { major } => write!(f, "{major}.*"),
            Self::Latest => f.write_str("latest"),
            Self::LatestPrivate => f.write_str("latestPrivate"),
            Self::Hash(hash) => write!(f, "{hash}"),
        }
    }
}

/// Where among `versions` (in any order) is the version `spec` names, as
/// `caller` may see it; `None` (no version in the URL) means the latest
/// public one. An index, so that a call can keep its version by position in
/// the shared, cached listing instead of copying it.
///
/// Following Algorithmia: `latest`, `1.*` and `1.2.*` only ever pick public
/// versions, for the owner too (owners say `latestPrivate` for the newest
/// private one); an exact version or a hash finds a private version only for
/// the owner. `caller_is_owner` is true for the owner and, for an
/// organization's algorithm, its members.
pub fn resolve(
    spec: Option<&VersionSpec>,
    versions: &[Version],
    caller_is_owner: bool,
) -> Option<usize> {
    let indexed = || versions.iter().enumerate();
    let visible = |(_, version): &(usize, &Version)| caller_is_owner || version.is_public();
    let highest_public = |matches: &dyn Fn(&semver::Version) -> bool| {
        highest(indexed().filter(|(_, v)| v.is_public() && matches(&v.version)))
    };
    match spec.unwrap_or(&VersionSpec::Latest) {
        VersionSpec::Exact(wanted) => indexed()
            .filter(visible)
            .find(|(_, v)| v.version == *wanted)
            .map(|(index, _)| index),
        VersionSpec::Minor { major, minor } => {
            highest_public(&|v| v.major == *major && v.minor == *minor)
        }
        VersionSpec::Major { major } => highest_public(&|v| v.major == *major),
        VersionSpec::Latest => highest_public(&|_| true),
        VersionSpec::LatestPrivate if caller_is_owner => highest(indexed()),
        VersionSpec::LatestPrivate => None,
        // Several versions share a module after a rollback: the newest the
        // caller may call (numbers only grow, so the highest is the newest).
        VersionSpec::Hash(hash) => highest(
            indexed()
                .filter(visible)
                .filter(|(_, v)| v.commit_sha == *hash),
        ),
    }
}

/// The index of the highest-numbered of `found`.
fn highest<'a>(found: impl Iterator<Item = (usize, &'a Version)>) -> Option<usize> {
    found
        .max_by(|(_, a), (_, b)| a.version.cmp(&b.version))
        .map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use crate::registry::settings::{Callability, Settings};
    use crate::registry::version_spec::*;
    use crate::timestamp::Timestamp;

    fn version(text: &str, callability: Callability) -> Version {
        Version {
            algorithm_id: crate::identity::AlgorithmId::parse(
                "00000000-0000-4000-8000-000000000000",
            )
            .unwrap(),
            version: semver::Version::parse(text).unwrap(),
            version_uuid: format!("uuid-{text}"),
            build_id: crate::identity::BuildId::parse("00000000-0000-4000-8000-000000000000")
                .unwrap(),
            commit_sha: ContentHash::of(text.as_bytes()),
            release_notes: String::new(),
            sample_input: String::new(),
            sample_output: String::new(),
            callability,
            settings: Settings::default(),
            published_at: Timestamp::from_millis(0),
        }
    }

    /// Public 0.1.0, 1.2.0, 1.2.3, 1.3.0; private 1.2.4 and 2.0.0.
    fn history() -> Vec<Version> {
        use Callability::{Private, Public};
        vec![
            version("1.2.3", Public),
            version("0.1.0", Public),
            version("2.0.0", Private),
            version("1.2.0", Public),
            version("1.2.4", Private),
            version("1.3.0", Public),
        ]
    }

    fn pick(spec: &str, owner: bool) -> Option<String> {
        let versions = history();
        let spec = VersionSpec::parse(spec).unwrap();
        resolve(Some(&spec), &versions, owner).map(|i| versions[i].version.to_string())
    }

    #[test]
    fn resolution_table() {
        let hash_123 = ContentHash::of(b"1.2.3").to_string();
        let hash_124 = ContentHash::of(b"1.2.4").to_string();
        let cases: [(&str, bool, Option<&str>); 16] = [
            ("1.2.3", false, Some("1.2.3")),
            ("1.2.4", true, Some("1.2.4")),
            ("1.2.4", false, None),
            ("9.9.9", true, None),
            ("1.2.*", false, Some("1.2.3")),
            ("1.2.*", true, Some("1.2.3")),
            ("1.2", false, Some("1.2.3")),
            ("1.*", false, Some("1.3.0")),
            ("0.*", false, Some("0.1.0")),
            ("3.*", true, None),
            ("latest", false, Some("1.3.0")),
            ("latest", true, Some("1.3.0")),
            ("latestPrivate", true, Some("2.0.0")),
            ("latestPrivate", false, None),
            (&hash_123, false, Some("1.2.3")),
            (&hash_124, false, None),
        ];
        for (spec, owner, expected) in cases {
            assert_eq!(
                pick(spec, owner).as_deref(),
                expected,
                "{spec} owner={owner}"
            );
        }
        assert_eq!(pick(&hash_124, true).as_deref(), Some("1.2.4"));
    }

    #[test]
    fn a_shared_hash_names_the_newest_version_the_caller_may_call() {
        // A rollback: 0.1.0 and 0.3.0 (private) and 0.2.0 share module A.
        let shared = |text, callability| Version {
            commit_sha: ContentHash::of(b"A"),
            ..version(text, callability)
        };
        let versions = [
            shared("0.1.0", Callability::Public),
            shared("0.3.0", Callability::Private),
            shared("0.2.0", Callability::Public),
            version("0.4.0", Callability::Public),
        ];
        let spec = VersionSpec::Hash(ContentHash::of(b"A"));
        let pick =
            |owner| resolve(Some(&spec), &versions, owner).map(|i| versions[i].version.to_string());
        assert_eq!(pick(true).as_deref(), Some("0.3.0"));
        assert_eq!(pick(false).as_deref(), Some("0.2.0"));
    }

    #[test]
    fn no_version_means_latest_public() {
        let versions = history();
        assert_eq!(
            resolve(None, &versions, true).map(|i| versions[i].version.to_string()),
            Some("1.3.0".into())
        );
        assert_eq!(resolve(None, &[], true), None);
        let only_private = [version("0.1.0", Callability::Private)];
        assert_eq!(resolve(None, &only_private, true), None);
    }

    #[test]
    fn parses_every_accepted_form() {
        let hash = ContentHash::of(b"x");
        let cases = [
            ("", VersionSpec::Latest),
            ("latest", VersionSpec::Latest),
            ("latestPrivate", VersionSpec::LatestPrivate),
            ("1.2.3", VersionSpec::Exact(semver::Version::new(1, 2, 3))),
            ("1.2.*", VersionSpec::Minor { major: 1, minor: 2 }),
            ("1.2", VersionSpec::Minor { major: 1, minor: 2 }),
            ("1.*", VersionSpec::Major { major: 1 }),
        ];
        for (text, spec) in cases {
            assert_eq!(VersionSpec::parse(text), Ok(spec), "{text}");
        }
        assert_eq!(
            VersionSpec::parse(&hash.to_string()),
            Ok(VersionSpec::Hash(hash))
        );
    }

    #[test]
    fn bad_text_lists_the_accepted_forms() {
        for bad in [
            "1",
            "*",
            "1.*.*",
            "a.b.c",
            "1.2.3.4",
            "+1.2",
            "1.x",
            "newest",
            &"g".repeat(64),
        ] {
            let err = VersionSpec::parse(bad).unwrap_err();
            assert!(err.to_string().contains("`1.2.*`"), "{bad}: {err}");
        }
    }
}
