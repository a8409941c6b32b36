//! SQL for the `algorithms` table.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::identity::AlgorithmName;
use crate::registry::algorithm::{AlgorithmRecord, AlgorithmUpdate, Details, NewAlgorithm};
use crate::registry::error::RegistryError;
use crate::registry::id::new_algorithm_id;
use crate::registry::sqlite::account_rows;
use crate::registry::sqlite::column::{json, parsed_optional, to_json};
use crate::timestamp::Timestamp;
use algobox_runtime::content_hash::ContentHash;

/// The columns [`from_row`] reads, for a query
/// `FROM algorithms g JOIN accounts o ON o.id = g.owner_id`.
const SELECT: &str = "SELECT g.id, o.name, g.name, g.label, g.summary, g.tagline, g.settings,
    g.source, g.created_at, g.updated_at
    FROM algorithms g JOIN accounts o ON o.id = g.owner_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<AlgorithmRecord> {
    Ok(AlgorithmRecord {
        id: row.get(0)?,
        owner: row.get(1)?,
        name: row.get(2)?,
        details: Details {
            label: row.get(3)?,
            summary: row.get(4)?,
            tagline: row.get(5)?,
        },
        settings: json(row, 6)?,
        source: parsed_optional(row, 7)?,
        created_at: Timestamp::from_millis(row.get(8)?),
        updated_at: Timestamp::from_millis(row.get(9)?),
    })
}

pub(super) fn create(
    conn: &mut Connection,
    owner: &str,
    request: &NewAlgorithm,
) -> Result<AlgorithmRecord, RegistryError> {
    let settings = request.validate()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (owner_id, owner) = account_rows::require(&tx, owner)?;
    if let Some(existing) = by_name(&tx, owner.name.as_str(), &request.name)? {
        return Err(RegistryError::AlreadyExists {
            what: "algorithm",
            name: format!("{}/{}", existing.owner, existing.name),
        });
    }
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
    tx.execute(
        "INSERT INTO algorithms
            (id, owner_id, name, label, summary, tagline, settings, source, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?8)",
        params![
            algorithm.id,
            owner_id,
            algorithm.name,
            algorithm.details.label,
            algorithm.details.summary,
            algorithm.details.tagline,
            to_json(&algorithm.settings)?,
            now.as_millis(),
        ],
    )?;
    tx.commit()?;
    Ok(algorithm)
}

pub(super) fn by_name(
    conn: &Connection,
    owner: &str,
    name: &str,
) -> Result<Option<AlgorithmRecord>, RegistryError> {
    let sql = format!("{SELECT} WHERE o.name = ?1 AND g.name = ?2");
    Ok(conn.query_row(&sql, [owner, name], from_row).optional()?)
}

pub(super) fn by_id(conn: &Connection, id: &str) -> Result<Option<AlgorithmRecord>, RegistryError> {
    let sql = format!("{SELECT} WHERE g.id = ?1");
    Ok(conn.query_row(&sql, [id], from_row).optional()?)
}

/// The algorithm `owner/name`, or [`RegistryError::NoSuchAlgorithm`].
fn require_by_name(
    conn: &Connection,
    owner: &str,
    name: &str,
) -> Result<AlgorithmRecord, RegistryError> {
    by_name(conn, owner, name)?.ok_or_else(|| RegistryError::NoSuchAlgorithm {
        algorithm: format!("{owner}/{name}"),
    })
}

/// The algorithm with this id, or [`RegistryError::NoSuchAlgorithm`].
pub(super) fn require_by_id(conn: &Connection, id: &str) -> Result<AlgorithmRecord, RegistryError> {
    by_id(conn, id)?.ok_or_else(|| RegistryError::NoSuchAlgorithm {
        algorithm: id.to_owned(),
    })
}

pub(super) fn update(
    conn: &mut Connection,
    owner: &str,
    name: &str,
    update: &AlgorithmUpdate,
) -> Result<AlgorithmRecord, RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut algorithm = require_by_name(&tx, owner, name)?;
    (algorithm.details, algorithm.settings) = update.apply(&algorithm)?;
    algorithm.updated_at = Timestamp::now();
    tx.execute(
        "UPDATE algorithms SET label = ?2, summary = ?3, tagline = ?4, settings = ?5,
            updated_at = ?6
         WHERE id = ?1",
        params![
            algorithm.id,
            algorithm.details.label,
            algorithm.details.summary,
            algorithm.details.tagline,
            to_json(&algorithm.settings)?,
            algorithm.updated_at.as_millis(),
        ],
    )?;
    tx.commit()?;
    Ok(algorithm)
}

/// Stores `algorithm`'s settings and `updated_at` (publishing sets its
/// callability).
pub(super) fn store_settings(
    conn: &Connection,
    algorithm: &AlgorithmRecord,
) -> Result<(), RegistryError> {
    conn.execute(
        "UPDATE algorithms SET settings = ?2, updated_at = ?3 WHERE id = ?1",
        params![
            algorithm.id,
            to_json(&algorithm.settings)?,
            algorithm.updated_at.as_millis()
        ],
    )?;
    Ok(())
}

pub(super) fn delete(conn: &Connection, owner: &str, name: &str) -> Result<bool, RegistryError> {
    // The schema's cascades remove the builds and versions with it.
    let deleted = conn.execute(
        "DELETE FROM algorithms
         WHERE owner_id = (SELECT id FROM accounts WHERE name = ?1) AND name = ?2",
        [owner, name],
    )?;
    Ok(deleted > 0)
}

pub(super) fn set_source(
    conn: &mut Connection,
    owner: &str,
    name: &str,
    source: &ContentHash,
) -> Result<AlgorithmRecord, RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut algorithm = require_by_name(&tx, owner, name)?;
    algorithm.source = Some(*source);
    algorithm.updated_at = Timestamp::now();
    tx.execute(
        "UPDATE algorithms SET source = ?2, updated_at = ?3 WHERE id = ?1",
        params![
            algorithm.id,
            source.to_string(),
            algorithm.updated_at.as_millis()
        ],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO uploads (algorithm_id, hash, uploaded_at) VALUES (?1, ?2, ?3)",
        params![
            algorithm.id,
            source.to_string(),
            algorithm.updated_at.as_millis()
        ],
    )?;
    tx.commit()?;
    Ok(algorithm)
}

/// Whether `hash` was ever uploaded to the algorithm.
pub(super) fn was_uploaded(
    conn: &Connection,
    algorithm_id: &str,
    hash: &ContentHash,
) -> Result<bool, RegistryError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM uploads WHERE algorithm_id = ?1 AND hash = ?2",
            params![algorithm_id, hash.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
