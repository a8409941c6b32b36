//! Whether an invocation may reach the network: the grant the sandbox
//! enforces by what it links, under the operator's
//! [`EgressPolicy`](crate::egress::EgressPolicy).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Whether an algorithm may reach the network (Algorithmia's
/// `settings.network_access`).
///
/// # Example
///
/// ```
/// use algobox_runtime::network::NetworkAccess;
///
/// assert_eq!(NetworkAccess::default(), NetworkAccess::Isolated);
/// assert_eq!("full".parse::<NetworkAccess>().unwrap(), NetworkAccess::Full);
/// assert!("open".parse::<NetworkAccess>().is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkAccess {
    /// Sockets, name lookups and outbound HTTP, each checked against the
    /// egress policy.
    Full,
    /// None of them: every attempt fails inside the guest with an error it
    /// can read. The default: an algorithm reaches no network unless
    /// granted.
    #[default]
    Isolated,
}

impl NetworkAccess {
    /// The wire form: `full` or `isolated`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Isolated => "isolated",
        }
    }
}

impl fmt::Display for NetworkAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is neither `full` nor `isolated`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not accepted; use `full` or `isolated`")]
pub struct ParseNetworkAccessError(String);

impl FromStr for NetworkAccess {
    type Err = ParseNetworkAccessError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "full" => Ok(Self::Full),
            "isolated" => Ok(Self::Isolated),
            _ => Err(ParseNetworkAccessError(text.to_owned())),
        }
    }
}
