//! Accounts, memberships and API keys.

use crate::registry::Registry;
use crate::registry::account::AccountKind;
use crate::registry::conformance::acct;
use crate::registry::error::RegistryError;

pub(crate) async fn accounts_are_created_once_and_found_without_regard_to_case(
    registry: &dyn Registry,
) {
    let demo = registry
        .create_account(&acct("Demo"), AccountKind::User)
        .await
        .unwrap();
    assert_eq!(demo.name, "Demo");
    assert_eq!(demo.kind, AccountKind::User);

    let found = registry.account(&acct("demo")).await.unwrap().unwrap();
    assert_eq!(found, demo);
    assert_eq!(registry.account(&acct("nobody")).await.unwrap(), None);

    let err = registry
        .create_account(&acct("DEMO"), AccountKind::Organization)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::AlreadyExists {
            what: "account",
            name: "Demo".into()
        }
    );
    // The refused look-alike left the original as it was.
    assert_eq!(registry.account(&acct("DEMO")).await.unwrap(), Some(demo));
}

pub(crate) async fn organizations_have_user_members(registry: &dyn Registry) {
    registry
        .create_account(&acct("acme"), AccountKind::Organization)
        .await
        .unwrap();
    for user in ["alice", "bob"] {
        registry
            .create_account(&acct(user), AccountKind::User)
            .await
            .unwrap();
    }

    registry
        .add_member(&acct("acme"), &acct("alice"))
        .await
        .unwrap();
    registry
        .add_member(&acct("ACME"), &acct("alice"))
        .await
        .unwrap();
    assert!(
        registry
            .is_member(&acct("acme"), &acct("alice"))
            .await
            .unwrap()
    );
    assert!(
        registry
            .is_member(&acct("ACME"), &acct("Alice"))
            .await
            .unwrap()
    );
    assert!(
        !registry
            .is_member(&acct("acme"), &acct("bob"))
            .await
            .unwrap()
    );
    assert!(
        !registry
            .is_member(&acct("nobody"), &acct("bob"))
            .await
            .unwrap()
    );

    let err = registry
        .add_member(&acct("alice"), &acct("bob"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`alice` is a user, but this needs an organization"
    );
    let err = registry
        .add_member(&acct("acme"), &acct("acme"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`acme` is an organization, but this needs a user"
    );
    let err = registry
        .add_member(&acct("acme"), &acct("ghost"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::NoSuchAccount {
            name: "ghost".into()
        }
    );
}

/// `alice` and `bob`, users.
async fn two_users(registry: &dyn Registry) {
    for user in ["alice", "bob"] {
        registry
            .create_account(&acct(user), AccountKind::User)
            .await
            .unwrap();
    }
}

pub(crate) async fn a_created_key_authenticates_and_a_wrong_one_does_not(registry: &dyn Registry) {
    two_users(registry).await;
    let (info, key) = registry.create_key(&acct("alice"), "laptop").await.unwrap();
    assert_eq!(info.account, "alice");
    assert_eq!(info.label, "laptop");
    assert_eq!(info.shown_prefix, key[..7]);
    assert!(key.starts_with("sim") && key.len() == 43, "{key}");

    let account = registry.authenticate(&key).await.unwrap().unwrap();
    assert_eq!(account.name, "alice");
    let mut wrong = key.clone();
    wrong.pop();
    wrong.push('!');
    assert_eq!(registry.authenticate(&wrong).await.unwrap(), None);
    assert_eq!(registry.authenticate("").await.unwrap(), None);
    assert_eq!(
        registry.list_keys(&acct("ALICE")).await.unwrap(),
        vec![info]
    );
    assert!(registry.list_keys(&acct("bob")).await.unwrap().is_empty());
}

pub(crate) async fn an_operator_key_installs_idempotently(registry: &dyn Registry) {
    two_users(registry).await;
    let first = registry
        .set_key(&acct("alice"), "admin", "operator-chosen-key-1")
        .await
        .unwrap();
    let again = registry
        .set_key(&acct("alice"), "admin", "operator-chosen-key-1")
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(
        registry.list_keys(&acct("alice")).await.unwrap(),
        vec![first]
    );
    assert_eq!(
        registry
            .authenticate("operator-chosen-key-1")
            .await
            .unwrap()
            .map(|a| a.name),
        Some(acct("alice"))
    );
    // Bob cannot take alice's key, and trying leaves it hers.
    assert_eq!(
        registry
            .set_key(&acct("bob"), "admin", "operator-chosen-key-1")
            .await,
        Err(RegistryError::KeyInUse)
    );
    assert!(registry.list_keys(&acct("bob")).await.unwrap().is_empty());
    assert_eq!(
        registry
            .authenticate("operator-chosen-key-1")
            .await
            .unwrap()
            .map(|a| a.name),
        Some(acct("alice"))
    );
    let err = registry
        .set_key(&acct("alice"), "admin", "")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::InvalidField { field: "key", .. }),
        "{err}"
    );
    assert_eq!(
        registry.set_key(&acct("ghost"), "admin", "some-key").await,
        Err(RegistryError::NoSuchAccount {
            name: "ghost".into()
        })
    );
}

pub(crate) async fn revoked_keys_stop_working(registry: &dyn Registry) {
    two_users(registry).await;
    let (first, first_key) = registry.create_key(&acct("alice"), "one").await.unwrap();
    let (second, second_key) = registry.create_key(&acct("alice"), "two").await.unwrap();
    let ids: Vec<_> = registry
        .list_keys(&acct("alice"))
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(ids, [first.id.clone(), second.id.clone()]);

    assert!(
        !registry.revoke_key(&acct("bob"), &first.id).await.unwrap(),
        "bob cannot revoke alice's key"
    );
    assert!(registry.authenticate(&first_key).await.unwrap().is_some());
    assert!(
        registry
            .revoke_key(&acct("alice"), &first.id)
            .await
            .unwrap()
    );
    assert!(
        !registry
            .revoke_key(&acct("alice"), &first.id)
            .await
            .unwrap()
    );
    assert_eq!(registry.authenticate(&first_key).await.unwrap(), None);
    assert!(registry.authenticate(&second_key).await.unwrap().is_some());
    assert_eq!(
        registry.list_keys(&acct("alice")).await.unwrap(),
        vec![second]
    );
    assert!(matches!(
        registry.create_key(&acct("ghost"), "x").await,
        Err(RegistryError::NoSuchAccount { .. })
    ));
    assert!(matches!(
        registry.list_keys(&acct("ghost")).await,
        Err(RegistryError::NoSuchAccount { .. })
    ));
}
