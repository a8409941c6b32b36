//! SQL for reading the `versions` table; [`publication`](super::publication)
//! writes it.

use tokio_postgres::{Client, Row};

use crate::registry::error::RegistryError;
use crate::registry::page::{Page, PageRequest};
use crate::registry::postgres::algorithm_rows;
use crate::registry::postgres::column::{json, parsed};
use crate::registry::version::Version;
use crate::timestamp::Timestamp;
use algobox_runtime::content_hash::ContentHash;

const SELECT: &str = "SELECT seq, algorithm_id, version, version_uuid, build_id, commit_sha,
    release_notes, sample_input, sample_output, callability, settings, published_at FROM versions";

/// A version and its position (`seq`) from a row of [`SELECT`].
fn from_row(row: &Row) -> Result<(i64, Version), RegistryError> {
    Ok((
        row.try_get(0)?,
        Version {
            algorithm_id: parsed(row, 1)?,
            version: parsed(row, 2)?,
            version_uuid: row.try_get(3)?,
            build_id: parsed(row, 4)?,
            commit_sha: parsed(row, 5)?,
            release_notes: row.try_get(6)?,
            sample_input: row.try_get(7)?,
            sample_output: row.try_get(8)?,
            callability: parsed(row, 9)?,
            settings: json(row, 10)?,
            published_at: Timestamp::from_millis(row.try_get(11)?),
        },
    ))
}

pub(super) async fn page(
    client: &Client,
    algorithm_id: &str,
    request: &PageRequest,
    public_only: bool,
) -> Result<Page<Version>, RegistryError> {
    let before = request.position()?.unwrap_or(i64::MAX);
    algorithm_rows::require_by_id(client, algorithm_id, false).await?;
    let sql = format!(
        "{SELECT} WHERE algorithm_id = $1 AND seq < $2 AND (NOT $3 OR callability = 'public')
         ORDER BY seq DESC LIMIT $4"
    );
    let rows = client
        .query(
            &sql,
            &[
                &algorithm_id,
                &before,
                &public_only,
                &(i64::from(request.limit) + 1),
            ],
        )
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, request.limit))
}

pub(super) async fn by_hash(
    client: &Client,
    algorithm_id: &str,
    hash: &ContentHash,
) -> Result<Option<Version>, RegistryError> {
    // Several versions may share a module (a rollback); the newest wins.
    let sql =
        format!("{SELECT} WHERE algorithm_id = $1 AND commit_sha = $2 ORDER BY seq DESC LIMIT 1");
    let found = client
        .query_opt(&sql, &[&algorithm_id, &hash.to_string()])
        .await?;
    Ok(found
        .map(|row| from_row(&row))
        .transpose()?
        .map(|(_, version)| version))
}

pub(super) async fn all(
    client: &Client,
    algorithm_id: &str,
) -> Result<Vec<Version>, RegistryError> {
    let sql = format!("{SELECT} WHERE algorithm_id = $1 ORDER BY seq DESC");
    client
        .query(&sql, &[&algorithm_id])
        .await?
        .iter()
        .map(|row| from_row(row).map(|(_, version)| version))
        .collect()
}
