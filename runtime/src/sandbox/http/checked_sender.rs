//! The sender of outbound HTTP: it dials exactly the address the egress
//! policy checked, never a second lookup of the name, which a rebinding
//! name could answer with a denied address.
//!
//! It mirrors `wasmtime_wasi_http::default_send_request` (the same hyper
//! HTTP/1 client, the same rustls with the webpki roots, the same timeouts
//! and errors), which cannot be told where to connect: it resolves the name
//! itself.

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// How long each phase may take when the guest sets no timeout:
/// wasmtime-wasi-http's default. The invocation's deadline bounds it anyway.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// What the guest gets once the response head has arrived: the response,
/// and the connection's remaining work, whose failure reaches the guest.
pub(crate) type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), Error>> + Send>,
);

/// The TLS client every https request uses: the webpki roots, as
/// wasmtime-wasi-http's default sender trusts. Built once: it holds no
/// per-connection state.
static TLS: LazyLock<Arc<rustls::ClientConfig>> = LazyLock::new(|| {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
});

/// Sends `request` over a connection to `address`, the address its host
/// name was checked at. For https, the TLS handshake names the host the
/// request was written with (SNI) and the certificate must be valid for
/// it, so a rebound name cannot pass off another server as the named one.
/// `Host` keeps the name, which is what the server reads.
pub(crate) async fn send(
    request: http::Request<WasiBody>,
    address: SocketAddr,
    options: Option<RequestOptions>,
) -> Result<Sent, Error> {
    send_with(request, address, options, &TLS).await
}

/// [`send`], trusting the roots of `tls` (tests trust their own).
async fn send_with(
    mut request: http::Request<WasiBody>,
    address: SocketAddr,
    options: Option<RequestOptions>,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Sent, Error> {
    let uri = request.uri();
    let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let host = uri
        .host()
        .ok_or(Error::HttpRequestUriInvalid)?
        .trim_matches(['[', ']'])
        .to_owned();
    keep_host_header(&mut request)?;
    let limit = |pick: fn(&RequestOptions) -> Option<Duration>| {
        options.as_ref().and_then(pick).unwrap_or(DEFAULT_TIMEOUT)
    };
    let connect_timeout = limit(|options| options.connect_timeout);
    let first_byte_timeout = limit(|options| options.first_byte_timeout);
    // Tokio panics on an interval of zero; a nanosecond is as good.
    let between_bytes_timeout =
        limit(|options| options.between_bytes_timeout).max(Duration::from_nanos(1));

    let tcp = tokio::time::timeout(connect_timeout, TcpStream::connect(address))
        .await
        .map_err(|_| Error::ConnectionTimeout)?
        .map_err(Error::Connect)?;
    let stream: Box<dyn Stream> = if https {
        let name = server_name(&host)?;
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(tls));
        let tls = tokio::time::timeout(connect_timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| Error::ConnectionTimeout)?
            .map_err(tls_error)?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let (mut sender, connection) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;

    // A request carries the scheme and authority only to a proxy; to the
    // server itself, just the path (hyper does not strip them).
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(
            request
                .uri()
                .path_and_query()
                .map_or("/", http::uri::PathAndQuery::as_str),
        )
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;

    let response = async move {
        let response = tokio::time::timeout(first_byte_timeout, sender.send_request(request))
            .await
            .map_err(|_| Error::ConnectionReadTimeout)??;
        let mut between_bytes = tokio::time::interval(between_bytes_timeout);
        between_bytes.reset();
        Ok::<_, Error>(response.map(|incoming| {
            TimedBody {
                incoming,
                between_bytes,
            }
            .boxed_unsync()
        }))
    };
    // The connection must be driven while the response head is awaited.
    let mut response = pin!(response);
    let mut connection = Some(connection);
    let response = poll_fn(|cx| match response.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(result),
        Poll::Pending => {
            let Some(driving) = connection.as_mut() else {
                return Poll::Pending;
            };
            let ended = ready!(Pin::new(driving).poll(cx));
            connection = None;
            match ended {
                Ok(()) => response.as_mut().poll(cx),
                Err(err) => Poll::Ready(Err(Error::from(err))),
            }
        }
    })
    .await?;
    let rest = async move {
        match connection {
            None => Ok(()),
            Some(connection) => connection.await.map_err(|err| match err.is_timeout() {
                true => Error::HttpResponseTimeout,
                false => Error::from(err),
            }),
        }
    };
    Ok((response, Box::new(rest)))
}

/// A connection hyper can drive, plain or TLS.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// Puts the name the request was written with in `Host` when the guest's
/// request has none: the URI's authority is dropped before sending.
fn keep_host_header(request: &mut http::Request<WasiBody>) -> Result<(), Error> {
    if request.headers().contains_key(http::header::HOST) {
        return Ok(());
    }
    let authority = request
        .uri()
        .authority()
        .ok_or(Error::HttpRequestUriInvalid)?;
    let value = http::HeaderValue::from_str(authority.as_str())
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    request.headers_mut().insert(http::header::HOST, value);
    Ok(())
}

/// The name the certificate must be valid for: the host as written, an
/// address for an address literal.
fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(ServerName::from(ip)),
        Err(_) => Ok(ServerName::try_from(host)?.to_owned()),
    }
}

/// A failed handshake as the guest reads it: a certificate that is not
/// valid for the name is `TLS-certificate-error` and an alert from the
/// server `TLS-alert-received` (more telling than the default sender's
/// catch-all), anything else `TLS-protocol-error`.
fn tls_error(err: std::io::Error) -> Error {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(_)) => Error::TlsCertificateError,
        Some(rustls::Error::AlertReceived(alert)) => Error::TlsAlertReceived {
            alert_id: Some(u8::from(*alert)),
            alert_message: Some(format!("{alert:?}")),
        },
        _ => Error::Tls(err),
    }
}

pin_project_lite::pin_project! {
    /// A response body that fails when the server goes quiet for longer
    /// than the guest's between-bytes timeout.
    struct TimedBody {
        #[pin]
        incoming: hyper::body::Incoming,
        between_bytes: tokio::time::Interval,
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.project();
        match this.incoming.poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(err))) if err.is_timeout() => {
                Poll::Ready(Some(Err(Error::HttpResponseTimeout)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(Error::from(err)))),
            Poll::Ready(Some(Ok(frame))) => {
                this.between_bytes.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(this.between_bytes.poll_tick(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    const CERTIFICATE: &[u8] = include_bytes!("../../../testdata/tls/localhost.crt.pem");
    const KEY: &[u8] = include_bytes!("../../../testdata/tls/localhost.key.pem");

    /// What a test server saw of one connection: the name the client asked
    /// for in its ClientHello (SNI) and the request head, if the handshake
    /// got that far.
    struct Seen {
        sni: Option<String>,
        head: Option<String>,
    }

    /// A server on 127.0.0.1 presenting the test certificate (for
    /// `localhost` and `rebinds.example`) to one connection, answering
    /// `200 pong`.
    async fn tls_server() -> (SocketAddr, tokio::task::JoinHandle<Seen>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from_pem_slice(CERTIFICATE).unwrap()],
                    PrivateKeyDer::from_pem_slice(KEY).unwrap(),
                )
                .unwrap(),
        );
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = rustls::server::Acceptor::default();
            let start = tokio_rustls::LazyConfigAcceptor::new(acceptor, tcp)
                .await
                .unwrap();
            let sni = start.client_hello().server_name().map(str::to_owned);
            let Ok(mut tls) = start.into_stream(config).await else {
                return Seen { sni, head: None };
            };
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0];
                if tls.read(&mut byte).await.unwrap_or(0) == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong")
                .await
                .unwrap();
            tls.shutdown().await.unwrap();
            Seen {
                sni,
                head: Some(String::from_utf8(head).unwrap()),
            }
        });
        (address, server)
    }

    /// A client that trusts the test certificate, as the webpki roots
    /// trust a public server's.
    fn trusting_the_test_certificate() -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(CERTIFICATE).unwrap())
            .unwrap();
        Arc::new(
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }

    fn get(uri: &str) -> http::Request<WasiBody> {
        let body = http_body_util::Empty::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        http::Request::builder().uri(uri).body(body).unwrap()
    }

    async fn body(response: http::Response<WasiBody>) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn https_goes_to_the_checked_address_under_the_written_name() {
        let (address, server) = tls_server().await;
        // `rebinds.example` resolves nowhere: only the address it was
        // checked at is dialed, and the certificate is checked for the name.
        let uri = format!("https://rebinds.example:{}/latest?x=1", address.port());
        let (response, connection) =
            send_with(get(&uri), address, None, &trusting_the_test_certificate())
                .await
                .unwrap();
        tokio::spawn(Box::into_pin(connection));
        assert_eq!(response.status(), 200);
        assert_eq!(body(response).await, "pong");
        let seen = server.await.unwrap();
        assert_eq!(seen.sni.as_deref(), Some("rebinds.example"));
        let head = seen.head.unwrap().to_ascii_lowercase();
        assert!(head.starts_with("get /latest?x=1 http/1.1\r\n"), "{head}");
        assert!(
            head.contains(&format!("\r\nhost: rebinds.example:{}\r\n", address.port())),
            "{head}"
        );
    }

    #[tokio::test]
    async fn a_certificate_not_valid_for_the_name_is_a_certificate_error() {
        // A server that is not the named one, at the checked address: its
        // certificate does not name `elsewhere.example`.
        let (address, server) = tls_server().await;
        let uri = format!("https://elsewhere.example:{}/", address.port());
        let refused = send_with(get(&uri), address, None, &trusting_the_test_certificate()).await;
        assert!(
            matches!(refused, Err(Error::TlsCertificateError)),
            "{:?}",
            refused.err()
        );
        let seen = server.await.unwrap();
        assert_eq!(seen.sni.as_deref(), Some("elsewhere.example"));
        assert!(seen.head.is_none(), "no request was sent");

        // And the webpki roots do not trust a self-signed certificate.
        let (address, server) = tls_server().await;
        let uri = format!("https://localhost:{}/", address.port());
        let refused = send(get(&uri), address, None).await;
        assert!(
            matches!(refused, Err(Error::TlsCertificateError)),
            "{:?}",
            refused.err()
        );
        assert_eq!(server.await.unwrap().sni.as_deref(), Some("localhost"));
    }

    #[tokio::test]
    async fn plain_http_goes_to_the_checked_address_under_its_own_name() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0];
                if tcp.read(&mut byte).await.unwrap() == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong")
                .await
                .unwrap();
            String::from_utf8(head).unwrap().to_ascii_lowercase()
        });
        let uri = format!("http://rebinds.example:{}/latest?x=1", address.port());
        let (response, connection) = send(get(&uri), address, None).await.unwrap();
        tokio::spawn(Box::into_pin(connection));
        assert_eq!(body(response).await, "pong");
        let head = server.await.unwrap();
        assert!(head.starts_with("get /latest?x=1 http/1.1\r\n"), "{head}");
        assert!(
            head.contains(&format!("\r\nhost: rebinds.example:{}\r\n", address.port())),
            "{head}"
        );
    }
}
