//! Publishing: turning a succeeded build into the next immutable version.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::identity::AlgorithmId;
use crate::registry::build::BuildStatus;
use crate::registry::error::RegistryError;
use crate::registry::sqlite::column::to_json;
use crate::registry::sqlite::{algorithm_rows, build_rows};
use crate::registry::version::{PublishRequest, Version};

pub(super) fn publish(
    conn: &mut Connection,
    algorithm_id: &AlgorithmId,
    request: &PublishRequest,
) -> Result<Version, RegistryError> {
    // IMMEDIATE takes the write lock first, so two publishes (from two
    // processes too) cannot both read the same highest version.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut algorithm = algorithm_rows::require_by_id(&tx, algorithm_id.as_str())?;
    let build = build_rows::get(&tx, algorithm_id.as_str(), request.build_id.as_str())?
        .ok_or_else(|| RegistryError::NoSuchBuild {
            build_id: request.build_id.to_string(),
        })?;
    if build.status != BuildStatus::Succeeded {
        return Err(RegistryError::BuildNotSucceeded {
            build_id: build.id.to_string(),
            status: build.status.as_str(),
        });
    }
    // A build publishes once; the same module under a new build (a
    // rollback) is a new version.
    let published: Option<String> = tx
        .query_row(
            "SELECT version FROM versions WHERE build_id = ?1",
            params![build.id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(text) = published {
        return Err(RegistryError::AlreadyPublished {
            version: parse_stored(&text)?,
        });
    }
    let mut statement = tx.prepare("SELECT version FROM versions WHERE algorithm_id = ?1")?;
    let highest = statement
        .query_map([algorithm_id], |row| row.get::<_, String>(0))?
        .map(|text| parse_stored(&text?))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max();
    drop(statement);

    let version = request.version_of(&mut algorithm, &build, highest.as_ref())?;
    tx.execute(
        "INSERT INTO versions (algorithm_id, version, version_uuid, build_id, commit_sha,
            release_notes, sample_input, sample_output, callability, settings, published_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            version.algorithm_id,
            version.version.to_string(),
            version.version_uuid,
            version.build_id,
            version.commit_sha.to_string(),
            version.release_notes,
            version.sample_input,
            version.sample_output,
            version.callability.as_str(),
            to_json(&version.settings)?,
            version.published_at.as_millis(),
        ],
    )?;
    // The algorithm's callability describes its latest version.
    algorithm.updated_at = version.published_at;
    algorithm_rows::store_settings(&tx, &algorithm)?;
    tx.commit()?;
    Ok(version)
}

fn parse_stored(text: &str) -> Result<semver::Version, RegistryError> {
    semver::Version::parse(text)
        .map_err(|err| RegistryError::Storage(format!("stored version `{text}` is invalid: {err}")))
}
