//! How a server drains between its shutdown signal and its exit.

use std::time::Duration;

/// The drain of [`serve_with`](crate::serve_with): from the shutdown
/// signal on, `/readyz` answers 503 and a cluster node takes no more void
/// calls; the server keeps accepting connections for [`linger`](Self::linger),
/// so that load balancers see it is not ready before connections are
/// refused, then stops accepting. Requests in flight and the void calls
/// the node runs get until [`within`](Self::within) after the signal to
/// finish; then void calls still running are handed back to the cluster's
/// queue for another node, and open connections are closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainPolicy {
    /// How long after the signal the server still accepts connections.
    pub linger: Duration,
    /// How long after the signal work in flight may take to finish.
    pub within: Duration,
}

impl Default for DrainPolicy {
    /// No lingering, 30 s for work in flight.
    fn default() -> Self {
        Self {
            linger: Duration::ZERO,
            within: Duration::from_secs(30),
        }
    }
}

/// Why a drain policy cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the drain lingers {linger:?} but lasts only {within:?}; the time it lingers is part of the drain, so make the drain time longer than the linger"
)]
pub struct DrainPolicyError {
    linger: Duration,
    within: Duration,
}

impl DrainPolicy {
    /// Checks that the server stops accepting before the drain ends.
    pub fn validate(&self) -> Result<(), DrainPolicyError> {
        if self.linger > self.within {
            return Err(DrainPolicyError {
                linger: self.linger,
                within: self.within,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drain_must_outlast_its_linger() {
        assert_eq!(DrainPolicy::default().validate(), Ok(()));
        let policy = DrainPolicy {
            linger: Duration::from_secs(10),
            within: Duration::from_secs(5),
        };
        let err = policy.validate().unwrap_err();
        assert!(
            err.to_string()
                .contains("make the drain time longer than the linger"),
            "{err}"
        );
    }
}
