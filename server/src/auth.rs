//! API keys in the `Authorization` header.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::algorithmia::error::ApiError;
use algobox_platform::Caller;
use algobox_platform::Platform;

/// The caller a request's key authenticates.
pub(crate) async fn caller(platform: &Platform, headers: &HeaderMap) -> Result<Caller, ApiError> {
    Ok(platform.authenticate(api_key(headers)).await?)
}

/// The API key a request carries, in any of the three forms clients send:
/// `Simple KEY` (Algorithmia's documented form), a bare `KEY` (what the
/// official Python client 2.0.5 sends) and `Bearer KEY`.
pub(crate) fn api_key(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let key = match value.split_once(' ') {
        Some((scheme, key))
            if scheme.eq_ignore_ascii_case("simple") || scheme.eq_ignore_ascii_case("bearer") =>
        {
            key.trim()
        }
        Some(_) => return None,
        // `Simple ` with nothing after it, trimmed to the scheme alone.
        None if value.eq_ignore_ascii_case("simple") || value.eq_ignore_ascii_case("bearer") => {
            return None;
        }
        None => value,
    };
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use crate::auth::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn accepts_every_form_clients_send() {
        assert_eq!(api_key(&headers("Simple sim123")), Some("sim123"));
        assert_eq!(api_key(&headers("simple sim123")), Some("sim123"));
        assert_eq!(api_key(&headers("sim123")), Some("sim123"));
        assert_eq!(api_key(&headers("Bearer sim123")), Some("sim123"));
        assert_eq!(api_key(&headers("Basic dXNlcjpwYXNz")), None);
        assert_eq!(api_key(&headers("Simple ")), None);
        assert_eq!(api_key(&HeaderMap::new()), None);
    }
}
