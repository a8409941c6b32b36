use crate::data_store::acl::Acl;
use crate::data_store::error::DataError;
use crate::data_store::path::{DataPath, FilePath};
use crate::data_store::*;
use crate::identity::AccountName;

fn store() -> (tempfile::TempDir, DataStore) {
    let folder = tempfile::tempdir().unwrap();
    let store = DataStore::open(folder.path()).unwrap();
    (folder, store)
}

fn file(uri: &str) -> FilePath {
    DataPath::from_uri(uri, "alice")
        .unwrap()
        .into_file(uri)
        .unwrap()
}

fn collection(uri: &str) -> CollectionPath {
    DataPath::from_uri(uri, "alice")
        .unwrap()
        .into_collection(uri)
        .unwrap()
}

#[test]
fn files_round_trip_and_list_in_pages() {
    let (_folder, store) = store();
    let col = collection("data://.my/col");
    store.create_collection(&col, Acl::private()).unwrap();
    for name in ["c", "a", "b"] {
        store
            .write(&file(&format!("data://.my/col/{name}")), name.as_bytes())
            .unwrap();
    }
    assert_eq!(store.read(&file("data://Alice/col/b")).unwrap(), b"b");
    let first = store.list(&col, None, 2).unwrap();
    let names: Vec<_> = first.files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(first.files[0].size, 1);
    let second = store.list(&col, first.marker.as_deref(), 2).unwrap();
    let names: Vec<_> = second.files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, ["c"]);
    assert_eq!(second.marker, None);
    assert!(matches!(
        store.list(&col, Some("not a marker!"), 2),
        Err(DataError::Invalid(_))
    ));
}

#[test]
fn overwrites_whole_and_deletes() {
    let (folder, store) = store();
    let path = file("data://.my/col/f");
    assert!(matches!(
        store.write(&path, b"x"),
        Err(DataError::NotFound(_))
    ));
    store.ensure_collection(&path.collection).unwrap();
    store.ensure_collection(&path.collection).unwrap();
    store.write(&path, b"first version").unwrap();
    store.write(&path, b"second").unwrap();
    assert_eq!(store.read(&path).unwrap(), b"second");
    assert_eq!(store.info(&path).unwrap().unwrap().size, 6);
    // Nothing is left staged.
    let staged = std::fs::read_dir(folder.path().join("alice/.staging")).unwrap();
    assert_eq!(staged.count(), 0);
    assert!(store.delete(&path).unwrap());
    assert!(!store.delete(&path).unwrap());
    assert!(matches!(store.read(&path), Err(DataError::NotFound(_))));
}

#[test]
fn an_abandoned_writer_leaves_nothing() {
    let (_folder, store) = store();
    let path = file("data://.my/col/f");
    store.ensure_collection(&path.collection).unwrap();
    let mut writer = store.writer(&path).unwrap();
    writer.write(b"half").unwrap();
    drop(writer);
    assert_eq!(store.info(&path).unwrap(), None);
    let small = DataStore::open(_folder.path())
        .unwrap()
        .with_max_file_bytes(3);
    let mut writer = small.writer(&path).unwrap();
    assert!(matches!(
        writer.write(b"four"),
        Err(DataError::TooLarge { limit: 3 })
    ));
}

#[test]
fn collections_keep_their_access_lists() {
    let (_folder, store) = store();
    let open = collection("data://.my/open");
    store.create_collection(&open, Acl::public()).unwrap();
    store
        .create_collection(&collection("data://.my/closed"), Acl::private())
        .unwrap();
    assert!(matches!(
        store.create_collection(&open, Acl::private()),
        Err(DataError::AlreadyExists(_))
    ));
    let listed = store
        .collections(&AccountName::parse("ALICE").unwrap())
        .unwrap();
    assert_eq!(
        listed,
        [
            ("closed".to_owned(), Acl::private()),
            ("open".to_owned(), Acl::public())
        ]
    );
    store.set_acl(&open, &Acl::default()).unwrap();
    assert_eq!(store.collection(&open).unwrap(), Some(Acl::default()));
    let bad = Acl {
        read: vec!["user://bob".into()],
    };
    assert!(matches!(
        store.set_acl(&open, &bad),
        Err(DataError::Invalid(_))
    ));
}

#[test]
fn deleting_a_collection_with_files_needs_force() {
    let (_folder, store) = store();
    let path = file("data://.my/col/f");
    store.ensure_collection(&path.collection).unwrap();
    store.write(&path, b"x").unwrap();
    let err = store
        .delete_collection(&path.collection, false)
        .unwrap_err();
    assert!(matches!(err, DataError::NotEmpty { files: 1, .. }), "{err}");
    assert_eq!(store.read(&path).unwrap(), b"x");
    assert_eq!(store.delete_collection(&path.collection, true).unwrap(), 1);
    assert_eq!(store.collection(&path.collection).unwrap(), None);
    assert!(
        store
            .collections(&AccountName::parse("alice").unwrap())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn planted_links_lead_nowhere() {
    let (folder, store) = store();
    let secret = folder.path().join("bob/private");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("key"), b"bob's secret").unwrap();
    let col = collection("data://.my/col");
    store.create_collection(&col, Acl::private()).unwrap();
    let alice = folder.path().join("alice");
    std::os::unix::fs::symlink(secret.join("key"), alice.join("col/link")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", alice.join("col/passwd")).unwrap();
    std::os::unix::fs::symlink(&secret, alice.join("linked")).unwrap();
    for uri in ["data://.my/col/link", "data://.my/col/passwd"] {
        assert!(
            matches!(store.read(&file(uri)), Err(DataError::NotFound(_))),
            "{uri}"
        );
        assert_eq!(store.info(&file(uri)).unwrap(), None, "{uri}");
    }
    assert!(store.list(&col, None, 10).unwrap().files.is_empty());
    assert!(matches!(
        store.read(&file("data://.my/linked/key")),
        Err(DataError::NotFound(_))
    ));
    // A write through the link replaces the link, never its target.
    store.write(&file("data://.my/col/link"), b"mine").unwrap();
    assert_eq!(std::fs::read(secret.join("key")).unwrap(), b"bob's secret");
    assert_eq!(store.read(&file("data://.my/col/link")).unwrap(), b"mine");
}

#[test]
fn a_read_with_a_limit_refuses_a_larger_file_by_its_size() {
    let (_folder, store) = store();
    store
        .create_collection(&collection("data://.my/col"), Acl::private())
        .unwrap();
    let path = file("data://.my/col/f");
    store.write(&path, &[7; 100]).unwrap();
    assert_eq!(store.read_at_most(&path, 100).unwrap(), [7; 100]);
    let refused = store.read_at_most(&path, 99).unwrap_err();
    assert!(
        matches!(
            refused,
            DataError::TooLargeToRead {
                size: 100,
                limit: 99,
                ..
            }
        ),
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .starts_with("data://alice/col/f is 100 bytes"),
        "{refused}"
    );
}
