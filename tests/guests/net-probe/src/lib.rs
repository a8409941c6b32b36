//! Tries the network and reports what happened, as text the test reads:
//! `ok: <what it got>` or `err: <the error kind>`. Exists to test that
//! `isolated` algorithms reach nothing and `full` ones reach what the egress
//! policy permits, with every failure readable inside the guest.
//!
//! Input: `{"connect": "127.0.0.1:PORT"}` (connect, read to the end),
//! `{"lookup": "localhost"}` (resolve the name) or `{"http": "URL"}` (GET
//! it through `wasi:http`; `ok: <status> <body>` or `err: <error_type>`).

use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};

use algobox_guest_sdk::{AlgoError, Json, export_function, http};
use serde::Deserialize;

/// What to try.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Probe {
    Connect(String),
    Lookup(String),
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
        Probe::Http(url) => match http::get(&url) {
            Ok(response) => format!(
                "ok: {} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            ),
            Err(err) => format!("err: {}", err.code),
        },
    })
}

export_function!(probe);
