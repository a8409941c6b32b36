//! The names and ids the platform passes around, each a type parsed once
//! where it enters (a URL, a request body, a database row), so that a
//! function taking an [`AccountName`] cannot be handed an algorithm's id.
//!
//! Account and algorithm names follow Algorithmia's rule: a letter, then
//! letters, digits and underscores, at most [`MAX_NAME_LEN`] in all. They
//! keep the case they were written in and are matched without regard to it
//! by the registry. Algorithm and build ids are UUIDs (v4, 36 characters),
//! which Algorithmia's clients expect.
//!
//! # Example
//!
//! ```
//! use algobox_platform::identity::{AccountName, NameError};
//!
//! let owner: AccountName = "demo".parse()?;
//! assert_eq!(owner.as_str(), "demo");
//! assert!(matches!("9lives".parse::<AccountName>(), Err(NameError::FirstNotLetter(_))));
//! # Ok::<(), NameError>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// The longest account or algorithm name.
pub const MAX_NAME_LEN: usize = 64;

/// Why text is not an account or algorithm name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("a name is required")]
    Empty,
    /// The name starts with something other than a letter.
    #[error("`{0}` must begin with a letter (A-Z or a-z)")]
    FirstNotLetter(String),
    /// The name holds a character outside letters, digits and `_`.
    #[error("`{name}` contains `{bad}`; use only letters, digits and underscores")]
    BadCharacter {
        /// The name.
        name: String,
        /// The first character that is not allowed.
        bad: char,
    },
    /// The name is longer than [`MAX_NAME_LEN`].
    #[error("`{0}` is {len} characters long; the limit is {MAX_NAME_LEN}", len = .0.len())]
    TooLong(String),
}

/// Checks `name` against Algorithmia's rule for account and algorithm
/// names.
fn check_name(name: &str) -> Result<(), NameError> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err(NameError::Empty);
    };
    if !first.is_ascii_alphabetic() {
        return Err(NameError::FirstNotLetter(name.to_owned()));
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(NameError::BadCharacter {
            name: name.to_owned(),
            bad,
        });
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong(name.to_owned()));
    }
    Ok(())
}

/// Why text is not an algorithm or build id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an id; ids are 36-character UUIDs such as 8f8c2a9e-3c1d-4b7e-9a51-2f7e0c1d4b6a"
)]
pub struct IdError(String);

/// Checks that `text` is a hyphenated UUID.
fn check_id(text: &str) -> Result<(), IdError> {
    let shaped = text.len() == 36
        && text.char_indices().all(|(index, c)| match index {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if shaped {
        Ok(())
    } else {
        Err(IdError(text.to_owned()))
    }
}

/// Why text is not a node id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a node id; node ids are 16 lowercase hexadecimal digits")]
pub struct NodeIdError(String);

/// Checks that `text` is 16 lowercase hexadecimal digits.
fn check_node_id(text: &str) -> Result<(), NodeIdError> {
    if text.len() == 16 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(NodeIdError(text.to_owned()))
    }
}

/// Declares a string newtype with its parser, `as_str`, `Display` and
/// `FromStr`.
macro_rules! identity {
    ($(#[$doc:meta])* $name:ident, $check:ident, $error:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses `text`, refusing what the rule above does not allow.
            pub fn parse(text: &str) -> Result<Self, $error> {
                $check(text)?;
                Ok(Self(text.to_owned()))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = $error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

identity!(
    /// The name of a user or an organization.
    AccountName, check_name, NameError
);

identity!(
    /// The name of an algorithm, unique within its owner's.
    AlgorithmName, check_name, NameError
);

identity!(
    /// The name of a cluster: the prefix of its NATS subjects, streams and
    /// buckets, so several clusters can share one NATS server. Same rule as
    /// account names, which keeps it valid in both.
    ClusterName, check_name, NameError
);

identity!(
    /// An algorithm's id: it stays when the algorithm is renamed.
    AlgorithmId, check_id, IdError
);

identity!(
    /// A build's id: one compile of an algorithm's module.
    BuildId, check_id, IdError
);

identity!(
    /// A server process: random at each start, it names the owner of the
    /// builds it compiles and the node running a void call.
    NodeId, check_node_id, NodeIdError
);

impl NodeId {
    /// A new random id.
    ///
    /// # Panics
    ///
    /// If the operating system's random source fails.
    pub fn random() -> Self {
        Self(crate::random_name::random_hex::<8>())
    }
}

impl AccountName {
    /// Whether `self` and `other` name the same account (names match
    /// without regard to case).
    pub fn matches(&self, other: &AccountName) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }

    /// The name in lower case, the form that keys per-account state
    /// (borrowed, without allocating, when it is lower case already).
    pub(crate) fn folded(&self) -> std::borrow::Cow<'_, str> {
        if self.0.bytes().any(|byte| byte.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(self.0.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(&self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_algorithmias_rule_and_say_what_is_wrong() {
        for good in ["a", "Demo", "my_first_algorithm", &"x".repeat(MAX_NAME_LEN)] {
            assert_eq!(AccountName::parse(good).unwrap().as_str(), good);
        }
        assert_eq!(AlgorithmName::parse(""), Err(NameError::Empty));
        assert_eq!(
            AlgorithmName::parse("9lives").unwrap_err().to_string(),
            "`9lives` must begin with a letter (A-Z or a-z)"
        );
        assert_eq!(
            AccountName::parse("a-b").unwrap_err().to_string(),
            "`a-b` contains `-`; use only letters, digits and underscores"
        );
        let long = "x".repeat(MAX_NAME_LEN + 1);
        assert_eq!(
            AccountName::parse(&long).unwrap_err().to_string(),
            format!("`{long}` is 65 characters long; the limit is 64")
        );
    }

    #[test]
    fn ids_are_uuids() {
        let id = "8f8c2a9e-3c1d-4b7e-9a51-2f7e0c1d4b6a";
        assert_eq!(BuildId::parse(id).unwrap().to_string(), id);
        for bad in [
            "",
            "8f8c2a9e",
            "8f8c2a9e-3c1d-4b7e-9a51-2f7e0c1d4b6g",
            "../etc/passwd",
        ] {
            let err = AlgorithmId::parse(bad).unwrap_err();
            assert!(err.to_string().contains("36-character UUIDs"), "{err}");
        }
    }

    #[test]
    fn node_ids_are_random_hex() {
        let (a, b) = (NodeId::random(), NodeId::random());
        assert_ne!(a, b);
        assert_eq!(NodeId::parse(a.as_str()), Ok(a.clone()));
        assert_eq!(a.as_str().len(), 16);
        for bad in ["", "0123456789ABCDEF", "0123456789abcdef0", "../../etc"] {
            let err = NodeId::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains("16 lowercase hexadecimal"),
                "{err}"
            );
        }
    }

    #[test]
    fn account_names_match_without_regard_to_case() {
        let (a, b) = (
            AccountName::parse("Demo").unwrap(),
            AccountName::parse("demo").unwrap(),
        );
        assert!(a.matches(&b));
        assert_ne!(a, b, "the written case is kept");
    }
}
