//! Managing algorithms: create, update, delete, upload, compile, publish,
//! and the builds and versions that result, with the owner's permissions.

use std::time::Instant;

use algobox_runtime::content_hash::ContentHash;

use crate::error::PlatformError;
use crate::identity::{AccountName, AlgorithmName, BuildId};
use crate::registry::algorithm::{AlgorithmRecord, AlgorithmUpdate, NewAlgorithm};
use crate::registry::build::Build;
use crate::registry::error::RegistryError;
use crate::registry::page::{Page, PageRequest};
use crate::registry::version::{PublishRequest, Version};
use crate::{Caller, Platform};

impl Platform {
    /// The algorithm as the registry has it now (not the short-lived
    /// listing a call resolves through).
    async fn registered(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<AlgorithmRecord, PlatformError> {
        self.inner
            .registry
            .algorithm(owner, name)
            .await?
            .ok_or_else(|| PlatformError::no_algorithm(owner, name))
    }

    /// Creates an algorithm owned by `owner`.
    pub async fn create_algorithm(
        &self,
        caller: &Caller,
        owner: &AccountName,
        request: NewAlgorithm,
    ) -> Result<AlgorithmRecord, PlatformError> {
        self.require_manager(caller, owner).await?;
        Ok(self
            .inner
            .registry
            .create_algorithm(owner, &request)
            .await?)
    }

    /// The algorithm, if `caller` may see it: its managers always, others
    /// once it has a public version.
    pub async fn algorithm(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<(AlgorithmRecord, Vec<Version>, bool), PlatformError> {
        self.forget_here(owner, name);
        let missing = || PlatformError::no_algorithm(owner, name);
        let listing = self.listing(owner, name).await?.ok_or_else(missing)?;
        let manages = self.manages(caller, owner).await?;
        let versions: Vec<Version> = listing
            .versions
            .iter()
            .filter(|version| manages || version.is_public())
            .cloned()
            .collect();
        if !manages && versions.is_empty() {
            return Err(missing());
        }
        Ok((listing.algorithm.clone(), versions, manages))
    }

    /// Updates an algorithm's details and settings.
    pub async fn update_algorithm(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        update: AlgorithmUpdate,
    ) -> Result<AlgorithmRecord, PlatformError> {
        self.require_manager(caller, owner).await?;
        let algorithm = self
            .inner
            .registry
            .update_algorithm(owner, name, &update)
            .await?;
        self.forget(owner, name);
        Ok(algorithm)
    }

    /// Deletes an algorithm with its builds and versions.
    pub async fn delete_algorithm(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<(), PlatformError> {
        self.require_manager(caller, owner).await?;
        let deleted = self.inner.registry.delete_algorithm(owner, name).await?;
        self.forget(owner, name);
        if deleted {
            Ok(())
        } else {
            Err(PlatformError::no_algorithm(owner, name))
        }
    }

    /// Stores an uploaded module as the algorithm's source. The module is
    /// written durably before the registry points at it, so a crash leaves
    /// at worst an unreferenced file.
    pub async fn upload(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        wasm: Vec<u8>,
    ) -> Result<(AlgorithmRecord, ContentHash), PlatformError> {
        self.require_manager(caller, owner).await?;
        // A `wasm32-wasip1` module is stored as the component it becomes.
        let wasm = self.inner.runtime.admit(wasm).await?;
        self.registered(owner, name).await?;
        let registry = &self.inner.registry;
        let hash = self.inner.modules.put(wasm).await?;
        let algorithm = registry.set_source(owner, name, &hash).await?;
        self.forget(owner, name);
        Ok((algorithm, hash))
    }

    /// Compiles a module into a new build: `module`, which must have been
    /// uploaded to this algorithm, or else the one uploaded last. Naming
    /// the module is what makes concurrent deploys safe: each compiles what
    /// it uploaded, whatever was uploaded since. A module that fails to
    /// compile gives a failed build whose logs say why, not an error.
    pub async fn compile(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        module: Option<&ContentHash>,
    ) -> Result<(AlgorithmRecord, Build), PlatformError> {
        self.require_manager(caller, owner).await?;
        let algorithm = self.registered(owner, name).await?;
        let registry = &self.inner.registry;
        let hash = match module {
            Some(hash) if registry.was_uploaded(&algorithm.id, hash).await? => *hash,
            Some(hash) => {
                return Err(PlatformError::BadRequest(format!(
                    "module {hash} was never uploaded to {owner}/{name}; upload it with PUT /v1/algorithms/{owner}/{name}/source, or leave out the hash to compile the last upload"
                )));
            }
            None => algorithm.source.ok_or_else(|| {
                PlatformError::BadRequest(format!(
                    "{owner}/{name} has no module to compile; upload one first with PUT /v1/algorithms/{owner}/{name}/source"
                ))
            })?,
        };
        // One compile per account at a time; the build starts once it is
        // this compile's turn, so a waiting one is not "in progress".
        let _turn = self.inner.compiles.turn(owner).await?;
        let lease = self.build_lease();
        let build = registry.start_build(&algorithm.id, &hash, &lease).await?;
        let started = Instant::now();
        // The lease is renewed for as long as the compile runs here; a
        // compile abandoned (its request dropped) stops renewing, and the
        // build fails once the lease lapses.
        let outcome = tokio::select! {
            outcome = self.compiled(&build.commit_sha) => outcome,
            () = self.keep_build_lease(&build.id, &lease) => {
                return self.recorded_build(algorithm, build).await;
            }
        };
        let (succeeded, logs) = match &outcome {
            Ok(_) => (
                true,
                format!(
                    "Compiled module {} in {:.1} ms.\nIt exports the algobox:algorithm lifecycle.",
                    build.commit_sha,
                    started.elapsed().as_secs_f64() * 1000.0
                ),
            ),
            Err(err) => (
                false,
                format!("Compiling module {} failed: {err}", build.commit_sha),
            ),
        };
        match registry.finish_build(&build.id, succeeded, &logs).await {
            Ok(build) => Ok((algorithm, build)),
            // Its lease lapsed while this node could not renew it, and
            // another node failed it, saying why.
            Err(RegistryError::BuildFinished { .. }) => self.recorded_build(algorithm, build).await,
            Err(err) => Err(err.into()),
        }
    }

    /// The build as the registry has it now, for a compile whose build
    /// another node ended.
    async fn recorded_build(
        &self,
        algorithm: AlgorithmRecord,
        build: Build,
    ) -> Result<(AlgorithmRecord, Build), PlatformError> {
        let recorded = self.inner.registry.build(&algorithm.id, &build.id).await?;
        Ok((algorithm, recorded.unwrap_or(build)))
    }

    /// Publishes a build as a new version: the one named by `build_id`, or
    /// else the latest. Naming the build is what makes concurrent deploys
    /// safe: each publishes the build it compiled, not whichever came last.
    pub async fn publish(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        build_id: Option<&BuildId>,
        request: impl FnOnce(&Build) -> PublishRequest + Send,
    ) -> Result<(AlgorithmRecord, Version, Build), PlatformError> {
        self.require_manager(caller, owner).await?;
        let algorithm = self.registered(owner, name).await?;
        let registry = &self.inner.registry;
        let build = match build_id {
            Some(build_id) => registry
                .build(&algorithm.id, build_id)
                .await?
                .ok_or_else(|| {
                    PlatformError::BadRequest(format!(
                        "{owner}/{name} has no build {build_id}; list its builds with GET /v1/algorithms/{owner}/{name}/builds"
                    ))
                })?,
            None => registry
                .builds(&algorithm.id, &PageRequest::first(1))
                .await?
                .items
                .into_iter()
                .next()
                .ok_or_else(|| {
                    PlatformError::BadRequest(format!(
                        "{owner}/{name} has no build to publish; upload a module and compile it first"
                    ))
                })?,
        };
        let version = registry.publish(&algorithm.id, &request(&build)).await?;
        let algorithm = registry.algorithm(owner, name).await?.unwrap_or(algorithm);
        self.forget(owner, name);
        Ok((algorithm, version, build))
    }

    /// A page of the algorithm's builds (managers only).
    pub async fn builds(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        page: PageRequest,
    ) -> Result<(AlgorithmRecord, Page<Build>), PlatformError> {
        let (algorithm, _) = self.managed(caller, owner, name).await?;
        let page = self.inner.registry.builds(&algorithm.id, &page).await?;
        Ok((algorithm, page))
    }

    /// One build (managers only), with the version it was published as.
    pub async fn build(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        build_id: &BuildId,
    ) -> Result<(AlgorithmRecord, Build, Option<Version>), PlatformError> {
        let (algorithm, versions) = self.managed(caller, owner, name).await?;
        let build = self
            .inner
            .registry
            .build(&algorithm.id, build_id)
            .await?
            .ok_or_else(|| {
                PlatformError::NotFound(
                    "no such build; list the algorithm's builds for valid ids".to_owned(),
                )
            })?;
        let version = versions
            .into_iter()
            .find(|version| version.build_id == build.id);
        Ok((algorithm, build, version))
    }

    /// A page of published versions the caller may see.
    pub async fn versions(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        page: PageRequest,
    ) -> Result<(AlgorithmRecord, Page<Version>), PlatformError> {
        let (algorithm, _, manages) = self.algorithm(caller, owner, name).await?;
        let page = self
            .inner
            .registry
            .versions(&algorithm.id, &page, !manages)
            .await?;
        Ok((algorithm, page))
    }

    /// The build with its version, if published, by the module's hash.
    pub async fn version(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        hash: &ContentHash,
    ) -> Result<(AlgorithmRecord, Option<Version>, Build), PlatformError> {
        let (algorithm, versions, manages) = self.algorithm(caller, owner, name).await?;
        // After a rollback several versions share the module: the newest.
        let version = versions
            .into_iter()
            .filter(|version| version.commit_sha == *hash)
            .max_by(|a, b| a.version.cmp(&b.version));
        let not_found =
            || PlatformError::NotFound(format!("{owner}/{name} has no version built from {hash}"));
        let build_id = match (&version, manages) {
            (Some(version), _) => version.build_id.clone(),
            (None, true) => {
                self.built(&algorithm.id, hash)
                    .await?
                    .ok_or_else(not_found)?
                    .id
            }
            (None, false) => return Err(not_found()),
        };
        let build = self
            .inner
            .registry
            .build(&algorithm.id, &build_id)
            .await?
            .ok_or_else(not_found)?;
        Ok((algorithm, version, build))
    }
}
