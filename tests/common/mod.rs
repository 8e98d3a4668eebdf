//! Shared helpers for the integration tests: an emulator and a client pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use aliyun_ecs_tasks::emulator::{Emulator, Seed};
use aliyun_ecs_tasks::{
    Client, ClientBuilder, Credentials, RetryConfig, Task, TaskAction, TaskStatus,
};
use chrono::{TimeZone, Utc};

/// An emulator with no seeded tasks.
pub async fn empty_emulator() -> Emulator {
    Emulator::builder()
        .seed(Seed::Empty)
        .start()
        .await
        .expect("emulator starts")
}

/// A client builder for the emulator with fast retries (1 ms initial backoff).
pub fn builder_for(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .endpoint(emu.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(
            emu.access_key_id(),
            emu.access_key_secret(),
        ))
        .retry_config(
            RetryConfig::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
}

pub fn client_for(emu: &Emulator) -> Client {
    builder_for(emu).build().expect("client builds")
}

/// `n` tasks with distinct ids and creation times one minute apart (newest is `t-00000`).
pub fn tasks(n: usize) -> Vec<Task> {
    let base = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let action = TaskAction::KNOWN[i % TaskAction::KNOWN.len()].clone();
            let status = if i % 7 == 0 {
                TaskStatus::Processing
            } else if i % 11 == 0 {
                TaskStatus::Failed
            } else {
                TaskStatus::Finished
            };
            let created = base - chrono::Duration::minutes(i as i64);
            let mut t = Task::new(format!("t-{i:05}"), action, status.clone())
                .with_creation_time(created)
                .with_support_cancel(i % 2 == 0)
                .with_resource_id(format!("m-{i:05}"));
            if status != TaskStatus::Processing {
                t = t.with_finished_time(created + chrono::Duration::minutes(3));
            }
            t
        })
        .collect()
}
