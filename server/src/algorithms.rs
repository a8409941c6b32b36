//! `/v1/algorithms/...`: managing algorithms, builds and versions.

use axum::body::Body;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::algorithmia::error::ApiError;
use crate::public_url::PublicUrl;
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
    base: &PublicUrl,
    headers: &HeaderMap,
    body: Body,
    owner: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let owner = &names::managed_owner(&caller, owner)?;
    let request: NewAlgorithm = body::json(headers, body).await?;
    let algorithm = platform.create_algorithm(&caller, owner, request).await?;
    Ok(ok(&objects::algorithm(base, &algorithm)))
}

/// `GET /v1/algorithms/:owner/:name`: the algorithm as it is now (current
/// details and settings), with the latest published `version_info` the
/// caller may see and, for its managers, the latest build and its
/// `compilation`.
pub(crate) async fn get(
    platform: &Platform,
    base: &PublicUrl,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let (algorithm, versions, manages) = platform.algorithm(&caller, owner, name).await?;
    let latest_version = versions.iter().max_by(|a, b| a.version.cmp(&b.version));
    let latest_build = if manages {
        let (_, page) = platform
            .builds(&caller, owner, name, PageRequest::first(1))
            .await?;
        page.items.into_iter().next()
    } else {
        None
    };
    let build_version = latest_build
        .as_ref()
        .and_then(|build| versions.iter().find(|version| version.build_id == build.id));
    Ok(ok(&objects::current(
        base,
        &algorithm,
        latest_version,
        latest_build.as_ref().map(|build| (build, build_version)),
    )))
}

/// `PUT /v1/algorithms/:owner/:name`
pub(crate) async fn update(
    platform: &Platform,
    base: &PublicUrl,
    headers: &HeaderMap,
    body: Body,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    // The Python client 2.0.5 sends its update as a form, which loses
    // every value: `body::json` refuses it, so the caller's `update()`
    // raises rather than believe it changed something.
    let update: AlgorithmUpdate = body::json(headers, body).await?;
    let algorithm = platform
        .update_algorithm(&caller, owner, name, update)
        .await?;
    Ok(ok(&objects::algorithm(base, &algorithm)))
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
    base: &PublicUrl,
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
    let mut object = objects::algorithm(base, &algorithm);
    object["source"]["module"] = json!({ "hash": hash.to_string(), "size": size });
    Ok(ok(&object))
}

/// `POST /v1/algorithms/:owner/:name/compile`: always 200; a module that
/// does not compile is a failed build, reported in `compilation`. The body
/// may name the module by `version_info.git_hash` (the `source.module.hash`
/// an upload answered); without it, the last upload is compiled.
pub(crate) async fn compile(
    platform: &Platform,
    base: &PublicUrl,
    headers: &HeaderMap,
    body: Body,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let body: Value = body::json(headers, body).await?;
    let module: Option<ContentHash> = match &body["version_info"]["git_hash"] {
        Value::Null => None,
        Value::String(text) => Some(text.parse().map_err(|_| {
            ApiError::BadRequest(format!(
                "version_info.git_hash `{text}` is not a module hash; pass the 64-hex-digit source.module.hash an upload answered"
            ))
        })?),
        other => {
            return Err(ApiError::BadRequest(format!(
                "version_info.git_hash is {other}, not a module hash; pass the source.module.hash an upload answered"
            )));
        }
    };
    let (algorithm, build) = platform
        .compile(&caller, owner, name, module.as_ref())
        .await?;
    Ok(ok(&objects::version(base, &algorithm, None, &build)))
}

/// `POST /v1/algorithms/:owner/:name/versions`: publishes the build named
/// by `version_info.build_id`, or the latest.
pub(crate) async fn publish(
    platform: &Platform,
    base: &PublicUrl,
    headers: &HeaderMap,
    body: Body,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let body: Value = body::json(headers, body).await?;
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
    // `version_info.build_id` names the build to publish; without it, the
    // latest.
    let build_id = match &info["build_id"] {
        Value::Null => None,
        Value::String(text) => Some(names::build(text)?),
        other => {
            return Err(ApiError::BadRequest(format!(
                "version_info.build_id is {other}, not a build id; pass the build_id a compile answered, or leave it out to publish the latest build"
            )));
        }
    };
    let (algorithm, version, build) = platform
        .publish(&caller, owner, name, build_id.as_ref(), move |build| {
            PublishRequest {
                build_id: build.id.clone(),
                bump,
                release_notes,
                sample_input,
                sample_output,
                callability,
            }
        })
        .await?;
    Ok(ok(&objects::version(
        base,
        &algorithm,
        Some(&version),
        &build,
    )))
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
    base: &PublicUrl,
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
    Ok(ok(&objects::page(
        page,
        &base.join(&path),
        limit,
        |version| objects::listed_version(base, &algorithm, version),
    )))
}

/// `GET /v1/algorithms/:owner/:name/versions/:hash`
pub(crate) async fn version(
    platform: &Platform,
    base: &PublicUrl,
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
    Ok(ok(&objects::version(
        base,
        &algorithm,
        version.as_ref(),
        &build,
    )))
}

/// `GET /v1/algorithms/:owner/:name/builds`
pub(crate) async fn builds(
    platform: &Platform,
    base: &PublicUrl,
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
    Ok(ok(&objects::page(
        page,
        &base.join(&path),
        limit,
        |build| objects::build(build, None),
    )))
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
    let (_, build, version) = platform.build(&caller, owner, name, build_id).await?;
    Ok(ok(&objects::build(&build, version.as_ref())))
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
    let (_, build, _) = platform.build(&caller, owner, name, build_id).await?;
    if build.finished_at.is_none() {
        return Err(ApiError::NotFound {
            code: 1000,
            message: "the build has not finished; its logs come when it does".to_owned(),
        });
    }
    Ok(ok(&json!({ "logs": build.logs })))
}

/// `GET /v1/algorithms/:owner/:name/scm/status`, for its managers only (on
/// Algorithmia it may carry the repository's webhook secret). The internal
/// SCM is always connected; the deploy key and webhook fields describe an
/// external repository host, which algobox does not use, so they are
/// absent.
pub(crate) async fn scm_status(
    platform: &Platform,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let (owner, name) = &names::algorithm(owner, name)?;
    let (_, _, manages) = platform.algorithm(&caller, owner, name).await?;
    if !manages {
        return Err(ApiError::Forbidden(format!(
            "only the owner of {owner}/{name} may see its source control status"
        )));
    }
    Ok(ok(&json!({ "scm_connection_status": "active" })))
}
