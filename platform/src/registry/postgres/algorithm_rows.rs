//! SQL for the `algorithms` and `uploads` tables.

use tokio_postgres::{Client, GenericClient, Row};

use crate::identity::AlgorithmName;
use crate::registry::algorithm::{AlgorithmRecord, AlgorithmUpdate, Details, NewAlgorithm};
use crate::registry::error::RegistryError;
use crate::registry::id::new_algorithm_id;
use crate::registry::postgres::account_rows;
use crate::registry::postgres::column::{json, parsed, parsed_optional, to_json};
use crate::timestamp::Timestamp;
use algobox_runtime::content_hash::ContentHash;

/// The columns [`from_row`] reads.
const SELECT: &str = "SELECT g.id, o.name, g.name, g.label, g.summary, g.tagline, g.settings,
    g.source, g.created_at, g.updated_at
    FROM algorithms g JOIN accounts o ON o.id = g.owner_id";

/// Appended to a query of [`SELECT`] that reads a row to change it: other
/// writers of the algorithm (a publish, an update, from any server) wait
/// until this transaction ends, so no change is lost. `NO KEY` lets builds
/// and versions that reference the row be inserted meanwhile.
const LOCK: &str = " FOR NO KEY UPDATE OF g";

fn from_row(row: &Row) -> Result<AlgorithmRecord, RegistryError> {
    Ok(AlgorithmRecord {
        id: parsed(row, 0)?,
        owner: parsed(row, 1)?,
        name: parsed(row, 2)?,
        details: Details {
            label: row.try_get(3)?,
            summary: row.try_get(4)?,
            tagline: row.try_get(5)?,
        },
        settings: json(row, 6)?,
        source: parsed_optional(row, 7)?,
        created_at: Timestamp::from_millis(row.try_get(8)?),
        updated_at: Timestamp::from_millis(row.try_get(9)?),
    })
}

pub(super) async fn create(
    client: &mut Client,
    owner: &str,
    request: &NewAlgorithm,
) -> Result<AlgorithmRecord, RegistryError> {
    let settings = request.validate()?;
    let tx = client.transaction().await?;
    let (owner_id, owner) = account_rows::require(&tx, owner).await?;
    let now = Timestamp::now();
    let algorithm = AlgorithmRecord {
        id: new_algorithm_id()?,
        owner: owner.name,
        name: AlgorithmName::parse(&request.name)
            .map_err(|err| RegistryError::invalid("name", err.to_string()))?,
        details: request.details.clone(),
        settings,
        source: None,
        created_at: now,
        updated_at: now,
    };
    // The unique index on `(owner_id, lower(name))` decides between
    // concurrent creators; the loser reports the name that exists.
    let inserted = tx
        .execute(
            "INSERT INTO algorithms
                (id, owner_id, name, label, summary, tagline, settings, source, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $8)
             ON CONFLICT (owner_id, lower(name)) DO NOTHING",
            &[
                &algorithm.id.as_str(),
                &owner_id,
                &algorithm.name.as_str(),
                &algorithm.details.label,
                &algorithm.details.summary,
                &algorithm.details.tagline,
                &to_json(&algorithm.settings)?,
                &now.as_millis(),
            ],
        )
        .await?;
    if inserted == 0 {
        let existing = by_name(&tx, algorithm.owner.as_str(), &request.name, false).await?;
        let name = existing.map_or_else(
            || format!("{}/{}", algorithm.owner, request.name),
            |existing| format!("{}/{}", existing.owner, existing.name),
        );
        return Err(RegistryError::AlreadyExists {
            what: "algorithm",
            name,
        });
    }
    tx.commit().await?;
    Ok(algorithm)
}

/// The algorithm `owner/name`, if any; with `lock`, locked for a change.
pub(super) async fn by_name(
    client: &(impl GenericClient + Sync),
    owner: &str,
    name: &str,
    lock: bool,
) -> Result<Option<AlgorithmRecord>, RegistryError> {
    let sql = format!(
        "{SELECT} WHERE lower(o.name) = lower($1) AND lower(g.name) = lower($2){}",
        if lock { LOCK } else { "" }
    );
    client
        .query_opt(&sql, &[&owner, &name])
        .await?
        .map(|row| from_row(&row))
        .transpose()
}

/// The algorithm with this id, if any; with `lock`, locked for a change.
pub(super) async fn by_id(
    client: &(impl GenericClient + Sync),
    id: &str,
    lock: bool,
) -> Result<Option<AlgorithmRecord>, RegistryError> {
    let sql = format!("{SELECT} WHERE g.id = $1{}", if lock { LOCK } else { "" });
    client
        .query_opt(&sql, &[&id])
        .await?
        .map(|row| from_row(&row))
        .transpose()
}

/// The algorithm `owner/name` locked for a change, or
/// [`RegistryError::NoSuchAlgorithm`].
async fn require_by_name(
    client: &(impl GenericClient + Sync),
    owner: &str,
    name: &str,
) -> Result<AlgorithmRecord, RegistryError> {
    by_name(client, owner, name, true)
        .await?
        .ok_or_else(|| RegistryError::NoSuchAlgorithm {
            algorithm: format!("{owner}/{name}"),
        })
}

/// The algorithm with this id (locked for a change with `lock`), or
/// [`RegistryError::NoSuchAlgorithm`].
pub(super) async fn require_by_id(
    client: &(impl GenericClient + Sync),
    id: &str,
    lock: bool,
) -> Result<AlgorithmRecord, RegistryError> {
    by_id(client, id, lock)
        .await?
        .ok_or_else(|| RegistryError::NoSuchAlgorithm {
            algorithm: id.to_owned(),
        })
}

pub(super) async fn update(
    client: &mut Client,
    owner: &str,
    name: &str,
    update: &AlgorithmUpdate,
) -> Result<AlgorithmRecord, RegistryError> {
    let tx = client.transaction().await?;
    let mut algorithm = require_by_name(&tx, owner, name).await?;
    (algorithm.details, algorithm.settings) = update.apply(&algorithm)?;
    algorithm.updated_at = Timestamp::now();
    tx.execute(
        "UPDATE algorithms SET label = $2, summary = $3, tagline = $4, settings = $5,
            updated_at = $6
         WHERE id = $1",
        &[
            &algorithm.id.as_str(),
            &algorithm.details.label,
            &algorithm.details.summary,
            &algorithm.details.tagline,
            &to_json(&algorithm.settings)?,
            &algorithm.updated_at.as_millis(),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(algorithm)
}

/// Stores `algorithm`'s settings and `updated_at` (publishing sets its
/// callability).
pub(super) async fn store_settings(
    client: &(impl GenericClient + Sync),
    algorithm: &AlgorithmRecord,
) -> Result<(), RegistryError> {
    client
        .execute(
            "UPDATE algorithms SET settings = $2, updated_at = $3 WHERE id = $1",
            &[
                &algorithm.id.as_str(),
                &to_json(&algorithm.settings)?,
                &algorithm.updated_at.as_millis(),
            ],
        )
        .await?;
    Ok(())
}

pub(super) async fn delete(
    client: &Client,
    owner: &str,
    name: &str,
) -> Result<bool, RegistryError> {
    // The schema's cascades remove the builds, versions and uploads with it.
    let deleted = client
        .execute(
            "DELETE FROM algorithms
             WHERE owner_id = (SELECT id FROM accounts WHERE lower(name) = lower($1))
               AND lower(name) = lower($2)",
            &[&owner, &name],
        )
        .await?;
    Ok(deleted > 0)
}

pub(super) async fn set_source(
    client: &mut Client,
    owner: &str,
    name: &str,
    source: &ContentHash,
) -> Result<AlgorithmRecord, RegistryError> {
    let tx = client.transaction().await?;
    let mut algorithm = require_by_name(&tx, owner, name).await?;
    algorithm.source = Some(*source);
    algorithm.updated_at = Timestamp::now();
    let hash = source.to_string();
    let now = algorithm.updated_at.as_millis();
    tx.execute(
        "UPDATE algorithms SET source = $2, updated_at = $3 WHERE id = $1",
        &[&algorithm.id.as_str(), &hash, &now],
    )
    .await?;
    tx.execute(
        "INSERT INTO uploads (algorithm_id, hash, uploaded_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&algorithm.id.as_str(), &hash, &now],
    )
    .await?;
    tx.commit().await?;
    Ok(algorithm)
}

/// Whether `hash` was ever uploaded to the algorithm.
pub(super) async fn was_uploaded(
    client: &Client,
    algorithm_id: &str,
    hash: &ContentHash,
) -> Result<bool, RegistryError> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM uploads WHERE algorithm_id = $1 AND hash = $2",
            &[&algorithm_id, &hash.to_string()],
        )
        .await?
        .is_some())
}
