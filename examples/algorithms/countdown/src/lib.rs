//! The lifecycle form (`Algorithm` + `export_algorithm!`): counts down
//! `steps` steps of `step_ms` milliseconds each, reporting progress and
//! honouring stop requests.
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p countdown
//! target/release/algobox run target/wasm32-wasip2/release/countdown.wasm -d '{"steps":10,"step_ms":100}'
//! ```
//!
//! prints `{"completed":10}`. Stopped early, it fails with code `Stopped`.

use std::thread;
use std::time::Duration;

use algobox_guest_sdk::{AlgoError, Algorithm, Context, Json, context, export_algorithm};
use serde::{Deserialize, Serialize};

/// The input: `{"steps": N, "step_ms": M}`.
#[derive(Debug, Deserialize)]
struct Plan {
    steps: u32,
    step_ms: u64,
}

/// The output: `{"completed": N}`.
#[derive(Debug, Serialize)]
struct Done {
    completed: u32,
}

/// The countdown's state between `initialize` and `start`.
struct Countdown {
    plan: Option<Plan>,
}

impl Algorithm for Countdown {
    type Input = Json<Plan>;
    type Output = Json<Done>;

    fn load() -> Result<Self, AlgoError> {
        Ok(Self { plan: None })
    }

    fn initialize(&mut self, Json(plan): Json<Plan>) -> Result<(), AlgoError> {
        self.plan = Some(plan);
        Ok(())
    }

    fn start(&mut self, ctx: &mut Context) -> Result<Json<Done>, AlgoError> {
        let plan = self
            .plan
            .take()
            .ok_or_else(|| AlgoError::new("no plan: `initialize` did not run"))?;
        for step in 0..plan.steps {
            ctx.check_stop()?;
            thread::sleep(Duration::from_millis(plan.step_ms));
            let percent = 100.0 * f64::from(step + 1) / f64::from(plan.steps);
            ctx.progress(
                percent as f32,
                format!("step {} of {}", step + 1, plan.steps),
            );
        }
        Ok(Json(Done {
            completed: plan.steps,
        }))
    }

    fn stop(&mut self) {
        context::info("countdown: stop requested, nothing left to clean up");
    }
}

export_algorithm!(Countdown);
