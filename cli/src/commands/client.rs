//! A small client for the algobox HTTP API, for the commands that talk to a
//! server (`deploy`, `run OWNER/ALGO`).

use anyhow::{Context as _, bail};
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Where the server is and how to authenticate, from flags or environment.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ServerArgs {
    /// The server's address.
    #[arg(
        long = "api",
        env = "ALGOBOX_API",
        default_value = "http://127.0.0.1:8080"
    )]
    pub(crate) api: String,
    /// The API key (the server printed the admin's on its first start, and
    /// wrote it to `<data-dir>/admin.key`).
    #[arg(long = "key", env = "ALGOBOX_API_KEY", hide_env_values = true)]
    pub(crate) key: Option<String>,
}

/// A connection to one server.
pub(crate) struct ApiClient {
    base: String,
    key: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A response: status and body.
pub(crate) struct ApiResponse {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

impl ApiResponse {
    /// The body as JSON, or an error naming the status and body.
    pub(crate) fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "the server answered {} with a body that is not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The JSON body of a success, or the server's error message.
    pub(crate) fn success(self) -> anyhow::Result<serde_json::Value> {
        if self.status.is_success() {
            return self.json();
        }
        let message = self
            .json()
            .ok()
            .and_then(|value| value["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned());
        bail!("the server answered {}: {message}", self.status)
    }
}

impl ApiClient {
    pub(crate) fn new(args: &ServerArgs) -> Self {
        Self {
            base: args.api.trim_end_matches('/').to_owned(),
            key: args.key.clone(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Sends one request.
    pub(crate) async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> anyhow::Result<ApiResponse> {
        let uri = format!("{}{path_and_query}", self.base);
        let mut request = Request::builder().method(method).uri(&uri);
        if let Some(key) = &self.key {
            request = request.header(header::AUTHORIZATION, format!("Simple {key}"));
        }
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .with_context(|| format!("{uri} is not a valid URL; check --api"))?;
        let response = self.client.request(request).await.with_context(|| {
            format!("cannot reach the algobox server at {}; is `algobox serve` running there? (--api, ALGOBOX_API)", self.base)
        })?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .context("the server's response broke off")?
            .to_bytes();
        Ok(ApiResponse { status, body })
    }

    /// Sends JSON (or nothing) and returns the response.
    pub(crate) async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<ApiResponse> {
        let body = body
            .map(|value| value.to_string().into_bytes())
            .unwrap_or_default();
        self.send(method, path, Some("application/json"), body)
            .await
    }
}
