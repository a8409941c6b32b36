//! The addresses of the cluster's own services, which guests never reach.

use algobox_runtime::egress::EgressRule;
use anyhow::Context as _;

/// The addresses of the service at `url` (`scheme://user@host:port/...`
/// or `host:port`), each as a rule denying it.
pub(super) async fn service_addresses(url: &str) -> anyhow::Result<Vec<EgressRule>> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    let authority = rest.split(['/', '?', ',']).next().unwrap_or(rest);
    // `[v6]:port`, `[v6]`, `host:port` or `host`.
    let (host, port) = match authority
        .strip_prefix('[')
        .and_then(|v6| v6.split_once(']'))
    {
        Some((host, rest)) => (host, rest.strip_prefix(':').unwrap_or("")),
        None => authority.rsplit_once(':').unwrap_or((authority, "")),
    };
    let port: u16 = port.parse().unwrap_or(0);
    let addresses = tokio::net::lookup_host((host, port))
        .await
        .with_context(|| format!("cannot look up {host}, from {url}"))?;
    addresses
        .map(|address| {
            let bits = if address.is_ipv4() { 32 } else { 128 };
            format!("{}/{bits}", address.ip())
                .parse()
                .with_context(|| format!("cannot deny {}", address.ip()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cluster's own services are denied to guests by address, from
    /// whichever form their URL takes.
    #[tokio::test]
    async fn service_urls_become_denials_of_their_addresses() {
        for (url, expected) in [
            ("nats://127.0.0.1:4222", "127.0.0.1/32"),
            ("127.0.0.1:4222", "127.0.0.1/32"),
            (
                "postgres://algobox:secret@127.0.0.2:5432/algobox",
                "127.0.0.2/32",
            ),
            ("postgresql://u@[::1]:5432/db?sslmode=disable", "::1/128"),
            ("nats://[::1]", "::1/128"),
        ] {
            let rules = service_addresses(url).await.unwrap();
            let expected: EgressRule = expected.parse().unwrap();
            assert_eq!(rules, [expected], "{url}");
        }
        let err = service_addresses("nats://no-such-host.invalid:4222")
            .await
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot look up no-such-host.invalid"),
            "{err:#}"
        );
    }
}
