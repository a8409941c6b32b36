//! Each account's share of the runtime: how many of its calls run at once,
//! how many of those execute at any moment, and how many `output=void`
//! calls it may have accepted and unfinished. Without them one account's
//! flood holds every slot, or every core, and everyone else's calls wait
//! behind it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use algobox_runtime::cpu_share::CpuShare;

use crate::call_slots::{CallSlot, CallSlots, QueueFull};
use crate::identity::AccountName;

/// The per-account bounds.
pub(crate) struct AccountSlots {
    /// The call slots, shared fairly.
    calls: Arc<CallSlots>,
    queued: u32,
    runnable: usize,
    /// All accounts' guests together execute on at most this share's turns.
    everyone: CpuShare,
    accounts: Mutex<HashMap<String, Account>>,
}

/// One account's void calls and CPU share.
struct Account {
    queued: u32,
    cpu: CpuShare,
}

/// An accepted void call, counted against its account until dropped.
pub(crate) struct QueuedCall {
    slots: Arc<AccountSlots>,
    account: String,
}

impl AccountSlots {
    /// `calls` are the slots; `runnable` of an account's calls (and of all
    /// accounts' together) execute at any moment, and at most `queued` of
    /// its void calls are accepted and unfinished.
    pub(crate) fn new(calls: CallSlots, queued: u32, runnable: usize) -> Self {
        Self {
            calls: Arc::new(calls),
            queued: queued.max(1),
            runnable: runnable.max(1),
            everyone: CpuShare::new(runnable),
            accounts: Mutex::default(),
        }
    }

    /// How many void calls one account may have accepted and unfinished.
    pub(crate) fn void_calls_per_account(&self) -> u32 {
        self.queued
    }

    /// Waits for a slot for one of `account`'s calls; see
    /// [`CallSlots::acquire`].
    pub(crate) async fn run(
        &self,
        account: &AccountName,
        bounded: bool,
    ) -> Result<CallSlot, QueueFull> {
        self.calls.acquire(account, bounded).await
    }

    /// The CPU share all of `account`'s guests execute in.
    pub(crate) fn cpu_share(&self, account: &AccountName) -> CpuShare {
        self.entry(&mut self.lock(), account).cpu.clone()
    }

    /// Counts a void call of `account`, or says how many it already has.
    pub(crate) fn enqueue(self: &Arc<Self>, account: &AccountName) -> Result<QueuedCall, u32> {
        let mut accounts = self.lock();
        let entry = self.entry(&mut accounts, account);
        if entry.queued >= self.queued {
            return Err(self.queued);
        }
        entry.queued += 1;
        Ok(QueuedCall {
            slots: Arc::clone(self),
            account: account.folded().into_owned(),
        })
    }

    /// `account`'s entry, made if it has none. Looked up without allocating
    /// when it exists, as it does under load.
    fn entry<'a>(
        &self,
        accounts: &'a mut HashMap<String, Account>,
        account: &AccountName,
    ) -> &'a mut Account {
        let key = account.folded();
        if !accounts.contains_key(key.as_ref()) {
            accounts.insert(key.clone().into_owned(), self.new_account());
        }
        accounts.get_mut(key.as_ref()).expect("inserted above")
    }

    fn new_account(&self) -> Account {
        Account {
            queued: 0,
            cpu: CpuShare::within(self.runnable, &self.everyone),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Account>> {
        // Counters stay consistent across a panic: each update is one
        // statement.
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for QueuedCall {
    fn drop(&mut self) {
        let mut accounts = self.slots.lock();
        if let Some(entry) = accounts.get_mut(&self.account) {
            entry.queued -= 1;
            // Forget idle accounts, so the table holds only active ones (a
            // running call still holds the account's CPU share, which must
            // stay the one share its calls run in).
            if entry.queued == 0 && self.slots.calls.is_idle(&self.account) {
                accounts.remove(&self.account);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str) -> AccountName {
        name.parse().unwrap()
    }

    #[test]
    fn void_calls_past_the_bound_are_refused_and_counted_back() {
        let slots = Arc::new(AccountSlots::new(CallSlots::new(4, 1, 4), 2, 2));
        let alice = account("alice");
        let first = slots.enqueue(&alice).unwrap();
        let _second = slots.enqueue(&alice).unwrap();
        assert_eq!(slots.enqueue(&alice).err(), Some(2));
        assert!(slots.enqueue(&account("bob")).is_ok());
        drop(first);
        assert!(slots.enqueue(&alice).is_ok());
    }
}
