//! Files: writing, reading, listing, replacing and deleting them.

use bytes::Bytes;
use tokio::io::AsyncReadExt as _;

use crate::data_store::DataStore;
use crate::data_store::acl::Acl;
use crate::data_store::conformance::{collection, file};
use crate::data_store::error::DataError;

pub(crate) async fn files_round_trip_and_list_in_pages(store: &dyn DataStore) {
    let col = collection("data://.my/col");
    store.create_collection(&col, Acl::private()).await.unwrap();
    for name in ["c", "a", "b"] {
        store
            .write(
                &file(&format!("data://.my/col/{name}")),
                name.as_bytes().to_vec(),
            )
            .await
            .unwrap();
    }
    assert_eq!(store.read(&file("data://Alice/col/b")).await.unwrap(), b"b");
    let first = store.list(&col, None, 2).await.unwrap();
    let names: Vec<_> = first.files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(first.files[0].size, 1);
    let second = store.list(&col, first.marker.as_deref(), 2).await.unwrap();
    let names: Vec<_> = second.files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, ["c"]);
    assert_eq!(second.marker, None);
    assert!(matches!(
        store.list(&col, Some("not a marker!"), 2).await,
        Err(DataError::Invalid(_))
    ));
    // Exactly a page's worth: no marker, so no empty page after it.
    let whole = store.list(&col, None, 3).await.unwrap();
    assert_eq!((whole.files.len(), whole.marker), (3, None));
}

pub(crate) async fn listings_follow_the_byte_order_of_names(store: &dyn DataStore) {
    let col = collection("data://.my/col");
    store.ensure_collection(&col).await.unwrap();
    // Byte order: capitals before small letters, `é` (two bytes from
    // 0xC3) after both, whatever the database's collation.
    let names = ["b", "B", "é", "a.txt", "A-1", "a"];
    for name in names {
        store
            .write(&file(&format!("data://.my/col/{name}")), Vec::new())
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = store.list(&col, marker.as_deref(), 4).await.unwrap();
        seen.extend(page.files.into_iter().map(|f| f.filename));
        match page.marker {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["A-1", "B", "a", "a.txt", "b", "é"]);
}

pub(crate) async fn overwrites_whole_and_deletes(store: &dyn DataStore) {
    let path = file("data://.my/col/f");
    assert!(matches!(
        store.write(&path, b"x".to_vec()).await,
        Err(DataError::NotFound(_))
    ));
    store.ensure_collection(&path.collection).await.unwrap();
    store.ensure_collection(&path.collection).await.unwrap();
    store.write(&path, b"first version".to_vec()).await.unwrap();
    store.write(&path, b"second".to_vec()).await.unwrap();
    assert_eq!(store.read(&path).await.unwrap(), b"second");
    let info = store.info(&path).await.unwrap().unwrap();
    assert_eq!((info.filename.as_str(), info.size), ("f", 6));
    let listed = store.list(&path.collection, None, 10).await.unwrap();
    assert_eq!(listed.files, [info]);
    assert!(store.delete(&path).await.unwrap());
    assert!(!store.delete(&path).await.unwrap());
    assert!(matches!(
        store.read(&path).await,
        Err(DataError::NotFound(_))
    ));
    assert_eq!(store.info(&path).await.unwrap(), None);
}

pub(crate) async fn an_abandoned_writer_leaves_nothing(store: &dyn DataStore) {
    let path = file("data://.my/col/f");
    store.ensure_collection(&path.collection).await.unwrap();
    let mut writer = store.writer(&path).await.unwrap();
    writer.write(Bytes::from_static(b"half")).await.unwrap();
    drop(writer);
    assert_eq!(store.info(&path).await.unwrap(), None);
    // An abandoned replacement leaves the old file as it was.
    store.write(&path, b"whole".to_vec()).await.unwrap();
    let mut writer = store.writer(&path).await.unwrap();
    writer.write(Bytes::from_static(b"ha")).await.unwrap();
    drop(writer);
    assert_eq!(store.read(&path).await.unwrap(), b"whole");
    assert!(
        store
            .list(&path.collection, None, 10)
            .await
            .unwrap()
            .files
            .iter()
            .all(|f| f.filename == "f")
    );
}

/// Run with a store that takes at most 3 bytes in a file.
pub(crate) async fn a_file_over_the_limit_is_refused_and_leaves_nothing(store: &dyn DataStore) {
    assert_eq!(store.max_file_bytes(), 3);
    let path = file("data://.my/col/f");
    store.ensure_collection(&path.collection).await.unwrap();
    let mut writer = store.writer(&path).await.unwrap();
    writer.write(Bytes::from_static(b"ab")).await.unwrap();
    assert!(matches!(
        writer.write(Bytes::from_static(b"cd")).await,
        Err(DataError::TooLarge { limit: 3 })
    ));
    let refused = writer.commit().await.unwrap_err();
    assert!(
        refused.to_string().contains("write the file again"),
        "{refused}"
    );
    assert_eq!(store.info(&path).await.unwrap(), None);
    // Others' files are unharmed, and a file at the limit is fine.
    store.write(&path, b"abc".to_vec()).await.unwrap();
    assert_eq!(store.read(&path).await.unwrap(), b"abc");
}

pub(crate) async fn a_read_with_a_limit_refuses_a_larger_file_by_its_size(store: &dyn DataStore) {
    store
        .create_collection(&collection("data://.my/col"), Acl::private())
        .await
        .unwrap();
    let path = file("data://.my/col/f");
    store.write(&path, vec![7; 100]).await.unwrap();
    assert_eq!(store.read_at_most(&path, 100).await.unwrap(), [7; 100]);
    let refused = store.read_at_most(&path, 99).await.unwrap_err();
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

pub(crate) async fn large_files_stream_in_and_out_whole(store: &dyn DataStore) {
    let path = file("data://.my/col/big.bin");
    store.ensure_collection(&path.collection).await.unwrap();
    // Several object-store chunks, written in uneven pieces.
    let contents: Vec<u8> = (0..700_001u32).map(|i| (i % 251) as u8).collect();
    let mut writer = store.writer(&path).await.unwrap();
    for piece in contents.chunks(40_000) {
        writer.write(Bytes::copy_from_slice(piece)).await.unwrap();
    }
    // Not visible before the commit.
    assert_eq!(store.info(&path).await.unwrap(), None);
    writer.commit().await.unwrap();
    let (mut reader, size) = store.open_reader(&path).await.unwrap();
    assert_eq!(size, 700_001);
    let mut first = vec![0u8; 1000];
    reader.read_exact(&mut first).await.unwrap();
    assert_eq!(first, contents[..1000]);
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, contents[1000..]);
    assert_eq!(store.info(&path).await.unwrap().unwrap().size, 700_001);
}

pub(crate) async fn concurrent_writers_of_one_file_leave_one_whole(store: &dyn DataStore) {
    let path = file("data://.my/col/f");
    store.ensure_collection(&path.collection).await.unwrap();
    let versions: Vec<Vec<u8>> = (0..6u8).map(|n| vec![n; 50_000]).collect();
    let writes = versions
        .iter()
        .map(|contents| store.write(&path, contents.clone()));
    for written in futures_util::future::join_all(writes).await {
        written.unwrap();
    }
    let left = store.read(&path).await.unwrap();
    assert!(versions.contains(&left), "a mix of writes was stored");
    let listed = store.list(&path.collection, None, 10).await.unwrap();
    assert_eq!(listed.files.len(), 1);
    assert_eq!(listed.files[0].size, 50_000);
}

pub(crate) async fn missing_things_are_not_found(store: &dyn DataStore) {
    let missing = collection("data://.my/none");
    let err = store.list(&missing, None, 10).await.unwrap_err();
    assert!(
        matches!(&err, DataError::NotFound(what) if what == "data://alice/none"),
        "{err}"
    );
    let in_missing = file("data://.my/none/f");
    assert!(matches!(
        store.open_reader(&in_missing).await,
        Err(DataError::NotFound(_))
    ));
    assert_eq!(store.info(&in_missing).await.unwrap(), None);
    assert!(!store.delete(&in_missing).await.unwrap());
    assert!(matches!(
        store.writer(&in_missing).await,
        Err(DataError::NotFound(_))
    ));
    store.ensure_collection(&missing).await.unwrap();
    let err = store.read(&in_missing).await.unwrap_err();
    assert!(
        matches!(&err, DataError::NotFound(what) if what == "data://alice/none/f"),
        "{err}"
    );
}
