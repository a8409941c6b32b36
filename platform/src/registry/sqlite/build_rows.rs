//! SQL for the `builds` table.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::identity::{AlgorithmId, BuildId};
use crate::registry::build::{Build, BuildStatus};
use crate::registry::build_lease::BuildLease;
use crate::registry::error::RegistryError;
use crate::registry::id::new_build_id;
use crate::registry::page::{Page, PageRequest};
use crate::registry::sqlite::algorithm_rows;
use crate::registry::sqlite::column::{parsed, parsed_optional};
use crate::timestamp::Timestamp;
use algobox_runtime::content_hash::ContentHash;

const SELECT: &str = "SELECT seq, id, algorithm_id, commit_sha, status, started_at, finished_at, logs, owner, lease_until FROM builds";

/// A build and its position (`seq`) from a row of [`SELECT`].
fn from_row(row: &Row<'_>) -> rusqlite::Result<(i64, Build)> {
    Ok((
        row.get(0)?,
        Build {
            id: row.get(1)?,
            algorithm_id: row.get(2)?,
            commit_sha: parsed(row, 3)?,
            status: parsed(row, 4)?,
            started_at: Timestamp::from_millis(row.get(5)?),
            finished_at: row.get::<_, Option<i64>>(6)?.map(Timestamp::from_millis),
            logs: row.get(7)?,
            owner: parsed_optional(row, 8)?,
            lease_until: row.get::<_, Option<i64>>(9)?.map(Timestamp::from_millis),
        },
    ))
}

pub(super) fn start(
    conn: &mut Connection,
    algorithm_id: &AlgorithmId,
    commit_sha: &ContentHash,
    lease: &BuildLease,
) -> Result<Build, RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    algorithm_rows::require_by_id(&tx, algorithm_id.as_str())?;
    let started_at = Timestamp::now();
    let build = Build {
        id: new_build_id()?,
        algorithm_id: algorithm_id.clone(),
        commit_sha: *commit_sha,
        status: BuildStatus::InProgress,
        started_at,
        finished_at: None,
        logs: String::new(),
        owner: Some(lease.owner.clone()),
        lease_until: Some(lease_end(started_at, lease)),
    };
    tx.execute(
        "INSERT INTO builds (id, algorithm_id, commit_sha, status, started_at, finished_at, logs, owner, lease_until)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, '', ?6, ?7)",
        params![
            build.id,
            build.algorithm_id,
            build.commit_sha.to_string(),
            build.status.as_str(),
            build.started_at.as_millis(),
            lease.owner.as_str(),
            build.lease_until.map(Timestamp::as_millis),
        ],
    )?;
    tx.commit()?;
    Ok(build)
}

/// When a lease taken at `now` ends.
fn lease_end(now: Timestamp, lease: &BuildLease) -> Timestamp {
    Timestamp::from_millis(now.as_millis().saturating_add(lease.term_millis()))
}

/// Extends the owner's lease; see
/// [`Registry::renew_build_lease`](crate::registry::Registry::renew_build_lease).
pub(super) fn renew(
    conn: &Connection,
    build_id: &BuildId,
    lease: &BuildLease,
) -> Result<bool, RegistryError> {
    let renewed = conn.execute(
        "UPDATE builds SET lease_until = ?3 WHERE id = ?1 AND owner = ?2 AND status = ?4",
        params![
            build_id,
            lease.owner.as_str(),
            lease_end(Timestamp::now(), lease).as_millis(),
            BuildStatus::InProgress.as_str(),
        ],
    )?;
    Ok(renewed == 1)
}

/// Fails every build in progress; see
/// [`Registry::fail_unfinished_builds`](crate::registry::Registry::fail_unfinished_builds).
pub(super) fn fail_unfinished(conn: &Connection, logs: &str) -> Result<usize, RegistryError> {
    Ok(conn.execute(
        "UPDATE builds SET status = ?1, finished_at = ?2, logs = ?3, lease_until = NULL WHERE status = ?4",
        params![
            BuildStatus::Failed.as_str(),
            Timestamp::now().as_millis(),
            logs,
            BuildStatus::InProgress.as_str(),
        ],
    )?)
}

/// Fails the builds in progress whose lease has lapsed; see
/// [`Registry::fail_lapsed_builds`](crate::registry::Registry::fail_lapsed_builds).
pub(super) fn fail_lapsed(conn: &Connection, logs: &str) -> Result<usize, RegistryError> {
    let now = Timestamp::now().as_millis();
    Ok(conn.execute(
        "UPDATE builds SET status = ?1, finished_at = ?2, logs = ?3, lease_until = NULL
         WHERE status = ?4 AND (lease_until IS NULL OR lease_until < ?2)",
        params![
            BuildStatus::Failed.as_str(),
            now,
            logs,
            BuildStatus::InProgress.as_str(),
        ],
    )?)
}

pub(super) fn finish(
    conn: &mut Connection,
    build_id: &str,
    succeeded: bool,
    logs: &str,
) -> Result<Build, RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let sql = format!("{SELECT} WHERE id = ?1");
    let Some((_, mut build)) = tx.query_row(&sql, [build_id], from_row).optional()? else {
        return Err(RegistryError::NoSuchBuild {
            build_id: build_id.to_owned(),
        });
    };
    if build.status != BuildStatus::InProgress {
        return Err(RegistryError::BuildFinished {
            build_id: build_id.to_owned(),
        });
    }
    build.status = if succeeded {
        BuildStatus::Succeeded
    } else {
        BuildStatus::Failed
    };
    build.finished_at = Some(Timestamp::now());
    build.lease_until = None;
    logs.clone_into(&mut build.logs);
    tx.execute(
        "UPDATE builds SET status = ?2, finished_at = ?3, logs = ?4, lease_until = NULL WHERE id = ?1",
        params![
            build.id,
            build.status.as_str(),
            build.finished_at.map(Timestamp::as_millis),
            build.logs,
        ],
    )?;
    tx.commit()?;
    Ok(build)
}

pub(super) fn get(
    conn: &Connection,
    algorithm_id: &str,
    build_id: &str,
) -> Result<Option<Build>, RegistryError> {
    let sql = format!("{SELECT} WHERE algorithm_id = ?1 AND id = ?2");
    let found = conn
        .query_row(&sql, [algorithm_id, build_id], from_row)
        .optional()?;
    Ok(found.map(|(_, build)| build))
}

pub(super) fn page(
    conn: &Connection,
    algorithm_id: &str,
    request: &PageRequest,
) -> Result<Page<Build>, RegistryError> {
    let before = request.position()?.unwrap_or(i64::MAX);
    algorithm_rows::require_by_id(conn, algorithm_id)?;
    let sql = format!("{SELECT} WHERE algorithm_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3");
    let mut statement = conn.prepare(&sql)?;
    let rows = statement
        .query_map(params![algorithm_id, before, request.limit + 1], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, request.limit))
}
