//! Accounts: users, and organizations that users are members of.

use std::fmt;
use std::str::FromStr;

use crate::identity::AccountName;
use crate::registry::error::RegistryError;
use crate::timestamp::Timestamp;

/// A user or an organization: what owns algorithms and API keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The unique name, as spelled when created. Names are unique without
    /// regard to case and looked up without regard to case, so `Demo` and
    /// `demo` are one account.
    pub name: AccountName,
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

#[cfg(test)]
mod tests {
    use crate::registry::account::*;

    #[test]
    fn kinds_round_trip() {
        for kind in [AccountKind::User, AccountKind::Organization] {
            assert_eq!(kind.as_str().parse::<AccountKind>(), Ok(kind));
        }
        assert!("team".parse::<AccountKind>().is_err());
    }
}
