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
            // (The default sender resolves again; a name whose answer changes
            // in between is the residual risk of checking names, which an
            // operator closes with an allow list of addresses.)
            let ips: Vec<_> = addresses.iter().map(|address| address.ip()).collect();
            if !egress.permits_host(host, &ips) {
                return Err(Error::DestinationIpProhibited);
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), Error>> + Send>,
            ))
        })
    }
}
