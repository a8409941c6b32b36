//! Outbound HTTP (`wasi:http/outgoing-handler`), gated like sockets.
//!
//! It is linked for every algorithm, so any guest registers and can read
//! the refusal: `isolated` gets `HTTP-request-denied` for every request, and
//! `full` gets `destination-IP-prohibited` for a host name or address the
//! egress policy denies.

use std::future::Future;
use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::egress::EgressPolicy;
use crate::network::NetworkAccess;

/// The HTTP policy of one invocation.
pub(crate) struct HttpEgress {
    pub(crate) network: NetworkAccess,
    pub(crate) egress: Arc<EgressPolicy>,
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for HttpEgress {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        let granted = self.network == NetworkAccess::Full;
        let egress = Arc::clone(&self.egress);
        Box::new(async move {
            if !granted {
                return Err(Error::HttpRequestDenied);
            }
            let uri = request.uri();
            let host = uri
                .host()
                .ok_or(Error::HttpRequestUriInvalid)?
                .trim_matches(['[', ']']);
            let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
            let addresses: Vec<_> = tokio::net::lookup_host((host, port))
                .await
                .map_err(|_| Error::DestinationNotFound)?
                .collect();
            // Every address the name resolves to must be permitted, so a
            // name with one allowed and one denied address is refused.
            let ips: Vec<_> = addresses.iter().map(|address| address.ip()).collect();
            if !egress.permits_host(host, &ips) {
                return Err(Error::DestinationIpProhibited);
            }
            // Plain HTTP goes to the address just checked, not to a second
            // lookup a rebinding name could answer differently. (HTTPS
            // verifies the name's certificate, which a rebound address, such
            // as a metadata service, cannot present; so it keeps the name.)
            if !https {
                let checked = addresses.first().ok_or(Error::DestinationNotFound)?;
                pin_to_address(&mut request, *checked)?;
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), Error>> + Send>,
            ))
        })
    }
}

/// Points `request` at `address` for the connection, keeping the name it
/// was written with in `Host`, which is what the server reads.
fn pin_to_address(
    request: &mut http::Request<WasiBody>,
    address: std::net::SocketAddr,
) -> Result<(), Error> {
    if !request.headers().contains_key(http::header::HOST) {
        let authority = request
            .uri()
            .authority()
            .ok_or(Error::HttpRequestUriInvalid)?
            .as_str()
            .to_owned();
        let value =
            http::HeaderValue::from_str(&authority).map_err(|_| Error::HttpRequestUriInvalid)?;
        request.headers_mut().insert(http::header::HOST, value);
    }
    let mut parts = request.uri().clone().into_parts();
    // `SocketAddr`'s form brackets IPv6 addresses, as an authority needs.
    parts.authority = Some(
        address
            .to_string()
            .parse()
            .map_err(|_| Error::HttpRequestUriInvalid)?,
    );
    *request.uri_mut() = http::Uri::from_parts(parts).map_err(|_| Error::HttpRequestUriInvalid)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, host: Option<&str>) -> http::Request<WasiBody> {
        let mut builder = http::Request::builder().uri(uri);
        if let Some(host) = host {
            builder = builder.header(http::header::HOST, host);
        }
        let body = http_body_util::Empty::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        builder.body(body).unwrap()
    }

    #[test]
    fn plain_http_goes_to_the_checked_address_under_its_own_name() {
        let mut sent = request(
            "http://rebinds.example:8080/latest?x=1",
            Some("rebinds.example:8080"),
        );
        pin_to_address(&mut sent, "203.0.113.7:8080".parse().unwrap()).unwrap();
        assert_eq!(sent.uri().to_string(), "http://203.0.113.7:8080/latest?x=1");
        assert_eq!(sent.headers()[http::header::HOST], "rebinds.example:8080");

        // Without a Host header, the written name becomes it; IPv6 is
        // bracketed.
        let mut sent = request("http://rebinds.example/", None);
        pin_to_address(&mut sent, "[2001:db8::7]:80".parse().unwrap()).unwrap();
        assert_eq!(sent.uri().to_string(), "http://[2001:db8::7]:80/");
        assert_eq!(sent.headers()[http::header::HOST], "rebinds.example");
    }
}
