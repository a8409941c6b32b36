//! The whole URL surface on one screen.

use std::convert::Infallible;

use http::{HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;

use super::error::ApiError;
use super::response::{self, Response};
use super::{algorithms, data, invoke, requests};
use crate::Platform;

/// Routes one request and turns any error into its response.
pub(crate) async fn handle(
    platform: Platform,
    request: Request<Incoming>,
    id: u64,
) -> Result<Response, Infallible> {
    let mut response = match route(&platform, request, id).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&format!("{id:x}")) {
        response.headers_mut().insert("x-request-id", value);
    }
    Ok(response)
}

async fn route(
    platform: &Platform,
    request: Request<Incoming>,
    id: u64,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query();
    // A trailing slash is tolerated: clients write `demo/Hello/`.
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = &parts.method;
    let headers = &parts.headers;
    // Data paths are parsed by the Data API itself, from the raw path, so
    // that an encoded separator cannot pass for a real one.
    if let Some(raw) = data_path(&path) {
        return data::handle(platform, method, headers, query, body, raw).await;
    }
    let not_allowed = || ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: path.clone(),
    };
    match segments.as_slice() {
        ["v1", "algo", owner, name] | ["v1", "algo", owner, name, ""] => match *method {
            Method::POST => {
                invoke::call(platform, headers, query, body, (owner, name, None), id).await
            }
            _ => Err(not_allowed()),
        },
        ["v1", "algo", owner, name, version] => match *method {
            Method::POST => {
                invoke::call(
                    platform,
                    headers,
                    query,
                    body,
                    (owner, name, Some(version)),
                    id,
                )
                .await
            }
            _ => Err(not_allowed()),
        },
        ["v1", "requests", request_id] => match *method {
            Method::GET => requests::status(platform, headers, request_id).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner] => match *method {
            Method::POST => algorithms::create(platform, headers, body, owner).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner, name] => match *method {
            Method::GET => algorithms::get(platform, headers, owner, name).await,
            Method::PUT => algorithms::update(platform, headers, body, owner, name).await,
            Method::DELETE => algorithms::delete(platform, headers, owner, name).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner, name, "source"] => match *method {
            Method::PUT => algorithms::upload(platform, headers, body, owner, name).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner, name, "compile"] => match *method {
            Method::POST => algorithms::compile(platform, headers, owner, name).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner, name, "versions"] => match *method {
            Method::GET => algorithms::versions(platform, headers, query, owner, name).await,
            Method::POST => algorithms::publish(platform, headers, body, owner, name).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner, name, "versions", hash] => match *method {
            Method::GET => algorithms::version(platform, headers, owner, name, hash).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner, name, "builds"] => match *method {
            Method::GET => algorithms::builds(platform, headers, query, owner, name).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner, name, "builds", build] => match *method {
            Method::GET => algorithms::build(platform, headers, owner, name, build).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner, name, "builds", build, "logs"] => match *method {
            Method::GET => algorithms::build_logs(platform, headers, owner, name, build).await,
            _ => Err(not_allowed()),
        },
        ["v1", "algorithms", owner, name, "scm", "status"] => match *method {
            Method::GET => algorithms::scm_status(platform, headers, owner, name).await,
            _ => Err(not_allowed()),
        },
        ["v1", "capabilities"] => match *method {
            Method::GET => Ok(capabilities(platform, headers).await),
            _ => Err(not_allowed()),
        },
        ["healthz"] => Ok(response::json(
            StatusCode::OK,
            &serde_json::json!({"status": "ok"}),
        )),
        _ => Err(ApiError::NoRoute {
            method: method.to_string(),
            path: path.clone(),
        }),
    }
}

/// The part of a Data API path after `/v1/data/` (or its long form,
/// `/v1/connector/data/`), still percent-encoded.
fn data_path(path: &str) -> Option<&str> {
    ["/v1/data", "/v1/connector/data"]
        .iter()
        .find_map(|prefix| {
            let rest = path.strip_prefix(prefix)?;
            match rest {
                "" => Some(""),
                _ => rest.strip_prefix('/'),
            }
        })
}

/// `GET /v1/capabilities`: what this runtime offers algorithms beyond the
/// CPU. Needs no key: it says nothing about anyone's algorithms; with
/// one, it adds what the GPU worker holds for invocations in flight.
async fn capabilities(platform: &Platform, headers: &http::HeaderMap) -> Response {
    let gpu = match platform.runtime().gpu_adapter().await {
        Ok(adapter) => {
            let mut gpu = serde_json::json!({"available": true, "adapter": adapter});
            // What invocations in flight hold, for callers with a key:
            // activity is not for anonymous eyes.
            let known = super::auth::caller(platform, headers).await.is_ok();
            if known && let Ok(usage) = platform.runtime().gpu_usage().await {
                gpu["usage"] = serde_json::json!(usage);
            }
            gpu
        }
        Err(err) => serde_json::json!({"available": false, "reason": err.to_string()}),
    };
    response::json(StatusCode::OK, &serde_json::json!({"gpu": gpu}))
}
