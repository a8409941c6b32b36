//! The address clients reach the API at, for the absolute links the API
//! answers with (`self_link`, `next_link`).
//!
//! It comes from `algobox serve --public-url`, or else from the address the
//! server listens on; never from a request's `Host` header, which any
//! client sets as it likes.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;

/// An `http://` or `https://` base URL without a trailing slash, such as
/// `https://api.example.com` or `https://example.com/algobox`.
///
/// # Example
///
/// ```
/// use algobox_server::public_url::PublicUrl;
///
/// let base: PublicUrl = "https://api.example.com/".parse().unwrap();
/// assert_eq!(base.join("/v1/algorithms/demo/Hello"), "https://api.example.com/v1/algorithms/demo/Hello");
/// assert!("ftp://example.com".parse::<PublicUrl>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(Arc<str>);

impl PublicUrl {
    /// The URL of a server listening on `address`. An unspecified address
    /// (`0.0.0.0`, `::`) is named `localhost`, which at least works on the
    /// server's own machine; set `--public-url` for anyone else.
    pub fn of_listener(address: SocketAddr) -> Self {
        if address.ip().is_unspecified() {
            Self(format!("http://localhost:{}", address.port()).into())
        } else {
            // `SocketAddr`'s form brackets IPv6, as a URL needs.
            Self(format!("http://{address}").into())
        }
    }

    /// `path` (which starts with `/`) under this URL.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text is not an `http://` or `https://` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a public URL; pass the base clients reach the API at, such as https://api.example.com"
)]
pub struct ParsePublicUrlError(String);

impl FromStr for PublicUrl {
    type Err = ParsePublicUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ParsePublicUrlError(text.to_owned());
        let uri: http::Uri = text.parse().map_err(|_| bad())?;
        let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
        let has_host = uri.host().is_some_and(|host| !host.is_empty());
        if !scheme_ok || !has_host || uri.query().is_some() || text.contains('#') {
            return Err(bad());
        }
        Ok(Self(text.trim_end_matches('/').into()))
    }
}

#[cfg(test)]
mod tests {
    use crate::public_url::*;

    #[test]
    fn parses_bases_and_refuses_what_is_not_one() {
        let base: PublicUrl = "https://example.com/algobox/".parse().unwrap();
        assert_eq!(base.join("/v1/x"), "https://example.com/algobox/v1/x");
        for bad in [
            "example.com",
            "ftp://example.com",
            "https://",
            "http://a/?q=1",
            "/v1",
        ] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_listener_names_its_address_or_localhost() {
        let at = |text: &str| PublicUrl::of_listener(text.parse().unwrap()).to_string();
        assert_eq!(at("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(at("[::1]:8080"), "http://[::1]:8080");
        assert_eq!(at("0.0.0.0:8080"), "http://localhost:8080");
    }
}
