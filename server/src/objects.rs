//! The JSON objects of the management API, shaped as Algorithmia's clients
//! expect them (see shared/research/algorithmia-api.md, section 3.1: the
//! api-client validates `source.scm.{id,name,provider}`, a 36-character
//! `id`, `version_info.insights_enabled` and ISO-8601 build times).

use serde_json::{Value, json};

use algobox_platform::registry::algorithm::AlgorithmRecord;

use algobox_platform::registry::build::{Build, BuildStatus};

use algobox_platform::registry::page::Page;

use algobox_platform::registry::version::Version;

use crate::public_url::PublicUrl;

/// The internal SCM: the uploaded module is the source.
fn scm() -> Value {
    json!({"id": "internal", "name": "internal", "provider": "internal", "default": true, "enabled": true})
}

fn link(base: &PublicUrl, algorithm: &AlgorithmRecord) -> String {
    base.join(&format!(
        "/v1/algorithms/{}/{}",
        algorithm.owner, algorithm.name
    ))
}

/// An algorithm object.
pub(crate) fn algorithm(base: &PublicUrl, algorithm: &AlgorithmRecord) -> Value {
    json!({
        "id": algorithm.id,
        "name": algorithm.name,
        "details": algorithm.details,
        "settings": algorithm.settings,
        "source": { "scm": scm() },
        "resource_type": "algorithm",
        "self_link": link(base, algorithm),
    })
}

/// The `version_info` of a version, or of an unpublished build.
fn version_info(version: Option<&Version>, build_hash: String) -> Value {
    let mut info = json!({ "git_hash": build_hash, "insights_enabled": false });
    if let Some(version) = version {
        info["semantic_version"] = json!(version.version.to_string());
        info["version_uuid"] = json!(version.version_uuid);
        info["release_notes"] = json!(version.release_notes);
        info["sample_input"] = json!(version.sample_input);
        info["sample_output"] = json!(version.sample_output);
    }
    info
}

/// An algorithm object for a version (or an unpublished build): with the
/// version's own settings, its build and the compilation result.
pub(crate) fn version(
    base: &PublicUrl,
    algorithm: &AlgorithmRecord,
    version: Option<&Version>,
    build: &Build,
) -> Value {
    let mut object = self::algorithm(base, algorithm);
    if let Some(version) = version {
        object["settings"] = json!(version.settings);
    }
    object["version_info"] = version_info(version, build.commit_sha.to_string());
    object["build"] = self::build(build, version);
    object["compilation"] = compilation(build);
    object["self_link"] = json!(format!(
        "{}/versions/{}",
        link(base, algorithm),
        build.commit_sha
    ));
    object
}

/// An algorithm as it is now: its current details and settings, with the
/// latest published version's `version_info` and the latest build (with
/// its `compilation`) where given.
pub(crate) fn current(
    base: &PublicUrl,
    algorithm: &AlgorithmRecord,
    latest_version: Option<&Version>,
    latest_build: Option<(&Build, Option<&Version>)>,
) -> Value {
    let mut object = self::algorithm(base, algorithm);
    if let Some(version) = latest_version {
        object["version_info"] = version_info(Some(version), version.commit_sha.to_string());
    }
    if let Some((build, published_as)) = latest_build {
        object["build"] = self::build(build, published_as);
        object["compilation"] = compilation(build);
    }
    object
}

fn compilation(build: &Build) -> Value {
    json!({
        "successful": build.status == BuildStatus::Succeeded,
        "output": build.logs,
    })
}

/// A version in a listing, where its build is not loaded.
pub(crate) fn listed_version(
    base: &PublicUrl,
    algorithm: &AlgorithmRecord,
    version: &Version,
) -> Value {
    let mut object = self::algorithm(base, algorithm);
    object["settings"] = json!(version.settings);
    object["version_info"] = version_info(Some(version), version.commit_sha.to_string());
    object["self_link"] = json!(format!(
        "{}/versions/{}",
        link(base, algorithm),
        version.commit_sha
    ));
    object
}

/// A build object.
pub(crate) fn build(build: &Build, version: Option<&Version>) -> Value {
    let mut object = json!({
        "build_id": build.id,
        "status": build.status.as_str(),
        "commit_sha": build.commit_sha.to_string(),
        "started_at": build.started_at,
        "resource_type": "algorithm_build",
    });
    // Absent until it finishes, rather than `null`.
    if let Some(finished_at) = build.finished_at {
        object["finished_at"] = json!(finished_at);
    }
    // The api-client requires `semantic_version` whenever `version_info`
    // is present, so an unpublished build has none.
    if let Some(version) = version {
        object["version_info"] = json!({ "semantic_version": version.version.to_string() });
    }
    object
}

/// A page: `{"marker", "next_link", "results"}`.
pub(crate) fn page<T>(
    page: Page<T>,
    path: &str,
    limit: u32,
    render: impl Fn(&T) -> Value,
) -> Value {
    let next_link = page
        .marker
        .as_ref()
        .map(|marker| format!("{path}?limit={limit}&marker={marker}"));
    json!({
        "marker": page.marker,
        "next_link": next_link,
        "results": page.items.iter().map(render).collect::<Vec<_>>(),
    })
}
