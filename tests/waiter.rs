//! The waiter over real HTTP, with an injected clock so waits take no real time.
#![cfg(feature = "emulator")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aliyun_ecs_tasks::emulator::StatusSchedule;
use aliyun_ecs_tasks::wait::{TaskProgress, WaitClock, WaitOptions};
use aliyun_ecs_tasks::{Error, Task, TaskAction, TaskStatus};
use common::*;
use futures::future::BoxFuture;

/// A clock whose sleeps return at once and move its time forward.
#[derive(Debug, Clone)]
struct FakeClock {
    start: Instant,
    elapsed: Arc<Mutex<Duration>>,
    sleeps: Arc<Mutex<Vec<Duration>>>,
}

impl FakeClock {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            elapsed: Arc::default(),
            sleeps: Arc::default(),
        }
    }
}

impl WaitClock for FakeClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        *self.elapsed.lock().unwrap() += d;
        self.sleeps.lock().unwrap().push(d);
        Box::pin(async {})
    }
}

fn task(id: &str, status: TaskStatus) -> Task {
    Task::new(id, TaskAction::ImportImage, status).with_creation_time(chrono::Utc::now())
}

#[tokio::test]
async fn waits_until_every_task_finishes_and_reports_progress() {
    let emu = empty_emulator().await;
    emu.add_task_with_schedule(
        "cn-hangzhou",
        task("t-a", TaskStatus::Waiting),
        StatusSchedule::new()
            .then(TaskStatus::Processing, 1)
            .then(TaskStatus::Finished, 2),
    );
    emu.add_task_with_schedule(
        "cn-hangzhou",
        task("t-b", TaskStatus::Processing),
        StatusSchedule::new().then(TaskStatus::Finished, 4),
    );
    let clock = FakeClock::new();
    let events: Arc<Mutex<Vec<TaskProgress>>> = Arc::default();
    let sink = events.clone();
    let options = WaitOptions::new()
        .clock(clock.clone())
        .on_progress(move |p| sink.lock().unwrap().push(p.clone()));
    let done = client_for(&emu)
        .wait_for_tasks("cn-hangzhou", ["t-a", "t-b"], options)
        .await
        .unwrap();
    assert_eq!(done.len(), 2);
    assert_eq!(done[0].task_id, "t-a");
    assert!(done.iter().all(|t| t.task_status == TaskStatus::Finished));
    assert!(done[0].finished_time.is_some());
    let statuses: Vec<(String, Option<TaskStatus>, TaskStatus)> = events
        .lock()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p.task.task_id.clone(),
                p.previous.clone(),
                p.task.task_status.clone(),
            )
        })
        .collect();
    assert_eq!(statuses[0], ("t-a".into(), None, TaskStatus::Waiting));
    assert!(statuses.contains(&(
        "t-a".into(),
        Some(TaskStatus::Waiting),
        TaskStatus::Processing
    )));
    assert!(statuses.contains(&(
        "t-a".into(),
        Some(TaskStatus::Processing),
        TaskStatus::Finished
    )));
    assert!(statuses.contains(&(
        "t-b".into(),
        Some(TaskStatus::Processing),
        TaskStatus::Finished
    )));
    // Jittered, growing sleeps: each within [interval/2, interval], starting at 2 s.
    let sleeps = clock.sleeps.lock().unwrap().clone();
    assert!(!sleeps.is_empty());
    assert!(
        sleeps[0] >= Duration::from_secs(1) && sleeps[0] <= Duration::from_secs(2),
        "{sleeps:?}"
    );
    assert!(sleeps.iter().all(|s| *s <= Duration::from_secs(30)));
}

#[tokio::test]
async fn a_failed_task_is_terminal_and_returned() {
    let emu = empty_emulator().await;
    emu.add_task_with_schedule(
        "cn-hangzhou",
        task("t-f", TaskStatus::Processing),
        StatusSchedule::new().then(TaskStatus::Failed, 2),
    );
    let done = client_for(&emu)
        .wait_for_tasks(
            "cn-hangzhou",
            ["t-f"],
            WaitOptions::new().clock(FakeClock::new()),
        )
        .await
        .unwrap();
    assert_eq!(done[0].task_status, TaskStatus::Failed);
}

#[tokio::test]
async fn a_timeout_carries_the_last_state_of_every_task() {
    let emu = empty_emulator().await;
    emu.add_task("cn-hangzhou", task("t-slow", TaskStatus::Processing));
    emu.add_task("cn-hangzhou", task("t-done", TaskStatus::Finished));
    let clock = FakeClock::new();
    let err = client_for(&emu)
        .wait_for_tasks(
            "cn-hangzhou",
            ["t-slow", "t-done"],
            WaitOptions::new()
                .clock(clock.clone())
                .timeout(Duration::from_secs(120)),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    let Error::WaitTimeout(t) = &err else {
        panic!("{err:?}")
    };
    assert!(t.waited >= Duration::from_secs(120));
    assert_eq!(t.last_seen.len(), 2);
    assert_eq!(
        t.last_seen[0].1.as_ref().unwrap().task_status,
        TaskStatus::Processing
    );
    assert_eq!(
        t.last_seen[1].1.as_ref().unwrap().task_status,
        TaskStatus::Finished
    );
    assert!(err.to_string().contains("t-slow Processing"), "{err}");
    // Bounded: about 120 s of 2..30 s sleeps is a handful of polls.
    assert!(emu.request_count() < 20, "{}", emu.request_count());
}

#[tokio::test]
async fn a_task_the_service_does_not_return_is_not_found_never_finished() {
    let emu = empty_emulator().await;
    emu.add_task("cn-hangzhou", task("t-here", TaskStatus::Finished));
    let err = client_for(&emu)
        .wait_for_tasks(
            "cn-hangzhou",
            ["t-here", "t-ghost"],
            WaitOptions::new().clock(FakeClock::new()),
        )
        .await
        .unwrap_err();
    match err {
        Error::TasksNotFound { task_ids } => assert_eq!(task_ids, ["t-ghost"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        emu.request_count(),
        2,
        "reported after two polls without it"
    );
}

#[tokio::test]
async fn more_than_one_hundred_ids_are_polled_in_batches() {
    let emu = empty_emulator().await;
    let ids: Vec<String> = (0..250).map(|i| format!("t-batch-{i:03}")).collect();
    emu.add_tasks(
        "cn-hangzhou",
        ids.iter().map(|id| task(id, TaskStatus::Finished)),
    );
    let done = client_for(&emu)
        .wait_for_tasks(
            "cn-hangzhou",
            ids.clone(),
            WaitOptions::new().clock(FakeClock::new()),
        )
        .await
        .unwrap();
    assert_eq!(done.len(), 250);
    let sizes: Vec<usize> = emu
        .requests()
        .iter()
        .map(|r| r.params["TaskIds"].split(',').count())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
}

#[tokio::test]
async fn bad_waiter_input_is_refused_before_sending() {
    let emu = empty_emulator().await;
    let client = client_for(&emu);
    let err = client
        .wait_for_tasks("cn-hangzhou", Vec::<String>::new(), WaitOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_validation());
    let err = client
        .wait_for_tasks("CN", ["t-1"], WaitOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.validation_error().unwrap().field(), "RegionId");
    assert_eq!(emu.request_count(), 0);
}
