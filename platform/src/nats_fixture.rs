//! NATS for tests: a JetStream context on the machine's server, and
//! bucket names no other test (or test run) uses, removed afterwards.

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::Context;

/// The server tests use unless `ALGOBOX_TEST_NATS` names another.
const DEFAULT_URL: &str = "127.0.0.1:4222";

/// A JetStream context; panics, naming the server, if NATS is not running,
/// since these tests must never skip.
pub(crate) async fn jetstream() -> Context {
    let url = std::env::var("ALGOBOX_TEST_NATS").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(url.as_str())
        .await
        .unwrap_or_else(|err| {
            panic!(
                "these tests need NATS with JetStream on {url} ({err}); start it with \
                 `nats-server -js -a 127.0.0.1 -p 4222`, or set ALGOBOX_TEST_NATS to another server"
            )
        });
    async_nats::jetstream::new(client)
}

/// A bucket name unique to this test: `algobox_test_<random>_<purpose>`.
pub(crate) fn unique_bucket(purpose: &str) -> String {
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).expect("the OS has randomness");
    let hex: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("algobox_test_{hex}_{purpose}")
}

/// Runs `test` with a JetStream context and a fresh object-store bucket
/// name, then deletes that bucket whether the test passed or panicked.
pub(crate) async fn with_object_bucket<F, Fut>(purpose: &str, test: F)
where
    F: FnOnce(Context, String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let jetstream = jetstream().await;
    let bucket = unique_bucket(purpose);
    let outcome = tokio::spawn(test(jetstream.clone(), bucket.clone())).await;
    // The bucket may not exist if the test failed before creating it.
    let _ignored = jetstream.delete_object_store(&bucket).await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}
