//! `algobox stop`: stops a running `output=void` call from outside.

use std::process::ExitCode;
use std::time::Duration;

use http::Method;
use indicatif::ProgressBar;

use crate::commands::client::{ApiClient, ServerArgs};

/// Stops a running `output=void` call, the Hkube way: the algorithm sees
/// `stop-requested`, its `stop` hook runs once `start` returns, and the
/// server ends it when its grace runs out. Waits until the call has ended
/// and prints how (`stopped`, or `succeeded` or `failed` if it finished
/// first); exits non-zero if there is no such call of yours.
#[derive(Debug, clap::Args)]
pub(crate) struct StopCommand {
    /// The request id the void call answered with (`req-...`).
    request_id: String,
    /// Ask and return at once, without waiting for the call to end.
    #[arg(long)]
    no_wait: bool,
    /// Print the last status as JSON, as `GET /v1/requests/:id` answers.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    server: ServerArgs,
}

/// How often the status is polled while waiting.
const POLL: Duration = Duration::from_millis(100);

impl StopCommand {
    pub(crate) async fn run(self) -> anyhow::Result<ExitCode> {
        let client = ApiClient::new(&self.server);
        let path = format!("/v1/requests/{}", self.request_id);
        let mut status = client.json(Method::DELETE, &path, None).await?.success()?;
        if !self.no_wait {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(100));
            bar.set_message(format!("stopping {}", self.request_id));
            while !is_final(&status) {
                tokio::time::sleep(POLL).await;
                status = client.json(Method::GET, &path, None).await?.success()?;
            }
            bar.finish_and_clear();
        }
        if self.json {
            println!("{status}");
        } else {
            println!(
                "{} {}",
                self.request_id,
                status["status"].as_str().unwrap_or("unknown")
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Whether the status says the call has ended.
fn is_final(status: &serde_json::Value) -> bool {
    matches!(
        status["status"].as_str(),
        Some("succeeded" | "failed" | "stopped")
    )
}
