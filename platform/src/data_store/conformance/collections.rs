//! Collections: their access lists, listing and deleting them.

use crate::data_store::DataStore;
use crate::data_store::acl::Acl;
use crate::data_store::conformance::{account, collection, file};
use crate::data_store::error::DataError;
use crate::data_store::path::DataPath;

pub(crate) async fn collections_keep_their_access_lists(store: &dyn DataStore) {
    let open = collection("data://.my/open");
    store.create_collection(&open, Acl::public()).await.unwrap();
    store
        .create_collection(&collection("data://.my/closed"), Acl::private())
        .await
        .unwrap();
    assert!(matches!(
        store.create_collection(&open, Acl::private()).await,
        Err(DataError::AlreadyExists(_))
    ));
    assert_eq!(store.collection(&open).await.unwrap(), Some(Acl::public()));
    let listed = store.collections(&account("ALICE")).await.unwrap();
    assert_eq!(
        listed,
        [
            ("closed".to_owned(), Acl::private()),
            ("open".to_owned(), Acl::public())
        ]
    );
    store.set_acl(&open, &Acl::default()).await.unwrap();
    assert_eq!(store.collection(&open).await.unwrap(), Some(Acl::default()));
    let bad = Acl {
        read: vec!["user://bob".into()],
    };
    assert!(matches!(
        store.set_acl(&open, &bad).await,
        Err(DataError::Invalid(_))
    ));
    assert!(matches!(
        store
            .create_collection(&collection("data://.my/other"), bad)
            .await,
        Err(DataError::Invalid(_))
    ));
    // The refused list changed nothing.
    assert_eq!(store.collection(&open).await.unwrap(), Some(Acl::default()));
    assert_eq!(
        store
            .collection(&collection("data://.my/other"))
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store
            .set_acl(&collection("data://.my/none"), &Acl::public())
            .await,
        Err(DataError::NotFound(_))
    ));
}

pub(crate) async fn deleting_a_collection_with_files_needs_force(store: &dyn DataStore) {
    let path = file("data://.my/col/f");
    store.ensure_collection(&path.collection).await.unwrap();
    store.write(&path, b"x".to_vec()).await.unwrap();
    let err = store
        .delete_collection(&path.collection, false)
        .await
        .unwrap_err();
    assert!(matches!(err, DataError::NotEmpty { files: 1, .. }), "{err}");
    assert_eq!(store.read(&path).await.unwrap(), b"x");
    assert_eq!(
        store
            .delete_collection(&path.collection, true)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.collection(&path.collection).await.unwrap(), None);
    assert!(
        store
            .collections(&account("alice"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.delete_collection(&path.collection, true).await,
        Err(DataError::NotFound(_))
    ));
    // A collection made again under the old name starts empty.
    store.ensure_collection(&path.collection).await.unwrap();
    assert_eq!(store.info(&path).await.unwrap(), None);
    assert_eq!(
        store
            .delete_collection(&path.collection, false)
            .await
            .unwrap(),
        0
    );
}

pub(crate) async fn owners_match_without_case_and_stay_apart(store: &dyn DataStore) {
    let alices = DataPath::from_uri("data://Alice/shared/f", "bob")
        .unwrap()
        .into_file("f")
        .unwrap();
    let bobs = DataPath::from_uri("data://.my/shared/f", "bob")
        .unwrap()
        .into_file("f")
        .unwrap();
    store.ensure_collection(&alices.collection).await.unwrap();
    store.ensure_collection(&bobs.collection).await.unwrap();
    store.write(&alices, b"alice's".to_vec()).await.unwrap();
    store.write(&bobs, b"bob's".to_vec()).await.unwrap();
    assert_eq!(
        store.read(&file("data://ALICE/shared/f")).await.unwrap(),
        b"alice's"
    );
    assert_eq!(store.read(&bobs).await.unwrap(), b"bob's");
    assert!(
        store
            .delete_collection(&bobs.collection, true)
            .await
            .is_ok()
    );
    assert_eq!(
        store.read(&file("data://alice/shared/f")).await.unwrap(),
        b"alice's"
    );
    assert!(store.collections(&account("bob")).await.unwrap().is_empty());
}
