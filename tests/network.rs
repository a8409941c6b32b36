//! `network_access`: an `isolated` algorithm reaches nothing; a `full` one
//! reaches what the operator's egress policy permits. Real sockets on
//! loopback only.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::egress::{EgressPolicy, EgressRule};
use algobox_runtime::invocation::Invocation;
use algobox_runtime::network::NetworkAccess;
use serde_json::json;

use crate::server::TestServer;
use crate::support::{limits, load};

/// A listener on 127.0.0.1 that answers `pong` and counts connections.
fn pong() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.and_then(|mut stream| stream.write_all(b"pong"));
        }
    });
    (address, accepted)
}

/// A listener on 127.0.0.1 that answers any HTTP request with `200 pong`
/// and counts requests.
pub(crate) fn http_pong() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0; 4096];
            let _ = std::io::Read::read(&mut stream, &mut request);
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong",
            );
        }
    });
    (address, served)
}

/// A TLS server on 127.0.0.1 presenting the runtime's test certificate,
/// self-signed for `localhost`, which no client trusts: it records the
/// name each connection's ClientHello asked for (SNI, `None` without one)
/// and drives the handshake until the client gives up on it.
fn tls_server() -> (SocketAddr, Arc<Mutex<Vec<Option<String>>>>) {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![
                    CertificateDer::from_pem_slice(include_bytes!(
                        "../runtime/testdata/tls/localhost.crt.pem"
                    ))
                    .unwrap(),
                ],
                PrivateKeyDer::from_pem_slice(include_bytes!(
                    "../runtime/testdata/tls/localhost.key.pem"
                ))
                .unwrap(),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { continue };
            let mut acceptor = rustls::server::Acceptor::default();
            let accepted = loop {
                if acceptor.read_tls(&mut tcp).unwrap_or(0) == 0 {
                    break None;
                }
                match acceptor.accept() {
                    Ok(Some(accepted)) => break Some(accepted),
                    Ok(None) => continue,
                    Err(_) => break None,
                }
            };
            let Some(accepted) = accepted else { continue };
            let sni = accepted.client_hello().server_name().map(str::to_owned);
            record.lock().unwrap().push(sni);
            if let Ok(mut connection) = accepted.into_connection(Arc::clone(&config)) {
                while connection.is_handshaking() && connection.complete_io(&mut tcp).is_ok() {}
            }
        }
    });
    (address, seen)
}

async fn probe(runtime: &Runtime, network: NetworkAccess, probe: serde_json::Value) -> String {
    let guest = load(runtime, test_artifacts::NET_PROBE).await;
    let invocation = Invocation::new(Payload::json(&probe).unwrap()).network(network);
    match runtime.invoke(&guest, invocation).await.unwrap().payload {
        Payload::Text(text) => text,
        other => panic!("net-probe returns text, got {other:?}"),
    }
}

/// The default policy, with the loopback ranges the test servers listen on
/// allowed by name, as an operator would allow a service on this host.
fn loopback_allowed() -> EgressPolicy {
    let mut policy = EgressPolicy::default();
    policy.allow("127.0.0.0/8".parse::<EgressRule>().unwrap());
    // Where `localhost` also resolves to `::1`, looking it up must pass.
    policy.allow("::1".parse::<EgressRule>().unwrap());
    policy
}

/// The default policy, with `localhost` allowed by its exact name, as an
/// operator would allow one service on this host.
fn localhost_allowed() -> EgressPolicy {
    let mut policy = EgressPolicy::default();
    policy.allow("localhost".parse::<EgressRule>().unwrap());
    policy
}

#[tokio::test]
async fn name_lookups_answer_only_what_the_policy_permits() {
    let resolve = |name: &str| json!({"resolve": name});
    let runtime = Runtime::builder()
        .limits(limits())
        .egress(localhost_allowed())
        .build()
        .unwrap();
    // The allowed name resolves, to this host's loopback addresses.
    let resolved = probe(&runtime, NetworkAccess::Full, resolve("localhost")).await;
    let addresses = resolved
        .strip_prefix("ok: ")
        .unwrap_or_else(|| panic!("{resolved}"));
    assert!(
        addresses.split(' ').any(|ip| ip == "127.0.0.1"),
        "{resolved}"
    );
    assert!(
        addresses
            .split(' ')
            .all(|ip| ip == "127.0.0.1" || ip == "::1"),
        "{resolved}"
    );
    // Another name for this host, which no entry allows, is refused: here
    // an address literal, which resolves without DNS.
    assert_eq!(
        probe(&runtime, NetworkAccess::Full, resolve("127.0.0.2")).await,
        "err: access-denied"
    );
    // So is the metadata service's address.
    assert_eq!(
        probe(&runtime, NetworkAccess::Full, resolve("169.254.169.254")).await,
        "err: access-denied"
    );
    // `isolated` looks nothing up.
    assert_eq!(
        probe(&runtime, NetworkAccess::Isolated, resolve("localhost")).await,
        "err: access-denied"
    );

    // Without an allow entry, `localhost` resolves to a denied address: the
    // lookup is refused, through WASI and through the standard library.
    let default = Runtime::builder().limits(limits()).build().unwrap();
    assert_eq!(
        probe(&default, NetworkAccess::Full, resolve("localhost")).await,
        "err: access-denied"
    );
    let std_lookup = probe(
        &default,
        NetworkAccess::Full,
        json!({"lookup": "localhost"}),
    )
    .await;
    assert!(std_lookup.starts_with("err: "), "{std_lookup}");
    // A name denied by name is refused even where its addresses are allowed.
    let mut policy = loopback_allowed();
    policy.deny("localhost".parse::<EgressRule>().unwrap());
    let by_name = Runtime::builder()
        .limits(limits())
        .egress(policy)
        .build()
        .unwrap();
    assert_eq!(
        probe(&by_name, NetworkAccess::Full, resolve("localhost")).await,
        "err: access-denied"
    );
    assert_eq!(
        probe(&by_name, NetworkAccess::Full, resolve("127.0.0.1")).await,
        "ok: 127.0.0.1"
    );
}

#[tokio::test]
async fn https_dials_the_checked_address_and_checks_the_certificate_for_the_name() {
    let (address, seen) = tls_server();
    let get = json!({"http": format!("https://localhost:{}/hello", address.port())});

    // Allowed: the connection goes to the address `localhost` was checked
    // at, and the handshake asks for `localhost`; the self-signed
    // certificate is not trusted, which the guest reads.
    let runtime = Runtime::builder()
        .limits(limits())
        .egress(localhost_allowed())
        .build()
        .unwrap();
    assert_eq!(
        probe(&runtime, NetworkAccess::Full, get.clone()).await,
        "err: NetworkError: the HTTP request failed: ErrorCode::TlsCertificateError"
    );
    assert_eq!(*seen.lock().unwrap(), [Some("localhost".to_owned())]);

    // Hostile: without an allow entry `localhost` resolves to a denied
    // address; nothing is dialed.
    let default = Runtime::builder().limits(limits()).build().unwrap();
    assert_eq!(
        probe(&default, NetworkAccess::Full, get.clone()).await,
        "err: PermissionDenied"
    );
    assert_eq!(
        probe(&runtime, NetworkAccess::Isolated, get).await,
        "err: PermissionDenied"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
pub(crate) async fn net_probe() {
    let (address, accepted) = pong();
    let runtime = Runtime::builder()
        .limits(limits())
        .egress(loopback_allowed())
        .build()
        .unwrap();
    let connect = json!({"connect": address.to_string()});
    let lookup = json!({"lookup": "localhost"});

    // Isolated: each attempt fails inside the guest, which goes on to
    // report it; nothing reaches the listener.
    let isolated = probe(&runtime, NetworkAccess::Isolated, connect.clone()).await;
    assert_eq!(isolated, "err: PermissionDenied");
    let isolated = probe(&runtime, NetworkAccess::Isolated, lookup.clone()).await;
    assert!(isolated.starts_with("err: "), "{isolated}");
    assert_eq!(accepted.load(Ordering::SeqCst), 0);

    // Full: the connection and the lookup work.
    assert_eq!(
        probe(&runtime, NetworkAccess::Full, connect.clone()).await,
        "ok: pong"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let resolved = probe(&runtime, NetworkAccess::Full, lookup).await;
    assert!(
        resolved == "ok: 127.0.0.1" || resolved == "ok: ::1",
        "{resolved}"
    );

    // Outbound HTTP follows the same rules.
    let (web, served) = http_pong();
    let get = json!({"http": format!("http://{web}/hello")});
    assert_eq!(
        probe(&runtime, NetworkAccess::Isolated, get.clone()).await,
        "err: PermissionDenied"
    );
    assert_eq!(served.load(Ordering::SeqCst), 0);
    assert_eq!(
        probe(&runtime, NetworkAccess::Full, get.clone()).await,
        "ok: 200 pong"
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);

    // By default this host is out of reach, even for `full`: a guest
    // cannot reach a database or an admin port on loopback.
    let default = Runtime::builder().limits(limits()).build().unwrap();
    let denied = probe(&default, NetworkAccess::Full, connect.clone()).await;
    assert_eq!(denied, "err: PermissionDenied");
    let denied = probe(&default, NetworkAccess::Full, get.clone()).await;
    assert_eq!(denied, "err: PermissionDenied");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    assert_eq!(served.load(Ordering::SeqCst), 1);

    // The egress deny list wins over `full` and over the allow list.
    let mut policy = loopback_allowed();
    policy.deny("127.0.0.0/8".parse::<EgressRule>().unwrap());
    let guarded = Runtime::builder()
        .limits(limits())
        .egress(policy)
        .build()
        .unwrap();
    let denied = probe(&guarded, NetworkAccess::Full, connect.clone()).await;
    assert_eq!(denied, "err: PermissionDenied");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let denied = probe(&guarded, NetworkAccess::Full, get.clone()).await;
    assert_eq!(denied, "err: PermissionDenied");
    assert_eq!(served.load(Ordering::SeqCst), 1);

    // A host name is denied by name for HTTP, and by its addresses for
    // sockets once resolved.
    let mut policy = loopback_allowed();
    policy.deny("localhost".parse::<EgressRule>().unwrap());
    let by_name = Runtime::builder()
        .limits(limits())
        .egress(policy.clone())
        .build()
        .unwrap();
    let named = json!({"http": format!("http://localhost:{}/hello", web.port())});
    let denied = probe(&by_name, NetworkAccess::Full, named).await;
    assert_eq!(denied, "err: PermissionDenied");
    assert_eq!(served.load(Ordering::SeqCst), 1);
    assert_eq!(
        probe(&by_name, NetworkAccess::Full, get).await,
        "ok: 200 pong"
    );
    assert_eq!(served.load(Ordering::SeqCst), 2);
    policy.resolve_hosts();
    let by_address = Runtime::builder()
        .limits(limits())
        .egress(policy)
        .build()
        .unwrap();
    let denied = probe(&by_address, NetworkAccess::Full, connect).await;
    assert_eq!(denied, "err: PermissionDenied");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_version_called_decides_network_access() {
    let (address, accepted) = pong();
    let server = TestServer::start_configured(tempfile::tempdir().unwrap(), |config| {
        config.egress = loopback_allowed();
    })
    .await;
    let module = std::fs::read(test_artifacts::NET_PROBE).unwrap();
    for (name, network) in [("isolated_probe", "isolated"), ("full_probe", "full")] {
        let create = json!({"name": name, "details": {"label": name}, "settings": crate::server::settings(json!({"network_access": network}))});
        assert_eq!(
            server
                .admin_json("POST", "/v1/algorithms/admin", create)
                .await
                .status,
            200
        );
        server
            .send(
                "PUT",
                &format!("/v1/algorithms/admin/{name}/source"),
                Some(crate::server::ADMIN_KEY),
                Some("application/wasm"),
                module.clone(),
            )
            .await;
        server
            .admin_json(
                "POST",
                &format!("/v1/algorithms/admin/{name}/compile"),
                json!({}),
            )
            .await;
        let published = server
            .admin_json(
                "POST",
                &format!("/v1/algorithms/admin/{name}/versions"),
                json!({"version_info": {"version_type": "minor"}}),
            )
            .await;
        assert_eq!(published.json()["settings"]["network_access"], network);
    }
    let call = |name: &'static str| {
        let body = json!({"connect": address.to_string()}).to_string();
        let server = &server;
        async move {
            let reply = server
                .send(
                    "POST",
                    &format!("/v1/algo/admin/{name}/0.1.0"),
                    Some(crate::server::ADMIN_KEY),
                    Some("application/json"),
                    body,
                )
                .await;
            reply.json()["result"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(call("isolated_probe").await, "err: PermissionDenied");
    assert_eq!(call("full_probe").await, "ok: pong");

    // Granting the network to the algorithm later does not change the
    // version already published: its settings were fixed then.
    let update = json!({"settings": {"network_access": "full"}});
    assert_eq!(
        server
            .admin_json("PUT", "/v1/algorithms/admin/isolated_probe", update)
            .await
            .status,
        200
    );
    assert_eq!(call("isolated_probe").await, "err: PermissionDenied");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}
