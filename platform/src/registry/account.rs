//! Accounts: users, and organizations that users are members of.

use std::fmt;
use std::str::FromStr;

use crate::registry::error::RegistryError;
use crate::timestamp::Timestamp;

/// The longest account or algorithm name.
pub const MAX_NAME_LEN: usize = 64;

/// A user or an organization: what owns algorithms and API keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The unique name, as spelled when created. Names are unique without
    /// regard to case and looked up without regard to case, so `Demo` and
    /// `demo` are one account.
    pub name: String,
    /// User or organization.
    pub kind: AccountKind,
    /// When it was created.
    pub created_at: Timestamp,
}

/// What an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// A person, who can call algorithms and belong to organizations.
    User,
    /// A group of users that owns algorithms together.
    Organization,
}

impl AccountKind {
    /// The stored and wire form: `user` or `organization`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Organization => "organization",
        }
    }

    /// `a user` or `an organization`, for messages.
    pub(crate) fn with_article(self) -> &'static str {
        match self {
            Self::User => "a user",
            Self::Organization => "an organization",
        }
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccountKind {
    type Err = RegistryError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "user" => Ok(Self::User),
            "organization" => Ok(Self::Organization),
            _ => Err(RegistryError::invalid(
                "kind",
                format!("`{text}` is not an account kind; use `user` or `organization`"),
            )),
        }
    }
}

/// Checks an account or algorithm name against Algorithmia's rule:
/// a letter, then letters, digits and underscores, at most 64 in all.
///
/// `field` names the request field in the error.
pub fn validate_name(field: &'static str, name: &str) -> Result<(), RegistryError> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err(RegistryError::invalid(field, "a name is required"));
    };
    if !first.is_ascii_alphabetic() {
        return Err(RegistryError::invalid(
            field,
            format!("`{name}` must begin with a letter (A-Z or a-z)"),
        ));
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(RegistryError::invalid(
            field,
            format!("`{name}` contains `{bad}`; use only letters, digits and underscores"),
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(RegistryError::invalid(
            field,
            format!(
                "`{name}` is {} characters long; the limit is {MAX_NAME_LEN}",
                name.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::registry::account::*;

    #[test]
    fn names_follow_the_rule() {
        for good in ["a", "Hello", "my_first_algorithm", "X9_", &"a".repeat(64)] {
            assert_eq!(validate_name("name", good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "9lives",
            "_x",
            "has-dash",
            "has space",
            "héllo",
            &"a".repeat(65),
        ] {
            let err = validate_name("name", bad).unwrap_err();
            assert!(
                matches!(err, RegistryError::InvalidField { field: "name", .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in [AccountKind::User, AccountKind::Organization] {
            assert_eq!(kind.as_str().parse::<AccountKind>(), Ok(kind));
        }
        assert!("team".parse::<AccountKind>().is_err());
    }
}
