//! `/v1/data/...`: hosted files and collections, as the official clients
//! use them.
//!
//! The client's demands shape the answers: `HEAD` is 200 for files only,
//! creating a collection answers exactly 200, every `DELETE` answers JSON,
//! and listings page with an opaque `marker` that is absent on the last
//! page.

use axum::body::Body;
use bytes::Bytes;
use tokio::io::AsyncReadExt as _;

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body::Body as _;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};

use crate::algorithmia::error::ApiError;
use crate::file_body::FileBody;
use crate::response::{self, Response};
use crate::{auth, body};
use algobox_platform::Caller;
use algobox_platform::Platform;
use algobox_platform::data_store::acl::Acl;
use algobox_platform::data_store::error::DataError;
use algobox_platform::data_store::listing::MAX_PAGE;
use algobox_platform::data_store::path::{CollectionPath, DataPath, FilePath};
use algobox_platform::identity::AccountName;

/// What a request to `/v1/data/` asks, from its query.
#[derive(Default)]
struct Query {
    marker: Option<String>,
    limit: Option<usize>,
    acl: bool,
    force: bool,
}

impl Query {
    fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut parsed = Self::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let flag = || value.eq_ignore_ascii_case("true");
            match &*key {
                "marker" if !value.is_empty() => parsed.marker = Some(value.into_owned()),
                "limit" => {
                    parsed.limit = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|n| (1..=MAX_PAGE).contains(n))
                            .ok_or_else(|| {
                                ApiError::BadRequest(format!(
                                    "limit={value} is not a page size; use 1 to {MAX_PAGE}"
                                ))
                            })?,
                    );
                }
                "acl" => parsed.acl = flag(),
                "force" => parsed.force = flag(),
                _ => {}
            }
        }
        Ok(parsed)
    }
}

/// Serves one Data API request; `raw` is the path after `/v1/data/`,
/// still percent-encoded.
pub(crate) async fn handle(
    platform: &Platform,
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Body,
    raw: &str,
) -> Result<Response, ApiError> {
    let caller = auth::caller(platform, headers).await?;
    let path = DataPath::from_url_path(raw, caller.name.as_str()).map_err(DataError::from);
    if *method == Method::HEAD {
        return Ok(head(platform, &caller, path).await);
    }
    let path = path?;
    let query = Query::parse(query)?;
    match (method, path) {
        (&Method::GET, DataPath::Root) => Ok(directory(json!({
            "folders": [{"name": caller.name}],
            "files": [],
        }))),
        (&Method::GET, DataPath::Owner(owner)) => list_owner(platform, &caller, &owner).await,
        (&Method::GET, DataPath::Collection(collection)) => {
            list_collection(platform, &caller, &collection, query).await
        }
        (&Method::GET, DataPath::File(file)) => get_file(platform, &caller, &file).await,
        (&Method::PUT, DataPath::File(file)) => put_file(platform, &caller, &file, body).await,
        (&Method::POST, DataPath::Owner(owner)) => {
            create_collection(platform, &caller, owner, headers, body).await
        }
        (&Method::PATCH, DataPath::Collection(collection)) => {
            let request: AclRequest = body::json(headers, body).await?;
            let acl = request.acl.ok_or_else(|| {
                ApiError::BadRequest(
                    "the body needs `acl`, as {\"acl\": {\"read\": [\"user://*\"]}}".into(),
                )
            })?;
            platform
                .set_collection_acl(&caller, &collection, acl)
                .await?;
            Ok(response::json(StatusCode::OK, &json!({})))
        }
        (&Method::DELETE, DataPath::File(file)) => {
            if !platform.delete_file(&caller, &file).await? {
                return Err(DataError::NotFound(file.to_string()).into());
            }
            Ok(response::json(
                StatusCode::OK,
                &json!({"result": {"deleted": 1}}),
            ))
        }
        (&Method::DELETE, DataPath::Collection(collection)) => {
            let deleted = platform
                .delete_collection(&caller, &collection, query.force)
                .await?;
            Ok(response::json(
                StatusCode::OK,
                &json!({"result": {"deleted": deleted}}),
            ))
        }
        (method, path) => Err(ApiError::BadRequest(misdirected(method, &path))),
    }
}

/// What to do instead, for a method that does not apply to what the path
/// names.
fn misdirected(method: &Method, path: &DataPath) -> String {
    let what = match path {
        DataPath::Root => "the data root",
        DataPath::Owner(_) => "an owner's folder",
        DataPath::Collection(_) => "a collection",
        DataPath::File(_) => "a file",
    };
    format!(
        "{method} does not apply to {what}: GET reads a file or lists a folder, PUT writes a file, \
         POST {{\"name\": COLLECTION}} to data://OWNER creates a collection, PATCH {{\"acl\": ...}} \
         sets a collection's permissions, DELETE removes a file or collection"
    )
}

#[derive(serde::Deserialize)]
struct AclRequest {
    acl: Option<Acl>,
}

#[derive(serde::Deserialize)]
struct CreateRequest {
    name: String,
    acl: Option<Acl>,
}

/// A listing, with the header the docs give directories.
fn directory(body: Value) -> Response {
    let mut response = response::json(StatusCode::OK, &body);
    response
        .headers_mut()
        .insert("x-data-type", HeaderValue::from_static("directory"));
    response
}

/// `HEAD`: 200 for a file the caller can read, otherwise 404 with the
/// reason in `X-Error-Message` (the client reads it, as a HEAD has no
/// body).
async fn head(platform: &Platform, caller: &Caller, path: Result<DataPath, DataError>) -> Response {
    let found = async {
        match path? {
            DataPath::File(file) => match platform.file_info(caller, &file).await? {
                Some(info) => Ok(info),
                None => Err(DataError::NotFound(file.to_string()).into()),
            },
            _ => Err(ApiError::NotFound {
                code: 1000,
                message: "this path is a folder; HEAD answers for files, GET lists a folder".into(),
            }),
        }
    };
    match found.await {
        Ok(info) => {
            let mut response = response::empty(StatusCode::OK);
            let headers = response.headers_mut();
            headers.insert("x-data-type", HeaderValue::from_static("file"));
            headers.insert("x-data-size", HeaderValue::from(info.size));
            response
        }
        Err(error) => {
            let mut response = response::empty(error.status());
            // Header values are ASCII: escape the rest rather than lose it.
            let message: String = error
                .to_string()
                .chars()
                .filter(|c| !c.is_control())
                .map(|c| match c.is_ascii() {
                    true => c.to_string(),
                    false => c.escape_unicode().to_string(),
                })
                .collect();
            if let Ok(value) = HeaderValue::from_str(&message) {
                response.headers_mut().insert("x-error-message", value);
            }
            response
        }
    }
}

async fn list_owner(
    platform: &Platform,
    caller: &Caller,
    owner: &AccountName,
) -> Result<Response, ApiError> {
    let collections = platform.collections(caller, owner).await?;
    if collections.is_empty() && !platform.manages(caller, owner).await? {
        return Err(DataError::NotFound(format!("data://{owner}")).into());
    }
    let folders: Vec<Value> = collections
        .into_iter()
        .map(|(name, acl)| json!({"name": name, "acl": acl}))
        .collect();
    Ok(directory(json!({"folders": folders, "files": []})))
}

async fn list_collection(
    platform: &Platform,
    caller: &Caller,
    collection: &CollectionPath,
    query: Query,
) -> Result<Response, ApiError> {
    let (page, acl) = platform
        .list_collection(
            caller,
            collection,
            query.marker,
            query.limit.unwrap_or(MAX_PAGE),
        )
        .await?;
    if query.acl {
        return Ok(response::json(StatusCode::OK, &json!({"acl": acl})));
    }
    let mut body = json!({"folders": [], "files": page.files, "acl": acl});
    if let Some(marker) = page.marker {
        body["marker"] = Value::String(marker);
    }
    Ok(directory(body))
}

async fn get_file(
    platform: &Platform,
    caller: &Caller,
    file: &FilePath,
) -> Result<Response, ApiError> {
    let (mut opened, size) = platform.open_file(caller, file).await?;
    // The type is judged on the first piece (a whole small file): a
    // charset lets clients decode text as UTF-8 rather than guess.
    let mut first = Vec::new();
    (&mut opened)
        .take(SNIFF)
        .read_to_end(&mut first)
        .await
        .map_err(|err| ApiError::Internal(format!("cannot read {file}: {err}")))?;
    let text = match std::str::from_utf8(&first) {
        Ok(_) => true,
        // Cut inside a character at the end of the piece: still text.
        Err(err) => err.error_len().is_none() && (first.len() as u64) < size,
    };
    let content_type = if text {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let mut response = if first.len() as u64 >= size {
        response::with_type(StatusCode::OK, first, content_type)
    } else {
        let body = Body::new(FileBody::new(Bytes::from(first), opened));
        let mut response = http::Response::new(body);
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        response
    };
    response
        .headers_mut()
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(size));
    response
        .headers_mut()
        .insert("x-data-type", HeaderValue::from_static("file"));
    Ok(response)
}

/// How much of a file decides whether it is served as text; files this
/// small are read whole, larger ones streamed.
const SNIFF: u64 = 1 << 20;

/// `PUT`: streams the body to the store, which makes the file visible
/// only once the whole body arrived, so a broken upload changes nothing.
async fn put_file(
    platform: &Platform,
    caller: &Caller,
    file: &FilePath,
    mut body: Body,
) -> Result<Response, ApiError> {
    let limit = platform.data().max_file_bytes();
    if body.size_hint().lower() > limit {
        return Err(DataError::TooLarge { limit }.into());
    }
    let mut writer = platform.file_writer(caller, file).await?;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| {
            // Dropping the writer abandons the file.
            ApiError::BadRequest(format!(
                "the upload broke off ({err}); nothing was stored, send the file again"
            ))
        })?;
        if let Ok(bytes) = frame.into_data() {
            writer.write(bytes).await?;
        }
    }
    writer.commit().await?;
    Ok(response::json(
        StatusCode::OK,
        &json!({"result": file.to_string()}),
    ))
}

/// `POST data://OWNER` with `{"name", "acl"?}`: answers exactly 200, as
/// the client insists.
async fn create_collection(
    platform: &Platform,
    caller: &Caller,
    owner: AccountName,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let request: CreateRequest = body::json(headers, body).await?;
    // The name is taken literally, as an algorithm's URI would be.
    let path = DataPath::from_uri(
        &format!("data://{owner}/{}", request.name),
        caller.name.as_str(),
    )
    .and_then(|path| path.into_collection(&request.name))
    .map_err(DataError::from)?;
    let acl = request.acl.unwrap_or_default();
    platform.create_collection(caller, &path, acl).await?;
    Ok(response::json(
        StatusCode::OK,
        &json!({"result": path.to_string()}),
    ))
}
