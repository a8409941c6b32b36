//! Host names in the egress policy.

use std::fmt;
use std::str::FromStr;

/// A host name (`metadata.google.internal`) or every name under a domain
/// (`*.internal`), compared without case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    /// The name, or the domain after `*.`, in lower case without a
    /// trailing dot.
    name: String,
    subdomains: bool,
}

impl HostPattern {
    /// Whether `host` is this name, or under this domain for `*.` patterns.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self.subdomains {
            host.strip_suffix(&self.name)
                .is_some_and(|prefix| prefix.ends_with('.'))
        } else {
            host == self.name
        }
    }

    /// The one name this pattern stands for, if it is not a wildcard: the
    /// name whose addresses can be looked up ahead of time.
    pub fn exact_name(&self) -> Option<&str> {
        (!self.subdomains).then_some(self.name.as_str())
    }
}

/// The text is not a host name or `*.domain`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a host name; write one as metadata.internal or *.internal")]
pub struct ParseHostPatternError(String);

impl FromStr for HostPattern {
    type Err = ParseHostPatternError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (subdomains, name) = match text.strip_prefix("*.") {
            Some(domain) => (true, domain),
            None => (false, text),
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let valid_label = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if name.is_empty() || name.len() > 253 || !name.split('.').all(valid_label) {
            return Err(ParseHostPatternError(text.to_owned()));
        }
        Ok(Self { name, subdomains })
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.subdomains {
            f.write_str("*.")?;
        }
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_domains_match_without_case() {
        let exact: HostPattern = "Metadata.Google.Internal.".parse().unwrap();
        assert!(exact.matches("metadata.google.internal"));
        assert!(exact.matches("METADATA.google.internal."));
        assert!(!exact.matches("x.metadata.google.internal"));
        assert_eq!(exact.exact_name(), Some("metadata.google.internal"));
        let domain: HostPattern = "*.internal".parse().unwrap();
        assert!(domain.matches("metadata.google.internal"));
        assert!(!domain.matches("internal") && !domain.matches("notinternal"));
        assert_eq!(domain.exact_name(), None);
        assert_eq!(domain.to_string(), "*.internal");
        for bad in ["", "*.", "a..b", "-a.com", "a b", "http://x", "a/b"] {
            assert!(bad.parse::<HostPattern>().is_err(), "{bad}");
        }
    }
}
