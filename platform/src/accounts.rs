//! Accounts and keys as the platform uses them: the bootstrap admin,
//! authentication with its short cache, and who manages whose algorithms.

use std::time::Instant;

use crate::error::PlatformError;
use crate::identity::AccountName;
use crate::registry::account::AccountKind;
use crate::registry::error::RegistryError;
use crate::{ADMIN_KEY_LABEL, CACHE_TTL, Caller, Platform};

impl Platform {
    /// Creates the user `admin` if it does not exist. With `key`, installs
    /// that key for it (on every start, idempotently), revokes any other key
    /// installed that way (so changing `ALGOBOX_ADMIN_KEY` retires the old
    /// one) and returns `None`; otherwise returns a new key when `admin` was
    /// just created.
    pub async fn bootstrap_admin(
        &self,
        key: Option<&str>,
    ) -> Result<Option<String>, PlatformError> {
        let registry = &self.inner.registry;
        let admin = AccountName::parse("admin").expect("`admin` is an account name");
        let admin = &admin;
        let created = match registry.account(admin).await? {
            Some(_) => false,
            None => match registry.create_account(admin, AccountKind::User).await {
                Ok(_) => true,
                // Another server sharing the registry (PostgreSQL) created
                // it between the look-up and here: it hands out the key.
                Err(RegistryError::AlreadyExists { .. }) => false,
                Err(err) => return Err(err.into()),
            },
        };
        if let Some(key) = key {
            let installed = registry.set_key(admin, ADMIN_KEY_LABEL, key).await?;
            for old in registry.list_keys(admin).await? {
                if old.label == ADMIN_KEY_LABEL && old.id != installed.id {
                    registry.revoke_key(admin, &old.id).await?;
                    tracing::info!(
                        key = %old.shown_prefix,
                        "revoked the previous ALGOBOX_ADMIN_KEY"
                    );
                }
            }
            // Keys already authenticated stay trusted for the cache's life;
            // a retired admin key must not.
            self.inner.keys.lock().expect("key cache poisoned").clear();
            return Ok(None);
        }
        if created {
            let (_, key) = registry.create_key(admin, "created on first start").await?;
            return Ok(Some(key));
        }
        Ok(None)
    }

    /// The caller a key authenticates.
    pub async fn authenticate(&self, key: Option<&str>) -> Result<Caller, PlatformError> {
        let key = key.ok_or(PlatformError::Unauthorized)?;
        if let Some((caller, at)) = self.inner.keys.lock().expect("key cache poisoned").get(key)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(caller.clone());
        }
        let account = self.inner.registry.authenticate(key).await?;
        let caller = Caller {
            name: account.ok_or(PlatformError::Unauthorized)?.name,
        };
        self.inner
            .keys
            .lock()
            .expect("key cache poisoned")
            .insert(key.to_owned(), (caller.clone(), Instant::now()));
        Ok(caller)
    }

    /// Whether `caller` manages `owner`'s algorithms: it is `owner`, or a
    /// member of the organization `owner`.
    pub async fn manages(
        &self,
        caller: &Caller,
        owner: &AccountName,
    ) -> Result<bool, PlatformError> {
        if caller.name.matches(owner) {
            return Ok(true);
        }
        Ok(self.inner.registry.is_member(owner, &caller.name).await?)
    }

    /// Fails with [`PlatformError::Forbidden`] unless `caller` manages
    /// `owner`'s algorithms; the server asks before it reads an upload.
    pub async fn require_manager(
        &self,
        caller: &Caller,
        owner: &AccountName,
    ) -> Result<(), PlatformError> {
        if self.manages(caller, owner).await? {
            Ok(())
        } else {
            Err(PlatformError::Forbidden(format!(
                "{} may not manage the algorithms of {owner}; use a key of {owner} or of a member of that organization",
                caller.name
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures_util::future::join_all;

    use crate::error::PlatformError;
    use crate::registry::postgres::test_database::TestDatabase;
    use crate::{Platform, PlatformConfig};

    #[tokio::test]
    async fn a_new_admin_key_retires_the_previous_one_and_leaves_other_keys() {
        let folder = tempfile::tempdir().unwrap();
        let platform = Platform::open(PlatformConfig::new(folder.path()))
            .await
            .unwrap();
        let generated = platform.bootstrap_admin(None).await.unwrap().unwrap();
        let first = "operator-key-number-one-0123456789";
        let second = "operator-key-number-two-0123456789";
        assert_eq!(platform.bootstrap_admin(Some(first)).await.unwrap(), None);
        assert_eq!(
            platform.authenticate(Some(first)).await.unwrap().name,
            "admin"
        );

        // The operator changes ALGOBOX_ADMIN_KEY and restarts.
        assert_eq!(platform.bootstrap_admin(Some(second)).await.unwrap(), None);
        assert!(matches!(
            platform.authenticate(Some(first)).await,
            Err(PlatformError::Unauthorized)
        ));
        assert_eq!(
            platform.authenticate(Some(second)).await.unwrap().name,
            "admin"
        );
        // The key made on first start is the admin's own, not the
        // operator's: it stays.
        assert_eq!(
            platform.authenticate(Some(&generated)).await.unwrap().name,
            "admin"
        );
        // The same key again changes nothing.
        assert_eq!(platform.bootstrap_admin(Some(second)).await.unwrap(), None);
        assert_eq!(
            platform.authenticate(Some(second)).await.unwrap().name,
            "admin"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn servers_sharing_a_registry_bootstrap_the_admin_once() {
        let database = TestDatabase::create().await;
        let mut platforms = Vec::new();
        let mut folders = Vec::new();
        for _ in 0..4 {
            let folder = tempfile::tempdir().unwrap();
            let registry = Arc::new(database.registry().await);
            platforms.push(
                Platform::open_with(
                    PlatformConfig::new(folder.path()),
                    crate::shared_parts::SharedParts {
                        registry: Some(registry),
                        ..Default::default()
                    },
                )
                .await
                .unwrap(),
            );
            folders.push(folder);
        }
        // All start at once on the empty registry: one creates `admin` and
        // gets its key; the others start too, without one.
        let keys = join_all(platforms.iter().map(|p| p.bootstrap_admin(None))).await;
        let keys: Vec<String> = keys.into_iter().filter_map(|key| key.unwrap()).collect();
        assert_eq!(keys.len(), 1, "{keys:?}");
        for platform in &platforms {
            assert_eq!(
                platform.authenticate(Some(&keys[0])).await.unwrap().name,
                "admin"
            );
        }
        // With a chosen key, every server installs the same one.
        let chosen = "operator-key-for-the-cluster-0123456789";
        let installed = join_all(platforms.iter().map(|p| p.bootstrap_admin(Some(chosen)))).await;
        for result in installed {
            assert_eq!(result.unwrap(), None);
        }
        assert_eq!(
            platforms[3].authenticate(Some(chosen)).await.unwrap().name,
            "admin"
        );
    }
}
