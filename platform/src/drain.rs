//! A node's drain: what happens between its shutdown signal and its exit.
//!
//! Once a drain begins, the node is no longer ready (`/readyz` answers
//! 503, so load balancers stop sending to it) and, in a cluster, it takes
//! no more void calls from the queue. The calls it runs get until the
//! drain's deadline to finish; those still running then are stopped. A
//! cluster node hands them back to the queue, where another node takes
//! them at once rather than after the acknowledgement wait; a single node
//! records them as failed, saying the server shut down and to call again.

use std::time::Instant;

use tokio::sync::watch;

use crate::Platform;

/// Whether the node drains. Cheap to read on every `/readyz`.
pub(crate) struct Drain {
    draining: watch::Sender<bool>,
}

impl Default for Drain {
    fn default() -> Self {
        Self {
            draining: watch::Sender::new(false),
        }
    }
}

impl Drain {
    /// Begins the drain; later calls change nothing.
    pub(crate) fn begin(&self) {
        self.draining
            .send_if_modified(|draining| !std::mem::replace(draining, true));
    }

    /// Whether the drain has begun.
    pub(crate) fn has_begun(&self) -> bool {
        *self.draining.borrow()
    }

    /// A receiver that sees the drain begin.
    pub(crate) fn subscribe(&self) -> watch::Receiver<bool> {
        self.draining.subscribe()
    }
}

/// How a node's void calls ended its drain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainedCalls {
    /// Calls that finished on this node during the drain.
    pub finished: usize,
    /// Calls still running at the deadline, stopped and handed back to the
    /// cluster's queue for another node (a cluster node only).
    pub handed_back: usize,
    /// Calls still queued or running at the deadline, stopped and recorded
    /// as failed because the server shut down (a single node only: no
    /// other node could run them).
    pub stopped: usize,
}

impl Platform {
    /// Begins draining: the node is no longer ready (see
    /// [`readiness`](Self::readiness)) and, in a cluster, takes no more
    /// void calls from the queue. Requests it is sent are still served.
    pub fn begin_drain(&self) {
        self.inner.drain.begin();
    }

    /// Whether the node drains.
    pub fn is_draining(&self) -> bool {
        self.inner.drain.has_begun()
    }

    /// Begins draining (if it has not begun) and waits until the void calls
    /// this node runs have finished, or until `deadline`; calls still
    /// running then are stopped. A cluster node hands them back to the
    /// queue, where another node takes them at once; a single node records
    /// them as failed, saying the server shut down and to call again (a
    /// second or two after `deadline`, while their stops take effect).
    pub async fn drain_void_calls(&self, deadline: Instant) -> DrainedCalls {
        self.begin_drain();
        match self.inner.cluster.get() {
            Some(link) => link.calls.drain(deadline).await,
            None => self.drain_own_void_calls(deadline).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_drain_begins_once_and_is_seen_by_subscribers() {
        let drain = Drain::default();
        let mut seen = drain.subscribe();
        assert!(!drain.has_begun());
        drain.begin();
        drain.begin();
        assert!(drain.has_begun());
        assert!(*seen.wait_for(|draining| *draining).await.unwrap());
        assert!(
            !seen.has_changed().unwrap(),
            "a second begin changes nothing"
        );
    }
}
