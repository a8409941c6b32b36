//! Each account's share of the runtime: how many of its calls run at once,
//! how many of those execute at any moment, and how many `output=void`
//! calls it may have accepted and unfinished. Without them one account's
//! flood holds every slot, or every core, and everyone else's calls wait
//! behind it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use algobox_runtime::cpu_share::CpuShare;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::identity::AccountName;

/// The per-account bounds.
pub(crate) struct AccountSlots {
    running: u32,
    queued: u32,
    runnable: usize,
    /// All accounts' guests together execute on at most this share's turns.
    everyone: CpuShare,
    accounts: Mutex<HashMap<String, Account>>,
}

/// One account's calls.
struct Account {
    running: Arc<Semaphore>,
    queued: u32,
    cpu: CpuShare,
}

/// An accepted void call, counted against its account until dropped.
pub(crate) struct QueuedCall {
    slots: Arc<AccountSlots>,
    account: String,
}

impl AccountSlots {
    /// At most `running` calls per account run at once, `runnable` of them
    /// (and of all accounts' together) execute at any moment, and at most
    /// `queued` of its void calls are accepted and unfinished.
    pub(crate) fn new(running: u32, queued: u32, runnable: usize) -> Self {
        Self {
            running: running.max(1),
            queued: queued.max(1),
            runnable: runnable.max(1),
            everyone: CpuShare::new(runnable),
            accounts: Mutex::default(),
        }
    }

    /// Waits for one of `account`'s running slots.
    pub(crate) async fn run(&self, account: &AccountName) -> OwnedSemaphorePermit {
        let semaphore = Arc::clone(&self.entry(&mut self.lock(), account).running);
        semaphore
            .acquire_owned()
            .await
            .expect("account semaphores are never closed")
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
            running: Arc::new(Semaphore::new(self.running as usize)),
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
            // Forget idle accounts, so the table holds only active ones.
            if entry.queued == 0 && entry.running.available_permits() == self.slots.running as usize
            {
                accounts.remove(&self.account);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn account(name: &str) -> AccountName {
        name.parse().unwrap()
    }

    #[tokio::test]
    async fn one_account_waits_for_its_own_slots_only() {
        let slots = AccountSlots::new(2, 10, 2);
        let (alice, bob) = (account("alice"), account("bob"));
        let first = slots.run(&alice).await;
        let _second = slots.run(&account("ALICE")).await;
        // Alice's third call waits...
        let third = tokio::time::timeout(Duration::from_millis(50), slots.run(&alice)).await;
        assert!(third.is_err(), "alice got a third slot");
        // ...while Bob's runs at once.
        let bobs = tokio::time::timeout(Duration::from_millis(50), slots.run(&bob)).await;
        assert!(bobs.is_ok(), "bob waited behind alice");
        drop(first);
        let third = tokio::time::timeout(Duration::from_millis(50), slots.run(&alice)).await;
        assert!(third.is_ok(), "alice's freed slot was not given back");
    }

    #[test]
    fn void_calls_past_the_bound_are_refused_and_counted_back() {
        let slots = Arc::new(AccountSlots::new(1, 2, 2));
        let alice = account("alice");
        let first = slots.enqueue(&alice).unwrap();
        let _second = slots.enqueue(&alice).unwrap();
        assert_eq!(slots.enqueue(&alice).err(), Some(2));
        assert!(slots.enqueue(&account("bob")).is_ok());
        drop(first);
        assert!(slots.enqueue(&alice).is_ok());
    }
}
