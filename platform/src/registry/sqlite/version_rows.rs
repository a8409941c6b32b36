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
    use crate::registry::error::RegistryError;
    use crate::registry::page::PageRequest;
    use crate::registry::settings::Callability;
    use crate::registry::sqlite::fixture::{acct, algo};
    use crate::registry::sqlite::fixture::{build, publish, registry, request};
    use crate::registry::version::VersionBump;
    use crate::registry::version_spec::{VersionSpec, resolve};

    #[test]
    fn version_pages_and_public_filter() {
        let (registry, algorithm) = registry();
        for (i, callability) in [
            Callability::Public,
            Callability::Private,
            Callability::Public,
        ]
        .into_iter()
        .enumerate()
        {
            let id = build(&registry, &algorithm, &format!("code{i}"), true);
            registry
                .publish(&algorithm, &request(&id, VersionBump::Patch, callability))
                .unwrap();
        }
        let first = registry
            .versions(&algorithm, &PageRequest::first(2), false)
            .unwrap();
        let texts: Vec<String> = first.items.iter().map(|v| v.version.to_string()).collect();
        assert_eq!(texts, ["0.0.3", "0.0.2"]);
        let marker = first.marker.unwrap();
        let rest = registry
            .versions(&algorithm, &PageRequest::after(2, marker), false)
            .unwrap();
        let texts: Vec<String> = rest.items.iter().map(|v| v.version.to_string()).collect();
        assert_eq!(texts, ["0.0.1"]);
        assert_eq!(rest.marker, None);

        let public = registry
            .versions(&algorithm, &PageRequest::first(10), true)
            .unwrap();
        let texts: Vec<String> = public.items.iter().map(|v| v.version.to_string()).collect();
        assert_eq!(texts, ["0.0.3", "0.0.1"]);

        let all = registry.all_versions(&algorithm).unwrap();
        let latest = resolve(Some(&VersionSpec::LatestPrivate), &all, false);
        assert_eq!(latest, None);
        let latest = resolve(None, &all, false).map(|v| v.version.to_string());
        assert_eq!(latest.as_deref(), Some("0.0.3"));
    }

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
