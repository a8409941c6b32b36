//! Tries the network and reports what happened, as text the test reads:
//! `ok: <what it got>` or `err: <the error kind>`. Exists to test that
//! `isolated` algorithms reach nothing and `full` ones reach what the egress
//! policy permits, with every failure readable inside the guest.
//!
//! Input: `{"connect": "127.0.0.1:PORT"}` (connect, read to the end),
//! `{"lookup": "localhost"}` (resolve the name through the standard
//! library), `{"resolve": "localhost"}` (resolve it through
//! `wasi:sockets/ip-name-lookup` itself; `ok: <every address>` or
//! `err: <the WASI error code>`) or `{"http": "URL"}` (GET it through
//! `wasi:http`; `ok: <status> <body>`, `err: <error_type>`, or for a
//! `NetworkError`, `err: NetworkError: <message>`).

use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr, TcpStream, ToSocketAddrs};

use algobox_guest_sdk::{AlgoError, Json, export_function, http};
use serde::Deserialize;
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::ip_name_lookup::resolve_addresses;
use wasip2::sockets::network::{ErrorCode, IpAddress};

/// What to try.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Probe {
    Connect(String),
    Lookup(String),
    Resolve(String),
    Http(String),
}

fn probe(Json(probe): Json<Probe>) -> Result<String, AlgoError> {
    Ok(match probe {
        Probe::Connect(address) => match TcpStream::connect(&address) {
            Ok(mut stream) => {
                let mut reply = String::new();
                match stream.read_to_string(&mut reply) {
                    Ok(_) => format!("ok: {reply}"),
                    Err(err) => format!("err: {:?}", err.kind()),
                }
            }
            Err(err) => format!("err: {:?}", err.kind()),
        },
        Probe::Lookup(name) => match (name.as_str(), 80).to_socket_addrs() {
            Ok(mut addresses) => match addresses.next() {
                Some(address) => format!("ok: {}", address.ip()),
                None => "err: no address".to_owned(),
            },
            Err(err) => format!("err: {:?}", err.kind()),
        },
        Probe::Resolve(name) => resolve(&name),
        Probe::Http(url) => match http::get(&url) {
            Ok(response) => format!(
                "ok: {} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            ),
            // Which network error (a TLS failure, a refused connection) is
            // in the message.
            Err(err) if err.code == "NetworkError" => format!("err: NetworkError: {}", err.message),
            Err(err) => format!("err: {}", err.code),
        },
    })
}

/// Every address `name` resolves to, separated by spaces, or the WASI
/// error code the lookup got (`access-denied`), which the standard library
/// would blur into a generic error.
fn resolve(name: &str) -> String {
    let stream = match resolve_addresses(&instance_network(), name) {
        Ok(stream) => stream,
        Err(code) => return format!("err: {}", code.name()),
    };
    let mut addresses = Vec::new();
    loop {
        match stream.resolve_next_address() {
            Ok(Some(IpAddress::Ipv4((a, b, c, d)))) => {
                addresses.push(Ipv4Addr::new(a, b, c, d).to_string());
            }
            Ok(Some(IpAddress::Ipv6((a, b, c, d, e, f, g, h)))) => {
                addresses.push(Ipv6Addr::new(a, b, c, d, e, f, g, h).to_string());
            }
            Ok(None) => return format!("ok: {}", addresses.join(" ")),
            Err(ErrorCode::WouldBlock) => stream.subscribe().block(),
            Err(code) => return format!("err: {}", code.name()),
        }
    }
}

export_function!(probe);
