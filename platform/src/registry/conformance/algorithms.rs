//! Algorithms: create, read, update, delete, uploads.

use algobox_runtime::content_hash::ContentHash;

use crate::registry::Registry;
use crate::registry::account::AccountKind;
use crate::registry::algorithm::{AlgorithmUpdate, Details, DetailsUpdate, NewAlgorithm};
use crate::registry::conformance::{acct, algo, required_settings, unknown_id};
use crate::registry::error::RegistryError;
use crate::registry::settings::{Environment, Settings, SettingsUpdate};

fn hello() -> NewAlgorithm {
    NewAlgorithm {
        name: "Hello".into(),
        details: Details {
            label: "Greeting".into(),
            summary: "Says hello".into(),
            tagline: String::new(),
        },
        settings: required_settings(),
    }
}

async fn demo(registry: &dyn Registry) {
    registry
        .create_account(&acct("demo"), AccountKind::User)
        .await
        .unwrap();
}

pub(crate) async fn create_then_get_by_name_and_id(registry: &dyn Registry) {
    demo(registry).await;
    let created = registry
        .create_algorithm(&acct("demo"), &hello())
        .await
        .unwrap();
    assert_eq!(created.id.as_str().len(), 36);
    assert_eq!(created.owner, "demo");
    assert_eq!(created.name, "Hello");
    assert_eq!(created.details.summary, "Says hello");
    assert_eq!(
        created.settings,
        Settings {
            language: Some("rust".into()),
            ..Settings::default()
        }
    );
    assert_eq!(created.source, None);

    assert_eq!(
        registry
            .algorithm(&acct("demo"), &algo("Hello"))
            .await
            .unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        registry
            .algorithm(&acct("Demo"), &algo("hello"))
            .await
            .unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        registry.algorithm_by_id(&created.id).await.unwrap(),
        Some(created)
    );
    assert_eq!(
        registry
            .algorithm(&acct("demo"), &algo("Other"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(registry.algorithm_by_id(&unknown_id()).await.unwrap(), None);
}

pub(crate) async fn duplicate_names_are_refused_with_the_name(registry: &dyn Registry) {
    demo(registry).await;
    let original = registry
        .create_algorithm(&acct("demo"), &hello())
        .await
        .unwrap();
    let mut again = hello();
    again.name = "HELLO".into();
    again.details.summary = "A look-alike".into();
    let err = registry
        .create_algorithm(&acct("demo"), &again)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::AlreadyExists {
            what: "algorithm",
            name: "demo/Hello".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "algorithm `demo/Hello` already exists; choose another name"
    );
    assert_eq!(
        registry
            .algorithm(&acct("demo"), &algo("hello"))
            .await
            .unwrap(),
        Some(original)
    );
    // Another owner may use the name.
    registry
        .create_account(&acct("other"), AccountKind::User)
        .await
        .unwrap();
    registry
        .create_algorithm(&acct("other"), &hello())
        .await
        .unwrap();
}

pub(crate) async fn create_validates_and_needs_an_owner(registry: &dyn Registry) {
    demo(registry).await;
    let mut bad = hello();
    bad.settings.environment = Some("tpu".into());
    let err = registry
        .create_algorithm(&acct("demo"), &bad)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        RegistryError::InvalidField {
            field: "settings.environment",
            ..
        }
    ));
    let mut missing = hello();
    missing.settings.license = None;
    let err = registry
        .create_algorithm(&acct("demo"), &missing)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::MissingFields {
            fields: vec!["settings.license"]
        }
    );
    let err = registry
        .create_algorithm(&acct("ghost"), &hello())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::NoSuchAccount {
            name: "ghost".into()
        }
    );
    assert_eq!(
        registry
            .algorithm(&acct("demo"), &algo("Hello"))
            .await
            .unwrap(),
        None
    );
}

pub(crate) async fn update_changes_only_given_fields(registry: &dyn Registry) {
    demo(registry).await;
    let created = registry
        .create_algorithm(&acct("demo"), &hello())
        .await
        .unwrap();
    let update = AlgorithmUpdate {
        details: DetailsUpdate {
            label: Some("Hi".into()),
            ..DetailsUpdate::default()
        },
        settings: SettingsUpdate {
            environment: Some("gpu".into()),
            ..SettingsUpdate::default()
        },
    };
    let updated = registry
        .update_algorithm(&acct("demo"), &algo("Hello"), &update)
        .await
        .unwrap();
    assert_eq!(updated.details.label, "Hi");
    assert_eq!(updated.details.summary, "Says hello");
    assert_eq!(updated.settings.environment, Environment::Gpu);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(
        registry
            .algorithm(&acct("demo"), &algo("Hello"))
            .await
            .unwrap(),
        Some(updated.clone())
    );

    let bad = AlgorithmUpdate {
        details: DetailsUpdate {
            label: Some(String::new()),
            ..DetailsUpdate::default()
        },
        ..AlgorithmUpdate::default()
    };
    let err = registry
        .update_algorithm(&acct("demo"), &algo("Hello"), &bad)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        RegistryError::InvalidField {
            field: "details.label",
            ..
        }
    ));
    assert_eq!(
        registry
            .algorithm(&acct("demo"), &algo("Hello"))
            .await
            .unwrap(),
        Some(updated),
        "a refused update changes nothing"
    );
    let err = registry
        .update_algorithm(&acct("demo"), &algo("Nope"), &update)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::NoSuchAlgorithm {
            algorithm: "demo/Nope".into()
        }
    );
}

pub(crate) async fn set_source_and_delete(registry: &dyn Registry) {
    demo(registry).await;
    registry
        .create_algorithm(&acct("demo"), &hello())
        .await
        .unwrap();
    let hash = ContentHash::of(b"module");
    let updated = registry
        .set_source(&acct("demo"), &algo("Hello"), &hash)
        .await
        .unwrap();
    assert_eq!(updated.source, Some(hash));
    // A later upload replaces the source; both stay compilable.
    let later = ContentHash::of(b"later");
    registry
        .set_source(&acct("demo"), &algo("hello"), &later)
        .await
        .unwrap();
    for uploaded in [hash, later] {
        assert!(registry.was_uploaded(&updated.id, &uploaded).await.unwrap());
    }
    assert!(
        !registry
            .was_uploaded(&updated.id, &ContentHash::of(b"elsewhere"))
            .await
            .unwrap()
    );
    assert_eq!(
        registry
            .algorithm(&acct("demo"), &algo("Hello"))
            .await
            .unwrap()
            .unwrap()
            .source,
        Some(later)
    );
    assert!(matches!(
        registry
            .set_source(&acct("demo"), &algo("Nope"), &hash)
            .await,
        Err(RegistryError::NoSuchAlgorithm { .. })
    ));

    assert!(
        registry
            .delete_algorithm(&acct("demo"), &algo("hello"))
            .await
            .unwrap()
    );
    assert!(
        !registry
            .delete_algorithm(&acct("demo"), &algo("Hello"))
            .await
            .unwrap()
    );
    assert_eq!(
        registry
            .algorithm(&acct("demo"), &algo("Hello"))
            .await
            .unwrap(),
        None
    );
    assert!(!registry.was_uploaded(&updated.id, &hash).await.unwrap());
    // The name is free again.
    registry
        .create_algorithm(&acct("demo"), &hello())
        .await
        .unwrap();
}
