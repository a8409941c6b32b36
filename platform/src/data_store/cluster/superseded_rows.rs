//! The objects a replace or delete superseded, in `data_superseded_objects`:
//! each key with the time (the database's clock) it stopped being the
//! file's, until the sweeper deletes it from the bucket.

use std::time::Duration;

use tokio_postgres::GenericClient;

use crate::data_store::cluster::{column, sql};
use crate::data_store::error::DataError;

/// The database's clock in milliseconds since the epoch, as SQL: every node
/// measures the grace period from this one clock, whatever its own says.
pub(super) const NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// Records `keys` as superseded now, in the caller's transaction, so that
/// the index change and the record commit together.
pub(super) async fn record(
    client: &impl GenericClient,
    keys: &[String],
    action: &str,
) -> Result<(), DataError> {
    if keys.is_empty() {
        return Ok(());
    }
    client
        .execute(
            format!(
                "INSERT INTO data_superseded_objects (object_key, superseded_at)
                 SELECT key, {NOW_MS} FROM unnest($1::TEXT[]) AS key
                 ON CONFLICT (object_key) DO NOTHING"
            )
            .as_str(),
            &[&keys],
        )
        .await
        .map_err(sql(action))?;
    Ok(())
}

/// Removes and returns the records older than `grace`: one statement, so
/// of two sweepers each record goes to one. The caller deletes their
/// objects before its transaction commits.
pub(super) async fn take_due(
    client: &impl GenericClient,
    grace: Duration,
) -> Result<Vec<String>, DataError> {
    let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
    client
        .query(
            format!(
                "DELETE FROM data_superseded_objects
                 WHERE superseded_at <= {NOW_MS} - $1
                 RETURNING object_key"
            )
            .as_str(),
            &[&grace_ms],
        )
        .await
        .map_err(sql("take the superseded Data API objects due for deletion"))?
        .iter()
        .map(|row| column(row, 0))
        .collect()
}

/// The database's clock, in milliseconds since the epoch.
pub(super) async fn now_ms(client: &impl GenericClient) -> Result<i64, DataError> {
    let row = client
        .query_one(format!("SELECT {NOW_MS}").as_str(), &[])
        .await
        .map_err(sql("read PostgreSQL's clock"))?;
    column(&row, 0)
}

/// Those of `keys` that neither the file index nor a superseded record
/// names: orphans, once old enough.
pub(super) async fn unnamed(
    client: &impl GenericClient,
    keys: &[String],
) -> Result<Vec<String>, DataError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    client
        .query(
            "SELECT key FROM unnest($1::TEXT[]) AS key
             WHERE NOT EXISTS (SELECT 1 FROM data_files f WHERE f.object_key = key)
               AND NOT EXISTS (SELECT 1 FROM data_superseded_objects s WHERE s.object_key = key)",
            &[&keys],
        )
        .await
        .map_err(sql("look up the Data API objects no file names"))?
        .iter()
        .map(|row| column(row, 0))
        .collect()
}
