//! The handover of a draining node's calls: it stops taking calls, waits
//! for the ones it runs until its deadline, and hands the rest back to the
//! queue with a negative acknowledgement, which JetStream redelivers at
//! once (where a node that just vanished would leave them unacknowledged
//! for the whole acknowledgement wait).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_nats::jetstream::{AckKind, Message};

use crate::async_calls::CallStatus;
use crate::cluster_calls::ClusterCalls;
use crate::drain::DrainedCalls;

/// How often a draining node looks whether its calls have ended.
const POLL: Duration = Duration::from_millis(20);

/// How long a call that ended as the deadline came may take to record its
/// outcome before the drain gives up waiting for it.
const SETTLING: Duration = Duration::from_secs(2);

impl ClusterCalls {
    /// Waits, until `deadline`, for the node to stop taking calls and for
    /// the calls it runs to end; hands back those still running then. The
    /// node's drain must have begun.
    pub(crate) async fn drain(&self, deadline: Instant) -> DrainedCalls {
        let taker = self
            .shared
            .taker
            .lock()
            .expect("the taker's handle poisoned")
            .take();
        let at_start = self.running_count();
        if let Some(taker) = taker {
            // It returns once its last pull has expired (at most two
            // seconds), having handed back whatever that pull delivered.
            let _ended = tokio::time::timeout_at(deadline.into(), taker).await;
        }
        while self.running_count() > 0 && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }
        let handed_back = self.hand_back_running().await;
        // Calls that ended as the deadline came still record their outcome.
        let settling = Instant::now() + SETTLING;
        while self.running_count() > handed_back && Instant::now() < settling {
            tokio::time::sleep(POLL).await;
        }
        // The rejections must leave the process before it exits.
        if let Err(err) = self.shared.client.flush().await {
            tracing::warn!(%err, "could not send the handed-back calls to NATS; they run again after the acknowledgement wait");
        }
        DrainedCalls {
            finished: at_start.saturating_sub(handed_back),
            handed_back,
            stopped: 0,
        }
    }

    /// Rejects a call this node took but never started, so that another
    /// node takes it at once.
    pub(super) async fn hand_back_untaken(&self, message: &Message) {
        if let Err(err) = message.ack_with(AckKind::Nak(None)).await {
            tracing::warn!(%err, "could not hand a void call back; it runs after the acknowledgement wait");
        }
    }

    /// Stops every call still running that has not settled, requeues its
    /// record and rejects its message; returns how many it handed back.
    async fn hand_back_running(&self) -> usize {
        let unsettled: Vec<_> = self
            .shared
            .running
            .lock()
            .expect("running calls poisoned")
            .iter()
            .filter(|(_, running)| !running.settled.swap(true, Ordering::AcqRel))
            .map(|(request_id, running)| {
                (
                    request_id.clone(),
                    running.stop.clone(),
                    running.record.clone(),
                    running.message.clone(),
                )
            })
            .collect();
        for (request_id, stop, record, message) in &unsettled {
            stop.request();
            {
                let mut record = record.lock().await;
                record.status = CallStatus::Queued;
                record.progress.clear();
                record.node = None;
                record.handed_back += 1;
                if let Err(err) = self.put_record(request_id, &record).await {
                    tracing::warn!(%request_id, %err, "could not record a handed-back void call as queued");
                }
                record.released = true;
            }
            self.hand_back_untaken(message).await;
            tracing::info!(%request_id, "handed a running void call back to the queue");
        }
        unsettled.len()
    }

    fn running_count(&self) -> usize {
        self.shared
            .running
            .lock()
            .expect("running calls poisoned")
            .len()
    }
}
