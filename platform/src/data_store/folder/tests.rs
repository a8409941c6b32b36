//! The folder store: the conformance suite in a temporary folder, and
//! what only a folder can get wrong (staged files, planted links).

use crate::data_store::DataStore as _;
use crate::data_store::acl::Acl;
use crate::data_store::conformance::{collection, file};
use crate::data_store::error::DataError;
use crate::data_store::folder::FolderDataStore;

/// A store in a new temporary folder, and the folder's guard.
async fn store(max_file_bytes: u64) -> (tempfile::TempDir, FolderDataStore) {
    let folder = tempfile::tempdir().unwrap();
    let store = FolderDataStore::open(folder.path())
        .unwrap()
        .with_max_file_bytes(max_file_bytes);
    (folder, store)
}

mod conformance {
    use super::store;

    data_store_conformance!();
}

#[tokio::test]
async fn writes_leave_nothing_staged() {
    let (folder, store) = store(crate::data_store::DEFAULT_MAX_FILE_BYTES).await;
    let path = file("data://.my/col/f");
    store.ensure_collection(&path.collection).await.unwrap();
    store.write(&path, b"first version".to_vec()).await.unwrap();
    store.write(&path, b"second".to_vec()).await.unwrap();
    let mut abandoned = store.writer(&path).await.unwrap();
    abandoned
        .write(bytes::Bytes::from_static(b"half"))
        .await
        .unwrap();
    drop(abandoned);
    let staging = folder.path().join("alice/.staging");
    // The abandoned writer's staged file goes with its task, at once or
    // a moment later.
    for _ in 0..100 {
        if std::fs::read_dir(&staging).unwrap().count() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(std::fs::read_dir(&staging).unwrap().count(), 0);
    assert_eq!(store.read(&path).await.unwrap(), b"second");
}

#[tokio::test]
async fn planted_links_lead_nowhere() {
    let (folder, store) = store(crate::data_store::DEFAULT_MAX_FILE_BYTES).await;
    let secret = folder.path().join("bob/private");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("key"), b"bob's secret").unwrap();
    let col = collection("data://.my/col");
    store.create_collection(&col, Acl::private()).await.unwrap();
    let alice = folder.path().join("alice");
    std::os::unix::fs::symlink(secret.join("key"), alice.join("col/link")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", alice.join("col/passwd")).unwrap();
    std::os::unix::fs::symlink(&secret, alice.join("linked")).unwrap();
    for uri in ["data://.my/col/link", "data://.my/col/passwd"] {
        assert!(
            matches!(store.read(&file(uri)).await, Err(DataError::NotFound(_))),
            "{uri}"
        );
        assert_eq!(store.info(&file(uri)).await.unwrap(), None, "{uri}");
    }
    assert!(store.list(&col, None, 10).await.unwrap().files.is_empty());
    assert!(matches!(
        store.read(&file("data://.my/linked/key")).await,
        Err(DataError::NotFound(_))
    ));
    // A write through the link replaces the link, never its target.
    store
        .write(&file("data://.my/col/link"), b"mine".to_vec())
        .await
        .unwrap();
    assert_eq!(std::fs::read(secret.join("key")).unwrap(), b"bob's secret");
    assert_eq!(
        store.read(&file("data://.my/col/link")).await.unwrap(),
        b"mine"
    );
}
