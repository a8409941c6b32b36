//! The JetStream module store against the machine's NATS server.

use crate::module_store::jetstream::*;
use crate::nats_fixture::with_object_bucket;

#[tokio::test]
async fn round_trips_and_is_idempotent_across_nodes() {
    with_object_bucket("modules", |jetstream, bucket| async move {
        let node_a = JetStreamModuleStore::open(&jetstream, &bucket)
            .await
            .unwrap();
        // A second node opening the same bucket (it exists now) shares it.
        let node_b = JetStreamModuleStore::open(&jetstream, &bucket)
            .await
            .unwrap();
        // Larger than one 128 KiB chunk, so it is stored in several.
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();

        let hash = node_a.put(bytes.clone()).await.unwrap();
        assert_eq!(hash, ContentHash::of(&bytes));
        assert!(node_b.contains(&hash).await.unwrap());
        assert_eq!(node_b.get(&hash).await.unwrap(), Some(bytes.clone()));
        assert_eq!(node_b.put(bytes).await.unwrap(), hash);
    })
    .await;
}

#[tokio::test]
async fn missing_modules_are_none() {
    with_object_bucket("modules", |jetstream, bucket| async move {
        let store = JetStreamModuleStore::open(&jetstream, &bucket)
            .await
            .unwrap();
        let hash = ContentHash::of(b"never stored");
        assert!(!store.contains(&hash).await.unwrap());
        assert_eq!(store.get(&hash).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn corruption_is_reported_and_repaired_by_put() {
    with_object_bucket("modules", |jetstream, bucket| async move {
        let store = JetStreamModuleStore::open(&jetstream, &bucket)
            .await
            .unwrap();
        let bytes = b"module bytes".to_vec();
        let hash = store.put(bytes.clone()).await.unwrap();
        // Someone with access to the bucket writes other bytes under the
        // module's name.
        let raw = jetstream.get_object_store(&bucket).await.unwrap();
        raw.put(hash.to_string().as_str(), &mut &b"module bytez"[..])
            .await
            .unwrap();

        let err = store.get(&hash).await.unwrap_err();
        assert!(
            matches!(&err, ModuleStoreError::Corrupt { expected, actual, .. }
                if *expected == hash && *actual == ContentHash::of(b"module bytez")),
            "{err}"
        );
        assert!(err.to_string().contains("upload the module again"), "{err}");

        assert_eq!(store.put(bytes.clone()).await.unwrap(), hash);
        assert_eq!(store.get(&hash).await.unwrap(), Some(bytes));
    })
    .await;
}
