//! The sweeper against the machine's PostgreSQL and NATS: replaced and
//! deleted objects outlive the reads begun before, go after the grace
//! period, orphans go once old while everything in use stays, and sweeps
//! on several nodes at once delete each object once.

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncReadExt as _;

use super::Shared;
use crate::data_store::DataStore as _;
use crate::data_store::cluster::{ClusterDataStore, file_rows};
use crate::data_store::conformance::file;
use crate::data_store::path::FilePath;

/// The grace period of these tests: long enough for the steps before a
/// sweep, short enough to wait out.
const GRACE: Duration = Duration::from_secs(2);

/// Waits the grace period out, with a margin for the clocks' resolution.
async fn past_grace() {
    tokio::time::sleep(GRACE + Duration::from_millis(300)).await;
}

/// A file of `len` bytes that no shift of itself matches.
fn patterned(len: u32, seed: u32) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + seed) % 251) as u8).collect()
}

/// The object the index points `path` at.
async fn object_of(store: &ClusterDataStore, path: &FilePath) -> String {
    let client = store.client().await.unwrap();
    file_rows::object(&client, path).await.unwrap().0
}

/// The bucket's live objects, sorted.
async fn objects(shared: &Shared) -> BTreeSet<String> {
    shared.objects().await.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_begun_before_a_replace_or_delete_end_whole_and_the_old_objects_go_after_the_grace() {
    let shared = Shared::create().await;
    let store = shared.node_with_grace(GRACE).await;
    let replaced = file("data://.my/col/replaced.bin");
    let deleted = file("data://.my/col/deleted.bin");
    store.ensure_collection(&replaced.collection).await.unwrap();
    // Many chunks each (the object store's are 128 KiB), so the readers
    // are far from their end when the objects are superseded.
    let old = patterned(4_000_000, 1);
    let doomed = patterned(3_000_000, 2);
    store.write(&replaced, old.clone()).await.unwrap();
    store.write(&deleted, doomed.clone()).await.unwrap();
    let (old_key, doomed_key) = (
        object_of(&store, &replaced).await,
        object_of(&store, &deleted).await,
    );

    let (mut old_reader, size) = store.open_reader(&replaced).await.unwrap();
    assert_eq!(size, 4_000_000);
    let (mut doomed_reader, _) = store.open_reader(&deleted).await.unwrap();
    let mut old_read = vec![0u8; 1000];
    old_reader.read_exact(&mut old_read).await.unwrap();
    let mut doomed_read = vec![0u8; 1000];
    doomed_reader.read_exact(&mut doomed_read).await.unwrap();

    // The replace and the delete commit while both reads are under way.
    let new = b"the new version".to_vec();
    store.write(&replaced, new.clone()).await.unwrap();
    assert!(store.delete(&deleted).await.unwrap());
    assert_eq!(store.read(&replaced).await.unwrap(), new);
    assert_eq!(store.info(&deleted).await.unwrap(), None);
    // A sweep within the grace period deletes neither old object.
    let early = store.sweep().await.unwrap();
    assert_eq!(
        (early.skipped, &early.superseded, &early.orphans),
        (false, &vec![], &vec![]),
        "{early:?}"
    );

    old_reader.read_to_end(&mut old_read).await.unwrap();
    doomed_reader.read_to_end(&mut doomed_read).await.unwrap();
    assert_eq!(old_read.len(), old.len());
    assert!(
        old_read == old,
        "the replaced file's reader got other bytes"
    );
    assert_eq!(doomed_read.len(), doomed.len());
    assert!(
        doomed_read == doomed,
        "the deleted file's reader got other bytes"
    );

    past_grace().await;
    let swept = store.sweep().await.unwrap();
    let superseded: BTreeSet<_> = swept.superseded.iter().cloned().collect();
    assert_eq!(
        superseded,
        BTreeSet::from([old_key.clone(), doomed_key.clone()]),
        "{swept:?}"
    );
    assert!(swept.orphans.is_empty(), "{swept:?}");
    let new_key = object_of(&store, &replaced).await;
    assert_eq!(objects(&shared).await, BTreeSet::from([new_key]));
    assert_eq!(store.read(&replaced).await.unwrap(), new);
    // A reader opened now finds the new version, never the old one.
    let (mut reader, size) = store.open_reader(&replaced).await.unwrap();
    let mut read = Vec::new();
    reader.read_to_end(&mut read).await.unwrap();
    assert_eq!((size, read), (new.len() as u64, new));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_older_than_the_grace_go_while_fresh_ones_and_objects_in_use_stay() {
    let shared = Shared::create().await;
    let store = shared.node_with_grace(GRACE).await;
    let bucket = shared
        .jetstream
        .get_object_store(&shared.bucket)
        .await
        .unwrap();
    let kept = file("data://.my/col/kept");
    let replaced = file("data://.my/col/replaced");
    let in_progress = file("data://.my/col/in-progress");
    store.ensure_collection(&kept.collection).await.unwrap();
    store.write(&kept, b"kept".to_vec()).await.unwrap();
    store.write(&replaced, b"first".to_vec()).await.unwrap();
    let first_key = object_of(&store, &replaced).await;
    // Left by a node killed between its upload and its commit.
    bucket
        .put("orphan-old", &mut &b"never committed"[..])
        .await
        .unwrap();
    past_grace().await;

    // Everything below is younger than the grace period, or in use.
    store.write(&replaced, b"second".to_vec()).await.unwrap();
    bucket
        .put("orphan-fresh", &mut &b"a write about to commit"[..])
        .await
        .unwrap();
    let mut writer = store.writer(&in_progress).await.unwrap();
    writer
        .write(Bytes::from_static(b"being written"))
        .await
        .unwrap();

    let swept = store.sweep().await.unwrap();
    assert_eq!(
        (
            swept.skipped,
            swept.superseded.clone(),
            swept.orphans.clone()
        ),
        (false, vec![], vec!["orphan-old".to_owned()]),
        "{swept:?}"
    );
    writer.commit().await.unwrap();
    assert_eq!(
        objects(&shared).await,
        BTreeSet::from([
            object_of(&store, &kept).await,
            first_key,
            object_of(&store, &replaced).await,
            object_of(&store, &in_progress).await,
            "orphan-fresh".to_owned(),
        ])
    );
    assert_eq!(store.read(&kept).await.unwrap(), b"kept");
    assert_eq!(store.read(&replaced).await.unwrap(), b"second");
    assert_eq!(store.read(&in_progress).await.unwrap(), b"being written");
    let mut fresh = Vec::new();
    bucket
        .get("orphan-fresh")
        .await
        .unwrap()
        .read_to_end(&mut fresh)
        .await
        .unwrap();
    assert_eq!(fresh, b"a write about to commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeps_on_several_nodes_at_once_delete_each_object_once_and_fail_nothing() {
    let shared = Shared::create().await;
    let (node_a, node_b) = (
        shared.node_with_grace(GRACE).await,
        shared.node_with_grace(GRACE).await,
    );
    let bucket = shared
        .jetstream
        .get_object_store(&shared.bucket)
        .await
        .unwrap();
    let files: Vec<_> = (0..6)
        .map(|i| file(&format!("data://.my/col/f{i}")))
        .collect();
    node_a
        .ensure_collection(&files[0].collection)
        .await
        .unwrap();
    let mut doomed = BTreeSet::new();
    for (i, path) in files.iter().enumerate() {
        node_a
            .write(path, patterned(200_000, i as u32))
            .await
            .unwrap();
        doomed.insert(object_of(&node_a, path).await);
        node_b
            .write(path, format!("v2 of {i}").into())
            .await
            .unwrap();
    }
    for i in 0..4 {
        let name = format!("orphan-{i}");
        bucket
            .put(name.as_str(), &mut &b"orphaned"[..])
            .await
            .unwrap();
        doomed.insert(name);
    }
    past_grace().await;

    let sweeps = futures_util::future::join_all([
        node_a.sweep(),
        node_b.sweep(),
        node_a.sweep(),
        node_b.sweep(),
    ])
    .await;
    let mut deleted = Vec::new();
    for sweep in sweeps {
        let sweep = sweep.expect("a sweep beside another failed");
        deleted.extend(sweep.superseded);
        deleted.extend(sweep.orphans);
    }
    deleted.sort();
    let expected: Vec<_> = doomed.into_iter().collect();
    assert_eq!(deleted, expected, "each object deleted exactly once");
    let mut current = BTreeSet::new();
    for (i, path) in files.iter().enumerate() {
        assert_eq!(
            node_b.read(path).await.unwrap(),
            format!("v2 of {i}").into_bytes()
        );
        current.insert(object_of(&node_a, path).await);
    }
    assert_eq!(objects(&shared).await, current);
    // A later sweep finds nothing left to do.
    let after = node_b.sweep().await.unwrap();
    assert!(
        after.superseded.is_empty() && after.orphans.is_empty(),
        "{after:?}"
    );
}
