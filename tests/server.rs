//! A real server on `127.0.0.1:0` over a temporary data folder, and a small
//! HTTP client for it.

use std::net::SocketAddr;
use std::sync::Arc;

use algobox_platform::registry::Registry;
use algobox_platform::shared_parts::SharedParts;
use algobox_platform::{Platform, PlatformConfig};
use algobox_runtime::compiler::CompilerConfig;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::support::limits;

/// The admin's key in every test server.
pub(crate) const ADMIN_KEY: &str = "admin-test-key";

/// A running server; stops when dropped.
pub(crate) struct TestServer {
    pub(crate) address: SocketAddr,
    pub(crate) platform: Platform,
    pub(crate) data: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A response: status, content type and body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!("not JSON ({err}): {}", String::from_utf8_lossy(&self.body))
        })
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl TestServer {
    /// Starts a server over a new data folder.
    pub(crate) async fn start() -> Self {
        Self::start_in(tempfile::tempdir().unwrap()).await
    }

    /// Starts a server over `data`, which may hold an earlier server's state.
    pub(crate) async fn start_in(data: tempfile::TempDir) -> Self {
        Self::start_configured(data, |_| ()).await
    }

    /// Starts a server over `data` with the test configuration as
    /// `configure` changes it.
    pub(crate) async fn start_configured(
        data: tempfile::TempDir,
        configure: impl FnOnce(&mut PlatformConfig),
    ) -> Self {
        let mut config = Self::config(data.path());
        configure(&mut config);
        let platform = Platform::open(config).await.unwrap();
        Self::serve(platform, data).await
    }

    /// The test configuration over `data`: tight limits, the GPU and
    /// compile workers.
    pub(crate) fn config(data: &std::path::Path) -> PlatformConfig {
        PlatformConfig {
            limits: limits(),
            gpu: Some(crate::gpu::worker()),
            compiler: CompilerConfig {
                worker: Some(crate::compiles::worker()),
                // The worker is a debug build: on a loaded 2-core machine
                // one Python component's compile took past the default 120 s
                // cap, failing tests that are not about the cap.
                timeout: std::time::Duration::from_secs(600),
                ..CompilerConfig::default()
            },
            ..PlatformConfig::new(data)
        }
    }

    /// Starts a server over `data` with the test configuration and
    /// `registry` as its registry (PostgreSQL, say).
    pub(crate) async fn start_with_registry(
        data: tempfile::TempDir,
        registry: Arc<dyn Registry>,
    ) -> Self {
        let shared = SharedParts {
            registry: Some(registry),
            ..SharedParts::default()
        };
        let platform = Platform::open_with(Self::config(data.path()), shared)
            .await
            .unwrap();
        Self::serve(platform, data).await
    }

    /// Serves `platform`, whose data folder is `data` (or a folder it
    /// shares with another server's), with the admin's key installed.
    pub(crate) async fn serve(platform: Platform, data: tempfile::TempDir) -> Self {
        platform.bootstrap_admin(Some(ADMIN_KEY)).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(algobox_server::serve(listener, platform.clone(), async {
            let _ = stopped.await;
        }));
        let task = tokio::spawn(async move {
            task.await.unwrap().unwrap();
        });
        Self {
            address,
            platform,
            data,
            stop: Some(stop),
            task: Some(task),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Stops the server gracefully and returns its data folder.
    pub(crate) async fn stop(mut self) -> tempfile::TempDir {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap();
        let data = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.data, data)
    }

    /// Sends a request with `key` as a bare `Authorization` (as the Python
    /// client does), or none.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> Reply {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.address));
        if let Some(key) = key {
            request = request.header("authorization", key);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = self
            .client
            .request(request.body(Full::new(body.into())).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            content_type,
            headers,
            body,
        }
    }

    /// Creates the user `name` and returns a key of it.
    pub(crate) async fn user(&self, name: &str) -> String {
        let registry = self.platform.registry();
        let name: algobox_platform::identity::AccountName = name.parse().unwrap();
        registry
            .create_account(
                &name,
                algobox_platform::registry::account::AccountKind::User,
            )
            .await
            .unwrap();
        registry.create_key(&name, "test").await.unwrap().1
    }

    /// Calls an algorithm at `path` with a JSON body as `key`; the
    /// envelope, which must come with 200.
    pub(crate) async fn call_json(&self, key: &str, path: &str, body: Value) -> Value {
        let reply = self
            .send(
                "POST",
                path,
                Some(key),
                Some("application/json"),
                body.to_string(),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }

    /// Sends JSON as the admin.
    pub(crate) async fn admin_json(&self, method: &str, path: &str, body: Value) -> Reply {
        self.send(
            method,
            path,
            Some(ADMIN_KEY),
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    /// Creates `admin/<name>`, uploads `wasm`, compiles and publishes it
    /// with `callability`; returns the publish response.
    pub(crate) async fn deploy(&self, name: &str, wasm: &str, callability: &str) -> Value {
        let created = self
            .admin_json(
                "POST",
                "/v1/algorithms/admin",
                serde_json::json!({"name": name, "details": {"label": name}, "settings": settings(Value::Null)}),
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.text());
        let module = std::fs::read(wasm).unwrap();
        let uploaded = self
            .send(
                "PUT",
                &format!("/v1/algorithms/admin/{name}/source"),
                Some(ADMIN_KEY),
                Some("application/wasm"),
                module,
            )
            .await;
        assert_eq!(uploaded.status, 200, "{}", uploaded.text());
        let compiled = self
            .admin_json(
                "POST",
                &format!("/v1/algorithms/admin/{name}/compile"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(
            compiled.json()["compilation"]["successful"],
            true,
            "{}",
            compiled.text()
        );
        let published = self
            .admin_json(
                "POST",
                &format!("/v1/algorithms/admin/{name}/versions"),
                serde_json::json!({
                    "version_info": {"version_type": "minor"},
                    "settings": {"algorithm_callability": callability},
                }),
            )
            .await;
        assert_eq!(published.status, 200, "{}", published.text());
        published.json()
    }
}

/// The settings Algorithmia requires at create (private, closed, isolated,
/// no pipelines, Rust on CPU), with the fields of `overrides` (an object,
/// or null for none) in their place.
pub(crate) fn settings(overrides: Value) -> Value {
    let mut settings = serde_json::json!({
        "language": "rust",
        "environment": "cpu",
        "license": "apl",
        "source_visibility": "closed",
        "network_access": "isolated",
        "pipeline_enabled": false,
    });
    if let Value::Object(overrides) = overrides {
        for (field, value) in overrides {
            settings[field] = value;
        }
    }
    settings
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
