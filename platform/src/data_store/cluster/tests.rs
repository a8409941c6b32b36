//! The cluster store against the machine's PostgreSQL and NATS: the
//! conformance suite, each test on a database and a bucket of its own, and
//! what only a shared store can get wrong (several nodes, objects left
//! behind; the sweeper's tests are in `sweeps`).

mod sweeps;

use std::time::Duration;

use async_nats::jetstream::Context;
use bytes::Bytes;
use futures_util::StreamExt as _;

use crate::data_store::DataStore as _;
use crate::data_store::acl::Acl;
use crate::data_store::cluster::ClusterDataStore;
use crate::data_store::conformance::{collection, file};
use crate::data_store::error::DataError;
use crate::nats_fixture::{jetstream, unique_bucket};
use crate::registry::postgres::test_database::TestDatabase;

/// A test's database and bucket, both removed when it is dropped, also
/// when the test fails.
struct Shared {
    database: TestDatabase,
    jetstream: Context,
    bucket: String,
}

impl Shared {
    async fn create() -> Self {
        Self {
            database: TestDatabase::create().await,
            jetstream: jetstream().await,
            bucket: unique_bucket("files"),
        }
    }

    /// A node's store over the shared database and bucket.
    async fn node(&self, max_file_bytes: u64) -> ClusterDataStore {
        let registry = self.database.registry().await;
        ClusterDataStore::open(&registry, &self.jetstream, &self.bucket)
            .await
            .unwrap()
            .with_max_file_bytes(max_file_bytes)
    }

    /// A node's store whose superseded objects and orphans may be swept
    /// once `grace` old.
    async fn node_with_grace(&self, grace: Duration) -> ClusterDataStore {
        self.node(NO_LIMIT).await.with_grace(grace)
    }

    /// The messages and bytes the bucket's stream holds: chunks of live
    /// objects, and one metadata record per object ever stored (a small
    /// one for a deleted object).
    async fn stored(&self) -> (u64, u64) {
        let mut stream = self
            .jetstream
            .get_stream(format!("OBJ_{}", self.bucket))
            .await
            .unwrap();
        let state = &stream.info().await.unwrap().state;
        (state.messages, state.bytes)
    }

    /// The names of the bucket's live objects.
    async fn objects(&self) -> Vec<String> {
        let bucket = self.jetstream.get_object_store(&self.bucket).await.unwrap();
        let mut list = bucket.list().await.unwrap();
        let mut names = Vec::new();
        while let Some(info) = list.next().await {
            let info = info.unwrap();
            if !info.deleted {
                names.push(info.name);
            }
        }
        names
    }

    /// Waits up to 5 s for the bucket to hold `count` live objects (an
    /// abandoned upload's object goes a moment after the writer).
    async fn until_objects(&self, count: usize) -> Vec<String> {
        for _ in 0..250 {
            let objects = self.objects().await;
            if objects.len() == count {
                return objects;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.objects().await
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The test's runtime cannot be blocked on from here: delete the
        // bucket from a thread with a runtime of its own.
        let bucket = self.bucket.clone();
        let deleted = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime starts");
            runtime.block_on(async { jetstream().await.delete_object_store(&bucket).await })
        })
        .join();
        if !matches!(deleted, Ok(Ok(()))) {
            eprintln!(
                "could not delete the test bucket {}; it may never have been made",
                self.bucket
            );
        }
    }
}

/// A store over a new database and bucket, and their guard.
async fn store(max_file_bytes: u64) -> (Shared, ClusterDataStore) {
    let shared = Shared::create().await;
    let store = shared.node(max_file_bytes).await;
    (shared, store)
}

mod conformance {
    use super::store;

    data_store_conformance!();
}

const NO_LIMIT: u64 = crate::data_store::DEFAULT_MAX_FILE_BYTES;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_written_through_one_node_is_read_through_another() {
    let shared = Shared::create().await;
    let (node_b, node_c) = (shared.node(NO_LIMIT).await, shared.node(NO_LIMIT).await);
    let path = file("data://.my/shared/data.bin");
    node_b
        .create_collection(&path.collection, Acl::public())
        .await
        .unwrap();
    let contents: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    node_b.write(&path, contents.clone()).await.unwrap();
    assert_eq!(node_c.read(&path).await.unwrap(), contents);
    assert_eq!(
        node_c.collection(&path.collection).await.unwrap(),
        Some(Acl::public())
    );
    // An access list changed through one node is the other's at once:
    // no node caches it.
    node_c
        .set_acl(&path.collection, &Acl::private())
        .await
        .unwrap();
    assert_eq!(
        node_b.collection(&path.collection).await.unwrap(),
        Some(Acl::private())
    );
    node_c.write(&path, b"replaced".to_vec()).await.unwrap();
    assert_eq!(node_b.read(&path).await.unwrap(), b"replaced");
    assert!(node_b.delete(&path).await.unwrap());
    assert_eq!(node_c.info(&path).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_deleted_and_abandoned_files_leave_no_objects_once_swept() {
    let shared = Shared::create().await;
    // No grace: the sweep below deletes what was superseded at once.
    let store = shared.node_with_grace(Duration::ZERO).await;
    let big = vec![1u8; 300_000];
    let kept = file("data://.my/col/kept");
    let gone = file("data://.my/col/gone");
    store.ensure_collection(&kept.collection).await.unwrap();
    store.write(&kept, big.clone()).await.unwrap();
    store.write(&kept, b"small".to_vec()).await.unwrap();
    store.write(&gone, big.clone()).await.unwrap();
    assert!(store.delete(&gone).await.unwrap());
    // Replaced and deleted objects stay until a sweep: reads begun before
    // may still be streaming them.
    assert_eq!(shared.objects().await.len(), 3);
    let swept = store.sweep().await.unwrap();
    assert_eq!(
        (swept.skipped, swept.superseded.len(), swept.orphans.len()),
        (false, 2, 0),
        "{swept:?}"
    );
    let mut abandoned = store.writer(&gone).await.unwrap();
    abandoned.write(Bytes::from(big.clone())).await.unwrap();
    drop(abandoned);
    // Only the kept file's object is left, and the chunks of the others
    // are gone with them: its one chunk and the metadata records of the
    // four objects stored (three of them deleted). The abandoned upload's
    // object goes a moment after its writer, once its task has stored and
    // deleted it; listing the bucket only then, as listing races with
    // deletes.
    let mut stored = shared.stored().await;
    for _ in 0..250 {
        if stored.0 == 5 && stored.1 < 20_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        stored = shared.stored().await;
    }
    assert!(
        stored.0 == 5 && stored.1 < 20_000,
        "{} messages, {} bytes stored",
        stored.0,
        stored.1
    );
    let objects = shared.objects().await;
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(store.read(&kept).await.unwrap(), b"small");

    let other = file("data://.my/other/f");
    store.ensure_collection(&other.collection).await.unwrap();
    store.write(&other, big).await.unwrap();
    assert_eq!(
        store
            .delete_collection(&kept.collection, true)
            .await
            .unwrap(),
        1
    );
    assert_eq!(shared.objects().await.len(), 2);
    let swept = store.sweep().await.unwrap();
    assert_eq!(
        (swept.superseded.len(), swept.orphans.len()),
        (1, 0),
        "{swept:?}"
    );
    // The other collection's object stays.
    assert_eq!(shared.until_objects(1).await.len(), 1);
    assert_eq!(store.read(&other).await.unwrap().len(), 300_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_into_a_collection_deleted_meanwhile_stores_nothing() {
    let (shared, store) = store(NO_LIMIT).await;
    let path = file("data://.my/col/f");
    store
        .create_collection(&path.collection, Acl::default())
        .await
        .unwrap();
    let mut writer = store.writer(&path).await.unwrap();
    writer.write(Bytes::from_static(b"late")).await.unwrap();
    assert_eq!(
        store
            .delete_collection(&path.collection, false)
            .await
            .unwrap(),
        0
    );
    let err = writer.commit().await.unwrap_err();
    assert!(
        matches!(&err, DataError::NotFound(what) if what == "data://alice/col"),
        "{err}"
    );
    assert!(shared.until_objects(0).await.is_empty());
    // The name is free for a new collection, which starts empty.
    store
        .create_collection(&collection("data://.my/col"), Acl::default())
        .await
        .unwrap();
    assert_eq!(store.info(&path).await.unwrap(), None);
}
