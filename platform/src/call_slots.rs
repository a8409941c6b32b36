//! The call slots of calls from outside, shared fairly among accounts.
//!
//! Each account runs at most its cap of calls at once; its further calls
//! wait in its own queue, which is bounded for synchronous calls. When a
//! slot comes free it goes to the waiting account that runs the fewest
//! calls (the longest waiting first among equals), so an account that
//! floods the server waits behind everyone else's first calls rather than
//! in front of them. Sync, void and pipeline-calling calls count alike;
//! calls made by a running algorithm run in their caller's slot, in the
//! headroom the runtime's pool keeps beyond these slots.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use crate::identity::AccountName;

/// The slots and each account's share of them.
pub(crate) struct CallSlots {
    per_account: usize,
    waiting_per_account: usize,
    state: Mutex<State>,
}

struct State {
    free: usize,
    /// Accounts that run or wait for calls; idle ones are forgotten.
    accounts: HashMap<String, Account>,
    next_ticket: u64,
}

#[derive(Default)]
struct Account {
    running: usize,
    waiting: VecDeque<Waiter>,
}

struct Waiter {
    ticket: u64,
    bounded: bool,
    grant: oneshot::Sender<CallSlot>,
}

/// A running call's slot, given back when dropped.
pub(crate) struct CallSlot {
    slots: Arc<CallSlots>,
    account: String,
    /// False for a slot that was never handed over (its waiter left).
    armed: bool,
}

/// The account already has as many calls waiting as it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueFull(pub(crate) usize);

impl CallSlots {
    /// `total` slots; one account runs at most `per_account` calls and has
    /// at most `waiting_per_account` synchronous calls waiting.
    pub(crate) fn new(total: usize, per_account: usize, waiting_per_account: usize) -> Self {
        Self {
            per_account: per_account.max(1),
            waiting_per_account,
            state: Mutex::new(State {
                free: total.max(1),
                accounts: HashMap::new(),
                next_ticket: 0,
            }),
        }
    }

    /// Waits for a slot for one of `account`'s calls. A `bounded` call
    /// (a synchronous one) is refused when the account has its most
    /// waiting; void calls are bounded when they are accepted instead.
    /// Dropping the future gives up its place, or its slot if one was
    /// granted meanwhile.
    pub(crate) async fn acquire(
        self: &Arc<Self>,
        account: &AccountName,
        bounded: bool,
    ) -> Result<CallSlot, QueueFull> {
        let key = account.folded();
        let waiting = {
            let mut state = self.lock();
            let state = &mut *state;
            let free = state.free;
            let entry = match state.accounts.get_mut(key.as_ref()) {
                Some(entry) => entry,
                None => state.accounts.entry(key.clone().into_owned()).or_default(),
            };
            // Free slots mean nobody eligible waits: take one.
            if free > 0 && entry.running < self.per_account {
                entry.running += 1;
                state.free -= 1;
                return Ok(self.slot(key.into_owned()));
            }
            // Waiters whose callers left are forgotten before counting.
            entry.waiting.retain(|waiter| !waiter.grant.is_closed());
            let bounded_waiting = entry.waiting.iter().filter(|w| w.bounded).count();
            if bounded && bounded_waiting >= self.waiting_per_account {
                return Err(QueueFull(self.waiting_per_account));
            }
            let (grant, granted) = oneshot::channel();
            let ticket = state.next_ticket;
            state.next_ticket += 1;
            entry.waiting.push_back(Waiter {
                ticket,
                bounded,
                grant,
            });
            granted
        };
        // A dropped receiver makes the grant fail, which hands the slot on.
        Ok(waiting
            .await
            .expect("a waiter is granted or its sender kept"))
    }

    /// Whether `account` runs no call and waits for none.
    pub(crate) fn is_idle(&self, account: &str) -> bool {
        !self.lock().accounts.contains_key(account)
    }

    fn slot(self: &Arc<Self>, account: String) -> CallSlot {
        CallSlot {
            slots: Arc::clone(self),
            account,
            armed: true,
        }
    }

    /// Gives `account`'s slot back and hands free slots to the waiting
    /// accounts that run the fewest calls.
    fn release(self: &Arc<Self>, account: &str) {
        let mut refused = Vec::new();
        {
            let mut state = self.lock();
            if let Some(entry) = state.accounts.get_mut(account) {
                entry.running -= 1;
            }
            state.free += 1;
            while state.free > 0 {
                let Some(next) = self.fewest_running(&state) else {
                    break;
                };
                let entry = state.accounts.get_mut(&next).expect("just found");
                let waiter = entry.waiting.pop_front().expect("has waiters");
                entry.running += 1;
                state.free -= 1;
                if let Err(mut slot) = waiter.grant.send(self.slot(next.clone())) {
                    // The waiter left: the slot was never handed over.
                    slot.armed = false;
                    refused.push(slot);
                    let entry = state.accounts.get_mut(&next).expect("just found");
                    entry.running -= 1;
                    state.free += 1;
                }
            }
            state
                .accounts
                .retain(|_, entry| entry.running > 0 || !entry.waiting.is_empty());
        }
        // Dropped outside the lock, though disarmed ones take no lock.
        drop(refused);
    }

    /// The account a free slot goes to: among those with a waiting call and
    /// room under their cap, the one running the fewest, then the one that
    /// has waited longest.
    fn fewest_running(&self, state: &State) -> Option<String> {
        state
            .accounts
            .iter()
            .filter(|(_, entry)| entry.running < self.per_account)
            .filter_map(|(name, entry)| {
                let first = entry.waiting.front()?;
                Some(((entry.running, first.ticket), name))
            })
            .min_by_key(|(order, _)| *order)
            .map(|(_, name)| name.clone())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Each update leaves the counts consistent before anything can
        // panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for CallSlot {
    fn drop(&mut self) {
        if self.armed {
            self.armed = false;
            self.slots.release(&self.account);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::call_slots::*;

    fn account(name: &str) -> AccountName {
        name.parse().unwrap()
    }

    async fn granted(slots: &Arc<CallSlots>, name: &str) -> Option<CallSlot> {
        let name = account(name);
        tokio::time::timeout(Duration::from_millis(50), slots.acquire(&name, true))
            .await
            .ok()
            .map(|slot| slot.unwrap())
    }

    #[tokio::test]
    async fn a_free_slot_goes_to_the_account_running_the_fewest() {
        let slots = Arc::new(CallSlots::new(2, 2, 10));
        let a1 = granted(&slots, "alice").await.unwrap();
        let _a2 = granted(&slots, "alice").await.unwrap();
        // Alice queues first, bob after her.
        let alice_waits = tokio::spawn({
            let slots = Arc::clone(&slots);
            async move { slots.acquire(&account("alice"), true).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let bob_waits = tokio::spawn({
            let slots = Arc::clone(&slots);
            async move { slots.acquire(&account("BOB"), true).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Bob runs none, alice one: bob gets the slot.
        drop(a1);
        let bob = tokio::time::timeout(Duration::from_millis(200), bob_waits)
            .await
            .expect("bob was not granted the free slot")
            .unwrap()
            .unwrap();
        assert!(!alice_waits.is_finished());
        drop(bob);
        let alice = tokio::time::timeout(Duration::from_millis(200), alice_waits).await;
        assert!(alice.is_ok(), "alice's waiter never got the next slot");
    }

    #[tokio::test]
    async fn each_account_keeps_to_its_cap_and_its_queue() {
        let slots = Arc::new(CallSlots::new(4, 1, 1));
        let _alice = granted(&slots, "alice").await.unwrap();
        // A free slot, but alice is at her cap: her next call waits...
        let waiting = tokio::spawn({
            let slots = Arc::clone(&slots);
            async move { slots.acquire(&account("alice"), true).await.is_ok() }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // ...and one more is refused, while a void call still queues.
        let full = slots.acquire(&account("alice"), true).await.err();
        assert_eq!(full, Some(QueueFull(1)));
        let void = tokio::time::timeout(
            Duration::from_millis(20),
            slots.acquire(&account("alice"), false),
        )
        .await;
        assert!(void.is_err(), "a void call waits rather than fails");
        // Bob takes a slot at once.
        assert!(granted(&slots, "bob").await.is_some());
        waiting.abort();
    }

    #[tokio::test]
    async fn a_waiter_that_leaves_does_not_take_a_slot_with_it() {
        let slots = Arc::new(CallSlots::new(1, 1, 10));
        let first = granted(&slots, "alice").await.unwrap();
        // Bob waits, then gives up.
        assert!(granted(&slots, "bob").await.is_none());
        drop(first);
        // The slot is free for the next caller, not lost to bob.
        assert!(granted(&slots, "carol").await.is_some());
        assert!(!slots.lock().accounts.contains_key("bob"));
    }
}
