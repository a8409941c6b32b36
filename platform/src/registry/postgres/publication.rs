//! Publishing: turning a succeeded build into the next immutable version.

use tokio_postgres::Client;

use crate::identity::AlgorithmId;
use crate::registry::build::BuildStatus;
use crate::registry::error::RegistryError;
use crate::registry::postgres::column::to_json;
use crate::registry::postgres::{algorithm_rows, build_rows};
use crate::registry::version::{PublishRequest, Version};

pub(super) async fn publish(
    client: &mut Client,
    algorithm_id: &AlgorithmId,
    request: &PublishRequest,
) -> Result<Version, RegistryError> {
    let tx = client.transaction().await?;
    // Locking the algorithm's row first makes publishes of one algorithm
    // take turns, from every server: each reads the highest version only
    // after the one before it committed, so no two get the same number.
    // (Under READ COMMITTED each statement below sees what committed
    // before it started.)
    let mut algorithm = algorithm_rows::require_by_id(&tx, algorithm_id.as_str(), true).await?;
    let build = build_rows::get(&tx, algorithm_id.as_str(), request.build_id.as_str())
        .await?
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
    let published = tx
        .query_opt(
            "SELECT version FROM versions WHERE build_id = $1",
            &[&build.id.as_str()],
        )
        .await?;
    if let Some(row) = published {
        return Err(RegistryError::AlreadyPublished {
            version: parse_stored(&row.try_get::<_, String>(0)?)?,
        });
    }
    let highest = tx
        .query(
            "SELECT version FROM versions WHERE algorithm_id = $1",
            &[&algorithm_id.as_str()],
        )
        .await?
        .iter()
        .map(|row| parse_stored(&row.try_get::<_, String>(0)?))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max();

    let version = request.version_of(&mut algorithm, &build, highest.as_ref())?;
    tx.execute(
        "INSERT INTO versions (algorithm_id, version, version_uuid, build_id, commit_sha,
            release_notes, sample_input, sample_output, callability, settings, published_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &version.algorithm_id.as_str(),
            &version.version.to_string(),
            &version.version_uuid,
            &version.build_id.as_str(),
            &version.commit_sha.to_string(),
            &version.release_notes,
            &version.sample_input,
            &version.sample_output,
            &version.callability.as_str(),
            &to_json(&version.settings)?,
            &version.published_at.as_millis(),
        ],
    )
    .await?;
    // The algorithm's callability describes its latest version.
    algorithm.updated_at = version.published_at;
    algorithm_rows::store_settings(&tx, &algorithm).await?;
    tx.commit().await?;
    Ok(version)
}

fn parse_stored(text: &str) -> Result<semver::Version, RegistryError> {
    semver::Version::parse(text)
        .map_err(|err| RegistryError::Storage(format!("stored version `{text}` is invalid: {err}")))
}
