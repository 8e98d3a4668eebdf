//! The offline quickstart: starts the bundled emulator on 127.0.0.1, points a client at it, and
//! shows a filtered page, a walk over every page, the task stream and the waiter. Needs no
//! credentials and no network.
//!
//! ```text
//! cargo run --features emulator --example quickstart
//! ```

use std::time::Duration;

use aliyun_ecs_tasks::emulator::{Emulator, StatusSchedule};
use aliyun_ecs_tasks::wait::WaitOptions;
use aliyun_ecs_tasks::{Client, Credentials, DescribeTasksRequest, Task, TaskAction, TaskStatus};
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. An ECS endpoint on loopback, seeded with a few hundred realistic tasks.
    let emulator = Emulator::start().await?;
    println!("emulator listening on {}", emulator.endpoint());

    // 2. A client pointed at it: one line for the endpoint, one for the key pair.
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(
            emulator.access_key_id(),
            emulator.access_key_secret(),
        ))
        .build()?;

    // 3. One filtered page: finished image imports, five per page.
    let request = DescribeTasksRequest::builder()
        .region_id("cn-hangzhou")
        .task_action(TaskAction::ImportImage)
        .task_status(TaskStatus::Finished)
        .page_size(5)
        .build()?;
    let page = client.describe_tasks(request).await?;
    println!(
        "\nfinished imports: {} in all; page {} (RequestId {}):",
        page.total_count, page.page_number, page.request_id
    );
    for task in &page.task_set {
        print_task(task);
    }

    // 4. Every page of failed tasks, one page after another.
    let failed = DescribeTasksRequest::builder()
        .region_id("cn-hangzhou")
        .task_status(TaskStatus::Failed)
        .page_size(20);
    let mut pages = client.describe_tasks_pages(failed);
    while let Some(page) = pages.try_next().await? {
        println!(
            "\nfailed tasks, page {} ({} tasks):",
            page.page_number,
            page.task_set.len()
        );
        for task in page.task_set.iter().take(3) {
            print_task(task);
        }
        if page.task_set.len() > 3 {
            println!("  ... and {} more", page.task_set.len() - 3);
        }
    }

    // 5. Every task as a stream, four pages in flight at a time.
    let mut tasks = client
        .describe_tasks_stream(DescribeTasksRequest::builder().region_id("cn-hangzhou"))
        .prefetch(4);
    let mut processing = 0;
    let mut count = 0;
    while let Some(task) = tasks.try_next().await? {
        count += 1;
        if task.task_status == TaskStatus::Processing {
            processing += 1;
        }
    }
    println!("\nstreamed {count} tasks in cn-hangzhou, {processing} still processing");

    // 6. Wait for an export to finish; the emulator advances it as it is polled.
    emulator.add_task_with_schedule(
        "cn-hangzhou",
        Task::new(
            "t-quickstart-export",
            TaskAction::ExportImage,
            TaskStatus::Waiting,
        )
        .with_creation_time(chrono::Utc::now()),
        StatusSchedule::new()
            .then(TaskStatus::Processing, 1)
            .then(TaskStatus::Finished, 1),
    );
    let options = WaitOptions::new()
        .initial_interval(Duration::from_millis(50))
        .max_interval(Duration::from_millis(200))
        .timeout(Duration::from_secs(30))
        .on_progress(|p| {
            println!(
                "  {} is {} ({}/{} terminal)",
                p.task.task_id, p.task.task_status, p.terminal, p.total
            )
        });
    println!("\nwaiting for t-quickstart-export:");
    let done = client
        .wait_for_tasks("cn-hangzhou", ["t-quickstart-export"], options)
        .await?;
    println!("done: {} is {}", done[0].task_id, done[0].task_status);

    // 7. Errors are typed: an unknown region comes back with its Code and RequestId.
    let unknown = DescribeTasksRequest::builder()
        .region_id("cn-atlantis")
        .build()?;
    match client.describe_tasks(unknown).await {
        Err(e) => println!(
            "\nan unknown region fails with {} (RequestId {})",
            e.code().unwrap_or("?"),
            e.request_id().unwrap_or("?")
        ),
        Ok(_) => return Err("the emulator accepted an unknown region".into()),
    }
    Ok(())
}

fn print_task(task: &Task) {
    println!(
        "  {:<24} {:<18} {:<10} created {}",
        task.task_id,
        task.task_action.as_str(),
        task.task_status.as_str(),
        task.creation_time
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    );
}
