//! Outbound HTTP (`wasi:http/outgoing-handler`), gated like sockets.
//!
//! It is linked for every algorithm, so any guest registers and can read
//! the refusal: `isolated` gets `HTTP-request-denied` for every request, and
//! `full` gets `destination-IP-prohibited` for a host name or address the
//! egress policy denies.

mod checked_sender;

use std::future::Future;
use std::sync::Arc;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use self::checked_sender::Sent;

use crate::egress::EgressPolicy;
use crate::network::NetworkAccess;

/// The HTTP policy of one invocation.
pub(crate) struct HttpEgress {
    pub(crate) network: NetworkAccess,
    pub(crate) egress: Arc<EgressPolicy>,
}

type ResponseFuture = Box<dyn Future<Output = Result<Sent, Error>> + Send>;

impl WasiHttpHooks for HttpEgress {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
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
            // The connection goes to the address just checked, not to a
            // second lookup a rebinding name could answer differently.
            let checked = addresses.first().ok_or(Error::DestinationNotFound)?;
            checked_sender::send(request, *checked, options).await
        })
    }
}
