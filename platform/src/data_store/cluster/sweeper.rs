//! The sweeper of a cluster's Data API bucket: it deletes the objects a
//! replace or delete superseded longer than the grace period ago, and the
//! orphans (objects no row names, left by a node killed between upload and
//! commit) older than the grace period.
//!
//! Every node may sweep. A sweep runs in one transaction holding an
//! advisory lock that it only tries to take: while one node sweeps, the
//! others skip their turn rather than queue, so no object is deleted
//! twice and no orphan is taken for one while another node moves it. The
//! superseded records are removed with one `DELETE ... RETURNING` in that
//! transaction, and the transaction commits only after their objects were
//! deleted: a node killed mid-sweep leaves the records for the next sweep.

use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::task::JoinHandle;
use tokio_postgres::{Client, GenericClient};

use crate::data_store::cluster::superseded_rows;
use crate::data_store::cluster::{ClusterDataStore, column, delete_object, sql};
use crate::data_store::error::DataError;

/// How long a replaced or deleted file's object stays in the bucket by
/// default. A GET streams the object it found in the index, chunk by
/// chunk, for as long as the client takes to read it; deleting the object
/// at once would cut such a read short. Ten minutes covers a file at the
/// largest size a client reads slowly; a read taking longer than the grace
/// period may still end short. It is also the age an object no row names
/// must reach before it is taken for an orphan, which leaves an upload
/// that has stored its bytes that long to commit.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(600);

/// How often a cluster node sweeps by default: superseded objects then go
/// between the grace period and a minute after it, and listing the bucket
/// for orphans costs one pass over its metadata a minute.
pub const DEFAULT_SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The key of the advisory lock a sweep holds ("abxsweep" in ASCII); only
/// algobox uses it.
const SWEEP_LOCK: i64 = 0x6162_7873_7765_6570;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Another node was sweeping, so this one did nothing.
    pub skipped: bool,
    /// The superseded objects deleted (or found already gone).
    pub superseded: Vec<String>,
    /// The orphans deleted.
    pub orphans: Vec<String>,
}

/// The periodic sweep of one node; dropping it stops the sweeps (a sweep
/// cut off midway rolls back, and the next one, on any node, redoes it).
#[derive(Debug)]
pub struct Sweeper {
    task: JoinHandle<()>,
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ClusterDataStore {
    /// Sweeps every `every` (the first time after one period), logging what
    /// it deleted and any failure, until the returned [`Sweeper`] is
    /// dropped.
    pub fn start_sweeper(&self, every: Duration) -> Sweeper {
        let store = self.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match store.sweep().await {
                    Ok(sweep) if !sweep.superseded.is_empty() || !sweep.orphans.is_empty() => {
                        tracing::info!(
                            bucket = %store.bucket_name,
                            superseded = sweep.superseded.len(),
                            orphans = sweep.orphans.len(),
                            "deleted Data API objects no file uses any more"
                        );
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(
                        bucket = %store.bucket_name,
                        %err,
                        "could not sweep the Data API bucket; unused objects take space until a later sweep"
                    ),
                }
            }
        });
        Sweeper { task }
    }

    /// Deletes the objects superseded longer than the grace period ago and
    /// the orphans older than it, unless another node is sweeping.
    pub async fn sweep(&self) -> Result<Sweep, DataError> {
        let action = "sweep the Data API bucket";
        let mut pooled = self.client().await?;
        let client: &mut Client = &mut pooled;
        let tx = client.transaction().await.map_err(sql(action))?;
        let row = tx
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&SWEEP_LOCK])
            .await
            .map_err(sql(action))?;
        let locked: bool = column(&row, 0)?;
        if !locked {
            return Ok(Sweep {
                skipped: true,
                ..Sweep::default()
            });
        }
        let mut sweep = Sweep::default();
        for key in superseded_rows::take_due(&tx, self.grace).await? {
            // One that cannot be deleted now has no record left, so the
            // orphan pass of a later sweep takes it.
            if delete_object(&self.bucket, &self.bucket_name, &key).await {
                sweep.superseded.push(key);
            }
        }
        let old = self.objects_older_than_grace(&tx).await?;
        for key in superseded_rows::unnamed(&tx, &old).await? {
            if delete_object(&self.bucket, &self.bucket_name, &key).await {
                sweep.orphans.push(key);
            }
        }
        tx.commit().await.map_err(sql(action))?;
        Ok(sweep)
    }

    /// The live objects stored longer than the grace period ago, by the
    /// database's clock. An object with no time is kept: its age is
    /// unknown.
    async fn objects_older_than_grace(
        &self,
        client: &impl GenericClient,
    ) -> Result<Vec<String>, DataError> {
        let listing = |err: &dyn std::fmt::Display| DataError::Shared {
            action: format!("list the JetStream object store {}", self.bucket_name),
            message: err.to_string(),
        };
        let now_ms = superseded_rows::now_ms(client).await?;
        let grace_ms = i128::try_from(self.grace.as_millis()).unwrap_or(i128::MAX);
        let mut list = self.bucket.list().await.map_err(|err| listing(&err))?;
        let mut old = Vec::new();
        while let Some(info) = list.next().await {
            let info = info.map_err(|err| listing(&err))?;
            let stored_ms = info
                .modified
                .map(|modified| modified.unix_timestamp_nanos() / 1_000_000);
            if !info.deleted
                && stored_ms.is_some_and(|stored| stored <= i128::from(now_ms) - grace_ms)
            {
                old.push(info.name);
            }
        }
        Ok(old)
    }
}
