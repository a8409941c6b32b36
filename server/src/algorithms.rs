//! `/v1/algorithms/...`: managing algorithms, builds and versions.

use axum::body::Body;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::algorithmia::error::ApiError;
use crate::response::{self, Response};
use crate::{auth, body, names, objects};
use algobox_platform::Platform;
use algobox_platform::registry::algorithm::{AlgorithmUpdate, NewAlgorithm};
use algobox_platform::registry::page::PageRequest;
use algobox_platform::registry::version::{PublishRequest, VersionBump};
use algobox_runtime::content_hash::ContentHash;

/// The largest module an upload may carry.
const MODULE_LIMIT: usize = 256 << 20;

fn ok(value: &Value) -> Response {
    response::json(StatusCode::OK, value)
}

/// `POST /v1/algorithms/:owner`
pub(crate) async fn create(
    platform: &Platform,
    headers: &HeaderMap,
    body: Body,
    owner: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let owner = &names::managed_owner(&caller, owner)?;
    let request: NewAlgorithm = body::json(body).await?;
    let algorithm = platform.create_algorithm(&caller, owner, request).await?;
    Ok(ok(&objects::algorithm(&algorithm)))
}

/// `GET /v1/algorithms/:owner/:name`
pub(crate) async fn get(
    platform: &Platform,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let (algorithm, versions, _) = platform.algorithm(&caller, owner, name).await?;
    let latest = versions.iter().max_by(|a, b| a.version.cmp(&b.version));
    Ok(ok(&match latest {
        Some(version) => objects::listed_version(&algorithm, version),
        None => objects::algorithm(&algorithm),
    }))
}

/// `PUT /v1/algorithms/:owner/:name`
pub(crate) async fn update(
    platform: &Platform,
    headers: &HeaderMap,
    body: Body,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let form_encoded = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let update: AlgorithmUpdate = if form_encoded {
        // The Python client 2.0.5 passes its dict to `requests` as form
        // data, which keeps only the nested dicts' keys: the values never
        // leave the client. Answer as Algorithmia did (the algorithm, with
        // its id) and change nothing, rather than fail its callers.
        body::read(body, body::JSON_LIMIT).await?;
        tracing::warn!(
            "ignoring a form-encoded update of {owner}/{name}; send the update as JSON to change anything"
        );
        AlgorithmUpdate::default()
    } else {
        body::json(body).await?
    };
    let algorithm = platform
        .update_algorithm(&caller, owner, name, update)
        .await?;
    Ok(ok(&objects::algorithm(&algorithm)))
}

/// `DELETE /v1/algorithms/:owner/:name`
pub(crate) async fn delete(
    platform: &Platform,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    platform.delete_algorithm(&caller, owner, name).await?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}

/// `PUT /v1/algorithms/:owner/:name/source`: the `.wasm` as the body.
pub(crate) async fn upload(
    platform: &Platform,
    headers: &HeaderMap,
    body: Body,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    // Refuse before reading: another account's upload is not read into
    // memory only to be refused.
    let allowed = async {
        let caller = auth::caller(platform, headers).await?;
        let (owner, name) = names::algorithm(owner, name)?;
        platform.require_manager(&caller, &owner).await?;
        Ok::<_, ApiError>((caller, owner, name))
    };
    let (caller, owner, name) = match allowed.await {
        Ok(allowed) => allowed,
        Err(err) => return Ok(body::refuse_unread(body, err).await),
    };
    let (owner, name) = (&owner, &name);
    let wasm = body::read(body, MODULE_LIMIT).await?;
    let size = wasm.len();
    let (algorithm, hash) = platform.upload(&caller, owner, name, wasm).await?;
    let mut object = objects::algorithm(&algorithm);
    object["source"]["module"] = json!({ "hash": hash.to_string(), "size": size });
    Ok(ok(&object))
}

/// `POST /v1/algorithms/:owner/:name/compile`: always 200; a module that
/// does not compile is a failed build, reported in `compilation`.
pub(crate) async fn compile(
    platform: &Platform,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let (algorithm, build) = platform.compile(&caller, owner, name).await?;
    Ok(ok(&objects::version(&algorithm, None, &build)))
}

/// `POST /v1/algorithms/:owner/:name/versions`: publishes the latest build.
pub(crate) async fn publish(
    platform: &Platform,
    headers: &HeaderMap,
    body: Body,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let body: Value = body::json(body).await?;
    let info = &body["version_info"];
    let bump: VersionBump = info["version_type"]
        .as_str()
        .ok_or_else(|| {
            ApiError::BadRequest(
                "version_info.version_type is required: major, minor, revision or patch".to_owned(),
            )
        })?
        .parse()
        .map_err(|err: algobox_platform::registry::error::RegistryError| {
            ApiError::BadRequest(err.to_string())
        })?;
    let callability = match body["settings"]["algorithm_callability"].as_str() {
        Some(text) => Some(text.parse().map_err(
            |err: algobox_platform::registry::error::RegistryError| {
                ApiError::BadRequest(err.to_string())
            },
        )?),
        None => None,
    };
    let text = |value: &Value| match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let (release_notes, sample_input, sample_output) = (
        text(&info["release_notes"]),
        text(&info["sample_input"]),
        text(&info["sample_output"]),
    );
    let (algorithm, version, build) = platform
        .publish(&caller, owner, name, move |build| PublishRequest {
            build_id: build.id.clone(),
            bump,
            release_notes,
            sample_input,
            sample_output,
            callability,
        })
        .await?;
    Ok(ok(&objects::version(&algorithm, Some(&version), &build)))
}

/// `limit` and `marker` from the query string.
fn page_request(query: Option<&str>) -> Result<PageRequest, ApiError> {
    let mut page = PageRequest::default();
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match &*key {
            "limit" => {
                page.limit = value.parse().map_err(|_| {
                    ApiError::BadRequest(format!(
                        "limit={value} is not a number; pass 1 to {}",
                        PageRequest::MAX_LIMIT
                    ))
                })?;
            }
            "marker" if !value.is_empty() => page.marker = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok(page)
}

/// `GET /v1/algorithms/:owner/:name/versions`
pub(crate) async fn versions(
    platform: &Platform,
    headers: &HeaderMap,
    query: Option<&str>,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let request = page_request(query)?;
    let limit = request.limit;
    let (algorithm, page) = platform.versions(&caller, owner, name, request).await?;
    let path = format!("/v1/algorithms/{owner}/{name}/versions");
    Ok(ok(&objects::page(page, &path, limit, |version| {
        objects::listed_version(&algorithm, version)
    })))
}

/// `GET /v1/algorithms/:owner/:name/versions/:hash`
pub(crate) async fn version(
    platform: &Platform,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
    hash: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let hash: ContentHash = hash.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "{hash} is not a build hash; pass the 64-hex-digit git_hash of a version"
        ))
    })?;
    let (algorithm, version, build) = platform.version(&caller, owner, name, &hash).await?;
    Ok(ok(&objects::version(&algorithm, version.as_ref(), &build)))
}

/// `GET /v1/algorithms/:owner/:name/builds`
pub(crate) async fn builds(
    platform: &Platform,
    headers: &HeaderMap,
    query: Option<&str>,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let request = page_request(query)?;
    let limit = request.limit;
    let (_, page) = platform.builds(&caller, owner, name, request).await?;
    let path = format!("/v1/algorithms/{owner}/{name}/builds");
    Ok(ok(&objects::page(page, &path, limit, |build| {
        objects::build(build, None)
    })))
}

/// `GET /v1/algorithms/:owner/:name/builds/:id`
pub(crate) async fn build(
    platform: &Platform,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
    build_id: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let build_id = &names::build(build_id)?;
    let (_, build) = platform.build(&caller, owner, name, build_id).await?;
    Ok(ok(&objects::build(&build, None)))
}

/// `GET /v1/algorithms/:owner/:name/builds/:id/logs`: 404 until it finished.
pub(crate) async fn build_logs(
    platform: &Platform,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
    build_id: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let build_id = &names::build(build_id)?;
    let (_, build) = platform.build(&caller, owner, name, build_id).await?;
    if build.finished_at.is_none() {
        return Err(ApiError::NotFound {
            code: 1000,
            message: "the build has not finished; its logs come when it does".to_owned(),
        });
    }
    Ok(ok(&json!({ "logs": build.logs })))
}

/// `GET /v1/algorithms/:owner/:name/scm/status`: the internal SCM is
/// always connected.
pub(crate) async fn scm_status(
    platform: &Platform,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    platform.algorithm(&caller, owner, name).await?;
    Ok(ok(&json!({ "scm_connection_status": "active" })))
}
