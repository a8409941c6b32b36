//! One compile per account at a time. The runtime's compile queue is shared
//! by every account; if one account could fill it, everyone else's compiles
//! would wait behind its whole backlog. With one turn each, an account's
//! next compile waits here, outside the shared queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Semaphore;

use crate::error::PlatformError;
use crate::identity::AccountName;

/// Compiles of one account that may wait behind its running one; more are
/// refused (HTTP 429). Enough for a few concurrent deploys.
pub(crate) const WAITING_PER_ACCOUNT: usize = 8;

/// Each account's compile turn.
#[derive(Default)]
pub(crate) struct AccountCompiles {
    accounts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// An account's turn to compile, or its place in the account's line; the
/// next waiting compile of the account starts when it is dropped.
pub(crate) struct CompileTurn<'a> {
    compiles: &'a AccountCompiles,
    account: String,
    /// Every live turn holds one clone, so the count of clones is the
    /// count of the account's compiles running or waiting.
    semaphore: Arc<Semaphore>,
    holds_permit: bool,
}

impl AccountCompiles {
    /// Waits for `account`'s turn, or refuses when too many of its compiles
    /// wait already.
    pub(crate) async fn turn(
        &self,
        account: &AccountName,
    ) -> Result<CompileTurn<'_>, PlatformError> {
        let key = account.folded().into_owned();
        let semaphore = {
            let mut accounts = self.lock();
            let semaphore = accounts
                .entry(key.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(1)));
            // The map holds one clone, each running or waiting turn one more.
            if Arc::strong_count(semaphore) > WAITING_PER_ACCOUNT + 1 {
                return Err(PlatformError::TooManyCalls(format!(
                    "{account} has a compile running and {WAITING_PER_ACCOUNT} waiting, the most one account may have; wait for them to finish, then compile again"
                )));
            }
            Arc::clone(semaphore)
        };
        let mut turn = CompileTurn {
            compiles: self,
            account: key,
            semaphore,
            holds_permit: false,
        };
        turn.semaphore
            .acquire()
            .await
            .map_err(|_| PlatformError::Internal("the compile turns were closed".to_owned()))?
            // Given back in `drop`, which knows whether it was taken.
            .forget();
        turn.holds_permit = true;
        Ok(turn)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Semaphore>>> {
        // The map holds no invariant a panic could break.
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for CompileTurn<'_> {
    fn drop(&mut self) {
        if self.holds_permit {
            self.semaphore.add_permits(1);
        }
        let mut accounts = self.compiles.lock();
        // The map's clone and this turn's alone: the account's last compile
        // removes its entry, so the map holds only accounts compiling.
        if Arc::strong_count(&self.semaphore) == 2 {
            accounts.remove(&self.account);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn an_account_compiles_one_at_a_time_and_others_are_not_held() {
        let compiles = AccountCompiles::default();
        let mallory: AccountName = "Mallory".parse().unwrap();
        let bob: AccountName = "bob".parse().unwrap();
        let running = compiles.turn(&mallory).await.unwrap();
        // Mallory's next compiles wait for the running one, up to the bound.
        let waiting: Vec<_> = (0..WAITING_PER_ACCOUNT)
            .map(|_| Box::pin(compiles.turn(&mallory)))
            .collect();
        let mut waiting = waiting;
        for turn in &mut waiting {
            let pending = tokio::time::timeout(Duration::from_millis(20), turn.as_mut()).await;
            assert!(pending.is_err(), "a second compile of one account started");
        }
        // One more is refused, saying what to do; the name's case does not
        // make it another account.
        let refused = compiles.turn(&"mallory".parse().unwrap()).await;
        let Err(PlatformError::TooManyCalls(message)) = refused else {
            panic!("a tenth compile was not refused");
        };
        assert!(message.contains("wait for them to finish"), "{message}");
        // Bob's compile is not held by any of it.
        let bobs = tokio::time::timeout(Duration::from_secs(1), compiles.turn(&bob)).await;
        assert!(bobs.is_ok(), "bob waited behind mallory");
        drop(bobs);
        // When mallory's compile ends, her next one starts.
        drop(running);
        let next = tokio::time::timeout(Duration::from_secs(1), waiting.remove(0)).await;
        assert!(next.is_ok_and(|turn| turn.is_ok()));
        drop(waiting);
        assert!(
            compiles.lock().is_empty(),
            "finished accounts are forgotten"
        );
    }
}
