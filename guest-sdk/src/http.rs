//! Outbound HTTP, for algorithms whose `network_access` is `full`.
//!
//! With `isolated`, every request fails with code `PermissionDenied`; with
//! `full`, a request to an address outside the operator's egress policy
//! fails the same way. Plain `std::net` sockets follow the same rules.
//!
//! ```no_run
//! use algobox_guest_sdk::{AlgoError, export_function, http};
//!
//! fn fetch(url: String) -> Result<String, AlgoError> {
//!     http::get(&url)?.text()
//! }
//!
//! export_function!(fetch);
//! # fn main() {}
//! ```

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use wasip2::io::streams::StreamError;

use crate::AlgoError;

/// A response: its status and whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as UTF-8 text.
    pub fn text(self) -> Result<String, AlgoError> {
        Ok(String::from_utf8(self.body)?)
    }
}

/// Sends a GET request to `url` (`http://` or `https://`).
pub fn get(url: &str) -> Result<Response, AlgoError> {
    send(&Method::Get, url, None)
}

/// Sends a POST request with `body` to `url`.
pub fn post(url: &str, body: &[u8]) -> Result<Response, AlgoError> {
    send(&Method::Post, url, Some(body))
}

fn send(method: &Method, url: &str, body: Option<&[u8]>) -> Result<Response, AlgoError> {
    let bad_url = || AlgoError::input(format!("`{url}` is not an http:// or https:// URL"));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad_url)?;
    let scheme = match scheme {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return Err(bad_url()),
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    };
    let request = OutgoingRequest::new(Fields::new());
    let refused = |what: &str| AlgoError::input(format!("`{url}`: {what} is not valid"));
    request
        .set_method(method)
        .map_err(|()| refused("the method"))?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| refused("the scheme"))?;
    request
        .set_authority(Some(authority))
        .map_err(|()| refused("the host"))?;
    request
        .set_path_with_query(Some(path))
        .map_err(|()| refused("the path"))?;

    let outgoing = request
        .body()
        .map_err(|()| host_error("the request body was taken"))?;
    if let Some(body) = body {
        let stream = outgoing
            .write()
            .map_err(|()| host_error("the request body is not writable"))?;
        for chunk in body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|err| host_error(&format!("writing the request body failed: {err:?}")))?;
        }
    }
    OutgoingBody::finish(outgoing, None).map_err(http_error)?;

    let pending = outgoing_handler::handle(request, None).map_err(http_error)?;
    let response = loop {
        match pending.get() {
            Some(result) => break result,
            None => pending.subscribe().block(),
        }
    };
    let response = response
        .map_err(|()| host_error("the response was already taken"))?
        .map_err(http_error)?;
    let status = response.status();
    let incoming = response
        .consume()
        .map_err(|()| host_error("the response body was taken"))?;
    let stream = incoming
        .stream()
        .map_err(|()| host_error("the response body is not readable"))?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(err) => return Err(host_error(&format!("reading the response failed: {err:?}"))),
        }
    }
    drop(stream);
    drop(IncomingBody::finish(incoming));
    Ok(Response { status, body })
}

/// An error the request got, with the refusals named as such.
fn http_error(code: ErrorCode) -> AlgoError {
    match code {
        ErrorCode::HttpRequestDenied => AlgoError::new(
            "the host denied the HTTP request: this algorithm's `network_access` is `isolated`",
        )
        .with_code("PermissionDenied"),
        ErrorCode::DestinationIpProhibited => AlgoError::new(
            "the host denied the HTTP request: its address is outside the operator's egress policy",
        )
        .with_code("PermissionDenied"),
        other => {
            AlgoError::new(format!("the HTTP request failed: {other:?}")).with_code("NetworkError")
        }
    }
}

fn host_error(what: &str) -> AlgoError {
    AlgoError::new(format!("the HTTP request failed: {what}")).with_code("NetworkError")
}
