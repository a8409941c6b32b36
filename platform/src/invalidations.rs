//! Cache invalidations between the nodes of a cluster, over NATS.
//!
//! Each node caches algorithm listings (an algorithm and its versions) so
//! that a call touches no shared store once its version is resolved. A
//! write through one node forgets its own entry at once and announces the
//! algorithm on `<cluster>.invalidate`; every node forgets that entry when
//! the announcement arrives, in milliseconds. The cache's lifetime
//! ([`Platform::join_cluster`]'s `backstop`) bounds staleness if an
//! announcement is lost (NATS core delivery is at most once).

use std::sync::{Arc, Weak};

use async_nats::Client;
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::identity::{AccountName, AlgorithmName, ClusterName};
use crate::{Inner, Platform};

/// One announcement: the algorithm whose listing every node forgets.
#[derive(Debug, Serialize, Deserialize)]
struct Invalidation {
    owner: String,
    algorithm: String,
}

/// This node's link to the others: where it announces its writes.
pub(crate) struct Invalidations {
    client: Client,
    subject: String,
}

impl Invalidations {
    /// Tells every node (this one included) to forget the listing of
    /// `owner/name`. Never fails a write: an announcement that cannot be
    /// sent is logged, and the backstop expires the other nodes' entries.
    pub(crate) fn announce(&self, owner: &AccountName, name: &AlgorithmName) {
        let message = Invalidation {
            owner: owner.as_str().to_owned(),
            algorithm: name.as_str().to_owned(),
        };
        let payload = serde_json::to_vec(&message).expect("plain strings serialize");
        let client = self.client.clone();
        let subject = self.subject.clone();
        tokio::spawn(async move {
            if let Err(err) = client.publish(subject, payload.into()).await {
                tracing::warn!(%err, "could not announce an algorithm change to the cluster; other nodes see it when their cache expires");
            }
        });
    }
}

/// The subject a cluster's invalidations travel on.
pub(crate) fn subject(cluster: &ClusterName) -> String {
    format!("{cluster}.invalidate")
}

/// Subscribes this node to the cluster's invalidations and returns the
/// link that announces its own. The subscriber holds the platform weakly
/// and ends when the platform is dropped.
pub(crate) async fn connect(
    client: Client,
    cluster: &ClusterName,
    platform: &Arc<Inner>,
) -> Result<Invalidations, async_nats::SubscribeError> {
    let subject = subject(cluster);
    let mut subscription = client.subscribe(subject.clone()).await?;
    let platform: Weak<Inner> = Arc::downgrade(platform);
    tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            let Some(inner) = platform.upgrade() else {
                break;
            };
            match parse(&message.payload) {
                Some((owner, name)) => Platform { inner }.forget_here(&owner, &name),
                None => tracing::warn!(
                    subject = %message.subject,
                    "ignored an invalidation that is not an algorithm's owner and name"
                ),
            }
        }
    });
    Ok(Invalidations { client, subject })
}

fn parse(payload: &[u8]) -> Option<(AccountName, AlgorithmName)> {
    let message: Invalidation = serde_json::from_slice(payload).ok()?;
    Some((
        AccountName::parse(&message.owner).ok()?,
        AlgorithmName::parse(&message.algorithm).ok()?,
    ))
}

#[cfg(test)]
mod tests;
