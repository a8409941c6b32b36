//! Tests of the void call table: visibility, stops, progress and the
//! per-account bounds, in memory and on disk.

use crate::async_calls::*;

#[test]
fn a_call_is_visible_to_its_caller_until_it_expires() {
    let calls = AsyncCalls::new(Duration::from_millis(50));
    calls.insert("req-1", "alice", StopHandle::new());
    assert_eq!(
        calls.get("req-1", "alice").unwrap().status,
        CallStatus::Queued
    );
    assert!(calls.get("req-1", "bob").is_none());
    calls.running("req-1");
    calls.progress(
        "req-1",
        CallProgress {
            percent: 50.0,
            details: None,
            elapsed: 0.1,
        },
    );
    let failure = CallFailure {
        error: algobox_host_api::AlgoError::new("no"),
        at_capacity: false,
        stopped: false,
        elapsed: Duration::from_millis(3),
    };
    calls.finish("req-1", Err(failure.clone()));
    let call = calls.get("req-1", "alice").unwrap();
    assert_eq!(call.status, CallStatus::Failed);
    assert_eq!(call.progress.len(), 1);
    assert_eq!(call.outcome, Some(Err(failure)));
    std::thread::sleep(Duration::from_millis(60));
    assert!(calls.get("req-1", "alice").is_none());
}

#[test]
fn a_stop_reaches_its_callers_call_only_and_ends_as_stopped() {
    let calls = AsyncCalls::new(Duration::from_secs(60));
    let stop = StopHandle::new();
    calls.insert("req-s", "alice", stop.clone());
    calls.running("req-s");
    calls.started("req-s");
    assert_eq!(
        calls.get("req-s", "alice").unwrap().status,
        CallStatus::Started
    );

    // Someone else's stop finds nothing, and stops nothing.
    assert_eq!(calls.stop("req-s", "bob"), None);
    assert!(!stop.is_requested());
    assert_eq!(calls.stop("req-s", "alice"), Some(CallStatus::Stopping));
    assert!(stop.is_requested());
    // A late lifecycle event does not hide the stopping.
    calls.started("req-s");
    assert_eq!(
        calls.get("req-s", "alice").unwrap().status,
        CallStatus::Stopping
    );

    let stopped = CallFailure {
        error: algobox_host_api::AlgoError::new("stopped"),
        at_capacity: false,
        stopped: true,
        elapsed: Duration::ZERO,
    };
    calls.finish("req-s", Err(stopped));
    assert_eq!(
        calls.get("req-s", "alice").unwrap().status,
        CallStatus::Stopped
    );
    assert_eq!(calls.stop("req-s", "alice"), Some(CallStatus::Stopped));
}

fn text_result(text: &str) -> Result<CallOutcome, CallFailure> {
    Ok(CallOutcome {
        output: algobox_runtime::invocation::Output {
            payload: algobox_host_api::Payload::text(text),
            duration: Duration::from_millis(1),
            stdout: String::new(),
            stderr: String::new(),
            progress: Vec::new(),
        },
        stdout_visible: false,
    })
}

#[test]
fn results_wait_on_disk_bounded_per_account_in_count() {
    let data = tempfile::tempdir().unwrap();
    let folder = data.path().join("results");
    let calls = AsyncCalls::new(Duration::from_secs(60))
        .in_folder(&folder)
        .unwrap()
        .with_results_per_account(2);
    calls.insert("req-bob", "bob", StopHandle::new());
    calls.finish("req-bob", text_result("bob's"));
    for id in ["req-a1", "req-a2", "req-a3"] {
        calls.insert(id, "alice", StopHandle::new());
        calls.finish(id, text_result(&id.repeat(1000)));
    }
    // Held on disk, not in memory, and read back whole.
    assert!(calls.lock().records["req-a3"].outcome.is_none());
    assert!(folder.join("req-a3").exists());
    let call = calls.get("req-a3", "alice").unwrap();
    assert_eq!(call.status, CallStatus::Succeeded);
    assert_eq!(call.outcome, Some(text_result(&"req-a3".repeat(1000))));
    // Alice's third result pushed out her first, file and all; bob's
    // stays.
    assert!(calls.get("req-a1", "alice").is_none());
    assert!(!folder.join("req-a1").exists());
    assert!(calls.get("req-a2", "alice").is_some());
    assert_eq!(
        calls.get("req-bob", "bob").unwrap().outcome,
        Some(text_result("bob's"))
    );
    assert!(calls.get("req-bob", "alice").is_none());

    // A new process starts with an empty folder.
    drop(calls);
    let _again = AsyncCalls::new(Duration::from_secs(60))
        .in_folder(&folder)
        .unwrap();
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
}

#[test]
fn progress_details_are_bounded_in_bytes_too() {
    let calls = AsyncCalls::new(Duration::from_secs(60));
    calls.insert("req-p", "alice", StopHandle::new());
    for step in 0..20 {
        calls.progress(
            "req-p",
            CallProgress {
                percent: step as f32,
                details: Some(format!("{step:02}").repeat(8 << 10)),
                elapsed: 0.0,
            },
        );
    }
    // 16 KiB each: the latest four fit in 64 KiB.
    let call = calls.get("req-p", "alice").unwrap();
    assert_eq!(call.progress.len(), 4);
    assert_eq!(call.progress[0].percent, 16.0);
    assert_eq!(call.progress[3].percent, 19.0);
    // A single report larger than the budget is still kept, alone.
    calls.progress(
        "req-p",
        CallProgress {
            percent: 100.0,
            details: Some("x".repeat(MAX_PROGRESS_BYTES * 2)),
            elapsed: 0.0,
        },
    );
    let call = calls.get("req-p", "alice").unwrap();
    assert_eq!(call.progress.len(), 1);
    assert_eq!(call.progress[0].percent, 100.0);
}

#[test]
fn only_the_latest_progress_reports_are_kept() {
    let calls = AsyncCalls::new(Duration::from_secs(60));
    calls.insert("req-2", "alice", StopHandle::new());
    for step in 0..1_000 {
        calls.progress(
            "req-2",
            CallProgress {
                percent: step as f32 / 10.0,
                details: Some(format!("step {step}")),
                elapsed: 0.0,
            },
        );
    }
    let call = calls.get("req-2", "alice").unwrap();
    assert_eq!(call.progress.len(), MAX_PROGRESS);
    assert_eq!(call.progress[0].details.as_deref(), Some("step 900"));
    assert_eq!(call.progress[99].details.as_deref(), Some("step 999"));
}

#[test]
fn an_accounts_results_push_out_its_own_oldest_only() {
    let calls = AsyncCalls::new(Duration::from_secs(60)).with_result_bytes_per_account(1000);
    let failure = |bytes: usize| CallFailure {
        error: algobox_host_api::AlgoError::new("x".repeat(bytes)),
        at_capacity: false,
        stopped: false,
        elapsed: Duration::ZERO,
    };
    calls.insert("req-bob", "bob", StopHandle::new());
    calls.finish("req-bob", Err(failure(400)));
    for id in ["req-a1", "req-a2", "req-a3"] {
        calls.insert(id, "alice", StopHandle::new());
        calls.finish(id, Err(failure(400)));
    }
    // 1,200 bytes of alice's past 1,000: her oldest went.
    assert!(calls.get("req-a1", "alice").is_none());
    assert!(calls.get("req-a2", "alice").is_some());
    assert!(calls.get("req-a3", "alice").is_some());
    // Bob's result is his own budget's.
    assert!(calls.get("req-bob", "bob").is_some());
    // A result larger than the budget alone is still kept.
    calls.insert("req-a4", "alice", StopHandle::new());
    calls.finish("req-a4", Err(failure(5000)));
    assert!(calls.get("req-a4", "alice").is_some());
    assert!(calls.get("req-a3", "alice").is_none());
}

#[test]
fn a_shutdown_stops_unfinished_calls_and_records_them_failed_whatever_they_return() {
    use crate::async_calls::shutdown::SHUTDOWN_MESSAGE;

    let calls = AsyncCalls::new(Duration::from_secs(60));
    let (running, queued) = (StopHandle::new(), StopHandle::new());
    calls.insert("req-run", "alice", running.clone());
    calls.insert("req-queued", "alice", queued.clone());
    calls.insert("req-done", "alice", StopHandle::new());
    calls.running("req-run");
    calls.finish("req-done", text_result("done"));
    assert_eq!(calls.unfinished_count(), 2);

    assert_eq!(calls.stop_for_shutdown(), 2);
    assert!(running.is_requested() && queued.is_requested());
    // A result that raced the stop is not the call's record: the shutdown's
    // failure is, and a later outcome changes nothing.
    calls.finish("req-run", text_result("late"));
    let stopped = algobox_runtime::error::InvokeError::Stopped { forced: false };
    calls.finish("req-queued", Err(CallFailure::of(&stopped, Duration::ZERO)));
    calls.finish("req-run", text_result("again"));
    for id in ["req-run", "req-queued"] {
        let call = calls.get(id, "alice").unwrap();
        assert_eq!(call.status, CallStatus::Failed, "{id}");
        let error = call.outcome.unwrap().unwrap_err().error;
        assert_eq!(
            (error.code.as_str(), error.message.as_str()),
            ("SystemError", SHUTDOWN_MESSAGE),
            "{id}"
        );
    }
    // The call that had finished keeps its own result, and is the only one
    // counted as finished.
    let done = calls.get("req-done", "alice").unwrap();
    assert_eq!(done.status, CallStatus::Succeeded);
    assert_eq!(done.outcome, Some(text_result("done")));
    assert_eq!((calls.unfinished_count(), calls.finished_count()), (0, 1));
}
