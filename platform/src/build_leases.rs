//! The platform's side of build leases: each build in progress is owned by
//! the node compiling it, which renews its lease while it compiles; every
//! node fails, at start and periodically, the builds whose lease lapsed.
//! So a build never stays "in progress" after its node died or its compile
//! was abandoned, and no node fails another live node's compile.

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::identity::BuildId;
use crate::registry::Registry;
use crate::registry::build_lease::{BuildLease, LAPSED_BUILD_LOG};
use crate::{Inner, Platform};

/// The log of the builds a single node finds in progress at start: it
/// alone compiles for its registry, so they were its own earlier run's.
const RESTARTED_BUILD_LOG: &str =
    "The server stopped while this build was compiling; compile the algorithm again.";

impl Platform {
    /// The lease this node takes on the builds it starts.
    pub(crate) fn build_lease(&self) -> BuildLease {
        BuildLease {
            owner: self.inner.node.clone(),
            term: self.inner.build_lease,
        }
    }

    /// Renews `lease` on the build `build_id` every third of its term, for
    /// as long as the returned future is polled (the compile's lifetime);
    /// resolves only if the build is no longer this node's to finish
    /// (this node could not renew in time, and another failed the build).
    pub(crate) async fn keep_build_lease(&self, build_id: &BuildId, lease: &BuildLease) {
        let every = lease.term / 3;
        loop {
            tokio::time::sleep(every).await;
            match self.inner.registry.renew_build_lease(build_id, lease).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(err) => tracing::warn!(
                    %build_id,
                    %err,
                    "cannot renew the lease on a build being compiled; trying again, and other nodes fail the build if its lease lapses"
                ),
            }
        }
    }

    /// Fails the builds left in progress when this node starts (all of
    /// them when it alone compiles for its registry, else those whose
    /// lease lapsed), then keeps failing lapsed ones every third of the
    /// lease term while the platform lives.
    pub(crate) async fn sweep_builds(
        &self,
        sole_compiler: bool,
    ) -> Result<(), crate::error::PlatformError> {
        let registry = &self.inner.registry;
        let failed = if sole_compiler {
            registry.fail_unfinished_builds(RESTARTED_BUILD_LOG).await?
        } else {
            registry.fail_lapsed_builds(LAPSED_BUILD_LOG).await?
        };
        if failed > 0 {
            tracing::warn!(
                failed,
                "failed the builds that stopped nodes left in progress"
            );
        }
        let every = self.inner.build_lease / 3;
        tokio::spawn(sweep_lapsed(
            Arc::downgrade(&self.inner),
            Arc::clone(registry),
            every,
        ));
        Ok(())
    }
}

/// Fails lapsed builds every `every`, until the platform is dropped.
async fn sweep_lapsed(platform: Weak<Inner>, registry: Arc<dyn Registry>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        if platform.strong_count() == 0 {
            return;
        }
        match registry.fail_lapsed_builds(LAPSED_BUILD_LOG).await {
            Ok(0) => {}
            Ok(failed) => tracing::warn!(
                failed,
                "failed builds whose node stopped renewing their lease"
            ),
            Err(err) => {
                tracing::warn!(%err, "cannot look for builds whose node stopped; trying again later");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use algobox_runtime::content_hash::ContentHash;

    use super::*;
    use crate::PlatformConfig;
    use crate::identity::{AlgorithmId, NodeId};
    use crate::registry::build::{Build, BuildStatus};
    use crate::registry::sqlite::SqliteRegistry;
    use crate::shared_parts::SharedParts;

    /// A build of `owner`'s with a lease of `term`.
    async fn started(
        registry: &Arc<dyn Registry>,
        algorithm: &AlgorithmId,
        owner: &NodeId,
        term: Duration,
    ) -> Build {
        let lease = BuildLease {
            owner: owner.clone(),
            term,
        };
        registry
            .start_build(algorithm, &ContentHash::of(b"module"), &lease)
            .await
            .unwrap()
    }

    async fn status(registry: &Arc<dyn Registry>, build: &Build) -> Build {
        registry
            .build(&build.algorithm_id, &build.id)
            .await
            .unwrap()
            .unwrap()
    }

    /// A node sharing its registry fails, at start and then periodically,
    /// the builds of nodes that stopped renewing, and never a live node's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_fail_lapsed_builds_at_start_and_periodically_but_no_live_nodes() {
        let folder = tempfile::tempdir().unwrap();
        let registry: Arc<dyn Registry> =
            Arc::new(SqliteRegistry::open(folder.path().join("shared.sqlite3")).unwrap());
        registry
            .create_account(
                &"demo".parse().unwrap(),
                crate::registry::account::AccountKind::User,
            )
            .await
            .unwrap();
        let algorithm = registry
            .create_algorithm(
                &"demo".parse().unwrap(),
                &crate::registry::conformance::new_algorithm("Hello"),
            )
            .await
            .unwrap()
            .id;
        let (dead, live) = (NodeId::random(), NodeId::random());
        let lapsed = started(&registry, &algorithm, &dead, Duration::ZERO).await;
        let lapsing = started(&registry, &algorithm, &dead, Duration::from_millis(500)).await;
        let alive = started(&registry, &algorithm, &live, Duration::from_secs(60)).await;

        let config = PlatformConfig {
            build_lease: Duration::from_millis(300),
            ..PlatformConfig::new(folder.path())
        };
        let shared = SharedParts {
            registry: Some(Arc::clone(&registry)),
            sole_compiler: false,
            ..SharedParts::default()
        };
        let platform = Platform::open_with(config, shared).await.unwrap();
        // At start: the lapsed build fails, saying what to do.
        let failed = status(&registry, &lapsed).await;
        assert_eq!(failed.status, BuildStatus::Failed);
        assert_eq!(failed.logs, LAPSED_BUILD_LOG);
        assert!(failed.logs.contains("compile the algorithm again"));
        assert_eq!(
            status(&registry, &lapsing).await.status,
            BuildStatus::InProgress
        );

        // Then periodically, once the lease lapses.
        let deadline = Instant::now() + Duration::from_secs(10);
        while status(&registry, &lapsing).await.status == BuildStatus::InProgress {
            assert!(Instant::now() < deadline, "the lapsed build never failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status(&registry, &lapsing).await.logs, LAPSED_BUILD_LOG);
        let alive = status(&registry, &alive).await;
        assert_eq!(alive.status, BuildStatus::InProgress, "a live node's build");
        assert_eq!(alive.owner, Some(live));
        drop(platform);
    }
}
