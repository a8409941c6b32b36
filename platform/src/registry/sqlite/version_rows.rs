//! SQL for reading the `versions` table; [`publication`](super::publication)
//! writes it.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::registry::error::RegistryError;
use crate::registry::page::{Page, PageRequest};
use crate::registry::sqlite::algorithm_rows;
use crate::registry::sqlite::column::{json, parsed};
use crate::registry::version::Version;
use crate::timestamp::Timestamp;
use algobox_runtime::content_hash::ContentHash;

const SELECT: &str = "SELECT seq, algorithm_id, version, version_uuid, build_id, commit_sha,
    release_notes, sample_input, sample_output, callability, settings, published_at FROM versions";

/// A version and its position (`seq`) from a row of [`SELECT`].
fn from_row(row: &Row<'_>) -> rusqlite::Result<(i64, Version)> {
    Ok((
        row.get(0)?,
        Version {
            algorithm_id: row.get(1)?,
            version: parsed(row, 2)?,
            version_uuid: row.get(3)?,
            build_id: row.get(4)?,
            commit_sha: parsed(row, 5)?,
            release_notes: row.get(6)?,
            sample_input: row.get(7)?,
            sample_output: row.get(8)?,
            callability: parsed(row, 9)?,
            settings: json(row, 10)?,
            published_at: Timestamp::from_millis(row.get(11)?),
        },
    ))
}

pub(super) fn page(
    conn: &Connection,
    algorithm_id: &str,
    request: &PageRequest,
    public_only: bool,
) -> Result<Page<Version>, RegistryError> {
    let before = request.position()?.unwrap_or(i64::MAX);
    algorithm_rows::require_by_id(conn, algorithm_id)?;
    let sql = format!(
        "{SELECT} WHERE algorithm_id = ?1 AND seq < ?2 AND (NOT ?3 OR callability = 'public')
         ORDER BY seq DESC LIMIT ?4"
    );
    let mut statement = conn.prepare(&sql)?;
    let rows = statement
        .query_map(
            params![algorithm_id, before, public_only, request.limit + 1],
            from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, request.limit))
}

pub(super) fn by_hash(
    conn: &Connection,
    algorithm_id: &str,
    hash: &ContentHash,
) -> Result<Option<Version>, RegistryError> {
    // Several versions may share a module (a rollback); the newest wins.
    let sql =
        format!("{SELECT} WHERE algorithm_id = ?1 AND commit_sha = ?2 ORDER BY seq DESC LIMIT 1");
    let found = conn
        .query_row(&sql, params![algorithm_id, hash.to_string()], from_row)
        .optional()?;
    Ok(found.map(|(_, version)| version))
}

pub(super) fn all(conn: &Connection, algorithm_id: &str) -> Result<Vec<Version>, RegistryError> {
    let sql = format!("{SELECT} WHERE algorithm_id = ?1 ORDER BY seq DESC");
    let mut statement = conn.prepare(&sql)?;
    let versions = statement
        .query_map([algorithm_id], |row| {
            from_row(row).map(|(_, version)| version)
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use crate::registry::conformance::{acct, algo};
    use crate::registry::error::RegistryError;
    use crate::registry::page::PageRequest;
    use crate::registry::sqlite::fixture::{build, publish, registry};
    use crate::registry::version::VersionBump;

    #[test]
    fn deleting_the_algorithm_removes_its_builds_and_versions() {
        let (registry, algorithm) = registry();
        publish(&registry, &algorithm, "a", VersionBump::Minor);
        build(&registry, &algorithm, "b", true);
        assert!(
            registry
                .delete_algorithm(&acct("demo"), &algo("Hello"))
                .unwrap()
        );

        let conn = registry.conn();
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap()
        };
        assert_eq!(count("builds"), 0);
        assert_eq!(count("versions"), 0);
        drop(conn);
        assert!(matches!(
            registry.versions(&algorithm, &PageRequest::default(), false),
            Err(RegistryError::NoSuchAlgorithm { .. })
        ));
    }
}
