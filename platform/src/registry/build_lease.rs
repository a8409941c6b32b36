//! The lease a node holds on a build while it compiles it.

use std::time::Duration;

use crate::identity::NodeId;

/// A node's claim on an in-progress build: the build stays in progress
/// while its owner renews the lease, and once the lease has lapsed (the
/// owner died, or its compile was abandoned) any node fails it, so that no
/// build stays "in progress" forever and no node fails another live
/// node's compile. Lease times are read from the registry's clock, so the
/// nodes' clocks need not agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildLease {
    /// The node compiling.
    pub owner: NodeId,
    /// How long the lease lasts from its start or last renewal.
    pub term: Duration,
}

impl BuildLease {
    /// The term in whole milliseconds, as the registries store times.
    pub(crate) fn term_millis(&self) -> i64 {
        i64::try_from(self.term.as_millis()).unwrap_or(i64::MAX)
    }
}

/// The log of a build failed because its lease lapsed: what happened and
/// what to do.
pub const LAPSED_BUILD_LOG: &str = "The node compiling this build stopped (it was shut down, crashed or lost the registry) before the build finished; compile the algorithm again.";
