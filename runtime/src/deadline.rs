//! Deadlines for invocations, fired by the engine's one ticker thread.
//!
//! A guest that runs wasm yields to the executor on every epoch tick, so its
//! deadline is checked then for free. A guest parked in a host wait (a sleep,
//! a socket read) runs no wasm and sees no tick: such an invocation files its
//! deadline here the first time it is pending, and the ticker wakes it once
//! the deadline passes. An invocation that never waits never touches the
//! queue, so `hello` pays nothing for its timeout.

use std::collections::BTreeMap;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Instant;

/// Wakers of parked invocations, ordered by deadline.
#[derive(Default)]
pub(crate) struct Deadlines {
    queue: Mutex<BTreeMap<(Instant, u64), Waker>>,
    next_id: AtomicU64,
}

impl Deadlines {
    /// Wakes every invocation whose deadline is at or before `now`.
    pub(crate) fn fire_expired(&self, now: Instant) {
        let expired = {
            let mut queue = self.queue.lock().expect("deadline queue poisoned");
            let later = queue.split_off(&(now, u64::MAX));
            std::mem::replace(&mut *queue, later)
        };
        for waker in expired.into_values() {
            waker.wake();
        }
    }

    /// Runs `future` until it completes or the deadline `deadline(waker)`
    /// returns passes; the deadline is read again at every poll, so it may
    /// move (a stop request brings it forward, a grace extension pushes it
    /// back). `deadline` gets the task's waker so that whatever moves the
    /// deadline can wake the task to file the new one.
    pub(crate) async fn run<F: Future, R: Copy>(
        self: &Arc<Self>,
        deadline: impl Fn(&Waker) -> Option<(Instant, R)>,
        future: F,
    ) -> Result<F::Output, R> {
        let mut future = pin!(future);
        let mut entry = Entry {
            deadlines: self,
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            filed: None,
        };
        poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Ok(output));
            }
            if let Some((at, reason)) = deadline(cx.waker()) {
                if Instant::now() >= at {
                    return Poll::Ready(Err(reason));
                }
                entry.file(at, cx.waker());
            }
            Poll::Pending
        })
        .await
    }
}

/// One invocation's place in the queue, removed when the invocation ends.
struct Entry<'a> {
    deadlines: &'a Deadlines,
    id: u64,
    filed: Option<(Instant, Waker)>,
}

impl Entry<'_> {
    fn file(&mut self, at: Instant, waker: &Waker) {
        if let Some((filed_at, filed_waker)) = &self.filed
            && *filed_at == at
            && filed_waker.will_wake(waker)
        {
            return;
        }
        let mut queue = self
            .deadlines
            .queue
            .lock()
            .expect("deadline queue poisoned");
        if let Some((old, _)) = self.filed.take() {
            queue.remove(&(old, self.id));
        }
        queue.insert((at, self.id), waker.clone());
        self.filed = Some((at, waker.clone()));
    }
}

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        if let Some((at, _)) = self.filed.take() {
            let mut queue = self
                .deadlines
                .queue
                .lock()
                .expect("deadline queue poisoned");
            queue.remove(&(at, self.id));
        }
    }
}
