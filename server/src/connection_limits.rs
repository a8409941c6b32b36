//! How many connections the server holds, in all and per client address,
//! so that one client opening connections and sending nothing cannot take
//! every file descriptor, and everyone else's requests with them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The connection settings of [`serve_with`](crate::serve_with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once; past it, new ones are closed at once.
    pub max: usize,
    /// Connections open at once from one address. Behind a load balancer,
    /// which is one address, raise it to `max`.
    pub per_peer: usize,
    /// How long a client may take to send a request's headers, also while
    /// a kept-alive connection waits for its next request.
    pub header_timeout: Duration,
    /// How long a request body may take before [`min_body_rate`](Self::min_body_rate)
    /// applies.
    pub body_grace: Duration,
    /// Bytes per second a request body must average, after its grace; a
    /// slower one fails with 400, so a client cannot hold a request open
    /// by trickling its body.
    pub min_body_rate: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max: 16_384,
            per_peer: 1_024,
            header_timeout: Duration::from_secs(30),
            body_grace: Duration::from_secs(10),
            min_body_rate: 16 << 10,
        }
    }
}

/// Counts open connections against the limits.
#[derive(Debug)]
pub(crate) struct Gate {
    limits: ConnectionLimits,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_peer: HashMap<IpAddr, usize>,
}

/// An admitted connection, counted until dropped.
#[derive(Debug)]
pub(crate) struct Admitted {
    gate: Arc<Gate>,
    peer: IpAddr,
}

impl Gate {
    pub(crate) fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: Mutex::default(),
        })
    }

    /// The limits it applies.
    pub(crate) fn limits(&self) -> &ConnectionLimits {
        &self.limits
    }

    /// Admits a connection from `peer`, or says which limit refuses it.
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Admitted, &'static str> {
        let mut open = self.lock();
        if open.total >= self.limits.max {
            return Err("the server's connection limit");
        }
        let from_peer = open.by_peer.entry(peer).or_default();
        if *from_peer >= self.limits.per_peer {
            return Err("the per-address connection limit");
        }
        *from_peer += 1;
        open.total += 1;
        Ok(Admitted {
            gate: Arc::clone(self),
            peer,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        // Counts change in single statements: a panic leaves them whole.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.gate.lock();
        open.total -= 1;
        if let Some(count) = open.by_peer.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                open.by_peer.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_gets_its_share_and_the_total_holds() {
        let gate = Gate::new(ConnectionLimits {
            max: 3,
            per_peer: 2,
            ..ConnectionLimits::default()
        });
        let (a, b, c) = (
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            "10.0.0.3".parse().unwrap(),
        );
        let first = gate.admit(a).unwrap();
        let _second = gate.admit(a).unwrap();
        assert_eq!(
            gate.admit(a).err(),
            Some("the per-address connection limit")
        );
        let _third = gate.admit(b).unwrap();
        assert_eq!(gate.admit(c).err(), Some("the server's connection limit"));
        drop(first);
        assert!(gate.admit(c).is_ok());
        assert!(gate.admit(a).is_ok());
    }
}
