//! The timer behind one connection's header-read timeout, which arms
//! tokio's timer wheel about once per timeout period instead of once per
//! request.
//!
//! hyper starts a fresh sleep for every request head it reads, and with
//! hyper-util's `TokioTimer` each one is a new tokio timer: a handle to the
//! runtime cloned (a count shared by every worker thread), a wheel entry
//! inserted when the idle connection first waits and removed when the head
//! arrives. On a kept-alive connection that is every request. Here one
//! tokio timer, the connection's *alarm*, serves every head: it stays armed
//! at the earliest deadline still wanted, and a later deadline moves it
//! only when it goes off early. Between the alarm's rings a request costs a
//! small allocation and an uncontended lock.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// A [`Timer`] for one connection's header reads: give each connection its
/// own (`http1::Builder::timer`). Its sleeps share one alarm, so they are
/// for one task waiting on one deadline at a time, which is how hyper's
/// HTTP/1 server uses its timer.
#[derive(Default)]
pub(crate) struct HeaderTimer {
    alarm: Arc<Alarm>,
}

/// The connection's one tokio timer, made on the first wait (which runs
/// inside the runtime) and deregistered with the connection.
#[derive(Default)]
struct Alarm(Mutex<Option<Pin<Box<tokio::time::Sleep>>>>);

/// A wait until `at`, woken by the connection's alarm.
struct HeaderDeadline {
    at: tokio::time::Instant,
    alarm: Arc<Alarm>,
}

impl Timer for HeaderTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(HeaderDeadline {
            at: deadline.into(),
            alarm: Arc::clone(&self.alarm),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HeaderDeadline>() {
            Some(deadline) => deadline.get_mut().at = new_deadline.into(),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }

    fn now(&self) -> Instant {
        // tokio's clock, so that a test that pauses time moves this one too.
        tokio::time::Instant::now().into_std()
    }
}

// hyper's marker for what its timers return.
impl Sleep for HeaderDeadline {}

impl Future for HeaderDeadline {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let at = self.at;
        let mut alarm = self.alarm.0.lock().unwrap_or_else(PoisonError::into_inner);
        let alarm = alarm.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        loop {
            // Set for a later deadline (one from a `reset` to an earlier
            // time): it would ring too late.
            if alarm.deadline() > at {
                alarm.as_mut().reset(at);
            }
            ready!(alarm.as_mut().poll(cx));
            if alarm.deadline() == at {
                return Poll::Ready(());
            }
            // It rang for an earlier request's deadline (or already had):
            // set it for this one and wait again.
            alarm.as_mut().reset(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_deadline_ends_at_its_own_time_though_they_share_one_alarm() {
        let timer = HeaderTimer::default();
        let start = tokio::time::Instant::now();
        // A first request's wait, ended early by its head arriving.
        let first = timer.sleep(Duration::from_secs(30));
        tokio::time::timeout(Duration::from_secs(10), first)
            .await
            .unwrap_err();
        // The next request's deadline is later than the armed alarm: it
        // must not end when the alarm rings at 30 s.
        timer.sleep(Duration::from_secs(30)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(40));
        // A shorter wait than the one the alarm was last set for.
        let mut short = timer.sleep(Duration::from_secs(60));
        timer.reset(&mut short, timer.now() + Duration::from_secs(5));
        short.await;
        assert_eq!(start.elapsed(), Duration::from_secs(45));
    }
}
