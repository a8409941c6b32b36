//! SQL for the `builds` table.

use tokio_postgres::{Client, GenericClient, Row};

use crate::identity::{AlgorithmId, BuildId};
use crate::registry::build::{Build, BuildStatus};
use crate::registry::build_lease::BuildLease;
use crate::registry::error::RegistryError;
use crate::registry::id::new_build_id;
use crate::registry::page::{Page, PageRequest};
use crate::registry::postgres::algorithm_rows;
use crate::registry::postgres::column::{parsed, parsed_optional};
use crate::timestamp::Timestamp;
use algobox_runtime::content_hash::ContentHash;

const SELECT: &str = "SELECT seq, id, algorithm_id, commit_sha, status, started_at, finished_at, logs, owner, lease_until FROM builds";

/// The database's clock in unix milliseconds: leases are measured on one
/// clock, whichever node's clock is off.
const NOW_MILLIS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// A build and its position (`seq`) from a row of [`SELECT`].
fn from_row(row: &Row) -> Result<(i64, Build), RegistryError> {
    Ok((
        row.try_get(0)?,
        Build {
            id: parsed(row, 1)?,
            algorithm_id: parsed(row, 2)?,
            commit_sha: parsed(row, 3)?,
            status: parsed(row, 4)?,
            started_at: Timestamp::from_millis(row.try_get(5)?),
            finished_at: row
                .try_get::<_, Option<i64>>(6)?
                .map(Timestamp::from_millis),
            logs: row.try_get(7)?,
            owner: parsed_optional(row, 8)?,
            lease_until: row
                .try_get::<_, Option<i64>>(9)?
                .map(Timestamp::from_millis),
        },
    ))
}

pub(super) async fn start(
    client: &Client,
    algorithm_id: &AlgorithmId,
    commit_sha: &ContentHash,
    lease: &BuildLease,
) -> Result<Build, RegistryError> {
    let mut build = Build {
        id: new_build_id()?,
        algorithm_id: algorithm_id.clone(),
        commit_sha: *commit_sha,
        status: BuildStatus::InProgress,
        started_at: Timestamp::now(),
        finished_at: None,
        logs: String::new(),
        owner: Some(lease.owner.clone()),
        lease_until: None,
    };
    // One statement: the insert happens only if the algorithm exists, and
    // the foreign key keeps it from being deleted meanwhile.
    let sql = format!(
        "INSERT INTO builds (id, algorithm_id, commit_sha, status, started_at, finished_at, logs, owner, lease_until)
         SELECT $1, id, $3, $4, $5, NULL, '', $6, {NOW_MILLIS} + $7 FROM algorithms WHERE id = $2
         RETURNING lease_until"
    );
    let inserted = client
        .query_opt(
            &sql,
            &[
                &build.id.as_str(),
                &algorithm_id.as_str(),
                &build.commit_sha.to_string(),
                &build.status.as_str(),
                &build.started_at.as_millis(),
                &lease.owner.as_str(),
                &lease.term_millis(),
            ],
        )
        .await?;
    let Some(inserted) = inserted else {
        return Err(RegistryError::NoSuchAlgorithm {
            algorithm: algorithm_id.to_string(),
        });
    };
    build.lease_until = Some(Timestamp::from_millis(inserted.try_get(0)?));
    Ok(build)
}

/// Extends the owner's lease; see
/// [`Registry::renew_build_lease`](crate::registry::Registry::renew_build_lease).
pub(super) async fn renew(
    client: &Client,
    build_id: &BuildId,
    lease: &BuildLease,
) -> Result<bool, RegistryError> {
    let sql = format!(
        "UPDATE builds SET lease_until = {NOW_MILLIS} + $3 WHERE id = $1 AND owner = $2 AND status = $4"
    );
    let renewed = client
        .execute(
            &sql,
            &[
                &build_id.as_str(),
                &lease.owner.as_str(),
                &lease.term_millis(),
                &BuildStatus::InProgress.as_str(),
            ],
        )
        .await?;
    Ok(renewed == 1)
}

/// Fails every build in progress; see
/// [`Registry::fail_unfinished_builds`](crate::registry::Registry::fail_unfinished_builds).
pub(super) async fn fail_unfinished(client: &Client, logs: &str) -> Result<usize, RegistryError> {
    fail_in_progress(client, logs, "").await
}

/// Fails the builds in progress whose lease has lapsed; see
/// [`Registry::fail_lapsed_builds`](crate::registry::Registry::fail_lapsed_builds).
pub(super) async fn fail_lapsed(client: &Client, logs: &str) -> Result<usize, RegistryError> {
    let lapsed = format!("AND (lease_until IS NULL OR lease_until < {NOW_MILLIS})");
    fail_in_progress(client, logs, &lapsed).await
}

/// Fails the builds in progress that also meet `condition` (SQL after
/// `WHERE status = 'in-progress'`, or nothing), with `logs`.
async fn fail_in_progress(
    client: &Client,
    logs: &str,
    condition: &str,
) -> Result<usize, RegistryError> {
    let sql = format!(
        "UPDATE builds SET status = $1, finished_at = $2, logs = $3, lease_until = NULL
         WHERE status = $4 {condition}"
    );
    let failed = client
        .execute(
            &sql,
            &[
                &BuildStatus::Failed.as_str(),
                &Timestamp::now().as_millis(),
                &logs,
                &BuildStatus::InProgress.as_str(),
            ],
        )
        .await?;
    Ok(usize::try_from(failed).unwrap_or(usize::MAX))
}

pub(super) async fn finish(
    client: &mut Client,
    build_id: &str,
    succeeded: bool,
    logs: &str,
) -> Result<Build, RegistryError> {
    let tx = client.transaction().await?;
    // Locked, so that of two concurrent finishes exactly one succeeds.
    let sql = format!("{SELECT} WHERE id = $1 FOR NO KEY UPDATE");
    let Some(row) = tx.query_opt(&sql, &[&build_id]).await? else {
        return Err(RegistryError::NoSuchBuild {
            build_id: build_id.to_owned(),
        });
    };
    let (_, mut build) = from_row(&row)?;
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
        "UPDATE builds SET status = $2, finished_at = $3, logs = $4, lease_until = NULL WHERE id = $1",
        &[
            &build.id.as_str(),
            &build.status.as_str(),
            &build.finished_at.map(Timestamp::as_millis),
            &build.logs,
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(build)
}

pub(super) async fn get(
    client: &(impl GenericClient + Sync),
    algorithm_id: &str,
    build_id: &str,
) -> Result<Option<Build>, RegistryError> {
    let sql = format!("{SELECT} WHERE algorithm_id = $1 AND id = $2");
    let found = client.query_opt(&sql, &[&algorithm_id, &build_id]).await?;
    Ok(found
        .map(|row| from_row(&row))
        .transpose()?
        .map(|(_, build)| build))
}

pub(super) async fn page(
    client: &Client,
    algorithm_id: &str,
    request: &PageRequest,
) -> Result<Page<Build>, RegistryError> {
    let before = request.position()?.unwrap_or(i64::MAX);
    algorithm_rows::require_by_id(client, algorithm_id, false).await?;
    let sql = format!("{SELECT} WHERE algorithm_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3");
    let rows = client
        .query(
            &sql,
            &[&algorithm_id, &before, &(i64::from(request.limit) + 1)],
        )
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, request.limit))
}
