//! Resolving `owner/name[/version]` for a caller: the algorithm and its
//! versions (cached briefly), the version a spec names, and its compiled
//! code.

use std::sync::Arc;
use std::time::Instant;

use algobox_runtime::compiled_algorithm::CompiledAlgorithm;
use algobox_runtime::content_hash::ContentHash;

use crate::error::PlatformError;
use crate::identity::{AccountName, AlgorithmId, AlgorithmName};
use crate::registry::algorithm::AlgorithmRecord;
use crate::registry::build::{Build, BuildStatus};
use crate::registry::page::PageRequest;
use crate::registry::version::Version;
use crate::registry::version_spec::{VersionSpec, resolve};
use crate::{Caller, Listing, Platform, Target};

impl Platform {
    /// The algorithm, if `caller` manages it; builds are its managers' alone.
    pub(crate) async fn managed(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<(AlgorithmRecord, Vec<Version>), PlatformError> {
        let (algorithm, versions, manages) = self.algorithm(caller, owner, name).await?;
        if !manages {
            return Err(PlatformError::Forbidden(format!(
                "only the owner of {owner}/{name} may see its builds"
            )));
        }
        Ok((algorithm, versions))
    }

    /// Resolves `owner/name[/version]` for `caller` to a compiled algorithm.
    /// A private algorithm of someone else does not exist to the caller.
    pub async fn resolve(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        version: Option<&str>,
    ) -> Result<Target, PlatformError> {
        let spec = version
            .filter(|text| !text.is_empty())
            .map(VersionSpec::parse)
            .transpose()
            .map_err(|err| PlatformError::BadRequest(err.to_string()))?;
        let not_found = || {
            PlatformError::NotFound(format!(
                "algorithm algo://{owner}/{name}{} not found",
                version.map(|v| format!("/{v}")).unwrap_or_default()
            ))
        };
        let listing = self.listing(owner, name).await?.ok_or_else(not_found)?;
        let caller_is_owner = self.manages(caller, owner).await?;
        let (hash, version) = match resolve(spec.as_ref(), &listing.versions, caller_is_owner) {
            Some(index) => (listing.versions[index].commit_sha, Some(index)),
            // An owner may call a build that is not published yet by its hash.
            None => match (&spec, caller_is_owner) {
                (Some(VersionSpec::Hash(hash)), true) => {
                    self.built(&listing.algorithm.id, hash)
                        .await?
                        .ok_or_else(not_found)?;
                    (*hash, None)
                }
                _ => return Err(not_found()),
            },
        };
        let algorithm = self.compiled(&hash).await?;
        Ok(Target {
            algorithm,
            caller_is_owner,
            listing,
            version,
        })
    }

    /// The algorithm and its versions, from the cache or the registry.
    pub(crate) async fn listing(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<Option<Arc<Listing>>, PlatformError> {
        let key = listing_key(owner, name);
        if let Some((listing, at)) = self
            .inner
            .listings
            .lock()
            .expect("listing cache poisoned")
            .get(&key)
            && at.elapsed() < self.listing_ttl()
        {
            return Ok(Some(Arc::clone(listing)));
        }
        let registry = &self.inner.registry;
        let listing = match registry.algorithm(owner, name).await? {
            Some(algorithm) => {
                let versions = registry.all_versions(&algorithm.id).await?;
                Some(Listing {
                    algorithm,
                    versions,
                })
            }
            None => None,
        };
        Ok(listing.map(|listing| {
            let listing = Arc::new(listing);
            self.inner
                .listings
                .lock()
                .expect("listing cache poisoned")
                .insert(key, (Arc::clone(&listing), Instant::now()));
            listing
        }))
    }

    /// Forgets the cached listing of `owner/name` on this node and, in a
    /// cluster, on every other.
    pub(crate) fn forget(&self, owner: &AccountName, name: &AlgorithmName) {
        self.forget_here(owner, name);
        if let Some(link) = self.inner.cluster.get() {
            link.invalidations.announce(owner, name);
        }
    }

    /// Forgets the cached listing of `owner/name` on this node only.
    pub(crate) fn forget_here(&self, owner: &AccountName, name: &AlgorithmName) {
        self.inner
            .listings
            .lock()
            .expect("listing cache poisoned")
            .remove(&listing_key(owner, name));
    }

    /// A succeeded build of `hash`, if the algorithm has one.
    pub(crate) async fn built(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<Option<Build>, PlatformError> {
        let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
        loop {
            let builds = self.inner.registry.builds(algorithm_id, &page).await?;
            if let Some(build) = builds
                .items
                .iter()
                .find(|build| build.commit_sha == *hash && build.status == BuildStatus::Succeeded)
            {
                return Ok(Some(build.clone()));
            }
            match builds.marker {
                Some(marker) => page = PageRequest::after(PageRequest::MAX_LIMIT, marker),
                None => return Ok(None),
            }
        }
    }

    /// The compiled module with this hash: already registered, or loaded
    /// from the store (and the code cache) now.
    pub(crate) async fn compiled(
        &self,
        hash: &ContentHash,
    ) -> Result<CompiledAlgorithm, PlatformError> {
        if let Some(algorithm) = self.inner.runtime.lookup(hash) {
            return Ok(algorithm);
        }
        let bytes = self.inner.modules.get(hash).await?.ok_or_else(|| {
            PlatformError::Internal(format!(
                "module {hash} is referenced by the registry but missing from the module store"
            ))
        })?;
        Ok(self.inner.runtime.register(bytes).await?)
    }
}

/// The cache key of `owner/name`, in one allocation: it is made on every
/// call.
fn listing_key(owner: &AccountName, name: &AlgorithmName) -> String {
    let (owner, name) = (owner.as_str(), name.as_str());
    let mut key = String::with_capacity(owner.len() + 1 + name.len());
    key.push_str(owner);
    key.push('/');
    key.push_str(name);
    key.make_ascii_lowercase();
    key
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use algobox_runtime::content_hash::ContentHash;

    use crate::identity::AccountName;
    use crate::registry::build::BuildStatus;
    use crate::{Platform, PlatformConfig};

    #[tokio::test]
    async fn builds_left_in_progress_by_a_dead_server_fail_saying_what_to_do() {
        let folder = tempfile::tempdir().unwrap();
        let platform = Platform::open(PlatformConfig::new(folder.path()))
            .await
            .unwrap();
        let admin: AccountName = "admin".parse().unwrap();
        platform.bootstrap_admin(None).await.unwrap();
        let request = crate::registry::algorithm::NewAlgorithm {
            name: "Hello".into(),
            details: crate::registry::algorithm::Details {
                label: "Hello".into(),
                ..Default::default()
            },
            settings: crate::registry::conformance::required_settings(),
        };
        let registry = Arc::clone(platform.registry());
        let algorithm = registry.create_algorithm(&admin, &request).await.unwrap();
        let hash = ContentHash::of(b"module");
        let lease = crate::registry::conformance::lease();
        let abandoned = registry
            .start_build(&algorithm.id, &hash, &lease)
            .await
            .unwrap();
        let finished = registry
            .start_build(&algorithm.id, &hash, &lease)
            .await
            .unwrap();
        registry
            .finish_build(&finished.id, true, "ok")
            .await
            .unwrap();
        drop((platform, registry));

        // The server was killed mid-compile; a new one starts.
        let platform = Platform::open(PlatformConfig::new(folder.path()))
            .await
            .unwrap();
        let registry = platform.registry();
        let build = registry
            .build(&algorithm.id, &abandoned.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(build.status, BuildStatus::Failed);
        assert!(
            build.logs.contains("compile the algorithm again"),
            "{}",
            build.logs
        );
        assert!(build.finished_at.is_some());
        // A finished build is left as it was.
        let build = registry
            .build(&algorithm.id, &finished.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (build.status, build.logs.as_str()),
            (BuildStatus::Succeeded, "ok")
        );
    }
}
