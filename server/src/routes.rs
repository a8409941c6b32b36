//! The whole URL surface on one screen, as an axum [`Router`].

use algobox_platform::Platform;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::routing::{MethodRouter, any, get, post, put};
use http::{HeaderMap, Method, StatusCode, Uri};

use crate::algorithmia::error::ApiError;
use crate::api_state::ApiState;
use crate::public_url::PublicUrl;
use crate::request_id::RequestId;
use crate::response::{self, Response};
use crate::{algorithms, auth, data, invoke, requests};

type Outcome = Result<Response, ApiError>;

/// Every route of the API, over `platform`.
pub(crate) fn routes() -> Router<ApiState> {
    let mut router = Router::new();
    // A trailing slash is tolerated: clients write `demo/Hello/`.
    for (path, methods) in [
        ("/v1/algo/{owner}/{algo}", post(call_latest)),
        ("/v1/algo/{owner}/{algo}/{version}", post(call_version)),
        (
            "/v1/requests/{id}",
            get(request_status).delete(stop_request),
        ),
        ("/v1/algorithms/{owner}", post(create)),
        (
            "/v1/algorithms/{owner}/{algo}",
            get(get_algorithm).put(update).delete(delete),
        ),
        ("/v1/algorithms/{owner}/{algo}/source", put(upload)),
        ("/v1/algorithms/{owner}/{algo}/compile", post(compile)),
        (
            "/v1/algorithms/{owner}/{algo}/versions",
            get(versions).post(publish),
        ),
        (
            "/v1/algorithms/{owner}/{algo}/versions/{hash}",
            get(version),
        ),
        ("/v1/algorithms/{owner}/{algo}/builds", get(builds)),
        ("/v1/algorithms/{owner}/{algo}/builds/{build}", get(build)),
        (
            "/v1/algorithms/{owner}/{algo}/builds/{build}/logs",
            get(build_logs),
        ),
        ("/v1/algorithms/{owner}/{algo}/scm/status", get(scm_status)),
        ("/v1/capabilities", get(capabilities)),
        ("/healthz", any(healthz)),
        ("/readyz", any(readyz)),
    ] {
        router = with_trailing_slash(router, path, methods);
    }
    // Data paths are parsed by the Data API itself, from the raw path, so
    // that an encoded separator cannot pass for a real one.
    for prefix in ["/v1/data", "/v1/connector/data"] {
        router = with_trailing_slash(router, prefix, any(data_api));
        router = router.route(&format!("{prefix}/{{*path}}"), any(data_api));
    }
    router
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
}

fn with_trailing_slash(
    router: Router<ApiState>,
    path: &str,
    methods: MethodRouter<ApiState>,
) -> Router<ApiState> {
    router
        .route(path, methods.clone())
        .route(&format!("{path}/"), methods)
}

// The call routes take the whole request rather than `HeaderMap`, which
// would clone the headers of every call.
async fn call_latest(
    State(platform): State<Platform>,
    Path((owner, algo)): Path<(String, String)>,
    request: Request,
) -> Outcome {
    call(&platform, (&owner, &algo, None), request).await
}

async fn call_version(
    State(platform): State<Platform>,
    Path((owner, algo, version)): Path<(String, String, String)>,
    request: Request,
) -> Outcome {
    call(&platform, (&owner, &algo, Some(&version)), request).await
}

async fn call(platform: &Platform, path: (&str, &str, Option<&str>), request: Request) -> Outcome {
    let (parts, body) = request.into_parts();
    // `router` always mints one; a bare `routes()` would not.
    let minted;
    let id = match parts.extensions.get::<RequestId>() {
        Some(id) => id,
        None => {
            minted = RequestId::mint();
            &minted
        }
    };
    // Boxed here, once: a call's future is several KiB (every state of the
    // platform and the sandbox beneath it), and axum moves a handler's
    // future again as it wraps and boxes it; moving a pointer is cheaper.
    Box::pin(invoke::call(
        platform,
        &parts.headers,
        parts.uri.query(),
        body,
        path,
        id,
    ))
    .await
}

async fn request_status(
    State(platform): State<Platform>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Outcome {
    requests::status(&platform, &headers, &id).await
}

async fn stop_request(
    State(platform): State<Platform>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Outcome {
    requests::stop(&platform, &headers, &id).await
}

async fn create(
    State(platform): State<Platform>,
    State(base): State<PublicUrl>,
    Path(owner): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Outcome {
    algorithms::create(&platform, &base, &headers, body, &owner).await
}

async fn get_algorithm(
    State(platform): State<Platform>,
    State(base): State<PublicUrl>,
    Path((owner, algo)): Path<(String, String)>,
    headers: HeaderMap,
) -> Outcome {
    algorithms::get(&platform, &base, &headers, &owner, &algo).await
}

async fn update(
    State(platform): State<Platform>,
    State(base): State<PublicUrl>,
    Path((owner, algo)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Outcome {
    algorithms::update(&platform, &base, &headers, body, &owner, &algo).await
}

async fn delete(
    State(platform): State<Platform>,
    Path((owner, algo)): Path<(String, String)>,
    headers: HeaderMap,
) -> Outcome {
    algorithms::delete(&platform, &headers, &owner, &algo).await
}

async fn upload(
    State(platform): State<Platform>,
    State(base): State<PublicUrl>,
    Path((owner, algo)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Outcome {
    algorithms::upload(&platform, &base, &headers, body, &owner, &algo).await
}

async fn compile(
    State(platform): State<Platform>,
    State(base): State<PublicUrl>,
    Path((owner, algo)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Outcome {
    algorithms::compile(&platform, &base, &headers, body, &owner, &algo).await
}

async fn versions(
    State(platform): State<Platform>,
    State(base): State<PublicUrl>,
    Path((owner, algo)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Outcome {
    algorithms::versions(&platform, &base, &headers, query.as_deref(), &owner, &algo).await
}

async fn publish(
    State(platform): State<Platform>,
    State(base): State<PublicUrl>,
    Path((owner, algo)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Outcome {
    algorithms::publish(&platform, &base, &headers, body, &owner, &algo).await
}

async fn version(
    State(platform): State<Platform>,
    State(base): State<PublicUrl>,
    Path((owner, algo, hash)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Outcome {
    algorithms::version(&platform, &base, &headers, &owner, &algo, &hash).await
}

async fn builds(
    State(platform): State<Platform>,
    State(base): State<PublicUrl>,
    Path((owner, algo)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Outcome {
    algorithms::builds(&platform, &base, &headers, query.as_deref(), &owner, &algo).await
}

async fn build(
    State(platform): State<Platform>,
    Path((owner, algo, build)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Outcome {
    algorithms::build(&platform, &headers, &owner, &algo, &build).await
}

async fn build_logs(
    State(platform): State<Platform>,
    Path((owner, algo, build)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Outcome {
    algorithms::build_logs(&platform, &headers, &owner, &algo, &build).await
}

async fn scm_status(
    State(platform): State<Platform>,
    Path((owner, algo)): Path<(String, String)>,
    headers: HeaderMap,
) -> Outcome {
    algorithms::scm_status(&platform, &headers, &owner, &algo).await
}

async fn data_api(
    State(platform): State<Platform>,
    uri: Uri,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Outcome {
    let raw = data_path(uri.path()).unwrap_or_default();
    data::handle(&platform, &method, &headers, query.as_deref(), body, raw).await
}

async fn healthz() -> Response {
    response::json(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}

/// Ready to serve: the registry answers and, in a cluster, NATS is
/// connected (`/healthz` says only that the process is up).
async fn readyz(State(platform): State<Platform>) -> Response {
    match platform.readiness().await {
        Ok(()) => response::json(StatusCode::OK, &serde_json::json!({"status": "ready"})),
        Err(reason) => response::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({"status": "not ready", "reason": reason}),
        ),
    }
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NoRoute {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
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
async fn capabilities(State(platform): State<Platform>, headers: HeaderMap) -> Response {
    let gpu = match platform.runtime().gpu_adapter().await {
        Ok(adapter) => {
            let mut gpu = serde_json::json!({"available": true, "adapter": adapter});
            // What invocations in flight hold, for callers with a key:
            // activity is not for anonymous eyes.
            let known = auth::caller(&platform, &headers).await.is_ok();
            if known && let Ok(usage) = platform.runtime().gpu_usage().await {
                gpu["usage"] = serde_json::json!(usage);
            }
            gpu
        }
        Err(err) => serde_json::json!({"available": false, "reason": err.to_string()}),
    };
    response::json(StatusCode::OK, &serde_json::json!({"gpu": gpu}))
}
