//! A minimum rate for request bodies. The header timeout ends a client that
//! never finishes its headers; this ends one that finishes them and then
//! sends its body a byte at a time, holding a connection, a task and a
//! partly filled buffer for as long as it likes.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// How fast a request body must arrive: after a grace period, at least
/// `bytes_per_second` on average since the server first waited for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyRate {
    pub(crate) grace: Duration,
    pub(crate) bytes_per_second: u64,
}

impl BodyRate {
    /// When the next bytes must have arrived, for a body the server began
    /// waiting for at `since` and that has sent `received` bytes: `grace`
    /// plus what it sent divided by the rate later.
    fn deadline(&self, since: Instant, received: u64) -> Instant {
        let allowed = received as f64 / self.bytes_per_second.max(1) as f64;
        since + self.grace + Duration::from_secs_f64(allowed)
    }
}

/// A body that fails once it falls behind its [`BodyRate`].
pub(crate) struct MinRate<B> {
    inner: B,
    rate: BodyRate,
    received: u64,
    /// Set the first time the server has to wait for the body. Most bodies
    /// arrive with their headers: those never read the clock or need a
    /// timer.
    wait: Option<Wait>,
}

/// A body's wait: when it began, and the timer set for its deadline.
struct Wait {
    since: Instant,
    timer: Pin<Box<Sleep>>,
}

impl<B> MinRate<B> {
    pub(crate) fn new(inner: B, rate: BodyRate) -> Self {
        Self {
            inner,
            rate,
            received: 0,
            wait: None,
        }
    }
}

/// The body fell behind the minimum rate.
#[derive(Debug, thiserror::Error)]
#[error(
    "the request body arrived slower than {bytes_per_second} bytes per second after a {grace:?} grace; send it at once, or from a faster connection"
)]
pub(crate) struct TooSlow {
    bytes_per_second: u64,
    grace: Duration,
}

impl<B> Body for MinRate<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.received += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(err.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let this = &mut *self;
                let (rate, received) = (this.rate, this.received);
                let wait = this.wait.get_or_insert_with(|| {
                    let since = Instant::now();
                    Wait {
                        since,
                        timer: Box::pin(tokio::time::sleep_until(rate.deadline(since, received))),
                    }
                });
                let deadline = rate.deadline(wait.since, received);
                if wait.timer.deadline() != deadline {
                    wait.timer.as_mut().reset(deadline);
                }
                match wait.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(TooSlow {
                        bytes_per_second: rate.bytes_per_second,
                        grace: rate.grace,
                    }
                    .into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
